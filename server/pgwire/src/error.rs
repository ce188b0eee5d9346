//! The one mapping from `ha`'s errors to PostgreSQL's: an SQLSTATE and an ErrorResponse.
//!
//! SQLite reports constraint failures and unknown objects with one code each; its message
//! says which constraint or object ("UNIQUE constraint failed: t.x", "no such table: t"), and
//! those messages are stable, so they pick the precise SQLSTATE here.

use ha_server_api::ApiError;
use ha_types::ErrorCode;
use pgwire::error::{ErrorInfo, PgWireError};

/// Errors of this crate's own making (not the engine's).
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("{message}")]
    Client {
        sqlstate: &'static str,
        message: String,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl PgError {
    pub(crate) fn client(sqlstate: &'static str, message: impl Into<String>) -> PgError {
        PgError::Client {
            sqlstate,
            message: message.into(),
        }
    }
}

impl From<PgError> for PgWireError {
    fn from(error: PgError) -> PgWireError {
        match error {
            PgError::Client { sqlstate, message } => user_error(sqlstate, message),
            PgError::Io(e) => PgWireError::IoError(e),
        }
    }
}

pub(crate) fn user_error(sqlstate: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(sqlstate, message)))
}

pub(crate) fn error_info(sqlstate: &str, message: impl Into<String>) -> ErrorInfo {
    ErrorInfo::new("ERROR".to_owned(), sqlstate.to_owned(), message.into())
}

/// The ErrorResponse for an engine error.
pub(crate) fn api_error_info(error: &ApiError) -> ErrorInfo {
    error_info(sqlstate(error.code, &error.message), error.message.clone())
}

pub(crate) fn api_error(error: &ApiError) -> PgWireError {
    PgWireError::UserError(Box::new(api_error_info(error)))
}

/// The SQLSTATE of an engine error.
pub(crate) fn sqlstate(code: ErrorCode, message: &str) -> &'static str {
    match code {
        ErrorCode::SqlSyntax => "42601",
        ErrorCode::SqlConstraint => {
            if message.contains("UNIQUE constraint failed")
                || message.contains("PRIMARY KEY constraint failed")
            {
                "23505"
            } else if message.contains("NOT NULL constraint failed") {
                "23502"
            } else if message.contains("CHECK constraint failed") {
                "23514"
            } else if message.contains("FOREIGN KEY constraint failed") {
                "23503"
            } else {
                "23000"
            }
        }
        ErrorCode::SqlUnknownObject => {
            if message.contains("no such table") || message.contains("no such view") {
                "42P01"
            } else if message.contains("no such column") {
                "42703"
            } else if message.contains("no such function") {
                "42883"
            } else {
                "42704"
            }
        }
        ErrorCode::SqlError => {
            if message.contains("already exists") {
                "42P07"
            } else if message.contains("datatype mismatch") {
                "42804"
            } else {
                "XX000"
            }
        }
        ErrorCode::BadRequest => "22023",
        ErrorCode::UnknownDatabase => "3D000",
        ErrorCode::DatabaseExists => "42P04",
        ErrorCode::Unauthorized => "28000",
        ErrorCode::Conflict => "55000",
        ErrorCode::PayloadTooLarge => "54000",
        ErrorCode::Busy if message.contains("locked") || message.contains("busy") => "55P03",
        // Read-your-writes: this node has not applied the asked-for position yet.
        ErrorCode::Busy if message.contains("has not applied") => "55000",
        ErrorCode::Busy => "53300",
        // Committed on this node, not yet confirmed by the broker (it will be published). No
        // PostgreSQL state means that, and a retryable one (40001, 40P01) would make drivers
        // write it twice: a state of our own, in a class of its own.
        ErrorCode::ReplicationPending => "HA001",
        ErrorCode::Cancelled => "57014",
        ErrorCode::ReadOnly => "25006",
        ErrorCode::NotSupported => "0A000",
        ErrorCode::TransactionAborted => "25P02",
        // cannot_connect_now: the database is being restored, or must be first.
        ErrorCode::Unavailable => "57P03",
        ErrorCode::NoSnapshot => "58P01",
        ErrorCode::TransactionState => {
            if message.contains("savepoint") {
                "3B001"
            } else if message.contains("can only be used in a transaction block") {
                "25P01"
            } else {
                "25000"
            }
        }
        _ => "XX000",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_and_object_errors_get_precise_states() {
        let cases = [
            (
                ErrorCode::SqlConstraint,
                "UNIQUE constraint failed: t.x",
                "23505",
            ),
            (
                ErrorCode::SqlConstraint,
                "NOT NULL constraint failed: t.x",
                "23502",
            ),
            (
                ErrorCode::SqlConstraint,
                "CHECK constraint failed: x > 0",
                "23514",
            ),
            (
                ErrorCode::SqlConstraint,
                "FOREIGN KEY constraint failed",
                "23503",
            ),
            (ErrorCode::SqlUnknownObject, "no such table: nope", "42P01"),
            (ErrorCode::SqlUnknownObject, "no such column: nope", "42703"),
            (
                ErrorCode::SqlSyntax,
                "near \"SELEC\": syntax error",
                "42601",
            ),
            (ErrorCode::TransactionAborted, "aborted", "25P02"),
            (
                ErrorCode::TransactionState,
                "savepoint \"x\" does not exist",
                "3B001",
            ),
        ];
        for (code, message, want) in cases {
            assert_eq!(sqlstate(code, message), want, "{message}");
        }
    }
}
