//! The contract between `ha`'s network front ends and the node.
//!
//! Front ends (HTTP, gRPC, PostgreSQL wire, MySQL wire) depend on this crate and `ha-types` only:
//! they translate their protocol into calls on [`QueryService`] and map [`ApiError`]'s stable
//! [`ErrorCode`] to their own error form. The `ha` crate implements the trait over the engine.

pub mod tls;

use std::fs::File;

use async_trait::async_trait;
use ha_types::{ErrorCode, Statement, StatementDescription, StatementResult, Value};

/// What a client's connection remembers between requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// The database requests go to; `None` means the node's default database.
    pub database: Option<String>,
    /// Read-your-writes: statements wait until this node has applied this log sequence.
    pub min_seq: Option<u64>,
}

impl Session {
    pub fn for_database(database: Option<String>) -> Session {
        Session {
            database,
            min_seq: None,
        }
    }
}

/// An error for a client: a stable code, a message safe to show (no internals), and for a batch
/// the index of the statement that failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub statement_index: Option<usize>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            statement_index: None,
        }
    }
}

/// A consistent copy of a database, ready to stream.
#[derive(Debug)]
pub struct Backup {
    /// The database id, used as the download's file name.
    pub database: String,
    /// An unlinked temporary file positioned at its start.
    pub file: File,
    pub len: u64,
    /// For a snapshot: the log sequence it contains.
    pub seq: Option<u64>,
}

/// The answer to "take a snapshot" (SPEC §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotTaken {
    pub database: String,
    /// The log sequence the latest snapshot contains.
    pub seq: u64,
    pub size: u64,
    /// Whether a new snapshot was stored; when not, `reason` says why (nothing changed).
    pub stored: bool,
    pub reason: Option<String>,
    /// The node that took the latest snapshot.
    pub node: String,
}

/// The rows of one read, in batches as they are read (a large result is never all in memory).
pub struct StreamedRows {
    pub columns: Vec<String>,
    /// Each column's declared type (`None` for an expression).
    pub declared_types: Vec<Option<String>>,
    pub batches: futures::stream::BoxStream<'static, Result<Vec<Vec<Value>>, ApiError>>,
}

/// Whether the node can take traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    /// Why not, when not ready.
    pub reason: Option<String>,
}

/// The results of a request, and the log sequence of its change set when it changed something
/// on a replicated database (clients send it back to read their writes on other nodes).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    pub results: Vec<StatementResult>,
    pub seq: Option<u64>,
}

/// One consumer of a database's changes (one per node), as `GET /replications` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationInfo {
    /// `<node>_<database>`.
    pub name: String,
    /// The last log sequence delivered to it.
    pub delivered_seq: u64,
    /// Log entries of the database not delivered to it yet (its lag, in entries).
    pub pending: u64,
    pub last_active: Option<String>,
    /// This node's own consumer only: the last sequence applied, and the entry that fails to
    /// apply (retried with backoff) with the error.
    pub applied_seq: Option<u64>,
    pub failing_seq: Option<u64>,
    pub error: Option<String>,
    /// This node's own consumer only: change sets that arrived before their turn and wait for
    /// an earlier one of their origin (or parts of a split one still arriving).
    pub held: Option<u64>,
}

/// Where a connection's transaction stands (PostgreSQL's ReadyForQuery status byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    Idle,
    Open,
    /// A statement failed inside the transaction: it must be rolled back.
    Failed,
}

/// How a wire-protocol connection's session behaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// The database the connection starts on (`None`: the node's default).
    pub database: Option<String>,
    /// PostgreSQL: a failed statement aborts the open transaction. MySQL: it does not.
    pub abort_on_error: bool,
}

/// The leader of a cluster in leader mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderStatus {
    /// Its node name (empty for a `--leader-static` leader, known only by its address).
    pub node: String,
    /// Its gRPC address, where followers forward writes.
    pub addr: String,
    /// The lease's term (0 for a static leader).
    pub term: u64,
    /// When this node learned of this term, in milliseconds since the Unix epoch.
    pub since_ms: u64,
    /// Whether the answering node is the leader.
    pub this_node: bool,
}

/// One client connection of a stateful protocol (PostgreSQL, MySQL wire): its current
/// database, its transaction, its read-your-writes position. Dropping it rolls back an open
/// transaction.
#[async_trait]
pub trait ClientSession: Send {
    /// Runs one statement: SQL, a transaction command (`BEGIN`, `COMMIT`, `SAVEPOINT`...), or a
    /// special command. Several statements run as one implicit transaction; that is refused
    /// inside an open transaction or when one of them is a transaction command.
    async fn execute(&mut self, statements: Vec<Statement>) -> Result<QueryOutcome, ApiError>;

    /// What a statement takes and returns, without running it.
    async fn describe(&mut self, sql: &str) -> Result<StatementDescription, ApiError>;

    fn transaction_status(&self) -> TransactionStatus;

    /// Marks an open transaction failed after an error outside a statement's execution (a
    /// protocol or parameter error), when the session aborts on errors.
    fn fail_transaction(&mut self);

    /// The id of the database statements go to (`None` only when the node has none).
    fn database(&self) -> Option<String>;

    /// Read-your-writes: from now on statements wait until this node applied `seq`.
    fn set_min_seq(&mut self, seq: Option<u64>);
}

/// What every front end asks of the node.
#[async_trait]
pub trait QueryService: Send + Sync + 'static {
    /// Runs one statement, or several in one transaction, for `session` (special commands
    /// included; `SET DATABASE` changes the session).
    async fn execute(
        &self,
        session: &mut Session,
        statements: Vec<Statement>,
    ) -> Result<QueryOutcome, ApiError>;

    /// Opens a session for one connection of a stateful protocol.
    fn open_session(&self, options: SessionOptions) -> Result<Box<dyn ClientSession>, ApiError>;

    /// The ids of the databases, the default one first.
    fn list_databases(&self) -> Vec<String>;

    /// Runs one read for `session` and streams its rows in batches of about `batch_rows`.
    async fn stream_rows(
        &self,
        session: &Session,
        statement: Statement,
        batch_rows: usize,
    ) -> Result<StreamedRows, ApiError>;

    /// Creates a database from a DSN; returns its id.
    async fn create_database(&self, dsn: &str) -> Result<String, ApiError>;

    async fn drop_database(&self, id: &str) -> Result<(), ApiError>;

    /// A consistent copy of a database (`None`: the default one).
    async fn backup(&self, database: Option<&str>) -> Result<Backup, ApiError>;

    /// Takes a snapshot of a database into the snapshot store, unless nothing changed.
    async fn take_snapshot(&self, database: Option<&str>) -> Result<SnapshotTaken, ApiError>;

    /// The latest stored snapshot of a database, as a file to stream.
    async fn latest_snapshot(&self, database: Option<&str>) -> Result<Backup, ApiError>;

    fn readiness(&self) -> Readiness;

    /// Leader mode (SPEC §7): who leads, as this node knows it; `Ok(None)` in leaderless mode,
    /// `unavailable` while no leader is elected.
    fn leader(&self) -> Result<Option<LeaderStatus>, ApiError> {
        Ok(None)
    }

    /// The consumers of a database's changes (empty when replication is off).
    async fn replications(&self, database: Option<&str>) -> Result<Vec<ReplicationInfo>, ApiError>;

    /// Skips the log entry that this node's consumer `name` fails to apply: it is kept in
    /// `_ha_dead_letters` and the consumer goes on. Returns the entry's sequence.
    async fn skip_failing(&self, database: Option<&str>, name: &str) -> Result<u64, ApiError>;

    /// Removes a consumer of a database's changes.
    async fn delete_replication(&self, database: Option<&str>, name: &str) -> Result<(), ApiError>;
}
