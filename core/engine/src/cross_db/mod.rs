//! Cross-database queries (SPEC §9): a SELECT carrying `/*+ db=<regex> */` runs on every
//! database of the node whose id the regex matches (the whole id), through each database's
//! ordinary read path, and the answers are merged into one.
//!
//! The planner ([`plan`]) reads the statement with the shared lexer, finds its top-level
//! clauses ([`shape`]) and aggregates ([`aggregates`]), and writes the query each database runs
//! (aggregates turned into partials, hidden columns for the group keys and sort keys the
//! merge needs). The merge ([`merge`]) loads every database's rows into a private in-memory
//! SQLite table and runs the merge query there, so SQLite's own rules order, compare, group
//! and deduplicate the merged rows. What cannot be merged exactly is refused as
//! `not_supported`, never answered approximately.

mod aggregates;
mod merge;
mod plan;
mod shape;
mod tokens;

use std::sync::Arc;

use ha_types::{DatabaseHint, ErrorCode, Params, Statement, StatementDescription, StatementResult};
use regex::Regex;
use tracing::debug;

use crate::database::blocking;
use crate::{CoreError, Database, Registry};

/// A statement to run across the databases its hint names.
pub(crate) struct CrossDatabaseQuery {
    pattern: String,
    regex: Regex,
    /// The statement without its hint.
    sql: String,
    params: Params,
}

impl CrossDatabaseQuery {
    /// The request's cross-database query, if it carries a hint. A hint must come alone: a
    /// batch holding one is refused.
    pub(crate) fn of_request(statements: &[Statement]) -> Result<Option<Self>, CoreError> {
        match statements {
            [statement] => CrossDatabaseQuery::of_statement(statement),
            _ if statements.iter().any(|s| DatabaseHint::is_present(&s.sql)) => Err(bad_request(
                "a cross-database query (/*+ db=... */) must be sent alone, not in a batch",
            )),
            _ => Ok(None),
        }
    }

    pub(crate) fn of_statement(statement: &Statement) -> Result<Option<Self>, CoreError> {
        let hint = match DatabaseHint::find(&statement.sql) {
            Ok(Some(hint)) => hint,
            Ok(None) => return Ok(None),
            Err(e) => return Err(bad_request(e.to_string())),
        };
        // Checked alone first: wrapped in the anchors, `a)|(b` would parse and match more.
        let anchored = Regex::new(&hint.pattern)
            .and_then(|_| Regex::new(&format!("^(?:{})$", hint.pattern)))
            .map_err(|e| {
                bad_request(format!(
                    "invalid database pattern in /*+ db={} */: {e}",
                    hint.pattern
                ))
            })?;
        Ok(Some(CrossDatabaseQuery {
            pattern: hint.pattern,
            regex: anchored,
            sql: hint.sql,
            params: statement.params.clone(),
        }))
    }

    /// Runs the query on every matching database, in the registry's order, and merges.
    pub(crate) async fn run(self, registry: &Registry) -> Result<StatementResult, CoreError> {
        let sql = tokens::Sql::new(&self.sql);
        let plan = plan::plan(&sql)?;
        let databases = self.databases(registry)?;
        debug!(
            pattern = %self.pattern,
            databases = databases.len(),
            per_database = %plan.per_database,
            "cross-database query"
        );
        let statement = Statement::with_params(plan.per_database.clone(), self.params.clone());
        let answers = futures::future::try_join_all(
            databases
                .iter()
                .map(|database| answer(database, statement.clone())),
        )
        .await?;
        let Some(first) = answers.first() else {
            return Err(self.none_match());
        };
        let width = first.columns.len();
        if let Some(other) = answers.iter().find(|a| a.columns.len() != width) {
            return Err(bad_request(format!(
                "{} returns {width} columns but {} returns {}: the databases' tables differ",
                first.database,
                other.database,
                other.columns.len()
            )));
        }
        let visible = width.checked_sub(plan.hidden.len()).ok_or_else(|| {
            CoreError::BadRequest("the databases returned fewer columns than planned".into())
        })?;
        let names: Vec<String> = first.columns[..visible].to_vec();
        let mut declared_types: Vec<Option<String>> = if first.declared_types.len() == width {
            first.declared_types[..visible].to_vec()
        } else {
            Vec::new()
        };
        let all_rows = answers.into_iter().flat_map(|a| a.rows);
        let Some(merge_query) = plan.merge else {
            return Ok(StatementResult::Rows {
                columns: names,
                rows: all_rows.collect(),
                declared_types,
                origins: Default::default(),
            });
        };
        let rendered = merge_query.render(&names)?;
        debug!(merge = %rendered.sql, "cross-database merge");
        for (declared, computed) in declared_types.iter_mut().zip(&rendered.computed) {
            if *computed {
                *declared = None;
            }
        }
        let columns: Vec<String> = (0..visible)
            .map(plan::column_name)
            .chain(plan.hidden.iter().cloned())
            .collect();
        let rows: Vec<Vec<ha_types::Value>> = all_rows.collect();
        let merged = blocking(move || merge::merge(&columns, &rows, &rendered.sql)).await?;
        Ok(StatementResult::Rows {
            columns: names,
            rows: merged,
            declared_types,
            origins: Default::default(),
        })
    }

    /// The matching databases, in the registry's order; none is an error (a mistyped pattern
    /// would otherwise look like an empty answer).
    fn databases(&self, registry: &Registry) -> Result<Vec<Arc<Database>>, CoreError> {
        let databases: Vec<Arc<Database>> = registry
            .ids()
            .into_iter()
            .filter(|id| self.regex.is_match(id))
            .filter_map(|id| registry.get(Some(&id)).ok())
            .collect();
        if databases.is_empty() {
            return Err(self.none_match());
        }
        Ok(databases)
    }

    fn none_match(&self) -> CoreError {
        CoreError::UnknownDatabase(format!("no database id matches /*+ db={} */", self.pattern))
    }
}

/// What a hinted statement returns, described on the first database it would run on.
pub(crate) async fn describe(
    registry: &Registry,
    sql: &str,
) -> Result<Option<StatementDescription>, CoreError> {
    let Some(query) = CrossDatabaseQuery::of_statement(&Statement::new(sql))? else {
        return Ok(None);
    };
    plan::plan(&tokens::Sql::new(&query.sql))?;
    let database = query
        .databases(registry)?
        .into_iter()
        .next()
        .ok_or_else(|| query.none_match())?;
    database.describe(query.sql).await.map(Some)
}

/// Inside a transaction a statement belongs to one database: the hint is refused there.
pub(crate) fn refuse_in_transaction(sql: &str) -> Result<(), CoreError> {
    if DatabaseHint::is_present(sql) {
        return Err(not_supported(
            "a cross-database query (/*+ db=... */) runs outside transactions: \
             COMMIT or ROLLBACK first",
        ));
    }
    Ok(())
}

/// One database's answer to the per-database query.
struct Answer {
    database: String,
    columns: Vec<String>,
    declared_types: Vec<Option<String>>,
    rows: Vec<Vec<ha_types::Value>>,
}

async fn answer(database: &Arc<Database>, statement: Statement) -> Result<Answer, CoreError> {
    let id = database.id().to_string();
    let executed = database
        .execute(vec![statement])
        .await
        .map_err(|e| match e {
            // Which database failed is part of the answer: their schemas may differ.
            CoreError::Sql { code, message } => CoreError::Sql {
                code,
                message: format!("{id}: {message}"),
            },
            other => other,
        })?;
    match executed.results.into_iter().next() {
        Some(StatementResult::Rows {
            columns,
            rows,
            declared_types,
            ..
        }) => Ok(Answer {
            database: id,
            columns,
            declared_types,
            rows,
        }),
        _ => Err(bad_request(format!("{id} returned no rows to merge"))),
    }
}

pub(super) fn not_supported(message: impl Into<String>) -> CoreError {
    CoreError::Sql {
        code: ErrorCode::NotSupported,
        message: message.into(),
    }
}

pub(super) fn bad_request(message: impl Into<String>) -> CoreError {
    CoreError::BadRequest(message.into())
}

#[cfg(test)]
mod tests;
