//! SQLite values as PostgreSQL types. A column's type comes from its declared type (SQLite's
//! affinity rules: `INT` → int8, `CHAR`/`CLOB`/`TEXT` → text, `BLOB` → bytea, `REAL`/`FLOA`/
//! `DOUB` → float8, `BOOL` → bool), else from the values it holds (integer → int8, real →
//! float8, text → text, blob → bytea), else text. NULL is always NULL.

use std::sync::Arc;

use ha_types::Value;
use pgwire::api::Type;
use pgwire::api::portal::Format;
use pgwire::api::results::{DataRowEncoder, FieldFormat, FieldInfo};
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;

use crate::error::user_error;

/// The PostgreSQL type of a declared SQLite type, when it names one.
pub(crate) fn declared(declared_type: &str) -> Option<Type> {
    let upper = declared_type.to_ascii_uppercase();
    let has = |needle: &str| upper.contains(needle);
    Some(if has("BOOL") {
        Type::BOOL
    } else if has("INT") {
        Type::INT8
    } else if has("CHAR") || has("CLOB") || has("TEXT") || has("JSON") || has("UUID") {
        Type::TEXT
    } else if has("BLOB") || has("BYTEA") {
        Type::BYTEA
    } else if has("REAL") || has("FLOA") || has("DOUB") || has("NUMERIC") || has("DECIMAL") {
        Type::FLOAT8
    } else if has("DATE") || has("TIME") {
        Type::TEXT
    } else {
        return None;
    })
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

/// The type of a value as it comes out of SQLite (`None` for NULL).
fn of_value(value: &Value) -> Option<Type> {
    match value {
        Value::Null => None,
        Value::Integer(_) => Some(Type::INT8),
        Value::Real(_) => Some(Type::FLOAT8),
        Value::Text(_) => Some(Type::TEXT),
        Value::Blob(_) => Some(Type::BYTEA),
    }
}

/// Column types: declared, else the first non-NULL value's, else text.
pub(crate) fn column_types(declared_types: &[Option<Type>], rows: &[Vec<Value>]) -> Vec<Type> {
    declared_types
        .iter()
        .enumerate()
        .map(|(index, declared)| {
            declared
                .clone()
                .or_else(|| {
                    rows.iter()
                        .find_map(|row| row.get(index).and_then(of_value))
                })
                .unwrap_or(Type::TEXT)
        })
        .collect()
}

/// Field descriptions with the formats the client asked for.
pub(crate) fn fields(
    names: &[String],
    types: &[Type],
    format: Option<&Format>,
) -> Arc<Vec<FieldInfo>> {
    Arc::new(
        names
            .iter()
            .zip(types)
            .enumerate()
            .map(|(index, (name, datatype))| {
                let format = format.map_or(FieldFormat::Text, |f| f.format_for(index));
                FieldInfo::new(name.clone(), None, None, datatype.clone(), format)
            })
            .collect(),
    )
}

/// Encodes a row by its fields' types and formats.
pub(crate) fn encode_row(
    encoder: &mut DataRowEncoder,
    fields: &[FieldInfo],
    row: &[Value],
) -> PgWireResult<DataRow> {
    for (field, value) in fields.iter().zip(row) {
        if *field.datatype() == Type::FLOAT8 && field.format() == FieldFormat::Text {
            // PostgreSQL's own float text (`2`, `1e+300`), not Rust's (`2.0`).
            match value {
                Value::Real(r) => encoder.encode_field(&float_text(*r))?,
                Value::Integer(i) => encoder.encode_field(&float_text(*i as f64))?,
                other => encode_value(encoder, field.datatype(), other)?,
            }
            continue;
        }
        encode_value(encoder, field.datatype(), value)?;
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

fn encode_value(encoder: &mut DataRowEncoder, datatype: &Type, value: &Value) -> PgWireResult<()> {
    if matches!(value, Value::Null) {
        return encoder.encode_field(&None::<i64>);
    }
    match *datatype {
        Type::INT8 => match value {
            Value::Integer(i) => encoder.encode_field(i),
            Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => {
                encoder.encode_field(&(*r as i64))
            }
            Value::Text(t) => match t.trim().parse::<i64>() {
                Ok(i) => encoder.encode_field(&i),
                Err(_) => Err(mismatch(value, "bigint")),
            },
            _ => Err(mismatch(value, "bigint")),
        },
        Type::FLOAT8 => match value {
            Value::Real(r) => encoder.encode_field(r),
            Value::Integer(i) => encoder.encode_field(&(*i as f64)),
            Value::Text(t) => match t.trim().parse::<f64>() {
                Ok(r) => encoder.encode_field(&r),
                Err(_) => Err(mismatch(value, "double precision")),
            },
            _ => Err(mismatch(value, "double precision")),
        },
        Type::BOOL => match value {
            Value::Integer(i) => encoder.encode_field(&(*i != 0)),
            Value::Real(r) => encoder.encode_field(&(*r != 0.0)),
            Value::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
                "t" | "true" | "1" | "yes" | "on" => encoder.encode_field(&true),
                "f" | "false" | "0" | "no" | "off" => encoder.encode_field(&false),
                _ => Err(mismatch(value, "boolean")),
            },
            _ => Err(mismatch(value, "boolean")),
        },
        Type::BYTEA => match value {
            Value::Blob(b) => encoder.encode_field(b),
            Value::Text(t) => encoder.encode_field(&t.as_bytes()),
            _ => Err(mismatch(value, "bytea")),
        },
        _ => match value {
            Value::Text(t) => encoder.encode_field(&t.as_str()),
            Value::Integer(i) => encoder.encode_field(&i.to_string()),
            Value::Real(r) => encoder.encode_field(&r.to_string()),
            Value::Blob(b) => encoder.encode_field(&String::from_utf8_lossy(b).into_owned()),
            Value::Null => encoder.encode_field(&None::<i64>),
        },
    }
}

fn mismatch(value: &Value, type_name: &str) -> pgwire::error::PgWireError {
    let kind = match value {
        Value::Integer(_) => "integer",
        Value::Real(_) => "real",
        Value::Text(_) => "text",
        Value::Blob(_) => "blob",
        Value::Null => "null",
    };
    user_error(
        "22P02",
        format!("a {kind} value in a column described as {type_name} can't be sent in that type"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_follow_sqlite_affinity() {
        assert_eq!(declared("INTEGER"), Some(Type::INT8));
        assert_eq!(declared("bigint"), Some(Type::INT8));
        assert_eq!(declared("VARCHAR(20)"), Some(Type::TEXT));
        assert_eq!(declared("BLOB"), Some(Type::BYTEA));
        assert_eq!(declared("DOUBLE PRECISION"), Some(Type::FLOAT8));
        assert_eq!(declared("BOOLEAN"), Some(Type::BOOL));
        assert_eq!(declared(""), None);
        assert_eq!(declared("whatever"), None);
    }

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
    fn undeclared_columns_take_their_values_type() {
        let rows = vec![
            vec![Value::Null, Value::Null],
            vec![Value::Integer(3), Value::Null],
        ];
        assert_eq!(
            column_types(&[None, None], &rows),
            vec![Type::INT8, Type::TEXT]
        );
        assert_eq!(column_types(&[Some(Type::BOOL)], &rows), vec![Type::BOOL]);
    }
}
