//! Python values to and from [`Value`], exactly: int (64-bit), float, str, bytes and None
//! round-trip unchanged; bool is sent as 0/1, bytearray or memoryview as bytes, and date,
//! time and datetime as ISO 8601 text, as Python's `sqlite3` does.

use ha_ffi::{Params, StatementResult, Value};
use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};

use crate::errors;

pub(crate) fn to_value(item: &Bound<'_, PyAny>, position: usize) -> PyResult<Value> {
    if item.is_none() {
        Ok(Value::Null)
    } else if let Ok(flag) = item.cast::<PyBool>() {
        Ok(Value::Integer(i64::from(flag.is_true())))
    } else if item.is_instance_of::<PyInt>() {
        item.extract::<i64>().map(Value::Integer).map_err(|_| {
            PyOverflowError::new_err("Python int too large to convert to SQLite INTEGER")
        })
    } else if let Ok(float) = item.cast::<PyFloat>() {
        Ok(Value::Real(float.value()))
    } else if let Ok(text) = item.cast::<PyString>() {
        Ok(Value::Text(text.to_cow()?.into_owned()))
    } else if let Ok(bytes) = item.cast::<PyBytes>() {
        Ok(Value::Blob(bytes.as_bytes().to_vec()))
    } else if let Ok(bytes) = item.cast::<PyByteArray>() {
        Ok(Value::Blob(bytes.to_vec()))
    } else if item.is_instance_of::<PyMemoryView>() {
        let bytes = item.call_method0("tobytes")?;
        Ok(Value::Blob(bytes.cast::<PyBytes>()?.as_bytes().to_vec()))
    } else if let Some(text) = iso_text(item)? {
        Ok(Value::Text(text))
    } else {
        let kind = item.get_type().name()?;
        Err(errors::programming(format!(
            "Error binding parameter {position}: type '{kind}' is not supported"
        )))
    }
}

/// A date, time or datetime as ISO 8601 text, as `sqlite3`'s default adapters wrote them
/// (a space between date and time), which SQLite's date functions read.
fn iso_text(item: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let datetime = item.py().import("datetime")?;
    if item.is_instance(&datetime.getattr("datetime")?)? {
        return Ok(Some(item.call_method1("isoformat", (" ",))?.extract()?));
    }
    if item.is_instance(&datetime.getattr("date")?)?
        || item.is_instance(&datetime.getattr("time")?)?
    {
        return Ok(Some(item.call_method0("isoformat")?.extract()?));
    }
    Ok(None)
}

/// `None`, a sequence (`?`, `?N`, `$N`) or a mapping (`:name`, `@name`, `$name`).
pub(crate) fn to_params(params: Option<&Bound<'_, PyAny>>) -> PyResult<Params> {
    let Some(params) = params.filter(|p| !p.is_none()) else {
        return Ok(Params::None);
    };
    if let Ok(mapping) = params.cast::<PyDict>() {
        let mut named = Vec::with_capacity(mapping.len());
        for (key, value) in mapping.iter() {
            let name: String = key
                .extract()
                .map_err(|_| errors::programming("parameter names must be strings".into()))?;
            named.push((name, to_value(&value, named.len() + 1)?));
        }
        return Ok(Params::Named(named));
    }
    if params.is_instance_of::<PyString>() || params.is_instance_of::<PyBytes>() {
        return Err(errors::programming(
            "parameters must be a sequence or a mapping, not a string".into(),
        ));
    }
    if let Ok(tuple) = params.cast::<PyTuple>() {
        return positional(tuple.iter());
    }
    if let Ok(list) = params.cast::<PyList>() {
        return positional(list.iter());
    }
    if params.hasattr("keys")? {
        // Another mapping type: through its items.
        let mut named = Vec::new();
        for item in params.call_method0("items")?.try_iter()? {
            let (key, value): (String, Bound<'_, PyAny>) = item?.extract()?;
            named.push((key, to_value(&value, named.len() + 1)?));
        }
        return Ok(Params::Named(named));
    }
    let items: Vec<Bound<'_, PyAny>> = params
        .try_iter()
        .map_err(|_| errors::programming("parameters must be a sequence or a mapping".into()))?
        .collect::<PyResult<_>>()?;
    positional(items.into_iter())
}

fn positional<'py>(items: impl Iterator<Item = Bound<'py, PyAny>>) -> PyResult<Params> {
    let values = items
        .enumerate()
        .map(|(i, item)| to_value(&item, i + 1))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Params::Positional(values))
}

pub(crate) fn to_python<'py>(py: Python<'py>, value: Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Integer(n) => n.into_pyobject(py)?.into_any(),
        Value::Real(x) => PyFloat::new(py, x).into_any(),
        Value::Text(text) => PyString::new(py, &text).into_any(),
        Value::Blob(bytes) => PyBytes::new(py, &bytes).into_any(),
    })
}

pub(crate) fn row<'py>(py: Python<'py>, row: Vec<Value>) -> PyResult<Bound<'py, PyTuple>> {
    let items = row
        .into_iter()
        .map(|value| to_python(py, value))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// A statement's result as the DB-API layer reads it.
pub(crate) struct Converted<'py> {
    pub columns: Option<Vec<String>>,
    pub rows: Bound<'py, PyList>,
    pub rows_affected: i64,
    pub last_insert_id: i64,
}

pub(crate) fn convert<'py>(py: Python<'py>, result: StatementResult) -> PyResult<Converted<'py>> {
    Ok(match result {
        StatementResult::Rows { columns, rows, .. } => {
            let list = PyList::empty(py);
            for values in rows {
                list.append(row(py, values)?)?;
            }
            Converted {
                columns: Some(columns),
                rows: list,
                rows_affected: -1,
                last_insert_id: 0,
            }
        }
        StatementResult::Exec {
            rows_affected,
            last_insert_id,
        } => Converted {
            columns: None,
            rows: PyList::empty(py),
            rows_affected: i64::try_from(rows_affected).unwrap_or(i64::MAX),
            last_insert_id,
        },
    })
}
