//! Values between Java and the client: parameters in (null, Long/Integer/Short/Byte, Double/Float,
//! String, byte[], Boolean), results out (`ha.jdbc.core.Result`, cells as Long, Double, String,
//! byte[] or null).

use jni::Env;
use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString};
use jni::refs::{LoaderContext, Reference};

use ha_ffi::{Params, Statement, StatementResult, Value};

use crate::failure::{Failure, bad_request};
use crate::java::{JavaBoolean, JavaDouble, JavaFloat, JavaLong, JavaNumber, NativeResult};

fn is<T: Reference>(env: &mut Env<'_>, object: &JObject<'_>) -> Result<bool, Failure> {
    let class = T::lookup_class(env, &LoaderContext::default())?;
    let class: &JClass = &class;
    Ok(env.is_instance_of(object, class)?)
}

/// A Java string argument (`null` is refused: SQL text and names are required).
pub fn string(env: &mut Env<'_>, text: &JString<'_>, what: &str) -> Result<String, Failure> {
    if text.is_null() {
        return Err(bad_request(format!("the {what} must not be null")));
    }
    Ok(text.try_to_string(env)?)
}

fn value(env: &mut Env<'_>, object: JObject<'_>) -> Result<Value, Failure> {
    if object.is_null() {
        return Ok(Value::Null);
    }
    // The driver passes whole numbers as Long and text as String: those first.
    if is::<JavaLong>(env, &object)? {
        let long = env.cast_local::<JavaLong>(object)?;
        return Ok(Value::Integer(long.long_value(env)?));
    }
    if is::<JString>(env, &object)? {
        let text = env.cast_local::<JString>(object)?;
        return Ok(Value::Text(text.try_to_string(env)?));
    }
    if is::<JavaDouble>(env, &object)? || is::<JavaFloat>(env, &object)? {
        let number = env.cast_local::<JavaNumber>(object)?;
        return Ok(Value::Real(number.double_value(env)?));
    }
    if is::<JByteArray>(env, &object)? {
        let bytes = env.cast_local::<JByteArray>(object)?;
        return Ok(Value::Blob(env.convert_byte_array(&bytes)?));
    }
    if is::<JavaBoolean>(env, &object)? {
        let boolean = env.cast_local::<JavaBoolean>(object)?;
        return Ok(Value::Integer(i64::from(boolean.boolean_value(env)?)));
    }
    // Integer, Short, Byte (and other whole numbers the driver passes on as they are).
    if is::<JavaNumber>(env, &object)? {
        let number = env.cast_local::<JavaNumber>(object)?;
        return Ok(Value::Integer(number.long_value(env)?));
    }
    Err(bad_request(
        "a parameter must be null, a number, a String, a byte[] or a Boolean",
    ))
}

/// One statement from its text and its parameters (`null`: none).
pub fn statement(
    env: &mut Env<'_>,
    sql: &JString<'_>,
    params: &JObjectArray<'_>,
) -> Result<Statement, Failure> {
    let sql = string(env, sql, "SQL text")?;
    Ok(Statement::with_params(sql, parameters(env, params)?))
}

/// Positional parameters (`null`: none).
pub fn parameters(env: &mut Env<'_>, params: &JObjectArray<'_>) -> Result<Params, Failure> {
    if params.is_null() {
        return Ok(Params::None);
    }
    let count = params.len(env)?;
    let mut values = Vec::with_capacity(count);
    for index in 0..count {
        let element = params.get_element(env, index)?;
        values.push(value(env, element)?);
    }
    Ok(Params::Positional(values))
}

fn strings<'local, 'a>(
    env: &mut Env<'local>,
    texts: impl ExactSizeIterator<Item = Option<&'a str>>,
) -> Result<JObjectArray<'local, JString<'local>>, Failure> {
    let array = JObjectArray::<JString>::new(env, texts.len(), JString::null())?;
    for (index, text) in texts.enumerate() {
        if let Some(text) = text {
            let text = JString::new(env, text)?;
            array.set_element(env, index, &text)?;
        }
    }
    Ok(array)
}

fn cell<'local>(env: &mut Env<'local>, value: &Value) -> Result<JObject<'local>, Failure> {
    Ok(match value {
        Value::Null => JObject::null(),
        Value::Integer(i) => JavaLong::value_of(env, *i)?.into(),
        Value::Real(f) => JavaDouble::value_of(env, *f)?.into(),
        Value::Text(text) => JString::new(env, text)?.into(),
        Value::Blob(bytes) => env.byte_array_from_slice(bytes)?.into(),
    })
}

/// One statement's answer as a `Result`; `seq`: the write's log sequence, if any.
pub fn result<'local>(
    env: &mut Env<'local>,
    answer: &StatementResult,
    seq: Option<u64>,
) -> Result<NativeResult<'local>, Failure> {
    result_after(env, answer, seq, None)
}

/// [`result`], with `columns` and `declaredTypes` null when they are those of `known` (the
/// last ones sent to this caller, updated).
pub fn result_after<'local>(
    env: &mut Env<'local>,
    answer: &StatementResult,
    seq: Option<u64>,
    known: Option<&mut Columns>,
) -> Result<NativeResult<'local>, Failure> {
    let seq = seq.and_then(|s| i64::try_from(s).ok()).unwrap_or(-1);
    match answer {
        StatementResult::Rows {
            columns,
            rows,
            declared_types,
            ..
        } => {
            let same = known
                .as_ref()
                .is_some_and(|k| k.names == *columns && k.types == *declared_types);
            let (names, types) = if same {
                (
                    JObjectArray::<JString>::null(),
                    JObjectArray::<JString>::null(),
                )
            } else {
                if let Some(known) = known {
                    known.names.clone_from(columns);
                    known.types.clone_from(declared_types);
                }
                (
                    strings(env, columns.iter().map(|c| Some(c.as_str())))?,
                    strings(
                        env,
                        (0..columns.len())
                            .map(|i| declared_types.get(i).and_then(|t| t.as_deref())),
                    )?,
                )
            };
            let cells =
                JObjectArray::<JObject>::new(env, rows.len() * columns.len(), JObject::null())?;
            let mut at = 0;
            for row in rows {
                for value in row {
                    let object = cell(env, value)?;
                    cells.set_element(env, at, &object)?;
                    env.delete_local_ref(object);
                    at += 1;
                }
            }
            Ok(NativeResult::new(env, &names, &types, &cells, 0, 0, seq)?)
        }
        StatementResult::Exec {
            rows_affected,
            last_insert_id,
        } => {
            let none = strings(env, std::iter::empty())?;
            let cells = JObjectArray::<JObject>::new(env, 0, JObject::null())?;
            Ok(NativeResult::new(
                env,
                &none,
                &none,
                &cells,
                i64::try_from(*rows_affected).unwrap_or(i64::MAX),
                *last_insert_id,
                seq,
            )?)
        }
    }
}

/// The column names and declared types a caller was last sent.
#[derive(Debug, Default)]
pub struct Columns {
    names: Vec<String>,
    types: Vec<Option<String>>,
}
