//! The one mapping from `ha`'s errors to PostgreSQL's: an SQLSTATE (the table in
//! [`ha_types::sqlstate`], shared with the JDBC driver) and an ErrorResponse.

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

/// The SQLSTATE of an engine error (the table shared with the other SQL drivers).
pub(crate) fn sqlstate(code: ErrorCode, message: &str) -> &'static str {
    ha_types::sqlstate(code, message)
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
