//! A portal's run. A read runs at its Describe, so that its columns are described by their
//! values too (the core's rule: a declared type only while every value fits it), and its
//! Execute sends those rows; a write runs at its Execute. Either way the rows go out in the
//! types the client was told.

use std::sync::Arc;

use ha_server_api::TransactionStatus as SessionStatus;
use ha_types::Value;
use pgwire::api::Type;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::results::{FieldInfo, QueryResponse, Response, Tag};
use pgwire::api::stmt::StoredStatement;
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;

use crate::connection::{Connection, Outcome, RanEarly};
use crate::execute;
use crate::params;
use crate::statement::Statement;
use crate::types;

/// What an Execute sends.
pub(crate) enum Ran {
    /// The rows, encoded in `fields` (what the portal's Describe told, or tells now when
    /// its description waited for the values).
    Rows {
        fields: Arc<Vec<FieldInfo>>,
        rows: Vec<DataRow>,
        command: String,
    },
    Command(Tag),
}

/// The fields a Describe of `portal` tells (none: NoData). A read runs here.
pub(crate) async fn describe(
    connection: &mut Connection,
    portal: &Portal<Statement>,
) -> PgWireResult<Arc<Vec<FieldInfo>>> {
    let format = Some(&portal.result_column_format);
    let statement = &portal.statement.statement;
    if let Some(described) = statement.described.get() {
        return Ok(described.fields(format));
    }
    let analysis =
        execute::analyze(connection, statement, &portal.statement.parameter_types).await?;
    if analysis.read_only && connection.session.transaction_status() != SessionStatus::Failed {
        let outcome = execute::run(connection, statement, bound_parameters(portal)?).await?;
        let types =
            connection.types_to_tell(&statement.sql, execute::resolved_types(&outcome, None));
        let fields = match &outcome {
            Outcome::Rows { names, origins, .. } => types::fields(names, &types, format, origins),
            Outcome::Command(_) => Arc::default(),
        };
        statement.remember_told(&types);
        connection.ran_early.insert(
            portal.name.clone(),
            RanEarly {
                outcome,
                fields: Arc::clone(&fields),
            },
        );
        return Ok(fields);
    }
    let types = analysis
        .types
        .iter()
        .map(|t| t.clone().unwrap_or(Type::TEXT))
        .collect();
    let types = connection.types_to_tell(&statement.sql, types);
    statement.remember_told(&types);
    let fields = types::fields(&analysis.names, &types, format, &[]);
    connection.portal_types.insert(portal.name.clone(), types);
    Ok(fields)
}

/// Runs `portal` (or takes what its Describe ran) and encodes its rows.
pub(crate) async fn run(
    connection: &mut Connection,
    portal: &Portal<Statement>,
) -> PgWireResult<Ran> {
    let statement = &portal.statement.statement;
    let by_values = connection
        .described_by_values
        .take()
        .is_some_and(|p| p == portal.name);
    if !by_values && let Some(early) = connection.ran_early.remove(&portal.name) {
        return Ok(match early.outcome {
            Outcome::Command(tag) => Ran::Command(tag),
            Outcome::Rows { rows, command, .. } => Ran::Rows {
                rows: types::encode_rows(&early.fields, &rows)?,
                fields: early.fields,
                command,
            },
        });
    }
    let told = if by_values {
        None
    } else {
        connection
            .portal_types
            .remove(&portal.name)
            .or_else(|| statement.described.get().map(|d| d.types.clone()))
            .or_else(|| statement.told())
    };
    let params = bound_parameters(portal)?;
    let writes = statement.analysis.get().is_some_and(|a| !a.read_only);
    let outcome = match &told {
        Some(told) if writes && told.iter().any(|t| *t != Type::TEXT) => {
            execute::run_told(connection, statement, params, told).await
        }
        _ => execute::run(connection, statement, params).await,
    }
    .inspect_err(|e| {
        if types::is_changed_type(e) {
            connection.text_only.insert(statement.sql.clone());
        }
    })?;
    let types = execute::resolved_types(&outcome, told.as_deref());
    if by_values {
        statement.remember_told(&types);
    }
    Ran::encode(outcome, &types, Some(&portal.result_column_format)).inspect_err(|e| {
        if types::is_changed_type(e) {
            connection.text_only.insert(statement.sql.clone());
        }
    })
}

impl Ran {
    /// An outcome's rows encoded in `types`, in the formats the client asked (`None`: text).
    pub(crate) fn encode(
        outcome: Outcome,
        types: &[Type],
        format: Option<&Format>,
    ) -> PgWireResult<Ran> {
        Ok(match outcome {
            Outcome::Command(tag) => Ran::Command(tag),
            Outcome::Rows {
                names,
                rows,
                command,
                origins,
                ..
            } => {
                let fields = types::fields(&names, types, format, &origins);
                Ran::Rows {
                    rows: types::encode_rows(&fields, &rows)?,
                    fields,
                    command,
                }
            }
        })
    }

    /// As pgwire's response (its sender writes the rows, then CommandComplete).
    pub(crate) fn into_response(self) -> Response {
        match self {
            Ran::Command(tag) => Response::Execution(tag),
            Ran::Rows {
                fields,
                rows,
                command,
            } => Response::Query(query_response(fields, rows, &command)),
        }
    }
}

/// Encoded rows as pgwire's query response, tagged `command` (the row count is added when sent).
pub(crate) fn query_response(
    fields: Arc<Vec<FieldInfo>>,
    rows: Vec<DataRow>,
    command: &str,
) -> QueryResponse {
    let mut response = QueryResponse::new(fields, futures::stream::iter(rows.into_iter().map(Ok)));
    response.set_command_tag(command);
    response
}

/// The type of parameter `index`: the client's (Parse), the statement's cast, the described
/// one, else text.
fn parameter_type(stored: &StoredStatement<Statement>, index: usize) -> Type {
    stored
        .parameter_types
        .get(index)
        .cloned()
        .flatten()
        .filter(|t| *t != Type::UNKNOWN)
        .or_else(|| {
            stored
                .statement
                .casts
                .get(&(index + 1))
                .and_then(|c| types::cast(c))
        })
        .or_else(|| {
            stored
                .statement
                .described
                .get()
                .and_then(|d| d.parameters.get(index).cloned())
        })
        .unwrap_or(Type::UNKNOWN)
}

fn bound_parameters(portal: &Portal<Statement>) -> PgWireResult<Vec<Value>> {
    (0..portal.parameters.len())
        .map(|i| {
            params::decode(
                portal.parameters[i].as_ref(),
                &parameter_type(&portal.statement, i),
                portal.parameter_format.is_binary(i),
            )
        })
        .collect()
}
