//! `ha-jdbc-native`: the native library of the ha JDBC driver (`libha_jdbc`, loaded from inside
//! the jar by `ha.jdbc.core.NativeLibrary`). Each function of `ha.jdbc.core.Native` is one JNI
//! function here over ha-ffi's blocking client: arguments and answers converted, errors thrown
//! as `NativeException`s whose SQLState comes from ha-ffi. No database logic (ARCHITECTURE
//! rule 2): statements, transactions, catalog queries and error states are the client's.
//!
//! Handles are boxes kept by Java as `long`s: a client (`RwLock<BlockingClient>`: closing takes
//! it whole while other threads' calls share it), a session, a cancel token. Java frees each
//! exactly once, when nothing can use it any more.

mod failure;
mod handles;
mod java;
mod values;

use jni::EnvUnowned;
use jni::objects::{JClass, JObjectArray, JString};
use jni::sys::{jboolean, jint, jlong};

use ha_ffi::{BlockingClient, CancelToken, CatalogQuery, StatementKind};

use crate::failure::{Failure, ThrowNative, bad_request};
use crate::handles::{
    Prepared, cancel_token, cancelled, client_of, into_handle, lock_session, prepared_of,
    read_client,
};
use crate::java::NativeResult;

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn open<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    url: JString<'local>,
    keys: JObjectArray<'local, JString<'local>>,
    texts: JObjectArray<'local, JString<'local>>,
    cancel: jlong,
) -> jlong {
    env.with_env(|env| -> Result<jlong, Failure> {
        let url = values::string(env, &url, "URL")?;
        let mut properties = Vec::new();
        if !keys.is_null() && !texts.is_null() {
            for index in 0..keys.len(env)?.min(texts.len(env)?) {
                let key = keys.get_element(env, index)?;
                let text = texts.get_element(env, index)?;
                if key.is_null() || text.is_null() {
                    continue;
                }
                properties.push((key.try_to_string(env)?, text.try_to_string(env)?));
            }
        }
        let (url, options) = ha_ffi::options_from_properties(
            &url,
            properties.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )?;
        let opened = BlockingClient::open(&url, options, &mut cancelled(cancel))?;
        Ok(into_handle(std::sync::RwLock::new(opened)))
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn close<'local>(mut env: EnvUnowned<'local>, _class: JClass<'local>, handle: jlong) {
    env.with_env(|_env| -> Result<(), Failure> {
        let client = client_of(handle)?;
        let mut client = client
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(client.close()?)
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn free<'local>(_env: EnvUnowned<'local>, _class: JClass<'local>, handle: jlong) {
    handles::free_client(handle);
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn execute<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    sql: JObjectArray<'local, JString<'local>>,
    params: JObjectArray<'local, JObjectArray<'local>>,
    cancel: jlong,
) -> JObjectArray<'local, NativeResult<'local>> {
    env.with_env(|env| -> Result<_, Failure> {
        if sql.is_null() {
            return Err(bad_request("no statements given"));
        }
        let count = sql.len(env)?;
        let mut statements = Vec::with_capacity(count);
        for index in 0..count {
            let text = sql.get_element(env, index)?;
            let values = if params.is_null() || index >= params.len(env)? {
                JObjectArray::<jni::objects::JObject>::null()
            } else {
                params.get_element(env, index)?
            };
            statements.push(values::statement(env, &text, &values)?);
        }
        let executed = {
            let client = read_client(handle)?;
            client.execute(statements, &mut cancelled(cancel))?
        };
        let answers =
            JObjectArray::<NativeResult>::new(env, executed.results.len(), NativeResult::null())?;
        for (index, answer) in executed.results.iter().enumerate() {
            let result = values::result(env, answer, executed.seq)?;
            answers.set_element(env, index, &result)?;
        }
        Ok(answers)
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn prepare<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    sql: JString<'local>,
) -> jlong {
    env.with_env(|env| -> Result<jlong, Failure> {
        let sql = values::string(env, &sql, "SQL text")?;
        Ok(into_handle(std::sync::Mutex::new(Prepared {
            statement: ha_ffi::Statement::new(sql),
            columns: values::Columns::default(),
        })))
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn execute_prepared<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    prepared: jlong,
    params: JObjectArray<'local>,
    cancel: jlong,
) -> NativeResult<'local> {
    env.with_env(|env| -> Result<_, Failure> {
        let mut prepared = prepared_of(prepared)?
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        prepared.statement.params = values::parameters(env, &params)?;
        let executed = {
            let client = read_client(handle)?;
            // A replica's short read runs here and now, without copying the statement.
            match client.read_now(&prepared.statement)? {
                Some(result) => ha_ffi::Executed {
                    results: vec![result],
                    seq: None,
                },
                None => client.execute(vec![prepared.statement.clone()], &mut cancelled(cancel))?,
            }
        };
        let answer = last_answer(&executed)?;
        values::result_after(env, answer, executed.seq, Some(&mut prepared.columns))
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn free_prepared<'local>(_env: EnvUnowned<'local>, _class: JClass<'local>, handle: jlong) {
    handles::free_prepared(handle);
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn session<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) -> jlong {
    env.with_env(|_env| -> Result<jlong, Failure> {
        let opened = read_client(handle)?.session()?;
        Ok(into_handle(std::sync::Mutex::new(opened)))
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn session_execute<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    sql: JString<'local>,
    params: JObjectArray<'local>,
    cancel: jlong,
) -> NativeResult<'local> {
    env.with_env(|env| -> Result<_, Failure> {
        let statement = values::statement(env, &sql, &params)?;
        let executed = lock_session(handle)?.execute(statement, &mut cancelled(cancel))?;
        let answer = last_answer(&executed)?;
        values::result(env, answer, executed.seq)
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn session_in_transaction<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) -> jboolean {
    env.with_env(|_env| -> Result<jboolean, Failure> { Ok(lock_session(handle)?.in_transaction()) })
        .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn session_free<'local>(_env: EnvUnowned<'local>, _class: JClass<'local>, handle: jlong) {
    handles::free_session(handle);
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn wait_for<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    seq: jlong,
    timeout_millis: jlong,
) {
    env.with_env(|_env| -> Result<(), Failure> {
        let seq = u64::try_from(seq).map_err(|_| bad_request("a sequence is not negative"))?;
        let timeout = std::time::Duration::from_millis(u64::try_from(timeout_millis).unwrap_or(0));
        Ok(read_client(handle)?.wait_for(seq, timeout, &mut || false)?)
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn new_cancel<'local>(_env: EnvUnowned<'local>, _class: JClass<'local>) -> jlong {
    into_handle(CancelToken::new())
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn cancel<'local>(_env: EnvUnowned<'local>, _class: JClass<'local>, handle: jlong) {
    if let Some(token) = cancel_token(handle) {
        token.cancel();
    }
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn reset_cancel<'local>(_env: EnvUnowned<'local>, _class: JClass<'local>, handle: jlong) {
    if let Some(token) = cancel_token(handle) {
        token.reset();
    }
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn free_cancel<'local>(_env: EnvUnowned<'local>, _class: JClass<'local>, handle: jlong) {
    handles::free_cancel(handle);
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn statement_kind<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    sql: JString<'local>,
) -> jint {
    env.with_env(|env| -> Result<jint, Failure> {
        let sql = values::string(env, &sql, "SQL text")?;
        Ok(match ha_ffi::statement_kind(&sql) {
            StatementKind::TransactionControl => 0,
            StatementKind::SessionState => 1,
            StatementKind::ChangesData => 2,
            StatementKind::Other => 3,
        })
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn sets_last_row_id<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    sql: JString<'local>,
) -> jboolean {
    env.with_env(|env| -> Result<jboolean, Failure> {
        let sql = values::string(env, &sql, "SQL text")?;
        Ok(ha_ffi::sets_last_row_id(&sql))
    })
    .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn sqlite_version<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
) -> JString<'local> {
    env.with_env(|env| -> Result<_, Failure> { Ok(JString::new(env, ha_ffi::sqlite_version())?) })
        .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn version<'local>(mut env: EnvUnowned<'local>, _class: JClass<'local>) -> JString<'local> {
    env.with_env(|env| -> Result<_, Failure> { Ok(JString::new(env, env!("CARGO_PKG_VERSION"))?) })
        .resolve::<ThrowNative>()
}

#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn catalog<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    what: JString<'local>,
    table: JString<'local>,
) -> NativeResult<'local> {
    env.with_env(|env| -> Result<_, Failure> {
        let statement = catalog_statement(env, &what, &table)?;
        let executed = read_client(handle)?.execute(vec![statement], &mut || false)?;
        let answer = last_answer(&executed)?;
        values::result(env, answer, None)
    })
    .resolve::<ThrowNative>()
}

/// [`catalog`] through a session: of the database the session is on (after `USE`).
#[jni::jni_mangle("ha.jdbc.core.Native")]
pub fn session_catalog<'local>(
    mut env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    what: JString<'local>,
    table: JString<'local>,
) -> NativeResult<'local> {
    env.with_env(|env| -> Result<_, Failure> {
        let statement = catalog_statement(env, &what, &table)?;
        let executed = lock_session(handle)?.execute(statement, &mut || false)?;
        let answer = last_answer(&executed)?;
        values::result(env, answer, None)
    })
    .resolve::<ThrowNative>()
}

/// The answer of a call's last statement.
fn last_answer(executed: &ha_ffi::Executed) -> Result<&ha_ffi::StatementResult, Failure> {
    executed
        .results
        .last()
        .ok_or_else(|| bad_request("the statement gave no answer"))
}

fn catalog_statement(
    env: &mut jni::Env<'_>,
    what: &JString<'_>,
    table: &JString<'_>,
) -> Result<ha_ffi::Statement, Failure> {
    let what = values::string(env, what, "catalog question")?;
    let query = CatalogQuery::from_name(&what)
        .ok_or_else(|| bad_request(format!("no catalog question {what}")))?;
    let table = if table.is_null() {
        None
    } else {
        Some(table.try_to_string(env)?)
    };
    Ok(query.statement(table.as_deref()))
}
