//! `ha-client`: one [`Client`] over two kinds of connection, chosen by the URL (SPEC §11):
//!
//! - `http://host:8080[/db]` (or `https://`): a **remote** node, over the gRPC API;
//! - `file:/path/app.db?replication_url=nats://host:4222&node=NAME&database=ha.db[&read_only=true]`:
//!   an **in-process replica** of the cluster database `database` (default: the file's name).
//!   The core engine runs here on the local file and follows the cluster's stream through the
//!   same [`ha_nats::ReplicationLink`] as a node: reads are local; a read/write replica
//!   captures and publishes its own writes like a node. An empty file starts from the latest
//!   snapshot; one whose position aged out is restored from it.
//!
//! Both offer the same calls: [`Client::execute`] (one statement, or a batch in one
//! transaction), [`Client::query`] (one read, rows streamed in batches), [`Client::session`]
//! (interactive transactions), [`Client::status`], [`Client::close`]. The language bindings wrap this crate (through `ha-ffi`) and hold no
//! database logic.

mod error;
pub mod forward;
mod local;
mod remote;
mod shared;
mod url;

pub use error::ClientError;
pub use ha_core::sqlite_version;
pub use ha_types::{ErrorCode, Params, Statement, StatementResult, Value};
pub use url::{Target, parse_url};

/// Options beside the URL (they override the URL's query parameters).
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// The node's API token (remote).
    pub token: Option<String>,
    /// The database statements go to (remote: default the URL's path, else the node's default;
    /// local: the cluster database the replica follows).
    pub database: Option<String>,
    /// The broker of the cluster (local).
    pub replication_url: Option<String>,
    /// This replica's name in the cluster (local): it names its consumer and its change sets.
    pub node: Option<String>,
    /// A read-only replica refuses writes (local).
    pub read_only: bool,
    /// How long a write waits for the broker before "pending replication" (local).
    pub timeout: Option<std::time::Duration>,
    /// For `https://`: a PEM file of the certificate authority to trust besides the system's
    /// (a private CA, a self-signed certificate).
    pub tls_ca_file: Option<std::path::PathBuf>,
}

/// The results of a call, and the log sequence where its write takes effect (for
/// read-your-writes on other nodes): the engine's own type.
pub use ha_core::Executed;

/// Where a replica (or the node a remote client reads from) stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// The last log sequence applied (local), or the last one this client wrote (remote).
    pub applied_seq: u64,
    /// Log entries of the database not received yet (local): how far behind the replica is.
    pub lag: u64,
    /// Change sets waiting for an earlier one of their origin (local).
    pub held: u64,
    /// The entry that fails to apply, or why the database is not served (local).
    pub error: Option<String>,
}

/// A connection to a remote node or an in-process replica.
pub struct Client {
    inner: Inner,
}

/// A replica is shared by the connections of a process that open its file (`shared.rs`).
enum Inner {
    Remote(Box<remote::Remote>),
    Local(std::sync::Arc<local::Local>),
}

impl Client {
    /// Opens the connection the URL names.
    pub async fn open(url: &str, options: ClientOptions) -> Result<Client, ClientError> {
        let inner = match parse_url(url, &options)? {
            Target::Remote { endpoint, database } => Inner::Remote(Box::new(
                remote::Remote::connect(endpoint, database, options).await?,
            )),
            Target::Local(settings) => Inner::Local(shared::open(settings).await?),
        };
        Ok(Client { inner })
    }

    /// Runs one statement, or several in one transaction (the first error rolls them all
    /// back). Reads after this client's writes wait for them (read-your-writes).
    pub async fn execute(&self, statements: Vec<Statement>) -> Result<Executed, ClientError> {
        match &self.inner {
            Inner::Remote(remote) => remote.execute(statements).await,
            Inner::Local(local) => local.execute(statements).await,
        }
    }

    /// Runs one read and returns its rows as they are read, in batches (a large result is never
    /// all in memory, here or on the node).
    pub async fn query(&self, statement: Statement) -> Result<Rows, ClientError> {
        match &self.inner {
            Inner::Remote(remote) => remote.query(statement).await,
            Inner::Local(local) => local.query(statement).await,
        }
    }

    /// For blocking callers that are not async workers (the bindings' threads, through
    /// `ha-ffi`): a replica runs a read of one statement right here, without a thread hand-off.
    /// `Ok(None)`: take [`Client::execute`] (a write, a remote client, a busy replica).
    pub fn read_on_this_thread(
        &self,
        statement: &Statement,
    ) -> Result<Option<StatementResult>, ClientError> {
        match &self.inner {
            Inner::Remote(_) => Ok(None),
            Inner::Local(local) => local.read_on_this_thread(statement),
        }
    }

    /// A session: its statements run one by one, with `BEGIN` / `COMMIT` / `ROLLBACK` /
    /// `SAVEPOINT` as interactive transactions. Dropping it rolls back an open transaction.
    pub async fn session(&self) -> Result<Session, ClientError> {
        Ok(Session {
            inner: match &self.inner {
                Inner::Remote(remote) => SessionInner::Remote(remote.session().await?),
                Inner::Local(local) => SessionInner::Local(local.session()),
            },
        })
    }

    /// Read-your-writes across connections: after this, reads through this client see the
    /// log up to `seq` (another connection's write sequence, [`Executed::seq`]). A replica
    /// waits until it has applied it (at most `timeout`, else `replication_pending`); a remote
    /// client sends it with its next requests, and the node waits.
    pub async fn wait_for(
        &self,
        seq: u64,
        timeout: std::time::Duration,
    ) -> Result<(), ClientError> {
        match &self.inner {
            Inner::Remote(remote) => {
                remote.wrote(Some(seq));
                Ok(())
            }
            Inner::Local(local) => local.wait_for(seq, timeout).await,
        }
    }

    pub fn status(&self) -> Status {
        match &self.inner {
            Inner::Remote(remote) => remote.status(),
            Inner::Local(local) => local.status(),
        }
    }

    /// Closes the connection; a replica stops following the stream and closes its file
    /// (its unpublished change sets stay in the file's outbox and are published next time).
    pub async fn close(self) -> Result<(), ClientError> {
        match self.inner {
            Inner::Remote(_) => Ok(()),
            Inner::Local(local) => shared::close(local).await,
        }
    }
}

/// Rows per batch of [`Client::query`].
pub const BATCH_ROWS: usize = 500;

/// The rows of [`Client::query`], read batch by batch.
pub struct Rows {
    pub columns: Vec<String>,
    /// Each column's declared type (`None` for an expression).
    pub declared_types: Vec<Option<String>>,
    source: RowSource,
}

enum RowSource {
    Remote(tonic::Streaming<ha_proto::v1::RowsChunk>),
    Local(ha_core::RowStream),
}

impl Rows {
    /// The next batch; `None` once every row was read.
    pub async fn next_batch(&mut self) -> Option<Result<Vec<Vec<Value>>, ClientError>> {
        match &mut self.source {
            RowSource::Remote(chunks) => match chunks.message().await {
                Ok(Some(chunk)) => Some(Ok(ha_proto::convert::rows_from_proto(chunk.rows))),
                Ok(None) => None,
                Err(status) => Some(Err(remote::from_status(status))),
            },
            RowSource::Local(rows) => rows
                .next_batch()
                .await
                .map(|batch| batch.map_err(ClientError::from)),
        }
    }
}

/// A session of a [`Client`] (see [`Client::session`]).
pub struct Session {
    inner: SessionInner,
}

enum SessionInner {
    Remote(remote::RemoteSession),
    Local(local::LocalSession),
}

impl Session {
    /// Runs one SQL text: a statement, a transaction command, or a special command.
    pub async fn execute(&mut self, statement: Statement) -> Result<Executed, ClientError> {
        match &mut self.inner {
            SessionInner::Remote(session) => session.execute(statement).await,
            SessionInner::Local(session) => session.execute(statement).await,
        }
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        match &self.inner {
            SessionInner::Remote(session) => session.in_transaction(),
            SessionInner::Local(session) => session.in_transaction(),
        }
    }
}
