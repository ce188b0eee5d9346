//! Statements from `ha.v1` messages (values, rows and results: `ha_proto::convert`).

use ha_proto::v1;
use ha_types::{Params, Statement, Value};
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
