//! The one mapping between `ha.v1` messages and `ha-types` (values, columns, rows, results),
//! used by the server and every client, in both directions.

use ha_types::{StatementResult, Value};

use crate::v1;

/// Columns with their declared types (`""` on the wire for an expression's `None`).
pub fn columns_to_proto(
    names: Vec<String>,
    declared_types: Vec<Option<String>>,
) -> Vec<v1::Column> {
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| v1::Column {
            name,
            declared_type: declared_types.get(i).cloned().flatten().unwrap_or_default(),
        })
        .collect()
}

/// Column names and declared types back from the wire.
pub fn columns_from_proto(columns: Vec<v1::Column>) -> (Vec<String>, Vec<Option<String>>) {
    columns
        .into_iter()
        .map(|c| {
            let declared = (!c.declared_type.is_empty()).then_some(c.declared_type);
            (c.name, declared)
        })
        .unzip()
}

pub fn rows_to_proto(rows: Vec<Vec<Value>>) -> Vec<v1::Row> {
    rows.into_iter()
        .map(|row| v1::Row {
            values: row.into_iter().map(v1::Value::from).collect(),
        })
        .collect()
}

pub fn rows_from_proto(rows: Vec<v1::Row>) -> Vec<Vec<Value>> {
    rows.into_iter()
        .map(|row| row.values.into_iter().map(Value::from).collect())
        .collect()
}

impl From<StatementResult> for v1::StatementResult {
    fn from(result: StatementResult) -> v1::StatementResult {
        match result {
            StatementResult::Rows {
                columns,
                rows,
                declared_types,
                ..
            } => v1::StatementResult {
                columns: columns_to_proto(columns, declared_types),
                rows: rows_to_proto(rows),
                rows_affected: 0,
                last_insert_id: 0,
                returns_rows: true,
            },
            StatementResult::Exec {
                rows_affected,
                last_insert_id,
            } => v1::StatementResult {
                columns: Vec::new(),
                rows: Vec::new(),
                rows_affected: i64::try_from(rows_affected).unwrap_or(i64::MAX),
                last_insert_id,
                returns_rows: false,
            },
        }
    }
}

impl From<v1::StatementResult> for StatementResult {
    fn from(result: v1::StatementResult) -> StatementResult {
        if result.returns_rows {
            let (columns, declared_types) = columns_from_proto(result.columns);
            StatementResult::Rows {
                columns,
                rows: rows_from_proto(result.rows),
                declared_types,
                origins: Default::default(),
            }
        } else {
            StatementResult::Exec {
                rows_affected: u64::try_from(result.rows_affected).unwrap_or(0),
                last_insert_id: result.last_insert_id,
            }
        }
    }
}

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
