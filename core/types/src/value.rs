use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Number, Value as Json};

/// One SQL value, as SQLite stores it. Conversions to and from JSON are lossless: integers keep all
/// 64 bits and BLOBs travel as base64.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A JSON value that cannot be bound as an SQL parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("integer {0} does not fit in a signed 64-bit SQL INTEGER")]
    IntegerOutOfRange(String),
    #[error("invalid base64 in BLOB parameter: {0}")]
    InvalidBase64(String),
    #[error(
        "unsupported parameter value {0}: use a number, string, boolean, null or {{\"base64\": \"...\"}}"
    )]
    Unsupported(String),
}

impl Value {
    /// Reads a request parameter: integers bind as INTEGER, other numbers as REAL, strings as TEXT,
    /// booleans as 1/0, null as NULL, and `{"base64": "..."}` as BLOB.
    pub fn from_json_param(json: &Json) -> Result<Value, ValueError> {
        match json {
            Json::Null => Ok(Value::Null),
            Json::Bool(b) => Ok(Value::Integer(i64::from(*b))),
            Json::Number(n) => number_to_value(n),
            Json::String(s) => Ok(Value::Text(s.clone())),
            Json::Object(map) => blob_from_object(map)
                .ok_or_else(|| ValueError::Unsupported(short(json)))?
                .map(Value::Blob),
            Json::Array(_) => Err(ValueError::Unsupported(short(json))),
        }
    }

    /// Reads the lossless change-set form through a JSON tree: a JSON integer is an INTEGER and
    /// any other number a REAL. Change sets are read by `tagged_values` without the tree; this
    /// is the tests' reference for it.
    #[cfg(test)]
    pub fn from_tagged_json(json: &Json) -> Result<Value, ValueError> {
        match json {
            Json::Bool(_) | Json::Array(_) => Err(ValueError::Unsupported(short(json))),
            Json::Object(map) if map.len() == 1 && map.contains_key("real") => {
                match map.get("real").and_then(Json::as_str) {
                    Some("inf") => Ok(Value::Real(f64::INFINITY)),
                    Some("-inf") => Ok(Value::Real(f64::NEG_INFINITY)),
                    _ => Err(ValueError::Unsupported(short(json))),
                }
            }
            other => Value::from_json_param(other),
        }
    }

    /// The form used in query results: a BLOB is a plain base64 string.
    pub fn to_result_json(&self) -> Json {
        match self {
            Value::Blob(bytes) => Json::String(BASE64.encode(bytes)),
            other => other.to_plain_json(),
        }
    }

    /// The lossless form used in change sets, as a JSON tree: a BLOB is `{"base64": "..."}`,
    /// an infinite REAL `{"real": "inf"}` or `{"real": "-inf"}` (JSON has no infinity; SQLite
    /// stores NaN as NULL). Change sets are written by `tagged_values` without the tree; this
    /// is the tests' reference for it.
    #[cfg(test)]
    pub fn to_tagged_json(&self) -> Json {
        match self {
            Value::Real(f) if f.is_infinite() => {
                let mut map = Map::new();
                let text = if *f > 0.0 { "inf" } else { "-inf" };
                map.insert("real".into(), Json::String(text.into()));
                Json::Object(map)
            }
            other => other.to_plain_json(),
        }
    }

    /// The value's text in the change sets' lossless JSON form (`{"base64": ...}` for a BLOB).
    pub fn to_tagged_json_text(&self) -> String {
        crate::tagged_values::text(self)
    }

    /// Query results: infinities are reported as null rather than failing the whole response.
    fn to_plain_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Integer(i) => Json::Number((*i).into()),
            Value::Real(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Text(s) => Json::String(s.clone()),
            Value::Blob(bytes) => {
                let mut map = Map::new();
                map.insert("base64".into(), Json::String(BASE64.encode(bytes)));
                Json::Object(map)
            }
        }
    }
}

fn number_to_value(n: &Number) -> Result<Value, ValueError> {
    if let Some(i) = n.as_i64() {
        return Ok(Value::Integer(i));
    }
    // serde_json keeps the literal (feature `arbitrary_precision`): an integer literal that does
    // not fit must be refused, not rounded into a REAL.
    let literal = n.to_string();
    if !literal.contains(['.', 'e', 'E']) {
        return Err(ValueError::IntegerOutOfRange(literal));
    }
    n.as_f64()
        .filter(|f| f.is_finite())
        .map(Value::Real)
        .ok_or(ValueError::Unsupported(literal))
}

fn blob_from_object(map: &Map<String, Json>) -> Option<Result<Vec<u8>, ValueError>> {
    if map.len() != 1 {
        return None;
    }
    let Json::String(encoded) = map.get("base64")? else {
        return None;
    };
    Some(
        BASE64
            .decode(encoded)
            .map_err(|e| ValueError::InvalidBase64(e.to_string())),
    )
}

fn short(json: &Json) -> String {
    let mut text = json.to_string();
    if text.len() > 60 {
        let mut cut = 57;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_keep_all_64_bits() {
        let v = Value::from_json_param(&json!(9_223_372_036_854_775_807_i64)).unwrap();
        assert_eq!(v, Value::Integer(i64::MAX));
        assert_eq!(v.to_result_json().to_string(), "9223372036854775807");
        assert!(Value::from_json_param(&json!(9_223_372_036_854_775_808_u64)).is_err());
        for literal in [
            "18446744073709551616",
            "-9223372036854775809",
            "100000000000000000000000",
        ] {
            let parsed: Json = serde_json::from_str(literal).unwrap();
            assert!(Value::from_json_param(&parsed).is_err(), "{literal}");
        }
        let real: Json = serde_json::from_str("1e23").unwrap();
        assert_eq!(Value::from_json_param(&real).unwrap(), Value::Real(1e23));
    }

    #[test]
    fn numbers_strings_booleans_and_null() {
        assert_eq!(
            Value::from_json_param(&json!(1.5)).unwrap(),
            Value::Real(1.5)
        );
        assert_eq!(
            Value::from_json_param(&json!("x")).unwrap(),
            Value::Text("x".into())
        );
        assert_eq!(
            Value::from_json_param(&json!(true)).unwrap(),
            Value::Integer(1)
        );
        assert_eq!(
            Value::from_json_param(&json!(false)).unwrap(),
            Value::Integer(0)
        );
        assert_eq!(Value::from_json_param(&json!(null)).unwrap(), Value::Null);
    }

    #[test]
    fn blobs_in_tagged_and_out_plain_or_tagged() {
        let v = Value::from_json_param(&json!({"base64": "AAEC/w=="})).unwrap();
        assert_eq!(v, Value::Blob(vec![0, 1, 2, 255]));
        assert_eq!(v.to_result_json(), json!("AAEC/w=="));
        assert_eq!(v.to_tagged_json(), json!({"base64": "AAEC/w=="}));
    }

    #[test]
    fn other_shapes_are_rejected() {
        assert!(Value::from_json_param(&json!([1])).is_err());
        assert!(Value::from_json_param(&json!({"a": 1})).is_err());
        assert!(Value::from_json_param(&json!({"base64": "!!"})).is_err());
    }
}
