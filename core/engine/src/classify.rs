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
const CONNECTION_SETTING: u32 = 1 << 3;
const TEMP_SCHEMA: u32 = 1 << 4;
const INTERNAL_WRITE: u32 = 1 << 5;

/// Tables of the engine itself (outbox, positions, dead letters): clients may read them, never
/// change them.
fn is_internal(table: &str) -> bool {
    table.starts_with("_ha_")
}

/// PRAGMAs that may take an argument: they query, or change the database file itself (and so
/// go to the writer). Any other PRAGMA with a value changes one pooled connection's settings,
/// which would leak into other clients' requests: those are refused (use `--db-params`).
const PRAGMAS_WITH_ARGUMENTS: &[&str] = &[
    "application_id",
    "foreign_key_check",
    "foreign_key_list",
    "incremental_vacuum",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "optimize",
    "quick_check",
    "table_info",
    "table_list",
    "table_xinfo",
    "user_version",
    "wal_checkpoint",
];

/// The actions SQLite reported for the statements prepared since the last [`ActionLog::take`].
#[derive(Debug, Default)]
pub(crate) struct ActionLog {
    bits: AtomicU32,
    /// The engine's own statements may change connection settings.
    internal: std::sync::atomic::AtomicBool,
}

/// The summary of one prepared statement's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct StatementClass {
    /// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE: the engine owns transaction boundaries.
    pub transaction_control: bool,
    /// ATTACH or DETACH: would let a client open arbitrary files.
    pub attach: bool,
    /// CREATE, DROP or ALTER of a schema object.
    pub schema_change: bool,
    /// A PRAGMA that changes a connection's settings.
    pub connection_setting: bool,
    /// CREATE or DROP of a TEMP object (it would live in one pooled connection only).
    pub temp_schema: bool,
    /// A change to one of the engine's `_ha_*` tables.
    pub internal_write: bool,
}

/// Restores the connection's internal mode when a client's statement is prepared.
pub(crate) struct ClientStatement<'a> {
    log: &'a ActionLog,
    previous: bool,
}

impl Drop for ClientStatement<'_> {
    fn drop(&mut self) {
        self.log.internal.store(self.previous, Ordering::Relaxed);
    }
}

impl StatementClass {
    pub(crate) fn union(self, other: StatementClass) -> StatementClass {
        StatementClass {
            transaction_control: self.transaction_control || other.transaction_control,
            attach: self.attach || other.attach,
            schema_change: self.schema_change || other.schema_change,
            connection_setting: self.connection_setting || other.connection_setting,
            temp_schema: self.temp_schema || other.temp_schema,
            internal_write: self.internal_write || other.internal_write,
        }
    }
}

impl ActionLog {
    /// Installs the recording authorizer on `conn`; every statement is still allowed.
    pub(crate) fn install(conn: &mut Connection) -> rusqlite::Result<Arc<ActionLog>> {
        let log = Arc::new(ActionLog::default());
        let recorder = Arc::clone(&log);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            // Some PRAGMAs take effect while they are prepared, so refusing them after
            // preparing would be too late: they are denied here, and reported by the executor.
            let bit = recorder.record(&ctx.action);
            if (bit == CONNECTION_SETTING || bit == INTERNAL_WRITE)
                && !recorder.internal.load(Ordering::Relaxed)
            {
                Authorization::Deny
            } else {
                Authorization::Allow
            }
        }))?;
        Ok(log)
    }

    /// Lets the engine's own statements through (`PRAGMA foreign_keys` around an apply, the
    /// `_ha_*` tables). The writer's connection is internal except while a client's statement
    /// is prepared (see [`ActionLog::client_statement`]).
    pub(crate) fn set_internal(&self, internal: bool) {
        self.internal.store(internal, Ordering::Relaxed);
    }

    /// Treats what is prepared until the guard drops as a client's statement.
    pub(crate) fn client_statement(&self) -> ClientStatement<'_> {
        let previous = self.internal.swap(false, Ordering::Relaxed);
        ClientStatement {
            log: self,
            previous,
        }
    }

    fn record(&self, action: &AuthAction<'_>) -> u32 {
        let bit = match action {
            AuthAction::Insert { table_name }
            | AuthAction::Update { table_name, .. }
            | AuthAction::Delete { table_name }
            | AuthAction::DropTable { table_name }
            | AuthAction::AlterTable { table_name, .. }
            | AuthAction::CreateIndex { table_name, .. }
            | AuthAction::DropIndex { table_name, .. }
            | AuthAction::CreateTrigger { table_name, .. }
                if is_internal(table_name) =>
            {
                INTERNAL_WRITE
            }
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
            AuthAction::CreateTempIndex { .. }
            | AuthAction::CreateTempTable { .. }
            | AuthAction::CreateTempTrigger { .. }
            | AuthAction::CreateTempView { .. }
            | AuthAction::DropTempIndex { .. }
            | AuthAction::DropTempTable { .. }
            | AuthAction::DropTempTrigger { .. }
            | AuthAction::DropTempView { .. } => TEMP_SCHEMA,
            AuthAction::Pragma {
                pragma_name,
                pragma_value: Some(_),
            } if !PRAGMAS_WITH_ARGUMENTS.contains(&pragma_name.to_ascii_lowercase().as_str()) => {
                CONNECTION_SETTING
            }
            _ => 0,
        };
        if bit != 0 {
            self.bits.fetch_or(bit, Ordering::Relaxed);
        }
        bit
    }

    /// Forgets what was recorded; call before preparing the statement to classify.
    pub(crate) fn reset(&self) {
        self.bits.store(0, Ordering::Relaxed);
    }

    /// What was recorded since the last reset.
    pub(crate) fn take(&self) -> StatementClass {
        let bits = self.bits.swap(0, Ordering::Relaxed);
        StatementClass {
            transaction_control: bits & TRANSACTION_CONTROL != 0,
            attach: bits & ATTACH != 0,
            schema_change: bits & SCHEMA_CHANGE != 0,
            connection_setting: bits & CONNECTION_SETTING != 0,
            temp_schema: bits & TEMP_SCHEMA != 0,
            internal_write: bits & INTERNAL_WRITE != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(sql: &str) -> StatementClass {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(x); CREATE TABLE _ha_outbox(x);")
            .unwrap();
        let log = ActionLog::install(&mut conn).unwrap();
        log.reset();
        let _ = conn.prepare(sql);
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
        assert!(classify("PRAGMA query_only = 1").connection_setting);
        let conn = Connection::open_in_memory().unwrap();
        let mut conn = conn;
        let log = ActionLog::install(&mut conn).unwrap();
        assert!(
            conn.execute_batch("PRAGMA case_sensitive_like = 1")
                .is_err(),
            "denied"
        );
        let like: i64 = conn
            .query_row("SELECT 'a' LIKE 'A'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(like, 1, "a denied PRAGMA has no effect");
        log.set_internal(true);
        assert!(conn.execute_batch("PRAGMA foreign_keys = ON").is_ok());
        assert!(classify("PRAGMA locking_mode = EXCLUSIVE").connection_setting);
        assert!(!classify("PRAGMA table_info(t)").connection_setting);
        assert!(!classify("PRAGMA user_version = 3").connection_setting);
        assert!(!classify("PRAGMA journal_mode").connection_setting);
        assert!(classify("CREATE TEMP TABLE x(y)").temp_schema);
        assert!(classify("INSERT INTO _ha_outbox VALUES (1)").internal_write);
        assert!(!classify("SELECT * FROM _ha_outbox").internal_write);
    }
}
