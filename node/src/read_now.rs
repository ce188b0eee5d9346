//! A replica's short read answered on the calling (event loop) thread, at the least cost per
//! call: napi's conversions are most of what a point read costs here, so the call carries as
//! little as it can. The SQL text crosses only when it changes (the handle keeps the last
//! statement); the column names cross only when they change (compared here, so a changed
//! schema is never missed); the answer is written into an array the caller keeps and reuses
//! (setting elements of an existing array costs less than building a new one); parameters
//! are read by their JavaScript type once, not tried against each Rust type in turn.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use ha_ffi::{Params as CoreParams, Statement, StatementResult, Value};
use napi::bindgen_prelude::{Array, BigInt, Buffer, Either, Either6, External, Null, Unknown};
use napi::{JsValue, ValueType};
use napi_derive::napi;

use crate::SharedClient;
use crate::values::{self, Answer, Failure, Param};

/// What [`read_now`] answers through: the connection, the last statement it ran and the
/// column names of the last flat answer it wrote. One caller (one JavaScript connection) uses
/// it and keeps the same two things on its side.
pub struct ReadHandle {
    client: SharedClient,
    last: Mutex<Last>,
}

struct Last {
    statement: Statement,
    columns: Vec<String>,
}

impl ReadHandle {
    pub(crate) fn new(client: SharedClient) -> ReadHandle {
        ReadHandle {
            client,
            last: Mutex::new(Last {
                statement: Statement::new(""),
                columns: Vec::new(),
            }),
        }
    }
}

/// A replica's short read, answered now. `sql`: the text, or `null` for the same text as the
/// handle's last call. The rows are written flat into `out`: `[n, name1..nameN, row1col1..
/// row1colN, row2col1, ...]`, or `[-n, row1col1, ...]` when the names are those of the handle's
/// last flat answer; it returns how many elements it wrote (`out` may hold stale ones after
/// them). Otherwise an answer (an error, a statement without rows), or `null` when the read
/// must go to a worker (`NativeClient.execute`).
#[napi(
    ts_args_type = "handle: ExternalObject<ReadHandle>, sql: string | null, params: Array<Param> | Record<string, Param> | undefined | null, bigint: boolean, out: Array<Cell>",
    ts_return_type = "number | Answer | null"
)]
pub fn read_now(
    handle: &External<ReadHandle>,
    sql: Option<String>,
    params: Option<Either<Array, HashMap<String, Param>>>,
    bigint: bool,
    mut out: Array,
) -> Option<Either<f64, Answer>> {
    let mut last = handle.last.lock().unwrap_or_else(PoisonError::into_inner);
    // First, before anything can fail: the caller counts on the handle having this text.
    if let Some(sql) = sql {
        last.statement.sql = sql;
    }
    last.statement.params = match parameters(params) {
        Ok(params) => params,
        Err(failure) => return Some(Either::B(Answer::failed(failure))),
    };
    let client = handle.client.read().unwrap_or_else(PoisonError::into_inner);
    let result = match client.read_now(&last.statement) {
        Ok(Some(result)) => result,
        Ok(None) => return None,
        Err(error) => return Some(Either::B(Answer::error(error))),
    };
    drop(client);
    let (columns, rows) = match result {
        StatementResult::Rows { columns, rows, .. } => (columns, rows),
        other => return Some(Either::B(Answer::of(other, None, bigint))),
    };
    match write_flat(&mut out, columns, rows, &mut last.columns, bigint) {
        Ok(written) => Some(Either::A(written as f64)),
        Err(error) => Some(Either::B(Answer::failed(Failure::internal(format!(
            "writing the answer: {error}"
        ))))),
    }
}

fn write_flat(
    out: &mut Array,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    sent: &mut Vec<String>,
    bigint: bool,
) -> napi::Result<u32> {
    let width = columns.len() as f64;
    let mut at = 0u32;
    if columns == *sent {
        out.set(at, -width)?;
        at += 1;
    } else {
        // Forget the old names first: if writing fails half way, the caller has not got them.
        sent.clear();
        out.set(at, width)?;
        at += 1;
        for name in &columns {
            out.set(at, name.as_str())?;
            at += 1;
        }
        *sent = columns;
    }
    for row in rows {
        for value in row {
            out.set(at, values::cell(value, bigint))?;
            at += 1;
        }
    }
    Ok(at)
}

fn parameters(
    params: Option<Either<Array, HashMap<String, Param>>>,
) -> Result<CoreParams, Failure> {
    Ok(match params {
        None => CoreParams::None,
        Some(Either::A(list)) => {
            let mut values = Vec::with_capacity(list.len() as usize);
            for index in 0..list.len() {
                let element = list
                    .get::<Unknown>(index)
                    .map_err(|e| Failure::bad_request(format!("parameter {}: {e}", index + 1)))?;
                let param = match element {
                    Some(element) => param(element).map_err(|e| {
                        Failure::bad_request(format!("parameter {}: {e}", index + 1))
                    })?,
                    None => Either6::C(Null),
                };
                values.push(values::value(param, index as usize + 1)?);
            }
            CoreParams::Positional(values)
        }
        Some(Either::B(named)) => CoreParams::Named(
            named
                .into_iter()
                .enumerate()
                .map(|(i, (name, p))| Ok((name, values::value(p, i + 1)?)))
                .collect::<Result<_, Failure>>()?,
        ),
    })
}

/// One parameter by its JavaScript type (one `typeof`, then the one conversion it needs).
fn param(element: Unknown<'_>) -> napi::Result<Param> {
    // SAFETY (each `cast`): the value's type was just checked to be the one cast to.
    Ok(match element.get_type()? {
        ValueType::Number => Either6::A(unsafe { element.cast::<f64>() }?),
        ValueType::String => Either6::B(unsafe { element.cast::<String>() }?),
        ValueType::Null | ValueType::Undefined => Either6::C(Null),
        ValueType::BigInt => Either6::D(unsafe { element.cast::<BigInt>() }?),
        ValueType::Boolean => Either6::F(unsafe { element.cast::<bool>() }?),
        ValueType::Object if element.is_buffer()? => {
            Either6::E(unsafe { element.cast::<Buffer>() }?)
        }
        other => {
            return Err(napi::Error::from_reason(format!(
                "a {other} cannot be sent: use a number, bigint, string, Buffer, boolean or null"
            )));
        }
    })
}
