//! The values of a change set's row images in their lossless JSON form (SPEC §6.2): integers
//! are JSON integers, finite reals JSON numbers, text a string, NULL null, a BLOB
//! `{"base64": "..."}` and an infinite real `{"real": "inf"}` / `{"real": "-inf"}`.
//!
//! Written and read straight from the serializer, without a `serde_json::Value` per value:
//! with the workspace's `arbitrary_precision` feature that tree costs a string per number and a
//! second copy of every text, and an applier reads every value of every change set it applies.
//! The tests check it against the tree-based forms (`Value::to_tagged_json`, `from_tagged_json`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::{Value, ValueError};

/// The key under which `serde_json` (feature `arbitrary_precision`) hands a number to a
/// visitor: as a one-entry map whose value is the number's literal. Stable since serde_json
/// 1.0.8; the test `reads_every_kind_of_value` fails if it ever changes.
pub(crate) const SERDE_JSON_NUMBER: &str = "$serde_json::private::Number";

pub fn serialize<S: Serializer>(values: &Option<Vec<Value>>, s: S) -> Result<S::Ok, S::Error> {
    match values {
        Some(values) => s.collect_seq(values.iter().map(Tagged)),
        None => s.serialize_none(),
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Value>>, D::Error> {
    d.deserialize_option(OptionalValues)
}

/// One value's text in this form.
pub fn text(value: &Value) -> String {
    // Writing to memory cannot fail, and no value has a map key serde_json could refuse.
    serde_json::to_string(&Tagged(value)).unwrap_or_default()
}

struct Tagged<'a>(&'a Value);

impl Serialize for Tagged<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Integer(i) => s.serialize_i64(*i),
            Value::Real(f) if f.is_infinite() => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("real", if *f > 0.0 { "inf" } else { "-inf" })?;
                map.end()
            }
            // SQLite stores NaN as NULL; JSON has no NaN either.
            Value::Real(f) if f.is_nan() => s.serialize_unit(),
            Value::Real(f) => s.serialize_f64(*f),
            Value::Text(text) => s.serialize_str(text),
            Value::Blob(bytes) => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("base64", &BASE64.encode(bytes))?;
                map.end()
            }
        }
    }
}

struct OptionalValues;

impl<'de> Visitor<'de> for OptionalValues {
    type Value = Option<Vec<Value>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null or an array of change-set values")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(Values).map(Some)
    }
}

struct Values;

impl<'de> Visitor<'de> for Values {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of change-set values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(TaggedValue(value)) = seq.next_element()? {
            values.push(value);
        }
        Ok(values)
    }
}

struct TaggedValue(Value);

impl<'de> Deserialize<'de> for TaggedValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor(ValueForm::Tagged))
            .map(TaggedValue)
    }
}

/// Which JSON form of a value a [`ValueVisitor`] reads: the change sets' lossless form, or a
/// statement parameter's (`param_json`), which also takes booleans (0 or 1) but no
/// `{"real": ...}`.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum ValueForm {
    Tagged,
    Param,
}

pub(crate) struct ValueVisitor(pub ValueForm);

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self.0 {
            ValueForm::Tagged => {
                r#"a number, a string, null, {"base64": "..."} or {"real": "inf"}"#
            }
            ValueForm::Param => r#"null, a boolean, a number, a string or {"base64": "..."}"#,
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        match self.0 {
            ValueForm::Param => Ok(Value::Integer(i64::from(b))),
            ValueForm::Tagged => Err(E::invalid_type(de::Unexpected::Bool(b), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Integer(i))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        i64::try_from(u)
            .map(Value::Integer)
            .map_err(|_| E::custom(ValueError::IntegerOutOfRange(u.to_string())))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        if f.is_finite() {
            Ok(Value::Real(f))
        } else {
            Err(E::custom(ValueError::Unsupported(f.to_string())))
        }
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        Ok(Value::Text(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Value, E> {
        Ok(Value::Text(text))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let unsupported = |what: &str| de::Error::custom(ValueError::Unsupported(what.into()));
        let key: Option<String> = map.next_key()?;
        let value = match key.as_deref() {
            Some(SERDE_JSON_NUMBER) => number(&map.next_value::<String>()?),
            Some("base64") => BASE64
                .decode(map.next_value::<String>()?)
                .map(Value::Blob)
                .map_err(|e| ValueError::InvalidBase64(e.to_string())),
            Some("real") if self.0 == ValueForm::Tagged => {
                match map.next_value::<String>()?.as_str() {
                    "inf" => Ok(Value::Real(f64::INFINITY)),
                    "-inf" => Ok(Value::Real(f64::NEG_INFINITY)),
                    other => Err(ValueError::Unsupported(format!(r#"{{"real": {other:?}}}"#))),
                }
            }
            Some(other) => return Err(unsupported(&format!("an object with {other:?}"))),
            None => return Err(unsupported("{}")),
        }
        .map_err(de::Error::custom)?;
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(unsupported("an object with more than one field"));
        }
        Ok(value)
    }
}

/// A JSON number's literal: an INTEGER when it is an integer (refused when it does not fit in
/// 64 bits rather than rounded), else a finite REAL.
fn number(literal: &str) -> Result<Value, ValueError> {
    if let Ok(i) = literal.parse::<i64>() {
        return Ok(Value::Integer(i));
    }
    if !literal.contains(['.', 'e', 'E']) {
        return Err(ValueError::IntegerOutOfRange(literal.into()));
    }
    literal
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Value::Real)
        .ok_or_else(|| ValueError::Unsupported(literal.into()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Image {
        #[serde(default, skip_serializing_if = "Option::is_none", with = "super")]
        values: Option<Vec<Value>>,
    }

    fn read(json: &str) -> Result<Option<Vec<Value>>, String> {
        serde_json::from_str::<Image>(json)
            .map(|image| image.values)
            .map_err(|e| e.to_string())
    }

    /// Every kind reads as `Value::from_tagged_json` reads it, and writes as
    /// `Value::to_tagged_json` writes it.
    #[test]
    fn reads_every_kind_of_value() {
        let text = r#"{"values": [null, 0, -1, 9223372036854775807, -9223372036854775808, 1.5,
            -2.0e-3, 1e300, "", "a\"\n\u00e9", {"base64": "AAEC/w=="}, {"base64": ""},
            {"real": "inf"}, {"real": "-inf"}]}"#;
        let values = read(text).unwrap().unwrap();
        let tree: serde_json::Value = serde_json::from_str(text).unwrap();
        let expected: Vec<Value> = tree["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| Value::from_tagged_json(j).unwrap())
            .collect();
        assert_eq!(values, expected);
        assert!(matches!(values[3], Value::Integer(i64::MAX)));
        assert!(matches!(values[5], Value::Real(r) if r == 1.5));
        assert_eq!(values[10], Value::Blob(vec![0, 1, 2, 255]));

        let written = serde_json::to_string(&Image {
            values: Some(values.clone()),
        })
        .unwrap();
        let by_tree = serde_json::to_string(&json!({
            "values": values.iter().map(Value::to_tagged_json).collect::<Vec<_>>()
        }))
        .unwrap();
        assert_eq!(written, by_tree);
        for value in &values {
            assert_eq!(
                value.to_tagged_json_text(),
                value.to_tagged_json().to_string()
            );
        }
        assert_eq!(read(&written).unwrap().unwrap(), values);
        assert_eq!(read("{}").unwrap(), None);
        assert_eq!(read(r#"{"values": null}"#).unwrap(), None);
        assert_eq!(read(r#"{"values": []}"#).unwrap(), Some(vec![]));
    }

    /// What the tree-based reader refused is refused: nothing is rounded or guessed.
    #[test]
    fn refuses_what_is_not_a_lossless_value() {
        for bad in [
            "9223372036854775808",
            "-9223372036854775809",
            "1e999",
            "true",
            "[1]",
            "{}",
            r#"{"a": 1}"#,
            r#"{"base64": "!!"}"#,
            r#"{"real": "nan"}"#,
            r#"{"base64": "AA==", "real": "inf"}"#,
        ] {
            let json = format!(r#"{{"values": [{bad}]}}"#);
            assert!(read(&json).is_err(), "{bad} was accepted");
            let tree: serde_json::Value = serde_json::from_str(bad).unwrap();
            assert!(Value::from_tagged_json(&tree).is_err(), "{bad}");
        }
    }

    /// NaN (which SQLite stores as NULL) is written as null, as the tree wrote it.
    #[test]
    fn writes_nan_as_null() {
        let image = Image {
            values: Some(vec![Value::Real(f64::NAN)]),
        };
        assert_eq!(
            serde_json::to_string(&image).unwrap(),
            r#"{"values":[null]}"#
        );
    }
}
