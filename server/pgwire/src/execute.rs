//! Running one statement for a connection, and describing one: the engine session does the
//! work; this turns its results into PostgreSQL's command tags, types and settings.

use ha_server_api::TransactionStatus;
use ha_types::sql_text::{TransactionCommand, first_word};
use ha_types::{
    ColumnType, ErrorCode, Params, SpecialCommand, Statement as EngineStatement, StatementResult,
    Value,
};
use pgwire::api::Type;
use pgwire::api::results::Tag;
use pgwire::error::{PgWireError, PgWireResult};

use crate::compat::{Compat, Function, SERVER_VERSION, default_setting};
use crate::connection::{Connection, Outcome};
use crate::error::{api_error, user_error};
use crate::statement::{Analysis, Described, PgStatement};
use crate::types;

/// Runs `statement` with `params` on the connection's session.
pub(crate) async fn run(
    connection: &mut Connection,
    statement: &PgStatement,
    params: Vec<Value>,
) -> PgWireResult<Outcome> {
    if let Some(compat) = &statement.compat {
        return answer_compat(connection, compat).await;
    }
    if let Some(columns) = unsupported_catalog_query(connection, &statement.sql).await {
        return Ok(text_rows(&columns, Vec::new()));
    }
    let status_before = connection.session.transaction_status();
    let engine_statement = EngineStatement {
        sql: statement.sql.clone(),
        params: if params.is_empty() {
            Params::None
        } else {
            Params::Positional(params)
        },
    };
    let outcome = connection
        .session
        .execute(vec![engine_statement])
        .await
        .map_err(|e| api_error(&e))?;
    remember_seq(connection, outcome.seq);
    let result = outcome
        .results
        .into_iter()
        .next()
        .ok_or_else(|| user_error("XX000", "the statement produced no result"))?;
    Ok(to_outcome(statement, result, status_before))
}

/// Runs a write whose result types were told before its values (a described portal, a
/// prepared statement run again): in a transaction of its own (or under a savepoint in the
/// client's), kept only when every value fits the types told, so a value that does not fit
/// fails the statement without a trace instead of after its change was made.
pub(crate) async fn run_told(
    connection: &mut Connection,
    statement: &PgStatement,
    params: Vec<Value>,
    told: &[Type],
) -> PgWireResult<Outcome> {
    const SAVEPOINT: &str = "ha_told_types";
    let own_transaction = connection.session.transaction_status() == TransactionStatus::Idle;
    let (open, keep, undo) = if own_transaction {
        (
            "BEGIN".to_string(),
            "COMMIT".to_string(),
            "ROLLBACK".to_string(),
        )
    } else {
        (
            format!("SAVEPOINT {SAVEPOINT}"),
            format!("RELEASE {SAVEPOINT}"),
            format!("ROLLBACK TO {SAVEPOINT}; RELEASE {SAVEPOINT}"),
        )
    };
    control(connection, &open).await?;
    let outcome = match run(connection, statement, params).await {
        Ok(outcome) => outcome,
        Err(error) => {
            if own_transaction {
                control(connection, &undo).await?;
            }
            return Err(error);
        }
    };
    if let Outcome::Rows { names, rows, .. } = &outcome
        && let Some(error) = types::misfit(names, told, rows)
    {
        control(connection, &undo).await?;
        return Err(error);
    }
    control(connection, &keep).await?;
    Ok(outcome)
}

/// Runs transaction control of the front end's own on the session.
async fn control(connection: &mut Connection, sql: &str) -> PgWireResult<()> {
    for part in sql.split("; ") {
        let statement = EngineStatement {
            sql: part.to_string(),
            params: Params::None,
        };
        let outcome = connection
            .session
            .execute(vec![statement])
            .await
            .map_err(|e| api_error(&e))?;
        remember_seq(connection, outcome.seq);
    }
    Ok(())
}

/// Runs several plain statements as one implicit transaction (a simple query's batch).
pub(crate) async fn run_batch(
    connection: &mut Connection,
    statements: &[PgStatement],
) -> PgWireResult<Vec<Outcome>> {
    let engine_statements = statements
        .iter()
        .map(|s| EngineStatement {
            sql: s.sql.clone(),
            params: Params::None,
        })
        .collect();
    let outcome = connection
        .session
        .execute(engine_statements)
        .await
        .map_err(|e| api_error(&e))?;
    remember_seq(connection, outcome.seq);
    Ok(statements
        .iter()
        .zip(outcome.results)
        .map(|(s, r)| to_outcome(s, r, TransactionStatus::Idle))
        .collect())
}

/// Read-your-writes: `SHOW ha.last_seq` answers the log sequence of the session's last write,
/// which `SET ha.min_seq` on another node waits for (SPEC §7).
fn remember_seq(connection: &mut Connection, seq: Option<u64>) {
    if let Some(seq) = seq {
        connection
            .settings
            .insert("ha.last_seq".into(), seq.to_string());
    }
}

/// Whether a statement can join a simple query's implicit-transaction batch.
pub(crate) fn batchable(statement: &PgStatement) -> bool {
    statement.compat.is_none()
        && TransactionCommand::parse(&statement.sql).is_none()
        && SpecialCommand::parse(&statement.sql).is_none()
}

fn to_outcome(
    statement: &PgStatement,
    result: StatementResult,
    status_before: TransactionStatus,
) -> Outcome {
    let sql = &statement.sql;
    match result {
        StatementResult::Rows {
            columns,
            rows,
            declared_types,
            origins,
        } => {
            let declared = (0..columns.len())
                .map(|i| {
                    declared_types
                        .get(i)
                        .cloned()
                        .flatten()
                        .and_then(|d| ColumnType::declared(&d))
                })
                .collect();
            Outcome::Rows {
                command: row_command(sql),
                arrays: columns
                    .iter()
                    .map(|name| {
                        statement
                            .array_columns
                            .get(&name.to_ascii_lowercase())
                            .cloned()
                    })
                    .collect(),
                names: columns,
                declared,
                rows,
                origins,
            }
        }
        StatementResult::Exec { rows_affected, .. } => {
            Outcome::Command(command_tag(sql, rows_affected as usize, status_before))
        }
    }
}

/// The tag word(s) of a statement that returned rows.
fn row_command(sql: &str) -> String {
    match first_word(sql).as_str() {
        "INSERT" | "REPLACE" => "INSERT 0".into(),
        "UPDATE" => "UPDATE".into(),
        "DELETE" => "DELETE".into(),
        "SHOW" => "SHOW".into(),
        _ => "SELECT".into(),
    }
}

/// PostgreSQL's CommandComplete tag for a statement without result rows.
fn command_tag(sql: &str, rows: usize, status_before: TransactionStatus) -> Tag {
    if let Some(command) = TransactionCommand::parse(sql) {
        return Tag::new(match command {
            TransactionCommand::Begin => "BEGIN",
            // COMMIT of a failed transaction rolls it back, and says so.
            TransactionCommand::Commit if status_before == TransactionStatus::Failed => "ROLLBACK",
            TransactionCommand::Commit => "COMMIT",
            TransactionCommand::Rollback | TransactionCommand::RollbackTo(_) => "ROLLBACK",
            TransactionCommand::Savepoint(_) => "SAVEPOINT",
            TransactionCommand::Release(_) => "RELEASE",
        });
    }
    let upper = sql.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .take(4)
        .collect();
    match words.as_slice() {
        ["INSERT" | "REPLACE", ..] => Tag::new("INSERT").with_oid(0).with_rows(rows),
        ["UPDATE", ..] => Tag::new("UPDATE").with_rows(rows),
        ["DELETE", ..] => Tag::new("DELETE").with_rows(rows),
        ["CREATE" | "DROP", "UNIQUE", "INDEX", ..] => Tag::new(&format!("{} INDEX", words[0])),
        [
            "CREATE" | "DROP",
            "TEMP" | "TEMPORARY" | "VIRTUAL",
            object,
            ..,
        ]
        | ["CREATE" | "DROP" | "ALTER", object, ..] => Tag::new(&format!("{} {object}", words[0])),
        ["USE" | "UNSET", ..] => Tag::new("SET"),
        [first, ..] => Tag::new(first),
        [] => Tag::new("OK"),
    }
}

async fn answer_compat(connection: &mut Connection, compat: &Compat) -> PgWireResult<Outcome> {
    let text_row = |name: &str, value: String| text_rows(&[name], vec![vec![Value::Text(value)]]);
    match compat {
        Compat::Set { name, value } => {
            if name == "ha.min_seq" {
                let seq: u64 = value.parse().map_err(|_| {
                    user_error(
                        "22023",
                        format!("ha.min_seq must be a log sequence number, got {value:?}"),
                    )
                })?;
                connection.session.set_min_seq((seq > 0).then_some(seq));
            }
            connection.settings.insert(name.clone(), value.clone());
            Ok(Outcome::Command(Tag::new("SET")))
        }
        Compat::Reset => Ok(Outcome::Command(Tag::new("SET"))),
        Compat::Show(name) => {
            let value = match connection.settings.get(name) {
                Some(value) => value.clone(),
                None => default_setting(name).map(str::to_string).ok_or_else(|| {
                    user_error(
                        "42704",
                        format!("unrecognized configuration parameter \"{name}\""),
                    )
                })?,
            };
            let mut outcome = text_row(name, value);
            if let Outcome::Rows { command, .. } = &mut outcome {
                *command = "SHOW".into();
            }
            Ok(outcome)
        }
        Compat::Function { column, function } => Ok(match function {
            Function::Version => text_row(
                column,
                format!(
                    "PostgreSQL {SERVER_VERSION} (ha {} on SQLite)",
                    env!("CARGO_PKG_VERSION")
                ),
            ),
            Function::CurrentSchema => text_row(column, "public".into()),
            Function::CurrentDatabase => text_row(
                column,
                connection
                    .session
                    .database()
                    .unwrap_or_else(|| "default".into()),
            ),
            Function::CurrentUser => text_row(column, connection.user.clone()),
            Function::BackendPid => Outcome::Rows {
                names: vec![column.clone()],
                declared: vec![Some(ColumnType::Integer)],
                arrays: vec![None],
                rows: vec![vec![Value::Integer(i64::from(std::process::id()))]],
                command: "SELECT".into(),
                origins: Default::default(),
            },
        }),
    }
}

/// The columns of a query of the PostgreSQL catalog that the core's catalog can't run (an
/// unknown relation or function, syntax SQLite lacks: arrays, `unnest`...): such a query
/// answers no rows, as a catalog without those objects would, rather than fail a tool's
/// metadata probe. Found by preparing it, so nothing runs and no transaction is aborted.
async fn unsupported_catalog_query(connection: &mut Connection, sql: &str) -> Option<Vec<String>> {
    let columns = crate::compat::catalog_columns(sql)?;
    match connection.session.describe(sql).await {
        Err(error)
            if matches!(
                error.code,
                ErrorCode::SqlSyntax | ErrorCode::SqlUnknownObject | ErrorCode::SqlError
            ) =>
        {
            tracing::debug!(%error, %sql, "a catalog query the catalog can't answer: no rows");
            Some(columns)
        }
        _ => None,
    }
}

/// Rows of text columns (psql reads catalog answers as text).
fn text_rows<S: AsRef<str>>(names: &[S], rows: Vec<Vec<Value>>) -> Outcome {
    Outcome::Rows {
        names: names.iter().map(|n| n.as_ref().to_string()).collect(),
        declared: vec![Some(ColumnType::Text); names.len()],
        arrays: vec![None; names.len()],
        rows,
        command: "SELECT".into(),
        origins: Default::default(),
    }
}

/// The parameter and result types of a statement, without running it; computed once per
/// prepared statement (a Parse), as PostgreSQL plans once. Columns whose type neither their
/// declaration nor their expression tells are `None`.
pub(crate) async fn analyze<'s>(
    connection: &mut Connection,
    statement: &'s PgStatement,
    given: &[Option<Type>],
) -> PgWireResult<&'s Analysis> {
    if let Some(analysis) = statement.analysis.get() {
        return Ok(analysis);
    }
    let analysis = match &statement.compat {
        Some(compat) => {
            let (names, types) = match compat {
                Compat::Set { .. } | Compat::Reset => (vec![], vec![]),
                Compat::Show(name) => (vec![name.clone()], vec![Some(Type::TEXT)]),
                Compat::Function { column, function } => (
                    vec![column.clone()],
                    vec![Some(if *function == Function::BackendPid {
                        Type::INT8
                    } else {
                        Type::TEXT
                    })],
                ),
            };
            Analysis {
                parameters: vec![],
                names,
                types,
                read_only: true,
            }
        }
        None => {
            if let Some(columns) = unsupported_catalog_query(connection, &statement.sql).await {
                // Answered with no rows by `run`: its parameters are whatever the client sends.
                let parameters = (1..=highest_parameter(&statement.sql))
                    .map(|i| given.get(i - 1).cloned().flatten().unwrap_or(Type::TEXT))
                    .collect();
                let analysis = Analysis {
                    parameters,
                    types: vec![Some(Type::TEXT); columns.len()],
                    names: columns,
                    read_only: true,
                };
                return Ok(statement.analysis.get_or_init(|| analysis));
            }
            let description = connection
                .session
                .describe(&statement.sql)
                .await
                .map_err(|e| api_error(&e))?;
            let parameters = description
                .parameters
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    given
                        .get(i)
                        .cloned()
                        .flatten()
                        .filter(|t| *t != Type::UNKNOWN)
                        .or_else(|| statement.casts.get(&(i + 1)).and_then(|c| types::cast(c)))
                        .or_else(|| p.declared_type.as_deref().and_then(types::declared))
                        .unwrap_or(Type::TEXT)
                })
                .collect();
            Analysis {
                parameters,
                names: description.columns.iter().map(|c| c.name.clone()).collect(),
                types: description
                    .columns
                    .iter()
                    .map(|c| {
                        c.declared_type
                            .as_deref()
                            .and_then(types::declared)
                            .or_else(|| ColumnType::of_expression(&c.name).map(types::pg_type))
                            .or_else(|| {
                                statement
                                    .array_columns
                                    .get(&c.name.to_ascii_lowercase())
                                    .cloned()
                            })
                    })
                    .collect(),
                read_only: description.read_only,
            }
        }
    };
    Ok(statement.analysis.get_or_init(|| analysis))
}

/// The types to tell at a statement's Describe: the analysis; the columns it can't type are
/// typed by running the statement when it is a read without parameters, else text. (A
/// declared type that the values later do not fit is answered by [`types::misfit`]'s error,
/// after which the statement's columns are told as text.)
pub(crate) async fn describe_statement(
    connection: &mut Connection,
    statement: &PgStatement,
    given: &[Option<Type>],
) -> PgWireResult<Described> {
    let analysis = analyze(connection, statement, given).await?;
    let mut known = analysis.types.clone();
    if known.iter().any(Option::is_none)
        && analysis.read_only
        && analysis.parameters.is_empty()
        && connection.session.transaction_status() != TransactionStatus::Failed
        && let Ok(outcome @ Outcome::Rows { .. }) = run(connection, statement, Vec::new()).await
    {
        let from_data = resolved_types(&outcome, None);
        for (slot, found) in known.iter_mut().zip(from_data) {
            slot.get_or_insert(found);
        }
    }
    let types = known.into_iter().map(|t| t.unwrap_or(Type::TEXT)).collect();
    Ok(Described {
        parameters: analysis.parameters.clone(),
        names: analysis.names.clone(),
        types: connection.types_to_tell(&statement.sql, types),
    })
}

/// Encodes the outcome's rows with `types` (the described ones, or decided from the data).
pub(crate) fn resolved_types(outcome: &Outcome, told: Option<&[Type]>) -> Vec<Type> {
    match outcome {
        Outcome::Rows {
            declared,
            rows,
            arrays,
            ..
        } => match told {
            Some(told) if told.len() == declared.len() => told.to_vec(),
            _ => types::column_types(declared, rows)
                .into_iter()
                .zip(arrays)
                .map(|(found, array)| array.clone().unwrap_or(found))
                .collect(),
        },
        Outcome::Command(_) => Vec::new(),
    }
}

/// The highest `?N` of a rewritten statement.
fn highest_parameter(sql: &str) -> usize {
    ha_types::sql_text::tokenize(sql)
        .into_iter()
        .filter(|t| t.kind == ha_types::sql_text::TokenKind::Parameter)
        .filter_map(|t| sql[t.start..t.end].strip_prefix('?')?.parse().ok())
        .max()
        .unwrap_or(0)
}

pub(crate) fn not_ready() -> PgWireError {
    PgWireError::NotReadyForQuery
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(sql: &str, rows: usize) -> String {
        let complete: pgwire::messages::response::CommandComplete =
            command_tag(sql, rows, TransactionStatus::Idle).into();
        complete.tag
    }

    #[test]
    fn command_tags_are_postgresql_ones() {
        assert_eq!(tag("INSERT INTO t VALUES (1)", 1), "INSERT 0 1");
        assert_eq!(tag("update t set x = 1", 3), "UPDATE 3");
        assert_eq!(tag("DELETE FROM t", 0), "DELETE 0");
        assert_eq!(tag("CREATE TABLE t(x)", 0), "CREATE TABLE");
        assert_eq!(tag("CREATE UNIQUE INDEX i ON t(x)", 0), "CREATE INDEX");
        assert_eq!(tag("drop table t", 0), "DROP TABLE");
        assert_eq!(tag("BEGIN", 0), "BEGIN");
        assert_eq!(tag("COMMIT", 0), "COMMIT");
        assert_eq!(tag("SAVEPOINT a", 0), "SAVEPOINT");
        assert_eq!(tag("ROLLBACK TO SAVEPOINT a", 0), "ROLLBACK");
        let failed: pgwire::messages::response::CommandComplete =
            command_tag("COMMIT", 0, TransactionStatus::Failed).into();
        assert_eq!(failed.tag, "ROLLBACK");
    }
}
