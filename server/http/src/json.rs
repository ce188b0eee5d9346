//! Result bodies, serialized straight from the engine's values (no intermediate JSON tree).

use base64::Engine as _;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use ha_types::{EXEC_COLUMNS, StatementResult, Value};

/// `{"columns": [...], "rows": [[...], ...]}`.
pub(crate) struct ResultBody<'a>(pub &'a StatementResult);

/// `{"results": [result, ...]}`.
pub(crate) struct BatchBody<'a>(pub &'a [StatementResult]);

struct RowsOf<'a>(&'a [Vec<Value>]);
struct RowOf<'a>(&'a [Value]);
struct ValueOf<'a>(&'a Value);

impl Serialize for ResultBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        match self.0 {
            StatementResult::Rows { columns, rows, .. } => {
                map.serialize_entry("columns", columns)?;
                map.serialize_entry("rows", &RowsOf(rows))?;
            }
            StatementResult::Exec {
                rows_affected,
                last_insert_id,
            } => {
                map.serialize_entry("columns", &EXEC_COLUMNS)?;
                map.serialize_entry("rows", &[[*rows_affected as i64, *last_insert_id]])?;
            }
        }
        map.end()
    }
}

impl Serialize for BatchBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        let results: Vec<ResultBody<'_>> = self.0.iter().map(ResultBody).collect();
        map.serialize_entry("results", &results)?;
        map.end()
    }
}

impl Serialize for RowsOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for row in self.0 {
            seq.serialize_element(&RowOf(row))?;
        }
        seq.end()
    }
}

impl Serialize for RowOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for value in self.0 {
            seq.serialize_element(&ValueOf(value))?;
        }
        seq.end()
    }
}

impl Serialize for ValueOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Integer(i) => s.serialize_i64(*i),
            Value::Real(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Real(_) => s.serialize_unit(),
            Value::Text(t) => s.serialize_str(t),
            Value::Blob(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_shapes() {
        let exec = StatementResult::Exec {
            rows_affected: 1,
            last_insert_id: 3,
        };
        assert_eq!(
            serde_json::to_string(&ResultBody(&exec)).unwrap(),
            r#"{"columns":["rows_affected","last_insert_id"],"rows":[[1,3]]}"#
        );
        let rows = StatementResult::Rows {
            columns: vec!["a".into(), "b".into(), "c".into(), "d".into(), "e".into()],
            rows: vec![vec![
                Value::Integer(i64::MIN),
                Value::Real(0.5),
                Value::Text("t".into()),
                Value::Null,
                Value::Blob(vec![1, 2]),
            ]],
            declared_types: vec![],
            origins: Default::default(),
        };
        assert_eq!(
            serde_json::to_string(&BatchBody(&[rows])).unwrap(),
            r#"{"results":[{"columns":["a","b","c","d","e"],"rows":[[-9223372036854775808,0.5,"t",null,"AQI="]]}]}"#
        );
    }
}
