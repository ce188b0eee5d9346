//! What a host that keeps a connection's state on its side must know of a statement before it
//! sends it, decided here once for every binding with the core's own lexer and parsers
//! (`ha_types::sql_text`, `SpecialCommand`): PEP 249 drivers (Python's `sqlite3` in its default
//! mode) and JDBC with auto-commit off begin a transaction before the first statement that
//! changes data; transaction commands and `USE` belong to the connection's session.

use ha_types::SpecialCommand;
pub use ha_types::sql_text::sets_last_row_id;
use ha_types::sql_text::{TokenKind, Tokens, TransactionCommand, first_word};

const DATA_CHANGES: [&str; 4] = ["INSERT", "UPDATE", "DELETE", "REPLACE"];

/// What a statement is to a host's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `BEGIN`, `COMMIT`, `SAVEPOINT`...: runs in the connection's session.
    TransactionControl,
    /// `USE x`, `SET DATABASE ...`: changes the session's database for later statements.
    SessionState,
    /// `INSERT`, `UPDATE`, `DELETE`, `REPLACE` (also after `WITH`): a host that begins
    /// transactions on its own begins one before it. Schema statements and reads do not.
    ChangesData,
    Other,
}

pub fn statement_kind(sql: &str) -> StatementKind {
    if TransactionCommand::parse(sql).is_some() {
        return StatementKind::TransactionControl;
    }
    if matches!(
        SpecialCommand::parse(sql),
        Some(SpecialCommand::SetDatabase(_) | SpecialCommand::UnsetDatabase)
    ) {
        return StatementKind::SessionState;
    }
    if changes_data(sql) {
        return StatementKind::ChangesData;
    }
    StatementKind::Other
}

fn changes_data(sql: &str) -> bool {
    let first = first_word(sql);
    if first == "WITH" {
        // `WITH ... INSERT/UPDATE/DELETE`: the verb follows the CTEs; a word inside quotes
        // or a string is another kind of token.
        return Tokens::new(sql)
            .filter(|token| token.kind == TokenKind::Word)
            .any(|token| {
                let word = &sql[token.start..token.end];
                DATA_CHANGES
                    .iter()
                    .any(|verb| word.eq_ignore_ascii_case(verb))
            });
    }
    DATA_CHANGES.contains(&first.as_str())
}

#[cfg(test)]
mod tests {
    use super::{StatementKind as Kind, sets_last_row_id, statement_kind as kind};

    #[test]
    fn data_changes_open_a_transaction() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "  insert into t values (1)",
            "-- note\nUPDATE t SET x = 1",
            "/* a */ /* b */ DELETE FROM t",
            "REPLACE INTO t VALUES (1)",
            "WITH c(x) AS (SELECT 1) INSERT INTO t SELECT x FROM c",
        ] {
            assert_eq!(kind(sql), Kind::ChangesData, "{sql}");
        }
    }

    #[test]
    fn reads_and_schema_do_not() {
        for sql in [
            "SELECT 1",
            "CREATE TABLE t(x)",
            "PRAGMA user_version",
            "WITH c(x) AS (SELECT 'insert') SELECT * FROM c",
            "WITH \"update\"(x) AS (SELECT 1) SELECT * FROM \"update\"",
            "",
            "-- only a comment",
            "INSERTED",
        ] {
            assert_eq!(kind(sql), Kind::Other, "{sql}");
        }
    }

    #[test]
    fn transaction_commands_and_database_switches_belong_to_the_session() {
        for sql in [
            "BEGIN",
            "begin immediate",
            "COMMIT",
            "END",
            "ROLLBACK TO s",
            "SAVEPOINT s",
        ] {
            assert_eq!(kind(sql), Kind::TransactionControl, "{sql}");
        }
        for sql in ["USE other.db", "SET DATABASE TO other.db"] {
            assert_eq!(kind(sql), Kind::SessionState, "{sql}");
        }
        assert!(sets_last_row_id("-- x\ninsert into t values (1)"));
        assert!(!sets_last_row_id("UPDATE t SET x = 1"));
    }
}
