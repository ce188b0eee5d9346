use ha_types::ErrorCode;
use rusqlite::ffi;

/// Every error the engine reports.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// SQLite rejected a statement; `code` is already classified for clients.
    #[error("{message}")]
    Sql { code: ErrorCode, message: String },
    /// The request is malformed (parameters, forbidden statement kinds, empty batch).
    #[error("{0}")]
    BadRequest(String),
    #[error("unknown database: {0}")]
    UnknownDatabase(String),
    #[error("database already exists: {0}")]
    DatabaseExists(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many queries running on database {database}; retry later")]
    Busy { database: String },
    #[error("the query was cancelled")]
    Cancelled,
    /// A statement of a batch failed: the batch was rolled back.
    #[error("statement {index}: {source}")]
    InStatement {
        index: usize,
        #[source]
        source: Box<CoreError>,
    },
    /// Opening, backing up or closing a database failed.
    #[error("{context}: {source}")]
    Storage {
        context: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Another node's change set could not be applied.
    #[error("applying log entry {seq} failed: {message}")]
    Apply { seq: u64, message: String },
    /// The write is committed on this node but the log has not confirmed it in time.
    #[error(
        "the write is committed locally and pending replication: the broker did not confirm it \
         within {timeout_ms} ms; it stays in the outbox and will be published (it is not lost)"
    )]
    ReplicationPending { timeout_ms: u128 },
    /// A read asked for a log position this node has not applied yet.
    #[error(
        "this node has not applied log sequence {seq} yet (it is at {applied}); retry, or read from the node that took the write"
    )]
    NotCaughtUp { seq: u64, applied: u64 },
    /// Leader mode: this node does not hold the lease, so it writes nothing itself; `leader`
    /// is the gRPC address of the node that does, when one is known (the node forwards there).
    #[error("{}", not_leader_message(.leader))]
    NotLeader { leader: Option<String> },
    /// The database is not served now (it needs a snapshot, or one is being restored), or
    /// what it needs (the snapshot store) cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// A write to a database that clients may only read.
    #[error("{0}")]
    ReadOnly(String),
    /// No snapshot of the database has been taken.
    #[error("{0}")]
    NoSnapshot(String),
    /// The database's writer thread is gone (the database was dropped or the node is stopping).
    #[error("database {0} is closed")]
    Closed(String),
}

impl CoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::Sql { code, .. } => *code,
            CoreError::BadRequest(_) => ErrorCode::BadRequest,
            CoreError::UnknownDatabase(_) => ErrorCode::UnknownDatabase,
            CoreError::DatabaseExists(_) => ErrorCode::DatabaseExists,
            CoreError::Conflict(_) => ErrorCode::Conflict,
            CoreError::Busy { .. } => ErrorCode::Busy,
            CoreError::Cancelled => ErrorCode::Cancelled,
            CoreError::InStatement { source, .. } => source.code(),
            CoreError::Storage { .. } | CoreError::Io { .. } => ErrorCode::Internal,
            CoreError::Closed(_) => ErrorCode::Busy,
            CoreError::Unavailable(_) => ErrorCode::Unavailable,
            CoreError::NoSnapshot(_) => ErrorCode::NoSnapshot,
            CoreError::ReadOnly(_) => ErrorCode::ReadOnly,
            CoreError::Apply { .. } => ErrorCode::SqlError,
            CoreError::NotCaughtUp { .. } => ErrorCode::Busy,
            CoreError::NotLeader { .. } => ErrorCode::Unavailable,
            CoreError::ReplicationPending { .. } => ErrorCode::ReplicationPending,
        }
    }

    /// The index of the failing statement of a batch, if known.
    pub fn statement_index(&self) -> Option<usize> {
        match self {
            CoreError::InStatement { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The message without the statement prefix (front ends report the index separately).
    pub fn root_message(&self) -> String {
        match self {
            CoreError::InStatement { source, .. } => source.root_message(),
            other => other.to_string(),
        }
    }

    pub(crate) fn in_statement(self, index: usize) -> CoreError {
        match self {
            already @ CoreError::InStatement { .. } => already,
            other => CoreError::InStatement {
                index,
                source: Box::new(other),
            },
        }
    }

    pub(crate) fn storage(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> CoreError {
        let context = context.into();
        move |source| CoreError::Storage { context, source }
    }
}

impl From<rusqlite::Error> for CoreError {
    /// Classifies an error SQLite reported for a user's statement.
    fn from(err: rusqlite::Error) -> Self {
        let message = sql_message(&err);
        let code = match &err {
            rusqlite::Error::SqliteFailure(e, _) => match e.code {
                rusqlite::ErrorCode::ConstraintViolation => ErrorCode::SqlConstraint,
                rusqlite::ErrorCode::OperationInterrupted => return CoreError::Cancelled,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    ErrorCode::Busy
                }
                rusqlite::ErrorCode::ReadOnly => ErrorCode::ReadOnly,
                _ if e.extended_code == ffi::SQLITE_ERROR => classify_message(&message),
                _ => ErrorCode::SqlError,
            },
            rusqlite::Error::SqlInputError { .. } => classify_message(&message),
            rusqlite::Error::InvalidParameterName(_)
            | rusqlite::Error::InvalidParameterCount(_, _)
            | rusqlite::Error::MultipleStatement => ErrorCode::BadRequest,
            _ => ErrorCode::SqlError,
        };
        CoreError::Sql { code, message }
    }
}

/// SQLite reports syntax errors and unknown objects with the same generic code: the message
/// is the only place that tells them apart.
fn classify_message(message: &str) -> ErrorCode {
    if message.contains("syntax error")
        || message.contains("incomplete input")
        || message.contains("unrecognized token")
    {
        ErrorCode::SqlSyntax
    } else if message.contains("no such table")
        || message.contains("no such column")
        || message.contains("no such index")
        || message.contains("no such view")
        || message.contains("no such trigger")
        || message.contains("no such function")
    {
        ErrorCode::SqlUnknownObject
    } else {
        ErrorCode::SqlError
    }
}

/// SQLite's own message of an error, without rusqlite's wrapping.
pub(crate) fn sql_message(err: &rusqlite::Error) -> String {
    match err {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqliteFailure(e, None) => e.to_string(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

fn not_leader_message(leader: &Option<String>) -> String {
    match leader {
        Some(leader) => format!("this node is not the leader (the leader is {leader}); retry"),
        None => "no leader is elected right now; retry in a moment".to_string(),
    }
}
