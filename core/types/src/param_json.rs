//! A statement parameter's JSON (SPEC §4.2) read straight from the deserializer, as
//! [`Value::from_json_param`] reads it from a JSON tree: null, a boolean (0 or 1), a number (an
//! INTEGER when it is an integer, refused when it does not fit in 64 bits), a string, or a BLOB
//! `{"base64": "..."}`.
//!
//! Why: the HTTP door read every request body into a `serde_json::Value` first, which with the
//! workspace's `arbitrary_precision` costs a string per number and a second copy of every text;
//! on a point select that tree was a few percent of the request. Anything this reader refuses
//! is read again through the tree, whose messages are the API's, so only its successes must
//! agree with the tree (tested in `ha-http`'s `body.rs` and below).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::tagged_values::{SERDE_JSON_NUMBER, ValueForm, ValueVisitor};
use crate::{Params, Value};

/// A statement's `params`: null (none), an array (by position) or an object (by name, ordered
/// by name as the tree's map is). Refuses duplicate names (the tree keeps the last: the tree
/// path answers those).
pub struct JsonParams(pub Params);

impl<'de> Deserialize<'de> for JsonParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ParamsVisitor).map(JsonParams)
    }
}

struct ParamsVisitor;

impl<'de> Visitor<'de> for ParamsVisitor {
    type Value = Params;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null, an array or an object of parameters")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Params, E> {
        Ok(Params::None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Params, E> {
        Ok(Params::None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Params, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(JsonParam(value)) = seq.next_element()? {
            values.push(value);
        }
        Ok(Params::Positional(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params, A::Error> {
        let mut named: Vec<(String, Value)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            // A number handed over as a map (`arbitrary_precision`) is no object of names.
            if name == SERDE_JSON_NUMBER {
                return Err(de::Error::custom("a number is not parameters"));
            }
            let JsonParam(value) = map.next_value()?;
            named.push((name, value));
        }
        named.sort_by(|a, b| a.0.cmp(&b.0));
        if named.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return Err(de::Error::custom("duplicate parameter name"));
        }
        Ok(Params::Named(named))
    }
}

/// One parameter's value, read as [`Value::from_json_param`] reads it.
pub struct JsonParam(pub Value);

impl<'de> Deserialize<'de> for JsonParam {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor(ValueForm::Param))
            .map(JsonParam)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(json: &str) -> Result<Value, String> {
        serde_json::from_str::<JsonParam>(json)
            .map(|param| param.0)
            .map_err(|e| e.to_string())
    }

    fn by_tree(json: &str) -> Result<Value, String> {
        let tree: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Value::from_json_param(&tree).map_err(|e| e.to_string())
    }

    /// What it accepts, the tree reads the same; what the tree refuses, it refuses.
    #[test]
    fn agrees_with_the_tree() {
        let accepted = [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "9223372036854775807",
            "-9223372036854775808",
            "1.5",
            "-2.0e-3",
            "1e300",
            "1E2",
            r#""""#,
            r#""a\"\n\u00e9""#,
            r#"{"base64": "AAEC/w=="}"#,
            r#"{"base64": ""}"#,
        ];
        for json in accepted {
            let value = direct(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(Ok(value), by_tree(json), "{json}");
        }
        assert_eq!(direct("true"), Ok(Value::Integer(1)));
        assert_eq!(direct("1E2"), Ok(Value::Real(100.0)));
        let refused = [
            "9223372036854775808",
            "-9223372036854775809",
            "1e400",
            "[1]",
            "{}",
            r#"{"real": "inf"}"#,
            r#"{"base64": "!"}"#,
            r#"{"base64": "AA==", "x": 1}"#,
            r#"{"base64": 1}"#,
        ];
        for json in refused {
            assert!(direct(json).is_err(), "{json} should be refused");
            assert!(by_tree(json).is_err(), "{json} is refused by the tree too");
        }
    }
}
