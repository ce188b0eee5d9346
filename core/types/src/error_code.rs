use std::fmt;

/// The stable, flat classification of every error `ha` reports to a client.
///
/// The string form ([`ErrorCode::as_str`]) is part of the public contract (HTTP `code` field, gRPC
/// details, client exceptions): never rename a variant's string, only add new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request itself is malformed (bad JSON, missing field, wrong parameter type).
    BadRequest,
    /// SQL that SQLite could not parse.
    SqlSyntax,
    /// A constraint failed (unique, not null, check, foreign key, primary key).
    SqlConstraint,
    /// A table, column or other schema object that does not exist.
    SqlUnknownObject,
    /// Any other error SQLite reported for the statement.
    SqlError,
    /// No database with that id.
    UnknownDatabase,
    /// No consumer of a database's changes with that name.
    UnknownReplication,
    /// A database with that id already exists.
    DatabaseExists,
    /// Missing or wrong credentials.
    Unauthorized,
    /// No such route or resource.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The request conflicts with the current state.
    Conflict,
    /// The request body is larger than the server accepts.
    PayloadTooLarge,
    /// Too many queries at once; retry later.
    Busy,
    /// The write is committed on this node, but the log did not confirm it in time; it will be
    /// published later and is not lost.
    ReplicationPending,
    /// The statement was cancelled (client went away, or shutdown).
    Cancelled,
    /// The database is read-only on this node.
    ReadOnly,
    /// A feature that this build does not support yet.
    NotSupported,
    /// An earlier statement of the session's transaction failed: only ROLLBACK (or ROLLBACK TO
    /// a savepoint) is accepted until the transaction ends.
    TransactionAborted,
    /// A transaction command that does not fit the session's state (no such savepoint, a
    /// transaction ended by the server after it stayed idle too long).
    TransactionState,
    /// The database is not served right now (it must be restored from a snapshot first), or
    /// a service it needs (the broker, the snapshot store) cannot be reached; retry later.
    Unavailable,
    /// No snapshot of that database exists.
    NoSnapshot,
    /// A fault inside the server; details are in its log, not in the message.
    Internal,
}

impl ErrorCode {
    /// The stable string used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::SqlSyntax => "sql_syntax",
            ErrorCode::SqlConstraint => "sql_constraint",
            ErrorCode::SqlUnknownObject => "sql_unknown_object",
            ErrorCode::SqlError => "sql_error",
            ErrorCode::UnknownDatabase => "unknown_database",
            ErrorCode::UnknownReplication => "unknown_replication",
            ErrorCode::DatabaseExists => "database_exists",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Busy => "busy",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::ReplicationPending => "replication_pending",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::NotSupported => "not_supported",
            ErrorCode::TransactionAborted => "transaction_aborted",
            ErrorCode::TransactionState => "transaction_state",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::NoSnapshot => "no_snapshot",
            ErrorCode::Internal => "internal",
        }
    }
}

impl ErrorCode {
    /// Every code, for reading one back from its string (clients of the remote API). New codes
    /// go at the end: a code's place here is its [`ErrorCode::number`].
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::BadRequest,
        ErrorCode::SqlSyntax,
        ErrorCode::SqlConstraint,
        ErrorCode::SqlUnknownObject,
        ErrorCode::SqlError,
        ErrorCode::UnknownDatabase,
        ErrorCode::UnknownReplication,
        ErrorCode::DatabaseExists,
        ErrorCode::Unauthorized,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Busy,
        ErrorCode::ReplicationPending,
        ErrorCode::Cancelled,
        ErrorCode::ReadOnly,
        ErrorCode::NotSupported,
        ErrorCode::TransactionAborted,
        ErrorCode::TransactionState,
        ErrorCode::Unavailable,
        ErrorCode::NoSnapshot,
        ErrorCode::Internal,
    ];

    /// A stable number for drivers whose errors carry one (JDBC's vendor code): the code's
    /// place in [`ErrorCode::ALL`], from 1.
    pub fn number(self) -> i32 {
        ErrorCode::ALL
            .iter()
            .position(|c| *c == self)
            .map_or(0, |at| at as i32 + 1)
    }

    /// The code whose [`ErrorCode::as_str`] is `text`.
    pub fn from_code(text: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod all_tests {
    use super::ErrorCode;

    #[test]
    fn every_code_reads_back_from_its_string() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(*code));
        }
        assert_eq!(ErrorCode::from_code("nope"), None);
    }

    #[test]
    fn numbers_are_stable_and_distinct() {
        // Released numbers never change: drivers' users may match on them.
        assert_eq!(ErrorCode::BadRequest.number(), 1);
        assert_eq!(ErrorCode::SqlConstraint.number(), 3);
        assert_eq!(ErrorCode::Internal.number(), 23);
        let mut numbers: Vec<i32> = ErrorCode::ALL.iter().map(|c| c.number()).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), ErrorCode::ALL.len());
    }
}
