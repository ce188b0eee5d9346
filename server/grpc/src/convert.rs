//! Values, statements and results between `ha.v1` messages and `ha-types`.

use ha_proto::v1;
use ha_types::{Params, Statement, StatementResult, Value};
use tonic::Status;

/// A statement from its text and parameters (positional or named, not both).
pub(crate) fn statement(
    sql: String,
    params: Vec<v1::Value>,
    named: std::collections::HashMap<String, v1::Value>,
) -> Result<Statement, Status> {
    let params = match (params.is_empty(), named.is_empty()) {
        (true, true) => Params::None,
        (false, true) => Params::Positional(params.into_iter().map(Value::from).collect()),
        (true, false) => {
            let mut named: Vec<(String, Value)> = named
                .into_iter()
                .map(|(name, value)| (name, Value::from(value)))
                .collect();
            // A map has no order; a stable one keeps errors and logs reproducible.
            named.sort_by(|a, b| a.0.cmp(&b.0));
            Params::Named(named)
        }
        (false, false) => {
            return Err(crate::error::status_for(&ha_server_api::ApiError::new(
                ha_types::ErrorCode::BadRequest,
                "give params or named_params, not both",
            )));
        }
    };
    Ok(Statement::with_params(sql, params))
}

pub(crate) fn columns_to_proto(
    columns: Vec<String>,
    declared_types: Vec<Option<String>>,
) -> Vec<v1::Column> {
    columns
        .into_iter()
        .enumerate()
        .map(|(i, name)| v1::Column {
            name,
            declared_type: declared_types.get(i).cloned().flatten().unwrap_or_default(),
        })
        .collect()
}

pub(crate) fn rows_to_proto(rows: Vec<Vec<Value>>) -> Vec<v1::Row> {
    rows.into_iter()
        .map(|row| v1::Row {
            values: row.into_iter().map(v1::Value::from).collect(),
        })
        .collect()
}

pub(crate) fn result_to_proto(result: StatementResult) -> v1::StatementResult {
    match result {
        StatementResult::Rows {
            columns,
            rows,
            declared_types,
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
