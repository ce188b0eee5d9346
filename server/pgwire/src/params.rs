//! Bind parameters (text or binary, by their PostgreSQL type) as SQLite values.

use bytes::Bytes;
use ha_types::Value;
use pgwire::api::Type;
use pgwire::error::PgWireResult;
use pgwire::types::FromSqlText;
use pgwire::types::format::FormatOptions;
use postgres_types::FromSql;

use crate::error::user_error;

/// Decodes parameter `raw` of type `datatype`, sent in binary when `binary`.
pub(crate) fn decode(raw: Option<&Bytes>, datatype: &Type, binary: bool) -> PgWireResult<Value> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    if binary {
        decode_binary(raw, datatype)
    } else {
        decode_text(raw, datatype)
    }
}

fn decode_binary(raw: &[u8], datatype: &Type) -> PgWireResult<Value> {
    let bad = |e: Box<dyn std::error::Error + Sync + Send>| {
        user_error(
            "22P03",
            format!("invalid binary {} parameter: {e}", datatype.name()),
        )
    };
    Ok(match *datatype {
        Type::INT2 => Value::Integer(i16::from_sql(datatype, raw).map_err(bad)?.into()),
        Type::INT4 => Value::Integer(i32::from_sql(datatype, raw).map_err(bad)?.into()),
        Type::INT8 => Value::Integer(i64::from_sql(datatype, raw).map_err(bad)?),
        Type::OID => Value::Integer(u32::from_sql(datatype, raw).map_err(bad)?.into()),
        Type::FLOAT4 => Value::Real(f32::from_sql(datatype, raw).map_err(bad)?.into()),
        Type::FLOAT8 => Value::Real(f64::from_sql(datatype, raw).map_err(bad)?),
        Type::BOOL => Value::Integer(bool::from_sql(datatype, raw).map_err(bad)?.into()),
        Type::BYTEA => Value::Blob(raw.to_vec()),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::JSON => {
            Value::Text(text(raw)?)
        }
        // Binary with no type (node-postgres sends a Buffer so): the bytes are a blob.
        Type::UNKNOWN => Value::Blob(raw.to_vec()),
        _ => {
            return Err(user_error(
                "0A000",
                format!(
                    "binary parameters of type {} are not supported: send it as text",
                    datatype.name()
                ),
            ));
        }
    })
}

fn decode_text(raw: &[u8], datatype: &Type) -> PgWireResult<Value> {
    let value = text(raw)?;
    let invalid = |what: &str| {
        user_error(
            "22P02",
            format!("invalid input syntax for type {what}: \"{value}\""),
        )
    };
    Ok(match *datatype {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => {
            Value::Integer(value.trim().parse().map_err(|_| invalid("integer"))?)
        }
        Type::FLOAT4 | Type::FLOAT8 => Value::Real(
            value
                .trim()
                .parse()
                .map_err(|_| invalid("double precision"))?,
        ),
        Type::NUMERIC => match value.trim().parse::<i64>() {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::Real(value.trim().parse().map_err(|_| invalid("numeric"))?),
        },
        Type::BOOL => Value::Integer(match value.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => 1,
            "f" | "false" | "n" | "no" | "off" | "0" => 0,
            _ => return Err(invalid("boolean")),
        }),
        Type::BYTEA => Value::Blob(
            Vec::<u8>::from_sql_text(datatype, raw, &FormatOptions::default())
                .map_err(|_| invalid("bytea"))?,
        ),
        _ => Value::Text(value),
    })
}

fn text(raw: &[u8]) -> PgWireResult<String> {
    String::from_utf8(raw.to_vec())
        .map_err(|_| user_error("22021", "a text parameter is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parameters_follow_their_type() {
        let b = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(
            decode(Some(&b("42")), &Type::INT4, false).unwrap(),
            Value::Integer(42)
        );
        assert_eq!(
            decode(Some(&b("1.5")), &Type::FLOAT8, false).unwrap(),
            Value::Real(1.5)
        );
        assert_eq!(
            decode(Some(&b("t")), &Type::BOOL, false).unwrap(),
            Value::Integer(1)
        );
        assert_eq!(
            decode(Some(&b("\\x00ff")), &Type::BYTEA, false).unwrap(),
            Value::Blob(vec![0, 255])
        );
        assert_eq!(
            decode(Some(&b("42")), &Type::UNKNOWN, false).unwrap(),
            Value::Text("42".into())
        );
        assert_eq!(decode(None, &Type::INT8, false).unwrap(), Value::Null);
        assert!(decode(Some(&b("x")), &Type::INT8, false).is_err());
    }

    #[test]
    fn binary_parameters_follow_their_type() {
        let raw = Bytes::from(7i64.to_be_bytes().to_vec());
        assert_eq!(
            decode(Some(&raw), &Type::INT8, true).unwrap(),
            Value::Integer(7)
        );
        let raw = Bytes::from(2.5f64.to_be_bytes().to_vec());
        assert_eq!(
            decode(Some(&raw), &Type::FLOAT8, true).unwrap(),
            Value::Real(2.5)
        );
        let short = Bytes::from(7i32.to_be_bytes().to_vec());
        assert!(decode(Some(&short), &Type::INT8, true).is_err());
        let bytes = Bytes::from_static(&[0xff, 0x00]);
        assert_eq!(
            decode(Some(&bytes), &Type::UNKNOWN, true).unwrap(),
            Value::Blob(vec![0xff, 0])
        );
    }
}
