//! PEP 249's exceptions, raised for [`ClientError`]s by the class [`ha_ffi::class_of`] gives
//! them. Each carries the stable `code` (`sql_constraint`, `unavailable`, ...) and, for a
//! batch, the failing `statement_index`.

use ha_ffi::{ClientError, ErrorClass};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{create_exception, intern};

create_exception!(
    ha_sqlite,
    Warning,
    PyException,
    "Important warnings (PEP 249)."
);
create_exception!(
    ha_sqlite,
    Error,
    PyException,
    "Base class of every error of ha_sqlite (PEP 249)."
);
create_exception!(
    ha_sqlite,
    InterfaceError,
    Error,
    "The driver was used wrongly: a bad URL or option, a closed connection, credentials refused."
);
create_exception!(
    ha_sqlite,
    DatabaseError,
    Error,
    "Errors of the database (PEP 249)."
);
create_exception!(
    ha_sqlite,
    DataError,
    DatabaseError,
    "A value the database cannot take."
);
create_exception!(
    ha_sqlite,
    OperationalError,
    DatabaseError,
    "The cluster cannot do it now: unreachable, busy, read-only, a transaction in the wrong state, replication pending."
);
create_exception!(
    ha_sqlite,
    IntegrityError,
    DatabaseError,
    "A constraint failed: unique, not null, check, foreign key."
);
create_exception!(
    ha_sqlite,
    InternalError,
    DatabaseError,
    "A fault inside ha."
);
create_exception!(
    ha_sqlite,
    ProgrammingError,
    DatabaseError,
    "The statement is wrong: syntax, unknown table or column, bad parameters, unknown database."
);
create_exception!(
    ha_sqlite,
    NotSupportedError,
    DatabaseError,
    "Not supported by this build or server."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Warning", py.get_type::<Warning>())?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("InterfaceError", py.get_type::<InterfaceError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("OperationalError", py.get_type::<OperationalError>())?;
    m.add("IntegrityError", py.get_type::<IntegrityError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("ProgrammingError", py.get_type::<ProgrammingError>())?;
    m.add("NotSupportedError", py.get_type::<NotSupportedError>())?;
    Ok(())
}

/// The exception for `error`, with its `code` and `statement_index` attributes.
pub(crate) fn to_py(py: Python<'_>, error: ClientError) -> PyErr {
    let message = error.to_string();
    let err = match ha_ffi::class_of(&error) {
        ErrorClass::Integrity => IntegrityError::new_err(message),
        ErrorClass::Programming => ProgrammingError::new_err(message),
        ErrorClass::Operational => OperationalError::new_err(message),
        ErrorClass::NotSupported => NotSupportedError::new_err(message),
        ErrorClass::Interface => InterfaceError::new_err(message),
        ErrorClass::Internal => InternalError::new_err(message),
    };
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it did, the
    // exception would still say what went wrong.
    let _ = value.setattr(intern!(py, "code"), error.code().as_str());
    let index = match &error {
        ClientError::Failed {
            statement_index, ..
        } => *statement_index,
        _ => None,
    };
    let _ = value.setattr(intern!(py, "statement_index"), index);
    err
}

/// A parameter the driver cannot send (PEP 249: the caller's mistake).
pub(crate) fn programming(message: String) -> PyErr {
    ProgrammingError::new_err(message)
}

pub(crate) fn interface(message: &str) -> PyErr {
    InterfaceError::new_err(message.to_string())
}
