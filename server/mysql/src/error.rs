//! The one mapping from `ha`'s errors to MySQL's: an error number (with the SQLSTATE MySQL
//! gives it) chosen from the code, and for constraint and unknown-object errors from SQLite's
//! stable message ("UNIQUE constraint failed: t.x", "no such table: t").

use ha_server_api::ApiError;
use ha_types::ErrorCode;
use opensrv_mysql::ErrorKind;

/// The MySQL error of an engine error: its number, and its message in MySQL's words where
/// the engine's names the door's own translation (`information_schema.x` is the core's
/// `mysql_information_schema_x` view).
pub(crate) fn mysql_error(error: &ApiError) -> (ErrorKind, String) {
    if let Some(relation) = error
        .message
        .strip_prefix("no such table: ")
        .and_then(|table| table.strip_prefix(crate::rewrite::INFORMATION_SCHEMA_VIEWS))
    {
        let message = format!(
            "Unknown table '{}' in information_schema",
            relation.to_uppercase()
        );
        return (ErrorKind::ER_UNKNOWN_TABLE, message);
    }
    (kind(error.code, &error.message), error.message.clone())
}

fn kind(code: ErrorCode, message: &str) -> ErrorKind {
    match code {
        ErrorCode::SqlSyntax => ErrorKind::ER_PARSE_ERROR,
        ErrorCode::SqlConstraint => {
            if message.contains("UNIQUE constraint failed")
                || message.contains("PRIMARY KEY constraint failed")
            {
                ErrorKind::ER_DUP_ENTRY
            } else if message.contains("NOT NULL constraint failed") {
                ErrorKind::ER_BAD_NULL_ERROR
            } else if message.contains("FOREIGN KEY constraint failed") {
                ErrorKind::ER_NO_REFERENCED_ROW_2
            } else if message.contains("CHECK constraint failed") {
                ErrorKind::ER_CHECK_CONSTRAINT_VIOLATED
            } else {
                ErrorKind::ER_UNKNOWN_ERROR
            }
        }
        ErrorCode::SqlUnknownObject => {
            if message.contains("no such column") {
                ErrorKind::ER_BAD_FIELD_ERROR
            } else if message.contains("no such function") {
                ErrorKind::ER_SP_DOES_NOT_EXIST
            } else {
                ErrorKind::ER_NO_SUCH_TABLE
            }
        }
        ErrorCode::SqlError if message.contains("already exists") => {
            ErrorKind::ER_TABLE_EXISTS_ERROR
        }
        ErrorCode::UnknownDatabase => ErrorKind::ER_BAD_DB_ERROR,
        ErrorCode::DatabaseExists => ErrorKind::ER_DB_CREATE_EXISTS,
        ErrorCode::Unauthorized => ErrorKind::ER_ACCESS_DENIED_ERROR,
        ErrorCode::ReadOnly => ErrorKind::ER_OPTION_PREVENTS_STATEMENT,
        ErrorCode::Busy => ErrorKind::ER_LOCK_WAIT_TIMEOUT,
        ErrorCode::Cancelled => ErrorKind::ER_QUERY_INTERRUPTED,
        ErrorCode::NotSupported => ErrorKind::ER_NOT_SUPPORTED_YET,
        ErrorCode::BadRequest => ErrorKind::ER_WRONG_ARGUMENTS,
        _ => ErrorKind::ER_UNKNOWN_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_get_mysql_numbers() {
        let cases = [
            (ErrorCode::SqlSyntax, "near \"SELEC\": syntax error", 1064),
            (ErrorCode::SqlUnknownObject, "no such table: t", 1146),
            (ErrorCode::SqlUnknownObject, "no such column: x", 1054),
            (
                ErrorCode::SqlConstraint,
                "UNIQUE constraint failed: t.x",
                1062,
            ),
            (
                ErrorCode::SqlConstraint,
                "NOT NULL constraint failed: t.x",
                1048,
            ),
            (
                ErrorCode::SqlConstraint,
                "CHECK constraint failed: n > 0",
                3819,
            ),
            (ErrorCode::Unauthorized, "no", 1045),
            (ErrorCode::UnknownDatabase, "no such database", 1049),
        ];
        for (code, message, number) in cases {
            assert_eq!(kind(code, message) as u16, number, "{message}");
        }
        let unknown = ApiError::new(
            ErrorCode::SqlUnknownObject,
            "no such table: mysql_information_schema_nope",
        );
        let (kind, message) = mysql_error(&unknown);
        assert_eq!(
            (kind as u16, message.as_str()),
            (1109, "Unknown table 'NOPE' in information_schema")
        );
        assert_eq!(ErrorKind::ER_DUP_ENTRY.sqlstate(), b"23000");
        assert_eq!(ErrorKind::ER_PARSE_ERROR.sqlstate(), b"42000");
    }
}
