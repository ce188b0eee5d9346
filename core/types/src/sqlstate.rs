//! The one SQLSTATE of each engine error, for every door that speaks SQL's error states: the
//! PostgreSQL wire protocol and the JDBC driver. Where a standard class fits, the state is
//! PostgreSQL's (its clients and JDBC's read the class, the first two characters).
//!
//! SQLite reports constraint failures and unknown objects with one code each; its message
//! says which constraint or object ("UNIQUE constraint failed: t.x", "no such table: t"), and
//! those messages are stable, so they pick the precise state here.

use crate::ErrorCode;

/// The SQLSTATE of an engine error with this code and message.
pub fn sqlstate(code: ErrorCode, message: &str) -> &'static str {
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
            } else if message.contains("integer overflow") {
                // numeric_value_out_of_range: `sum()` past 64 bits.
                "22003"
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
    fn sqlite_messages_pick_the_precise_state() {
        for (code, message, want) in [
            (
                ErrorCode::SqlConstraint,
                "UNIQUE constraint failed: t.x",
                "23505",
            ),
            (ErrorCode::SqlUnknownObject, "no such table: t", "42P01"),
            (ErrorCode::SqlError, "table t already exists", "42P07"),
            (ErrorCode::SqlError, "integer overflow", "22003"),
            (ErrorCode::SqlError, "something else", "XX000"),
        ] {
            assert_eq!(sqlstate(code, message), want, "{message}");
        }
    }
}
