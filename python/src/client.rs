//! The native connection objects: [`Client`] (one per DB-API connection) and its [`Session`]
//! (the connection's transactions); each statement answers a plain tuple (see [`answer`]).

use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use ha_ffi::{BlockingClient, BlockingSession, ClientError, ClientOptions, Executed, Statement};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::{errors, values};

/// Runs `work` with the GIL released; a Ctrl-C pending meanwhile interrupts it and is raised
/// (as `KeyboardInterrupt`) instead of its outcome.
fn blocking<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(ha_ffi::Interrupted<'_>) -> Result<T, ClientError> + Send,
) -> PyResult<T> {
    let mut signal: Option<PyErr> = None;
    let outcome = py.detach(|| {
        let mut interrupted = || match Python::attach(|py| py.check_signals()) {
            Ok(()) => false,
            Err(e) => {
                signal = Some(e);
                true
            }
        };
        work(&mut interrupted)
    });
    if let Some(signal) = signal {
        return Err(signal);
    }
    outcome.map_err(|e| errors::to_py(py, e))
}

fn seconds(value: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| errors::interface(&format!("{what} must be a non-negative number of seconds")))
}

/// One statement's answer, as the tuple the DB-API layer reads:
/// `(columns, rows, rows_affected, last_insert_id, seq)`. `columns` is a tuple of names for a
/// statement that returns rows (`rows` a list of tuples, `rows_affected` -1), else `None`;
/// `seq` is the log sequence of the write (read-your-writes on other connections) or `None`.
/// A plain tuple: built once, read without a getter call per field.
fn answer<'py>(
    py: Python<'py>,
    result: ha_ffi::StatementResult,
    seq: Option<u64>,
) -> PyResult<Bound<'py, PyTuple>> {
    let converted = values::convert(py, result)?;
    let columns = match converted.columns {
        Some(columns) => PyTuple::new(py, columns)?.into_any(),
        None => py.None().into_bound(py),
    };
    (
        columns,
        converted.rows,
        converted.rows_affected,
        converted.last_insert_id,
        seq,
    )
        .into_pyobject(py)
}

fn answers<'py>(py: Python<'py>, executed: Executed) -> PyResult<Vec<Bound<'py, PyTuple>>> {
    let seq = executed.seq;
    executed
        .results
        .into_iter()
        .map(|result| answer(py, result, seq))
        .collect()
}

fn last<'py>(py: Python<'py>, executed: Executed) -> PyResult<Bound<'py, PyTuple>> {
    answers(py, executed)?
        .pop()
        .ok_or_else(|| errors::interface("the server answered no result"))
}

fn statement(sql: String, params: Option<&Bound<'_, PyAny>>) -> PyResult<Statement> {
    Ok(Statement::with_params(sql, values::to_params(params)?))
}

/// A connection to a node (`http://`) or an in-process replica (`file:`).
#[pyclass(module = "ha_sqlite._native", frozen)]
pub(crate) struct Client {
    inner: RwLock<BlockingClient>,
}

impl Client {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BlockingClient> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (url, *, token=None, database=None, replication_url=None, node=None, read_only=false, timeout=None, tls_ca_file=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: String,
        token: Option<String>,
        database: Option<String>,
        replication_url: Option<String>,
        node: Option<String>,
        read_only: bool,
        timeout: Option<f64>,
        tls_ca_file: Option<std::path::PathBuf>,
    ) -> PyResult<Client> {
        let options = ClientOptions {
            token,
            database,
            replication_url,
            node,
            read_only,
            timeout: timeout.map(|t| seconds(t, "timeout")).transpose()?,
            tls_ca_file,
        };
        let client = blocking(py, |interrupted| {
            BlockingClient::open(&url, options, interrupted)
        })?;
        Ok(Client {
            inner: RwLock::new(client),
        })
    }

    /// One statement (or a script of several, which answers with the last one's result).
    #[pyo3(signature = (sql, params=None))]
    fn execute<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let statement = statement(sql, params)?;
        let executed = blocking(py, |interrupted| {
            self.read().execute(vec![statement], interrupted)
        })?;
        last(py, executed)
    }

    /// Several statements in one transaction: all of them or, at the first error, none.
    fn execute_batch<'py>(
        &self,
        py: Python<'py>,
        statements: Vec<(String, Option<Bound<'py, PyAny>>)>,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let statements = statements
            .into_iter()
            .map(|(sql, params)| statement(sql, params.as_ref()))
            .collect::<PyResult<Vec<_>>>()?;
        let executed = blocking(py, |interrupted| {
            self.read().execute(statements, interrupted)
        })?;
        answers(py, executed)
    }

    /// A session: interactive transactions (`BEGIN` ... `COMMIT`).
    fn session(&self, py: Python<'_>) -> PyResult<Session> {
        let session = blocking(py, |_| self.read().session())?;
        Ok(Session {
            inner: Mutex::new(session),
        })
    }

    /// Where this connection stands: `applied_seq`, `lag`, `held`, `error`.
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let status = self.read().status().map_err(|e| errors::to_py(py, e))?;
        let dict = PyDict::new(py);
        dict.set_item("applied_seq", status.applied_seq)?;
        dict.set_item("lag", status.lag)?;
        dict.set_item("held", status.held)?;
        dict.set_item("error", status.error)?;
        Ok(dict)
    }

    /// After this, reads through this connection see the log up to `seq`.
    fn wait_for(&self, py: Python<'_>, seq: u64, timeout: f64) -> PyResult<()> {
        let timeout = seconds(timeout, "timeout")?;
        blocking(py, |interrupted| {
            self.read().wait_for(seq, timeout, interrupted)
        })
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, |_| {
            self.inner
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .close()
        })
    }

    #[getter]
    fn closed(&self) -> bool {
        self.read().is_closed()
    }
}

/// A connection's session: its statements run one by one, transactions stay open between them.
#[pyclass(module = "ha_sqlite._native", frozen)]
pub(crate) struct Session {
    inner: Mutex<BlockingSession>,
}

#[pymethods]
impl Session {
    #[pyo3(signature = (sql, params=None))]
    fn execute<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let statement = statement(sql, params)?;
        let executed = blocking(py, |interrupted| {
            self.inner
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .execute(statement, interrupted)
        })?;
        last(py, executed)
    }

    #[getter]
    fn in_transaction(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .in_transaction()
    }
}
