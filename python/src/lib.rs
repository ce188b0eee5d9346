//! `ha_sqlite._native`: the Python binding's native module. It only translates (ARCHITECTURE
//! rule 2): Python values to and from [`ha_ffi::Value`], [`ha_ffi::ClientError`] to the PEP 249
//! exception its [`ha_ffi::ErrorClass`] names, and every blocking call run with the GIL
//! released and a pending Ctrl-C as its interruption. The DB-API itself (cursors, implicit
//! transactions) is the pure-Python package around it.

mod client;
mod errors;
mod values;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::Session>()?;
    m.add_function(wrap_pyfunction!(statement_kind, m)?)?;
    m.add("sqlite_version", ha_ffi::sqlite_version())?;
    Ok(())
}

/// What a statement is to a connection (`ha_ffi::statement_kind`): `(kind, sets_lastrowid)`,
/// kind 0 other, 1 transaction command, 2 database switch, 3 data change.
#[pyfunction]
fn statement_kind(sql: &str) -> (u8, bool) {
    let kind = match ha_ffi::statement_kind(sql) {
        ha_ffi::StatementKind::Other => 0,
        ha_ffi::StatementKind::TransactionControl => 1,
        ha_ffi::StatementKind::SessionState => 2,
        ha_ffi::StatementKind::ChangesData => 3,
    };
    (kind, ha_ffi::sets_last_row_id(sql))
}
