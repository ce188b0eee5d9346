//! JavaScript values to and from [`Value`]: numbers (an integral one within 2^53 binds as an
//! integer), `bigint` for any 64-bit integer, strings, `Buffer`s, booleans (as 0/1) and `null`.
//! An integer read back beyond 2^53 comes as a `bigint` (every integer does with `bigint`).

use std::collections::HashMap;

use ha_ffi::{
    ClientError, Executed, Params as CoreParams, Statement, StatementResult, Status, Value,
};
use napi::bindgen_prelude::{BigInt, Buffer, Either, Either5, Either6, Null};
use napi_derive::napi;

/// One parameter as JavaScript gives it (the commonest kinds first: each is tried in turn).
pub type Param = Either6<f64, String, Null, BigInt, Buffer, bool>;
/// Positional (an array) or named (an object).
pub type Params = Either<Vec<Param>, HashMap<String, Param>>;
/// One value as JavaScript gets it.
pub type Cell = Either5<Null, f64, BigInt, String, Buffer>;

/// The largest integer a JavaScript number holds exactly.
const SAFE: i64 = (1 << 53) - 1;

/// Why a call failed: the stable `code` of the core (`sql_constraint`, `unavailable`, ...).
#[napi(object)]
pub struct Failure {
    pub code: String,
    pub message: String,
    /// In a batch: the statement that failed.
    pub statement_index: Option<u32>,
}

impl Failure {
    pub(crate) fn bad_request(message: String) -> Failure {
        Failure {
            code: "bad_request".into(),
            message,
            statement_index: None,
        }
    }

    pub(crate) fn internal(message: String) -> Failure {
        Failure {
            code: ha_ffi::ErrorCode::Internal.as_str().into(),
            message,
            statement_index: None,
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Failure {
        let statement_index = match &error {
            ClientError::Failed {
                statement_index, ..
            } => statement_index.and_then(|i| u32::try_from(i).ok()),
            _ => None,
        };
        Failure {
            code: error.code().as_str().into(),
            message: error.to_string(),
            statement_index,
        }
    }
}

/// A call's answer: the result of its (last) statement, or `error`.
#[napi(object)]
pub struct Answer {
    /// For a statement that returns rows: its columns (`rows` then holds them); else absent.
    pub columns: Option<Vec<String>>,
    pub rows: Vec<Vec<Cell>>,
    pub rows_affected: f64,
    pub last_insert_id: Either<f64, BigInt>,
    /// The log sequence of the write (read-your-writes on other connections).
    pub seq: Option<f64>,
    /// A batch: every statement's answer.
    pub results: Option<Vec<Answer>>,
    pub error: Option<Failure>,
}

impl Answer {
    /// An answer with nothing in it (a call that returns nothing).
    pub(crate) fn empty() -> Answer {
        Answer {
            columns: None,
            rows: Vec::new(),
            rows_affected: 0.0,
            last_insert_id: Either::A(0.0),
            seq: None,
            results: None,
            error: None,
        }
    }

    /// The answer of a call's last statement.
    pub(crate) fn last(mut executed: Executed, bigint: bool) -> Answer {
        match executed.results.pop() {
            Some(result) => Answer::of(result, executed.seq, bigint),
            None => Answer::empty(),
        }
    }

    pub(crate) fn failed(failure: Failure) -> Answer {
        Answer {
            error: Some(failure),
            ..Answer::empty()
        }
    }

    pub(crate) fn error(error: ClientError) -> Answer {
        Answer::failed(error.into())
    }

    pub(crate) fn of(result: StatementResult, seq: Option<u64>, bigint: bool) -> Answer {
        let seq = seq.map(|s| s as f64);
        match result {
            StatementResult::Rows { columns, rows, .. } => Answer {
                columns: Some(columns),
                rows: rows
                    .into_iter()
                    .map(|row| row.into_iter().map(|v| cell(v, bigint)).collect())
                    .collect(),
                seq,
                ..Answer::empty()
            },
            StatementResult::Exec {
                rows_affected,
                last_insert_id,
            } => Answer {
                rows_affected: rows_affected as f64,
                last_insert_id: integer(last_insert_id, bigint),
                seq,
                ..Answer::empty()
            },
        }
    }

    /// A batch's answers, one per statement, in `results`.
    pub(crate) fn all(results: Vec<StatementResult>, seq: Option<u64>, bigint: bool) -> Answer {
        Answer {
            results: Some(
                results
                    .into_iter()
                    .map(|result| Answer::of(result, seq, bigint))
                    .collect(),
            ),
            seq: seq.map(|s| s as f64),
            ..Answer::empty()
        }
    }
}

fn integer(n: i64, bigint: bool) -> Either<f64, BigInt> {
    if !bigint && (-SAFE..=SAFE).contains(&n) {
        Either::A(n as f64)
    } else {
        Either::B(BigInt::from(n))
    }
}

pub(crate) fn cell(value: Value, bigint: bool) -> Cell {
    match value {
        Value::Null => Either5::A(Null),
        Value::Integer(n) => match integer(n, bigint) {
            Either::A(n) => Either5::B(n),
            Either::B(b) => Either5::C(b),
        },
        Value::Real(x) => Either5::B(x),
        Value::Text(text) => Either5::D(text),
        Value::Blob(bytes) => Either5::E(Buffer::from(bytes)),
    }
}

pub(crate) fn value(param: Param, position: usize) -> Result<Value, Failure> {
    Ok(match param {
        Either6::C(Null) => Value::Null,
        Either6::F(flag) => Value::Integer(i64::from(flag)),
        Either6::A(n) => {
            if n.fract() == 0.0 && n.abs() <= SAFE as f64 {
                Value::Integer(n as i64)
            } else {
                Value::Real(n)
            }
        }
        Either6::D(big) => match big.get_i64() {
            (n, true) => Value::Integer(n),
            _ => {
                return Err(Failure::bad_request(format!(
                    "parameter {position}: a bigint beyond 64 bits cannot be stored"
                )));
            }
        },
        Either6::B(text) => Value::Text(text),
        Either6::E(buffer) => Value::Blob(buffer.to_vec()),
    })
}

pub(crate) fn statement(sql: String, params: Option<Params>) -> Result<Statement, Failure> {
    let params = match params {
        None => CoreParams::None,
        Some(Either::A(list)) => CoreParams::Positional(
            list.into_iter()
                .enumerate()
                .map(|(i, p)| value(p, i + 1))
                .collect::<Result<_, _>>()?,
        ),
        Some(Either::B(named)) => CoreParams::Named(
            named
                .into_iter()
                .enumerate()
                .map(|(i, (name, p))| Ok((name, value(p, i + 1)?)))
                .collect::<Result<_, Failure>>()?,
        ),
    };
    Ok(Statement::with_params(sql, params))
}

/// Where a connection stands.
#[napi(object)]
pub struct StatusAnswer {
    pub applied_seq: f64,
    pub lag: f64,
    pub held: f64,
    pub error: Option<String>,
}

impl StatusAnswer {
    pub(crate) fn of(status: Result<Status, ClientError>) -> StatusAnswer {
        match status {
            Ok(status) => StatusAnswer {
                applied_seq: status.applied_seq as f64,
                lag: status.lag as f64,
                held: status.held as f64,
                error: status.error,
            },
            Err(e) => StatusAnswer {
                applied_seq: 0.0,
                lag: 0.0,
                held: 0.0,
                error: Some(e.to_string()),
            },
        }
    }
}
