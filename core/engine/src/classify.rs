//! What a statement does, as SQLite itself reports it: the authorizer is called while a statement
//! is prepared, once per action, so recording those actions classifies the statement without
//! parsing SQL ourselves.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

const TRANSACTION_CONTROL: u32 = 1;
const ATTACH: u32 = 1 << 1;
const SCHEMA_CHANGE: u32 = 1 << 2;

/// The actions SQLite reported for the statements prepared since the last [`ActionLog::take`].
#[derive(Debug, Default)]
pub(crate) struct ActionLog(AtomicU32);

/// The summary of one prepared statement's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct StatementClass {
    /// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE: the engine owns transaction boundaries.
    pub transaction_control: bool,
    /// ATTACH or DETACH: would let a client open arbitrary files.
    pub attach: bool,
    /// CREATE, DROP or ALTER of a schema object.
    pub schema_change: bool,
}

impl StatementClass {
    pub(crate) fn union(self, other: StatementClass) -> StatementClass {
        StatementClass {
            transaction_control: self.transaction_control || other.transaction_control,
            attach: self.attach || other.attach,
            schema_change: self.schema_change || other.schema_change,
        }
    }
}

impl ActionLog {
    /// Installs the recording authorizer on `conn`; every statement is still allowed.
    pub(crate) fn install(conn: &mut Connection) -> rusqlite::Result<Arc<ActionLog>> {
        let log = Arc::new(ActionLog::default());
        let recorder = Arc::clone(&log);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            recorder.record(&ctx.action);
            Authorization::Allow
        }))?;
        Ok(log)
    }

    fn record(&self, action: &AuthAction<'_>) {
        let bit = match action {
            AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => TRANSACTION_CONTROL,
            AuthAction::Attach { .. } | AuthAction::Detach { .. } => ATTACH,
            AuthAction::CreateIndex { .. }
            | AuthAction::CreateTable { .. }
            | AuthAction::CreateTrigger { .. }
            | AuthAction::CreateView { .. }
            | AuthAction::CreateVtable { .. }
            | AuthAction::DropIndex { .. }
            | AuthAction::DropTable { .. }
            | AuthAction::DropTrigger { .. }
            | AuthAction::DropView { .. }
            | AuthAction::DropVtable { .. }
            | AuthAction::AlterTable { .. } => SCHEMA_CHANGE,
            _ => 0,
        };
        if bit != 0 {
            self.0.fetch_or(bit, Ordering::Relaxed);
        }
    }

    /// Forgets what was recorded; call before preparing the statement to classify.
    pub(crate) fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }

    /// What was recorded since the last reset.
    pub(crate) fn take(&self) -> StatementClass {
        let bits = self.0.swap(0, Ordering::Relaxed);
        StatementClass {
            transaction_control: bits & TRANSACTION_CONTROL != 0,
            attach: bits & ATTACH != 0,
            schema_change: bits & SCHEMA_CHANGE != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(sql: &str) -> StatementClass {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(x)").unwrap();
        let log = ActionLog::install(&mut conn).unwrap();
        log.reset();
        let _stmt = conn.prepare(sql).unwrap();
        log.take()
    }

    #[test]
    fn sqlite_tells_what_a_statement_does() {
        assert_eq!(classify("SELECT * FROM t"), StatementClass::default());
        assert_eq!(
            classify("INSERT INTO t VALUES (1)"),
            StatementClass::default()
        );
        assert!(classify("BEGIN").transaction_control);
        assert!(classify("SAVEPOINT a").transaction_control);
        assert!(classify("COMMIT").transaction_control);
        assert!(classify("ATTACH 'x.db' AS x").attach);
        assert!(classify("CREATE TABLE u(y)").schema_change);
        assert!(classify("ALTER TABLE t ADD COLUMN y").schema_change);
        assert!(classify("DROP TABLE t").schema_change);
        assert!(classify("CREATE INDEX i ON t(x)").schema_change);
    }
}
