//! `ha.v1.Value` and `ha_types::Value` are the same five SQLite types: one conversion, used by
//! the server and every client.

use ha_types::Value;

use crate::v1;

impl From<Value> for v1::Value {
    fn from(value: Value) -> v1::Value {
        let kind = match value {
            Value::Null => v1::value::Kind::Null(v1::Null {}),
            Value::Integer(i) => v1::value::Kind::Integer(i),
            Value::Real(r) => v1::value::Kind::Real(r),
            Value::Text(t) => v1::value::Kind::Text(t),
            Value::Blob(b) => v1::value::Kind::Blob(b),
        };
        v1::Value { kind: Some(kind) }
    }
}

impl From<v1::Value> for Value {
    /// A value without a kind (an older or careless sender) is NULL.
    fn from(value: v1::Value) -> Value {
        match value.kind {
            Some(v1::value::Kind::Integer(i)) => Value::Integer(i),
            Some(v1::value::Kind::Real(r)) => Value::Real(r),
            Some(v1::value::Kind::Text(t)) => Value::Text(t),
            Some(v1::value::Kind::Blob(b)) => Value::Blob(b),
            Some(v1::value::Kind::Null(_)) | None => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_without_loss() {
        for value in [
            Value::Null,
            Value::Integer(i64::MIN),
            Value::Integer(i64::MAX),
            Value::Real(-0.5),
            Value::Text("é".into()),
            Value::Blob(vec![0, 255]),
        ] {
            assert_eq!(Value::from(v1::Value::from(value.clone())), value);
        }
        assert_eq!(Value::from(v1::Value { kind: None }), Value::Null);
    }
}
