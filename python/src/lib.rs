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
    m.add_function(wrap_pyfunction!(opens_implicit_transaction, m)?)?;
    m.add_function(wrap_pyfunction!(leading_keyword, m)?)?;
    m.add("sqlite_version", ha_ffi::sqlite_version())?;
    Ok(())
}

/// Whether a connection in `sqlite3`'s default mode begins a transaction before `sql`.
#[pyfunction]
fn opens_implicit_transaction(sql: &str) -> bool {
    ha_ffi::opens_implicit_transaction(sql)
}

/// The statement's first keyword, upper-cased, after any comments ("" when there is none).
#[pyfunction]
fn leading_keyword(sql: &str) -> String {
    ha_ffi::leading_keyword(sql)
}
