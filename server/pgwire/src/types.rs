//! SQLite values as PostgreSQL types, by the core's rule for result columns
//! ([`ColumnType`]: the declared type while every value fits it, else the one class the
//! values share, else text): integer → int8, real → float8, text → text, blob → bytea,
//! boolean → bool. NULL is always NULL.
//!
//! A type told before the values (a prepared statement's Describe) is kept: a value that
//! does not fit is converted when that is exact (2.0 as an int8), else the row fails with
//! PostgreSQL's own error for a result type that changed under a prepared statement, never
//! with a value the client would read wrongly.

use std::sync::Arc;

use ha_types::{ColumnType, Value, exact_bool, exact_integer, exact_real, real_text};
use pgwire::api::Type;
use pgwire::api::portal::Format;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;

use crate::error::error_info;

/// The PostgreSQL type of a result column type.
pub(crate) fn pg_type(column: ColumnType) -> Type {
    match column {
        ColumnType::Integer => Type::INT8,
        ColumnType::Real => Type::FLOAT8,
        ColumnType::Text => Type::TEXT,
        ColumnType::Blob => Type::BYTEA,
        ColumnType::Boolean => Type::BOOL,
    }
}

/// The PostgreSQL type of a declared SQLite type, when it names one.
pub(crate) fn declared(declared_type: &str) -> Option<Type> {
    ColumnType::declared(declared_type).map(pg_type)
}

/// The PostgreSQL type a type name of a `$1::name` cast or a Parse message stands for.
pub(crate) fn cast(name: &str) -> Option<Type> {
    match name.trim_end_matches("[]") {
        "int" | "int2" | "int4" | "int8" | "integer" | "bigint" | "smallint" | "serial"
        | "bigserial" => Some(Type::INT8),
        "float" | "float4" | "float8" | "real" | "double precision" | "numeric" | "decimal" => {
            Some(Type::FLOAT8)
        }
        "bool" | "boolean" => Some(Type::BOOL),
        "bytea" => Some(Type::BYTEA),
        "text" | "varchar" | "character varying" | "char" | "character" | "name" | "bpchar"
        | "json" | "jsonb" | "uuid" | "date" | "timestamp" | "timestamptz" | "time" => {
            Some(Type::TEXT)
        }
        _ => None,
    }
}

/// Column types of a result in hand (the values decide where the declarations don't hold).
pub(crate) fn column_types(declared: &[Option<ColumnType>], rows: &[Vec<Value>]) -> Vec<Type> {
    ColumnType::for_result(declared, rows)
        .into_iter()
        .map(pg_type)
        .collect()
}

/// Field descriptions with the formats the client asked for, and where known (`origins`, may
/// be empty) the table OID and attribute number of the column each reads.
pub(crate) fn fields(
    names: &[String],
    types: &[Type],
    format: Option<&Format>,
    origins: &[Option<ha_types::ColumnOrigin>],
) -> Arc<Vec<FieldInfo>> {
    Arc::new(
        names
            .iter()
            .zip(types)
            .enumerate()
            .map(|(index, (name, datatype))| {
                let format = format.map_or(FieldFormat::Text, |f| f.format_for(index));
                let origin = origins.get(index).and_then(Option::as_ref);
                // A text column declared with a length is described as PostgreSQL's
                // varchar(n) / char(n), the length in the type modifier (Django's `max_length`).
                let sized = origin
                    .filter(|_| *datatype == Type::TEXT)
                    .and_then(|o| sized_text(&o.declared_type));
                let (datatype, modifier) = sized.unwrap_or_else(|| (datatype.clone(), -1));
                FieldInfo::new(
                    name.clone(),
                    origin.and_then(|o| i32::try_from(o.table_oid).ok()),
                    origin.and_then(|o| i16::try_from(o.position).ok()),
                    datatype,
                    format,
                )
                .with_type_modifier(modifier)
            })
            .collect(),
    )
}

/// A text column declared with a length (`VARCHAR(n)`, `CHAR(n)`: the catalog's reading,
/// [`ha_types::postgres_type`]) as varchar / bpchar with its type modifier (`n + 4`).
fn sized_text(declared: &str) -> Option<(Type, i32)> {
    let (oid, typmod) = ha_types::postgres_type(declared);
    let datatype = match oid {
        1043 => Type::VARCHAR,
        1042 => Type::BPCHAR,
        _ => return None,
    };
    Some((datatype, i32::try_from(typmod).ok().filter(|t| *t > 4)?))
}

/// Encodes rows by their fields' types and formats.
pub(crate) fn encode_rows(
    fields: &Arc<Vec<FieldInfo>>,
    rows: &[Vec<Value>],
) -> PgWireResult<Vec<DataRow>> {
    let mut encoder = DataRowEncoder::new(Arc::clone(fields));
    rows.iter()
        .map(|row| encode_row(&mut encoder, fields, row))
        .collect()
}

/// Encodes a row by its fields' types and formats.
pub(crate) fn encode_row(
    encoder: &mut DataRowEncoder,
    fields: &[FieldInfo],
    row: &[Value],
) -> PgWireResult<DataRow> {
    for (field, value) in fields.iter().zip(row) {
        encode_value(encoder, field, value)?;
    }
    Ok(encoder.take_row())
}

/// A float8 as PostgreSQL prints it: the shortest text that reads back exactly, in plain
/// notation for exponents -4..15, else `d.ddde+XX`.
pub(crate) fn float_text(r: f64) -> String {
    if r.is_nan() {
        return "NaN".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if r == 0.0 {
        return if r.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let exponent = r.abs().log10().floor() as i32;
    if (-4..15).contains(&exponent) {
        return format!("{r}");
    }
    let scientific = format!("{r:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

fn encode_value(
    encoder: &mut DataRowEncoder,
    field: &FieldInfo,
    value: &Value,
) -> PgWireResult<()> {
    if matches!(value, Value::Null) {
        return encoder.encode_field(&None::<i64>);
    }
    let text_format = field.format() == FieldFormat::Text;
    match *field.datatype() {
        Type::INT8 => match exact_integer(value) {
            Some(i) => encoder.encode_field(&i),
            None => Err(changed_type(field.name(), field.datatype(), value)),
        },
        Type::FLOAT8 => match exact_real(value) {
            // PostgreSQL's own float text (`2`, `1e+300`), not Rust's (`2.0`).
            Some(r) if text_format => encoder.encode_field(&float_text(r)),
            Some(r) => encoder.encode_field(&r),
            None => Err(changed_type(field.name(), field.datatype(), value)),
        },
        Type::BOOL => match exact_bool(value) {
            Some(b) => encoder.encode_field(&b),
            None => Err(changed_type(field.name(), field.datatype(), value)),
        },
        Type::BYTEA => match value {
            Value::Blob(b) => encoder.encode_field(b),
            Value::Text(t) => encoder.encode_field(&t.as_bytes()),
            _ => Err(changed_type(field.name(), field.datatype(), value)),
        },
        Type::TEXT_ARRAY | Type::INT8_ARRAY | Type::BOOL_ARRAY => {
            let Value::Text(array) = value else {
                return Err(changed_type(field.name(), field.datatype(), value));
            };
            encode_array(encoder, field, array)
        }
        _ => encoder.encode_field(&text(value)),
    }
}

/// An array's text (`{a,"b c",NULL}`, as the catalog's `ha_pg_array` writes it) in its
/// column's array type.
fn encode_array(encoder: &mut DataRowEncoder, field: &FieldInfo, array: &str) -> PgWireResult<()> {
    let misfit = || {
        changed_type(
            field.name(),
            field.datatype(),
            &Value::Text(array.to_string()),
        )
    };
    let items = parse_array(array).ok_or_else(misfit)?;
    match *field.datatype() {
        Type::INT8_ARRAY => {
            let numbers = items
                .iter()
                .map(|item| item.as_deref().map(str::parse::<i64>).transpose())
                .collect::<Result<Vec<Option<i64>>, _>>()
                .map_err(|_| misfit())?;
            encoder.encode_field(&numbers)
        }
        Type::BOOL_ARRAY => {
            let booleans = items
                .iter()
                .map(|item| match item.as_deref() {
                    None => Ok(None),
                    Some(word) => ha_types::exact_bool(&Value::Text(word.to_string()))
                        .map(Some)
                        .ok_or(()),
                })
                .collect::<Result<Vec<Option<bool>>, ()>>()
                .map_err(|()| misfit())?;
            encoder.encode_field(&booleans)
        }
        _ => encoder.encode_field(&items),
    }
}

/// The items of a PostgreSQL array's text: `{a,"b,c",NULL}` → `a`, `b,c`, NULL.
pub(crate) fn parse_array(array: &str) -> Option<Vec<Option<String>>> {
    let inner = array.strip_prefix('{')?.strip_suffix('}')?;
    let mut items = Vec::new();
    if inner.is_empty() {
        return Some(items);
    }
    let mut chars = inner.chars().peekable();
    loop {
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut item = String::new();
            loop {
                match chars.next()? {
                    '\\' => item.push(chars.next()?),
                    '"' => break,
                    c => item.push(c),
                }
            }
            items.push(Some(item));
        } else {
            let item: String = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
            items.push((item != "NULL").then_some(item));
        }
        match chars.next() {
            Some(',') => continue,
            None => return Some(items),
            Some(_) => return None,
        }
    }
}

/// The first value of `rows` its column's type can't carry (see [`encode_row`]), as the
/// error to answer with.
pub(crate) fn misfit(
    names: &[String],
    types: &[Type],
    rows: &[Vec<Value>],
) -> Option<pgwire::error::PgWireError> {
    rows.iter().find_map(|row| {
        row.iter()
            .zip(types.iter().zip(names))
            .find(|(value, (datatype, _))| !carries(datatype, value))
            .map(|(value, (datatype, name))| changed_type(name, datatype, value))
    })
}

/// Whether a field of type `datatype` carries `value` exactly.
fn carries(datatype: &Type, value: &Value) -> bool {
    let column = match *datatype {
        Type::INT8 => ColumnType::Integer,
        Type::FLOAT8 => ColumnType::Real,
        Type::BOOL => ColumnType::Boolean,
        Type::BYTEA => ColumnType::Blob,
        _ => ColumnType::Text,
    };
    column.fits(value)
}

/// A value in a text column: integers in decimal, reals as SQLite writes them (`2.5`, `3.0`),
/// blobs as PostgreSQL writes a bytea (`\x0aff`).
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => real_text(*r),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => {
            let mut hex = String::with_capacity(2 + 2 * b.len());
            hex.push_str("\\x");
            for byte in b {
                hex.push_str(&format!("{byte:02x}"));
            }
            hex
        }
    }
}

/// The routine PostgreSQL names in its error for a prepared statement whose result type
/// changed; pgjdbc prepares such a statement again and retries it when it sees it.
pub(crate) const CHANGED_TYPE_ROUTINE: &str = "RevalidateCachedQuery";

/// A value the type told before the values can't carry: PostgreSQL's error for a prepared
/// statement whose result type changed (its SQLSTATE and routine too), saying which value.
fn changed_type(name: &str, datatype: &Type, value: &Value) -> pgwire::error::PgWireError {
    let held = match value {
        Value::Integer(i) => format!("the integer {i}"),
        Value::Real(r) => format!("the real {}", real_text(*r)),
        Value::Text(_) => "a text value".to_string(),
        Value::Blob(_) => "a blob".to_string(),
        Value::Null => "NULL".to_string(),
    };
    let type_name = match *datatype {
        Type::INT8 => "bigint",
        Type::FLOAT8 => "double precision",
        Type::BOOL => "boolean",
        Type::BYTEA => "bytea",
        _ => "text",
    };
    let mut info = error_info(
        "0A000",
        format!(
            "cached plan must not change result type: column \"{name}\" was described as \
             {type_name} before its values were read, and a row holds {held}; prepared again, \
             the statement describes its columns as text"
        ),
    );
    info.routine = Some(CHANGED_TYPE_ROUTINE.to_string());
    pgwire::error::PgWireError::UserError(Box::new(info))
}

/// Whether `error` is [`changed_type`]'s: nothing was changed, so a transaction goes on.
pub(crate) fn is_changed_type(error: &pgwire::error::PgWireError) -> bool {
    matches!(error, pgwire::error::PgWireError::UserError(info)
        if info.routine.as_deref() == Some(CHANGED_TYPE_ROUTINE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_postgresql_prints_them() {
        for (value, want) in [
            (2.0, "2"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-0.0001, "-0.0001"),
            (1e300, "1e+300"),
            (1.5e-7, "1.5e-07"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(float_text(value), want);
        }
    }

    #[test]
    fn columns_follow_the_core_rule() {
        let rows = vec![
            vec![Value::Null, Value::Integer(1), Value::Integer(2)],
            vec![Value::Integer(3), Value::Text("x".into()), Value::Real(2.5)],
        ];
        assert_eq!(
            column_types(&[None, None, Some(ColumnType::Integer)], &rows),
            vec![Type::INT8, Type::TEXT, Type::FLOAT8]
        );
        assert_eq!(declared("BOOLEAN"), Some(Type::BOOL));
    }

    #[test]
    fn arrays_read_as_postgresql_writes_them() {
        assert_eq!(
            parse_array(r#"{a,"b,c",NULL,"q\"d"}"#),
            Some(vec![
                Some("a".into()),
                Some("b,c".into()),
                None,
                Some("q\"d".into())
            ])
        );
        assert_eq!(parse_array("{}"), Some(vec![]));
        assert_eq!(parse_array("nope"), None);
    }

    #[test]
    fn text_columns_carry_every_value() {
        assert_eq!(text(&Value::Real(3.0)), "3.0");
        assert_eq!(text(&Value::Integer(-7)), "-7");
        assert_eq!(text(&Value::Blob(vec![0, 0xab])), "\\x00ab");
    }
}
