//! Every call that may wait runs as a [`Task`] on libuv's thread pool: `compute` blocks there on
//! `ha-ffi`'s client; `resolve` converts on the JavaScript thread. Failures resolve as data
//! (`Answer.error`) for `index.js` to throw with their code.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use ha_ffi::{BlockingClient, BlockingSession, ClientError, ClientOptions, Executed, Statement};
use napi::bindgen_prelude::Either;
use napi::{Env, Task};

use crate::values::{Answer, Failure};
use crate::{NativeClient, NativeSession};

/// Nothing interrupts a worker's call: JavaScript has no blocked thread to interrupt.
fn never() -> bool {
    false
}

/// What a task was given, taken by its one `compute` (napi calls it once; `&mut self` only
/// lets it take it).
fn once<T>(given: &mut Option<Result<T, Failure>>) -> Result<T, Failure> {
    given.take().unwrap_or_else(|| {
        Err(Failure::from(ClientError::BadUrl(
            "the call was already run".into(),
        )))
    })
}

pub struct Open {
    url: String,
    options: Option<ClientOptions>,
}

impl Open {
    pub(crate) fn new(url: String, options: ClientOptions) -> Open {
        Open {
            url,
            options: Some(options),
        }
    }
}

impl Task for Open {
    type Output = Result<BlockingClient, ClientError>;
    type JsValue = Either<NativeClient, Failure>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let options = self.options.take().unwrap_or_default();
        Ok(BlockingClient::open(&self.url, options, &mut never))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(match output {
            Ok(client) => Either::A(NativeClient::new(client)),
            Err(error) => Either::B(error.into()),
        })
    }
}

pub struct Execute {
    client: Arc<RwLock<BlockingClient>>,
    statements: Option<Result<Vec<Statement>, Failure>>,
    bigint: bool,
    every: bool,
}

impl Execute {
    pub(crate) fn new(
        client: Arc<RwLock<BlockingClient>>,
        statements: Result<Vec<Statement>, Failure>,
        bigint: bool,
    ) -> Execute {
        Execute {
            client,
            statements: Some(statements),
            bigint,
            every: false,
        }
    }

    /// Answers every statement (a batch), not only the last.
    pub(crate) fn all(mut self) -> Execute {
        self.every = true;
        self
    }
}

impl Task for Execute {
    type Output = Result<Executed, Failure>;
    type JsValue = Answer;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let statements = match once(&mut self.statements) {
            Ok(statements) => statements,
            Err(failure) => return Ok(Err(failure)),
        };
        let client = self.client.read().unwrap_or_else(PoisonError::into_inner);
        Ok(client
            .execute(statements, &mut never)
            .map_err(Failure::from))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Answer> {
        Ok(match output {
            Ok(executed) if self.every => Answer::all(executed.results, executed.seq, self.bigint),
            Ok(executed) => Answer::last(executed, self.bigint),
            Err(failure) => Answer::failed(failure),
        })
    }
}

pub struct OpenSession {
    client: Arc<RwLock<BlockingClient>>,
}

impl OpenSession {
    pub(crate) fn new(client: Arc<RwLock<BlockingClient>>) -> OpenSession {
        OpenSession { client }
    }
}

impl Task for OpenSession {
    type Output = Result<BlockingSession, ClientError>;
    type JsValue = Either<NativeSession, Failure>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let client = self.client.read().unwrap_or_else(PoisonError::into_inner);
        Ok(client.session())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(match output {
            Ok(session) => Either::A(NativeSession::new(session)),
            Err(error) => Either::B(error.into()),
        })
    }
}

pub struct SessionExecute {
    session: Arc<Mutex<BlockingSession>>,
    statement: Option<Result<Statement, Failure>>,
    bigint: bool,
}

impl SessionExecute {
    pub(crate) fn new(
        session: Arc<Mutex<BlockingSession>>,
        statement: Result<Statement, Failure>,
        bigint: bool,
    ) -> SessionExecute {
        SessionExecute {
            session,
            statement: Some(statement),
            bigint,
        }
    }
}

impl Task for SessionExecute {
    type Output = Result<Executed, Failure>;
    type JsValue = Answer;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let statement = match once(&mut self.statement) {
            Ok(statement) => statement,
            Err(failure) => return Ok(Err(failure)),
        };
        let mut session = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(session
            .execute(statement, &mut never)
            .map_err(Failure::from))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Answer> {
        Ok(match output {
            Ok(executed) => Answer::last(executed, self.bigint),
            Err(failure) => Answer::failed(failure),
        })
    }
}

pub struct WaitFor {
    client: Arc<RwLock<BlockingClient>>,
    seq: u64,
    timeout: Duration,
}

impl WaitFor {
    pub(crate) fn new(client: Arc<RwLock<BlockingClient>>, seq: f64, timeout_ms: f64) -> WaitFor {
        WaitFor {
            client,
            seq: if seq.is_finite() && seq > 0.0 {
                seq as u64
            } else {
                0
            },
            timeout: Duration::from_secs_f64(if timeout_ms.is_finite() && timeout_ms > 0.0 {
                timeout_ms / 1000.0
            } else {
                0.0
            }),
        }
    }
}

impl Task for WaitFor {
    type Output = Result<(), ClientError>;
    type JsValue = Answer;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let client = self.client.read().unwrap_or_else(PoisonError::into_inner);
        Ok(client.wait_for(self.seq, self.timeout, &mut never))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Answer> {
        Ok(match output {
            Ok(()) => Answer::empty(),
            Err(error) => Answer::error(error),
        })
    }
}

pub struct Close {
    client: Arc<RwLock<BlockingClient>>,
}

impl Close {
    pub(crate) fn new(client: Arc<RwLock<BlockingClient>>) -> Close {
        Close { client }
    }
}

impl Task for Close {
    type Output = Result<(), ClientError>;
    type JsValue = Answer;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let mut client = self.client.write().unwrap_or_else(PoisonError::into_inner);
        Ok(client.close())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Answer> {
        Ok(match output {
            Ok(()) => Answer::empty(),
            Err(error) => Answer::error(error),
        })
    }
}
