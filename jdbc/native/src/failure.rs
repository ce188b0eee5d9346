//! How a native call fails: a client error becomes a `ha.jdbc.core.NativeException` (code,
//! SQLState and vendor code from ha-ffi's tables), a JNI fault a `RuntimeException` (or the
//! Java exception already pending), a panic a `RuntimeException`; never an unwind into the JVM.

use jni::Env;
use jni::errors::ErrorPolicy;
use jni::objects::{JString, JThrowable};

use ha_ffi::ClientError;

use crate::java::NativeException;

#[derive(Debug)]
pub enum Failure {
    Client(ClientError),
    Jni(jni::errors::Error),
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        Failure::Client(error)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(error: jni::errors::Error) -> Self {
        Failure::Jni(error)
    }
}

/// A parameter or argument the client cannot take: the caller's mistake.
pub fn bad_request(message: impl Into<String>) -> Failure {
    Failure::Client(ClientError::Failed {
        code: ha_ffi::ErrorCode::BadRequest,
        message: message.into(),
        statement_index: None,
    })
}

/// The error policy of every native function.
#[derive(Debug, Default)]
pub struct ThrowNative;

impl<T: Default> ErrorPolicy<T, Failure> for ThrowNative {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        failure: Failure,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            return Ok(T::default());
        }
        match failure {
            Failure::Client(error) => {
                let exception = native_exception(env, &error)?;
                // `throw` reports the now pending exception as an error: it is what we want.
                let _ = env.throw(JThrowable::from(exception));
            }
            Failure::Jni(error) => {
                let _ = env.throw(format!("ha native library: {error}"));
            }
        }
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        // A panic payload can panic when dropped: leak it rather than risk that here.
        std::mem::forget(payload);
        if !env.exception_check() {
            let _ = env.throw(format!("ha native library fault: {why}"));
        }
        Ok(T::default())
    }
}

fn native_exception<'local>(
    env: &mut Env<'local>,
    error: &ClientError,
) -> jni::errors::Result<NativeException<'local>> {
    let message = JString::new(env, error.to_string())?;
    let code = JString::new(env, error.code().as_str())?;
    let sql_state = JString::new(env, ha_ffi::sql_state(error))?;
    let statement_index = match error {
        ClientError::Failed {
            statement_index: Some(index),
            ..
        } => i32::try_from(*index).unwrap_or(i32::MAX),
        _ => -1,
    };
    NativeException::new(
        env,
        &message,
        &code,
        &sql_state,
        error.code().number(),
        statement_index,
    )
}
