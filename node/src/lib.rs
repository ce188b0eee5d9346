//! The native part of the npm package `ha-sqlite`. It only translates (ARCHITECTURE rule 2):
//! JavaScript values to and from [`ha_ffi::Value`] (`values.rs`), and every call either
//! answered at once (a replica's short read) or run on libuv's thread pool as an
//! [`napi::Task`] over `ha-ffi`'s blocking client (`tasks.rs`), so the event loop is never held
//! for long. Errors come back as data (`{ error: { code, message } }`): the JavaScript layer
//! (`index.js`) turns them into `Error`s with the stable `code`.

mod read_now;
mod tasks;
mod values;

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use ha_ffi::{BlockingClient, BlockingSession, ClientOptions, Statement};
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;

pub use crate::read_now::{ReadHandle, read_now};
use crate::tasks::{Close, Execute, Open, OpenSession, SessionExecute, WaitFor};
use crate::values::Params;
use napi::bindgen_prelude::External;

/// What `connect` accepts besides the URL.
#[napi(object)]
#[derive(Default)]
pub struct OpenOptions {
    pub token: Option<String>,
    pub database: Option<String>,
    pub replication_url: Option<String>,
    pub node: Option<String>,
    pub read_only: Option<bool>,
    /// Milliseconds a replica's write waits for the broker.
    pub timeout_ms: Option<f64>,
    /// A PEM file of a certificate authority to trust for `https://`.
    pub tls_ca_file: Option<String>,
}

/// Opens a connection; resolves the client, or why it could not.
#[napi(ts_return_type = "Promise<NativeClient | Failure>")]
pub fn open(url: String, options: Option<OpenOptions>) -> AsyncTask<Open> {
    let options = options.unwrap_or_default();
    let client_options = ClientOptions {
        token: options.token,
        database: options.database,
        replication_url: options.replication_url,
        node: options.node,
        read_only: options.read_only.unwrap_or(false),
        timeout: options
            .timeout_ms
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| std::time::Duration::from_secs_f64(ms / 1000.0)),
        tls_ca_file: options.tls_ca_file.map(Into::into),
    };
    AsyncTask::new(Open::new(url, client_options))
}

/// A connection to a node (`http://`, `https://`) or an in-process replica (`file:`).
#[napi]
pub struct NativeClient {
    client: Arc<RwLock<BlockingClient>>,
}

impl NativeClient {
    pub(crate) fn new(client: BlockingClient) -> NativeClient {
        NativeClient {
            client: Arc::new(RwLock::new(client)),
        }
    }
}

#[napi]
impl NativeClient {
    /// The connection as a plain value for [`read_now`] (a free function costs less per call
    /// than a method). Its caller keeps the columns of its last flat answer: see [`ReadHandle`].
    #[napi]
    pub fn handle(&self) -> External<ReadHandle> {
        External::new(ReadHandle::new(Arc::clone(&self.client)))
    }

    /// One statement, on a worker thread.
    #[napi(ts_return_type = "Promise<Answer>")]
    pub fn execute(&self, sql: String, params: Option<Params>, bigint: bool) -> AsyncTask<Execute> {
        let statements = values::statement(sql, params).map(|s| vec![s]);
        AsyncTask::new(Execute::new(Arc::clone(&self.client), statements, bigint))
    }

    /// Several statements in one transaction: every answer, or the first error.
    #[napi(ts_return_type = "Promise<Answer>")]
    pub fn batch(
        &self,
        statements: Vec<(String, Option<Params>)>,
        bigint: bool,
    ) -> AsyncTask<Execute> {
        let statements = statements
            .into_iter()
            .map(|(sql, params)| values::statement(sql, params))
            .collect::<Result<Vec<Statement>, _>>();
        AsyncTask::new(Execute::new(Arc::clone(&self.client), statements, bigint).all())
    }

    /// A session: interactive transactions (`BEGIN` ... `COMMIT`).
    #[napi(ts_return_type = "Promise<NativeSession | Failure>")]
    pub fn session(&self) -> AsyncTask<OpenSession> {
        AsyncTask::new(OpenSession::new(Arc::clone(&self.client)))
    }

    /// Where this connection stands.
    #[napi]
    pub fn status(&self) -> values::StatusAnswer {
        let client = self.client.read().unwrap_or_else(PoisonError::into_inner);
        values::StatusAnswer::of(client.status())
    }

    /// After this, reads through this connection see the log up to `seq`.
    #[napi(ts_return_type = "Promise<Answer>")]
    pub fn wait_for(&self, seq: f64, timeout_ms: f64) -> AsyncTask<WaitFor> {
        AsyncTask::new(WaitFor::new(Arc::clone(&self.client), seq, timeout_ms))
    }

    #[napi(ts_return_type = "Promise<Answer>")]
    pub fn close(&self) -> AsyncTask<Close> {
        AsyncTask::new(Close::new(Arc::clone(&self.client)))
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_closed()
    }
}

/// A connection shared by its JavaScript object and its tasks.
pub type SharedClient = Arc<RwLock<BlockingClient>>;

/// A connection's session: its statements run one by one; a transaction stays open between
/// them.
#[napi]
pub struct NativeSession {
    session: Arc<Mutex<BlockingSession>>,
}

impl NativeSession {
    pub(crate) fn new(session: BlockingSession) -> NativeSession {
        NativeSession {
            session: Arc::new(Mutex::new(session)),
        }
    }
}

#[napi]
impl NativeSession {
    #[napi(ts_return_type = "Promise<Answer>")]
    pub fn execute(
        &self,
        sql: String,
        params: Option<Params>,
        bigint: bool,
    ) -> AsyncTask<SessionExecute> {
        AsyncTask::new(SessionExecute::new(
            Arc::clone(&self.session),
            values::statement(sql, params),
            bigint,
        ))
    }

    #[napi(getter)]
    pub fn in_transaction(&self) -> bool {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .in_transaction()
    }
}
