//! Row-change capture on the writer's connection through SQLite's preupdate hook: old and new
//! values and rowids of every column, for every row a transaction changes, including the rows
//! that triggers and foreign-key actions change. Schema statements are recorded by the executor
//! (SQLite's authorizer tells which statements change the schema).
//!
//! rusqlite's `preupdate_hook` feature needs bindgen (libclang); the bundled SQLite is built with
//! `SQLITE_ENABLE_PREUPDATE_HOOK` instead (see `.cargo/config.toml`) and this module is the small
//! safe wrapper over the C functions.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::{Arc, Mutex, PoisonError};

use ha_types::{Change, RowChange, RowOperation, Value};
use rusqlite::Connection;
use rusqlite::ffi;

use crate::replication::SchemaCache;

/// One captured item of a transaction, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Captured {
    /// A row change as the hook saw it, before its table's shape is attached. Shapes are read
    /// before the next schema statement runs (and when the change set is built), so every row is
    /// described by the schema it was written under, even when the same transaction alters or
    /// rebuilds its table afterwards.
    Raw(RawRow),
    /// A row change with its columns and key.
    Row(RowChange),
    /// A schema statement, already made idempotent.
    Sql(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawRow {
    pub table: String,
    pub operation: RowOperation,
    pub old_rowid: Option<i64>,
    pub new_rowid: Option<i64>,
    /// Every column the hook reports (generated ones included), in table order.
    pub old_values: Option<Vec<Value>>,
    pub new_values: Option<Vec<Value>>,
}

#[derive(Default)]
struct Buffer {
    enabled: bool,
    changes: Vec<Captured>,
    /// Index of the first item that may still be [`Captured::Raw`].
    unresolved_from: usize,
    schema: SchemaCache,
    /// A `CREATE TABLE ... AS SELECT` that is running: (index of its statement, table name).
    /// Its rows are written without the preupdate hook, so they are read once it finished.
    table_as_select: Option<(usize, String)>,
}

/// The capture buffer of one connection. Cloning shares it.
#[derive(Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Buffer>>);

impl Capture {
    /// Registers the hook on `conn`. The hook holds its own reference to the buffer, released by
    /// [`Capture::uninstall`].
    pub(crate) fn install(&self, conn: &Connection) {
        let context = Arc::into_raw(Arc::clone(&self.0)) as *mut c_void;
        // SAFETY: the handle is valid while `conn` lives; the context is a leaked Arc released
        // in `uninstall`, which the owner calls before closing the connection.
        unsafe {
            ffi::sqlite3_preupdate_hook(conn.handle(), Some(on_preupdate), context);
        }
    }

    pub(crate) fn uninstall(&self, conn: &Connection) {
        // SAFETY: as in `install`; the previous context returned is the Arc leaked there.
        unsafe {
            let previous = ffi::sqlite3_preupdate_hook(conn.handle(), None, std::ptr::null_mut());
            if !previous.is_null() {
                drop(Arc::from_raw(previous as *const Mutex<Buffer>));
            }
        }
    }

    /// Capture is off while the writer applies other nodes' changes.
    pub(crate) fn set_enabled(&self, enabled: bool) {
        self.lock().enabled = enabled;
    }

    /// The schema changed under the capture (another node's DDL was applied).
    pub(crate) fn invalidate_schema(&self) {
        self.lock().schema.invalidate();
    }

    /// How many changes are buffered: a mark to roll back to.
    pub(crate) fn mark(&self) -> usize {
        self.lock().changes.len()
    }

    /// Forgets the changes after `mark` (their savepoint was rolled back).
    pub(crate) fn truncate(&self, mark: usize) {
        let mut buffer = self.lock();
        // A rolled-back schema statement may have changed shapes that are cached.
        let schema_undone = buffer
            .changes
            .get(mark..)
            .is_some_and(|undone| undone.iter().any(|c| matches!(c, Captured::Sql(_))));
        buffer.changes.truncate(mark);
        buffer.unresolved_from = buffer.unresolved_from.min(mark);
        if buffer
            .table_as_select
            .as_ref()
            .is_some_and(|(index, _)| *index >= mark)
        {
            buffer.table_as_select = None;
        }
        if schema_undone {
            buffer.schema.invalidate();
        }
    }

    /// Takes the changes after `mark`, every row with its table's shape.
    pub(crate) fn take_since(
        &self,
        conn: &Connection,
        mark: usize,
    ) -> rusqlite::Result<Vec<Change>> {
        let mut buffer = self.lock();
        buffer.resolve(conn)?;
        let mark = mark.min(buffer.changes.len());
        let taken = buffer.changes.split_off(mark);
        buffer.unresolved_from = buffer.unresolved_from.min(buffer.changes.len());
        Ok(taken
            .into_iter()
            .filter_map(|item| match item {
                Captured::Row(row) => Some(Change::Row(row)),
                Captured::Sql(command) => Some(Change::Sql { command }),
                Captured::Raw(_) => None,
            })
            .collect())
    }

    /// A schema statement is about to run: the rows so far are described with the schema
    /// they were written under, then the statement is recorded.
    pub(crate) fn push_sql(&self, conn: &Connection, command: String) -> rusqlite::Result<()> {
        let mut buffer = self.lock();
        if !buffer.enabled {
            return Ok(());
        }
        buffer.resolve(conn)?;
        buffer.schema.invalidate();
        buffer.table_as_select =
            table_as_select(&command).map(|table| (buffer.changes.len(), table));
        buffer.changes.push(Captured::Sql(command));
        Ok(())
    }

    /// A statement finished on the writer. After `CREATE TABLE ... AS SELECT`, the statement is
    /// replaced by the table's plain definition and its rows by inserts: every node gets the
    /// origin's rows rather than running the SELECT on its own data.
    pub(crate) fn statement_finished(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut buffer = self.lock();
        let Some((index, table)) = buffer.table_as_select.take() else {
            return Ok(());
        };
        let definition: Option<String> = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [&table],
                |r| r.get(0),
            )
            .ok();
        let Some(definition) = definition else {
            return Ok(());
        };
        if let Some(item) = buffer.changes.get_mut(index) {
            *item = Captured::Sql(crate::replication::idempotent_ddl(&definition));
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT rowid, * FROM {}",
            crate::replication::quote(&table)
        ))?;
        let width = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let rowid: i64 = row.get(0)?;
            let values = (1..width)
                .map(|i| row.get_ref(i).map(crate::exec::to_value))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            buffer.changes.push(Captured::Raw(RawRow {
                table: table.clone(),
                operation: RowOperation::Insert,
                old_rowid: None,
                new_rowid: Some(rowid),
                old_values: None,
                new_values: Some(values),
            }));
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buffer> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Buffer {
    /// Attaches the current shape of its table to every raw row.
    fn resolve(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for index in self.unresolved_from..self.changes.len() {
            if let Captured::Raw(raw) = &self.changes[index] {
                let shape = self.schema.shape(conn, &raw.table)?;
                let row = shape.describe(raw.clone());
                self.changes[index] = Captured::Row(row);
            }
        }
        self.unresolved_from = self.changes.len();
        Ok(())
    }
}

/// The table a `CREATE TABLE name AS ...` statement creates, if `command` is one.
fn table_as_select(command: &str) -> Option<String> {
    let tokens = ha_types::sql_text::leading_tokens(command, 8);
    let upper: Vec<String> = tokens.iter().map(|t| t.to_ascii_uppercase()).collect();
    let mut i = 0;
    let take_word = |word: &str, i: &mut usize| -> bool {
        let found = upper.get(*i).is_some_and(|w| w == word);
        if found {
            *i += 1;
        }
        found
    };
    if !take_word("CREATE", &mut i) || !take_word("TABLE", &mut i) {
        return None;
    }
    if take_word("IF", &mut i) && !(take_word("NOT", &mut i) && take_word("EXISTS", &mut i)) {
        return None;
    }
    let name = tokens.get(i)?;
    if upper.get(i + 1).map(String::as_str) != Some("AS") {
        return None;
    }
    Some(ha_types::sql_text::unquote_identifier(name))
}

/// Tables that never replicate: ours and SQLite's.
pub(crate) fn is_internal_table(table: &str) -> bool {
    table.starts_with("_ha_") || table.starts_with("sqlite_")
}

unsafe extern "C" fn on_preupdate(
    context: *mut c_void,
    db: *mut ffi::sqlite3,
    op: c_int,
    schema: *const c_char,
    table: *const c_char,
    old_rowid: i64,
    new_rowid: i64,
) {
    // SAFETY: SQLite passes back the context given in `install` and valid C strings for the
    // duration of the call.
    let (buffer, schema, table) = unsafe {
        (
            &*(context as *const Mutex<Buffer>),
            CStr::from_ptr(schema).to_string_lossy(),
            CStr::from_ptr(table).to_string_lossy(),
        )
    };
    let mut buffer = buffer.lock().unwrap_or_else(PoisonError::into_inner);
    if !buffer.enabled || schema != "main" || is_internal_table(&table) {
        return;
    }
    let operation = match op {
        ffi::SQLITE_INSERT => RowOperation::Insert,
        ffi::SQLITE_UPDATE => RowOperation::Update,
        ffi::SQLITE_DELETE => RowOperation::Delete,
        _ => return,
    };
    // SAFETY: called inside the preupdate callback, as the API requires.
    let count = unsafe { ffi::sqlite3_preupdate_count(db) };
    let read = |new: bool| -> Vec<Value> {
        (0..count)
            .map(|i| {
                let mut value: *mut ffi::sqlite3_value = std::ptr::null_mut();
                // SAFETY: inside the callback, column index in range, out-pointer valid.
                let rc = unsafe {
                    if new {
                        ffi::sqlite3_preupdate_new(db, i, &mut value)
                    } else {
                        ffi::sqlite3_preupdate_old(db, i, &mut value)
                    }
                };
                if rc == ffi::SQLITE_OK {
                    to_value(value)
                } else {
                    Value::Null
                }
            })
            .collect()
    };
    let has_old = operation != RowOperation::Insert;
    let has_new = operation != RowOperation::Delete;
    buffer.changes.push(Captured::Raw(RawRow {
        table: table.into_owned(),
        operation,
        old_rowid: has_old.then_some(old_rowid),
        new_rowid: has_new.then_some(new_rowid),
        old_values: has_old.then(|| read(false)),
        new_values: has_new.then(|| read(true)),
    }));
}

fn to_value(value: *mut ffi::sqlite3_value) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    // SAFETY: a protected value SQLite handed out for the duration of the callback; lengths
    // come from SQLite for the pointers it returns.
    unsafe {
        match ffi::sqlite3_value_type(value) {
            ffi::SQLITE_INTEGER => Value::Integer(ffi::sqlite3_value_int64(value)),
            ffi::SQLITE_FLOAT => Value::Real(ffi::sqlite3_value_double(value)),
            ffi::SQLITE_TEXT => {
                let text = ffi::sqlite3_value_text(value);
                let len = ffi::sqlite3_value_bytes(value) as usize;
                if text.is_null() {
                    Value::Text(String::new())
                } else {
                    let bytes = std::slice::from_raw_parts(text, len);
                    Value::Text(String::from_utf8_lossy(bytes).into_owned())
                }
            }
            ffi::SQLITE_BLOB => {
                let blob = ffi::sqlite3_value_blob(value) as *const u8;
                let len = ffi::sqlite3_value_bytes(value) as usize;
                if blob.is_null() || len == 0 {
                    Value::Blob(Vec::new())
                } else {
                    Value::Blob(std::slice::from_raw_parts(blob, len).to_vec())
                }
            }
            _ => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(change: &Change) -> &RowChange {
        match change {
            Change::Row(row) => row,
            Change::Sql { command } => panic!("a row, not {command}"),
        }
    }

    fn capturing(schema: &str) -> (Connection, Capture) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema).unwrap();
        let capture = Capture::default();
        capture.install(&conn);
        capture.set_enabled(true);
        (conn, capture)
    }

    #[test]
    fn captures_rows_with_old_and_new_images() {
        let (conn, capture) = capturing(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v, b BLOB);
             CREATE TABLE log(x); CREATE TABLE _ha_internal(x);
             CREATE TRIGGER tr AFTER UPDATE ON t BEGIN INSERT INTO log VALUES (new.v); END;",
        );
        conn.execute_batch(
            "INSERT INTO t VALUES (1, 9223372036854775807, x'00ff');
             UPDATE t SET v = 'x' WHERE id = 1;
             DELETE FROM t; INSERT INTO _ha_internal VALUES (1);",
        )
        .unwrap();
        let changes = capture.take_since(&conn, 0).unwrap();
        capture.uninstall(&conn);
        assert_eq!(changes.len(), 4, "{changes:?}");
        let insert = row(&changes[0]);
        assert_eq!(insert.operation, RowOperation::Insert);
        assert_eq!(insert.columns, ["id", "v", "b"]);
        assert_eq!(insert.pk_columns, ["id"]);
        assert_eq!(
            insert.new_values,
            Some(vec![
                Value::Integer(1),
                Value::Integer(i64::MAX),
                Value::Blob(vec![0, 255])
            ])
        );
        assert_eq!(row(&changes[1]).operation, RowOperation::Update);
        assert_eq!(row(&changes[2]).table, "log", "trigger's change captured");
        let delete = row(&changes[3]);
        assert!(delete.old_values.is_some() && delete.new_values.is_none());
    }

    #[test]
    fn generated_columns_are_left_out() {
        let (conn, capture) = capturing(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a, v INT GENERATED ALWAYS AS (a*2) VIRTUAL,
                            b, s INT GENERATED ALWAYS AS (a*3) STORED)",
        );
        conn.execute_batch("INSERT INTO t(id, a, b) VALUES (1, 2, 'x')")
            .unwrap();
        let changes = capture.take_since(&conn, 0).unwrap();
        let insert = row(&changes[0]);
        assert_eq!(insert.columns, ["id", "a", "b"]);
        assert_eq!(
            insert.new_values,
            Some(vec![
                Value::Integer(1),
                Value::Integer(2),
                Value::Text("x".into())
            ])
        );
    }

    /// Rows are described by the schema they were written under, even when the same
    /// transaction alters or rebuilds their table afterwards.
    #[test]
    fn rows_keep_the_shape_they_were_written_with() {
        let (conn, capture) = capturing("CREATE TABLE t(id INTEGER PRIMARY KEY, v)");
        conn.execute_batch("INSERT INTO t VALUES (1, 'a')").unwrap();
        capture
            .push_sql(&conn, "ALTER TABLE t ADD COLUMN w".into())
            .unwrap();
        conn.execute_batch("ALTER TABLE t ADD COLUMN w; INSERT INTO t VALUES (2, 'b', 3)")
            .unwrap();
        capture
            .push_sql(&conn, "ALTER TABLE t RENAME TO u".into())
            .unwrap();
        conn.execute_batch("ALTER TABLE t RENAME TO u").unwrap();
        let changes = capture.take_since(&conn, 0).unwrap();
        assert_eq!(row(&changes[0]).columns, ["id", "v"]);
        assert_eq!(row(&changes[2]).columns, ["id", "v", "w"]);
        assert_eq!(row(&changes[2]).table, "t");
    }

    #[test]
    fn table_as_select_replicates_its_rows() {
        let (conn, capture) = capturing(
            "CREATE TABLE src(id INTEGER PRIMARY KEY, v); INSERT INTO src VALUES (1, 'a'), (2, 'b');",
        );
        let text = "CREATE TABLE IF NOT EXISTS copy AS SELECT id, v FROM src WHERE id > 1";
        capture.push_sql(&conn, text.into()).unwrap();
        conn.execute_batch(text).unwrap();
        capture.statement_finished(&conn).unwrap();
        let changes = capture.take_since(&conn, 0).unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        let Change::Sql { command } = &changes[0] else {
            panic!("{changes:?}")
        };
        assert!(
            !command.to_ascii_uppercase().contains("SELECT"),
            "{command}"
        );
        assert!(command.contains("IF NOT EXISTS"), "{command}");
        assert_eq!(
            row(&changes[1]).new_values,
            Some(vec![Value::Integer(2), Value::Text("b".into())])
        );
        assert_eq!(
            table_as_select("create table \"x y\" as select 1"),
            Some("x y".into())
        );
        assert_eq!(table_as_select("CREATE TABLE t(a)"), None);
    }
}
