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

use ha_types::{RowOperation, Value};
use rusqlite::Connection;
use rusqlite::ffi;

/// One captured row change, before its table's column names are attached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Captured {
    Row {
        table: String,
        operation: RowOperation,
        old_rowid: Option<i64>,
        new_rowid: Option<i64>,
        old_values: Option<Vec<Value>>,
        new_values: Option<Vec<Value>>,
    },
    /// A schema statement, already made idempotent.
    Sql(String),
}

#[derive(Default)]
struct Buffer {
    enabled: bool,
    changes: Vec<Captured>,
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

    /// How many changes are buffered: a mark to roll back to.
    pub(crate) fn mark(&self) -> usize {
        self.lock().changes.len()
    }

    /// Forgets the changes after `mark` (their savepoint was rolled back).
    pub(crate) fn truncate(&self, mark: usize) {
        self.lock().changes.truncate(mark);
    }

    /// Takes the changes after `mark`.
    pub(crate) fn take_since(&self, mark: usize) -> Vec<Captured> {
        let mut buffer = self.lock();
        let mark = mark.min(buffer.changes.len());
        buffer.changes.split_off(mark)
    }

    pub(crate) fn push_sql(&self, command: String) {
        let mut buffer = self.lock();
        if buffer.enabled {
            buffer.changes.push(Captured::Sql(command));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buffer> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
    buffer.changes.push(Captured::Row {
        table: table.into_owned(),
        operation,
        old_rowid: has_old.then_some(old_rowid),
        new_rowid: has_new.then_some(new_rowid),
        old_values: has_old.then(|| read(false)),
        new_values: has_new.then(|| read(true)),
    });
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

    #[test]
    fn captures_rows_with_old_and_new_images() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v, b BLOB);
             CREATE TABLE log(x); CREATE TABLE _ha_internal(x);
             CREATE TRIGGER tr AFTER UPDATE ON t BEGIN INSERT INTO log VALUES (new.v); END;",
        )
        .unwrap();
        let capture = Capture::default();
        capture.install(&conn);
        capture.set_enabled(true);
        conn.execute_batch(
            "INSERT INTO t VALUES (1, 9223372036854775807, x'00ff');
             UPDATE t SET v = 'x' WHERE id = 1;
             DELETE FROM t; INSERT INTO _ha_internal VALUES (1);",
        )
        .unwrap();
        let changes = capture.take_since(0);
        capture.uninstall(&conn);
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert_eq!(
            changes[0],
            Captured::Row {
                table: "t".into(),
                operation: RowOperation::Insert,
                old_rowid: None,
                new_rowid: Some(1),
                old_values: None,
                new_values: Some(vec![
                    Value::Integer(1),
                    Value::Integer(i64::MAX),
                    Value::Blob(vec![0, 255])
                ]),
            }
        );
        assert!(
            matches!(&changes[1], Captured::Row { table, operation: RowOperation::Update, .. } if table == "t")
        );
        assert!(
            matches!(&changes[2], Captured::Row { table, operation: RowOperation::Insert, .. } if table == "log"),
            "trigger's change captured"
        );
        assert!(matches!(
            &changes[3],
            Captured::Row {
                operation: RowOperation::Delete,
                old_values: Some(_),
                new_values: None,
                ..
            }
        ));
    }
}
