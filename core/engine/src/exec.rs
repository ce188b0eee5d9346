//! Running one request statement (an SQL text with its parameters) on a connection.

use ha_types::{Params, Statement, StatementResult, Value};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Batch, ToSql};

use crate::CoreError;
use crate::classify::StatementClass;
use crate::open::Conn;

/// Where a statement is being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A read-only connection: a statement that would write stops the run with
    /// [`RunError::NeedsWriter`] before it executes.
    ReadOnly,
    /// The writer, inside the engine's transaction.
    ReadWrite,
}

#[derive(Debug)]
pub(crate) enum RunError {
    NeedsWriter,
    Failed(CoreError),
}

impl From<CoreError> for RunError {
    fn from(e: CoreError) -> Self {
        RunError::Failed(e)
    }
}

impl From<rusqlite::Error> for RunError {
    fn from(e: rusqlite::Error) -> Self {
        RunError::Failed(e.into())
    }
}

/// A routing hint only: statements that begin with a writing keyword go straight to the writer,
/// which runs anything correctly; the others try a reader first, where SQLite decides.
pub(crate) fn likely_writes(sql: &str) -> bool {
    let head = sql.trim_start();
    let end = head
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(head.len());
    let word = &head[..end];
    [
        "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "UPSERT",
    ]
    .iter()
    .any(|keyword| word.eq_ignore_ascii_case(keyword))
}

/// Runs every SQL statement of `statement.sql` in order and returns the last one's result.
pub(crate) fn run(
    conn: &Conn,
    statement: &Statement,
    access: Access,
) -> Result<StatementResult, RunError> {
    conn.catalog_for(&statement.sql)?;
    // What is prepared here is a client's: the engine's tables and connection settings are
    // off limits (the authorizer denies them).
    let _client = conn.actions.client_statement();
    // Most texts are one statement: run it from the connection's statement cache, with the
    // literals a client wrote into it as parameters so that texts differing only in them
    // share the prepared statement.
    let with_parameters = literal_parameters(statement);
    let statement = with_parameters.as_ref().unwrap_or(statement);
    if let Some((mut stmt, class)) = conn.prepare_cached(&statement.sql) {
        check(conn, class, &stmt, access)?;
        let highest_position = bind(&mut stmt, &statement.params)?;
        check_positional_count(&statement.params, highest_position)?;
        return step(conn, &mut stmt, Some(&statement.sql));
    }
    let mut batch = Batch::new(&conn.conn, &statement.sql);
    let mut last = None;
    let mut highest_position = 0;
    loop {
        conn.actions.reset();
        let next = batch.next();
        let mut stmt = match next {
            Ok(Some(stmt)) => stmt,
            Ok(None) => break,
            Err(e) => {
                // A denied statement fails to prepare: say why in our words.
                let class = conn.actions.take();
                if class.connection_setting {
                    return Err(connection_setting_error().into());
                }
                if class.internal_write {
                    return Err(CoreError::BadRequest(
                        "the _ha_* tables belong to the server: they can be read, not changed"
                            .into(),
                    )
                    .into());
                }
                return Err(e.into());
            }
        };
        check(conn, conn.actions.take(), &stmt, access)?;
        highest_position = highest_position.max(bind(&mut stmt, &statement.params)?);
        last = Some(step(conn, &mut stmt, None)?);
    }
    check_positional_count(&statement.params, highest_position)?;
    last.ok_or_else(|| RunError::Failed(CoreError::BadRequest("empty SQL statement".into())))
}

/// `statement` with its literals as parameters ([`ha_types::literal_parameters`]) when it
/// has no parameters of its own and some to take.
fn literal_parameters(statement: &Statement) -> Option<Statement> {
    let none = match &statement.params {
        Params::None => true,
        Params::Positional(values) => values.is_empty(),
        Params::Named(values) => values.is_empty(),
    };
    if !none {
        return None;
    }
    let taken = ha_types::literal_parameters(&statement.sql)?;
    Some(Statement::with_params(
        taken.sql,
        Params::Positional(taken.values),
    ))
}

/// What a streamed read hands out: its columns first, then rows in batches.
pub(crate) enum Streamed {
    Columns {
        columns: Vec<String>,
        declared_types: Vec<Option<String>>,
    },
    Rows(Vec<Vec<Value>>),
}

/// Runs one read-only statement and hands its rows to `sink` in batches of `batch_rows`, so a
/// large result is never all in memory. `sink` answers false to stop (the reader went away).
pub(crate) fn stream(
    conn: &Conn,
    statement: &Statement,
    batch_rows: usize,
    mut sink: impl FnMut(Streamed) -> bool,
) -> Result<(), RunError> {
    conn.catalog_for(&statement.sql)?;
    let _client = conn.actions.client_statement();
    let with_parameters = literal_parameters(statement);
    let statement = with_parameters.as_ref().unwrap_or(statement);
    let Some((mut stmt, class)) = conn.prepare_cached(&statement.sql) else {
        return Err(
            CoreError::BadRequest("a streamed query takes exactly one statement".into()).into(),
        );
    };
    check(conn, class, &stmt, Access::ReadOnly)?;
    let highest_position = bind(&mut stmt, &statement.params)?;
    check_positional_count(&statement.params, highest_position)?;
    let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let declared_types = stmt
        .columns()
        .map(|c| c.decl_type().map(str::to_string))
        .collect();
    let width = columns.len();
    if !sink(Streamed::Columns {
        columns,
        declared_types,
    }) {
        return Ok(());
    }
    let batch_rows = batch_rows.max(1);
    let mut batch = Vec::with_capacity(batch_rows);
    let mut cursor = stmt.raw_query();
    while let Some(row) = cursor.next()? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(to_value(row.get_ref(i)?));
        }
        batch.push(values);
        if batch.len() == batch_rows
            && !sink(Streamed::Rows(std::mem::replace(
                &mut batch,
                Vec::with_capacity(batch_rows),
            )))
        {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        sink(Streamed::Rows(batch));
    }
    Ok(())
}

/// Refuses what the engine owns or forbids, and stops a read-only run before a write.
fn check(
    conn: &Conn,
    class: StatementClass,
    stmt: &rusqlite::Statement<'_>,
    access: Access,
) -> Result<(), RunError> {
    if class.transaction_control {
        return Err(CoreError::BadRequest(
            "transaction control statements (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) \
             are managed by the server: send an array of statements to run them in one \
             transaction"
                .into(),
        )
        .into());
    }
    if class.attach {
        return Err(CoreError::BadRequest("ATTACH and DETACH are not allowed".into()).into());
    }
    if class.connection_setting {
        return Err(connection_setting_error().into());
    }
    if class.temp_schema {
        return Err(CoreError::BadRequest(
            "TEMP tables, views, indexes and triggers are not supported: each would live in one \
             pooled connection only"
                .into(),
        )
        .into());
    }
    if access == Access::ReadOnly && !stmt.readonly() {
        return Err(RunError::NeedsWriter);
    }
    if class.schema_change && access == Access::ReadWrite {
        conn.record_schema_change(stmt).map_err(CoreError::from)?;
    }
    Ok(())
}

fn connection_setting_error() -> CoreError {
    CoreError::BadRequest(
        "this PRAGMA changes a connection setting, which would leak into other clients' requests \
         on the pooled connections: set it for every connection with --db-params"
            .into(),
    )
}

fn check_positional_count(params: &Params, highest_position: usize) -> Result<(), CoreError> {
    match params {
        Params::Positional(values) if values.len() > highest_position => {
            Err(CoreError::BadRequest(format!(
                "{} parameters given, but the statement uses {highest_position}",
                values.len()
            )))
        }
        _ => Ok(()),
    }
}

/// Runs `stmt`; `cached` is its text when it is in the statement cache (its columns' origins
/// are kept with it).
fn step(
    conn: &Conn,
    stmt: &mut rusqlite::Statement<'_>,
    cached: Option<&str>,
) -> Result<StatementResult, RunError> {
    if stmt.column_count() > 0 {
        let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let declared_types: Vec<Option<String>> = stmt
            .columns()
            .map(|c| c.decl_type().map(str::to_string))
            .collect();
        let width = columns.len();
        let mut rows = Vec::new();
        let mut cursor = stmt.raw_query();
        while let Some(row) = cursor.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(to_value(row.get_ref(i)?));
            }
            rows.push(values);
        }
        drop(cursor);
        conn.statement_finished()?;
        let origins = cached.map_or_else(Default::default, |sql| conn.origins(sql, stmt));
        return Ok(StatementResult::Rows {
            columns,
            rows,
            declared_types,
            origins,
        });
    }
    let before = conn.conn.total_changes();
    stmt.raw_execute()?;
    conn.statement_finished()?;
    // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE even across DDL, so a
    // statement that changed nothing reports 0 rather than an older count.
    let rows_affected = if conn.conn.total_changes() != before {
        conn.conn.changes()
    } else {
        0
    };
    Ok(StatementResult::Exec {
        rows_affected,
        last_insert_id: conn.conn.last_insert_rowid(),
    })
}

/// Binds the request's parameters; returns the highest position used by a positional binding.
fn bind(stmt: &mut rusqlite::Statement<'_>, params: &Params) -> Result<usize, CoreError> {
    let count = stmt.parameter_count();
    let mut highest = 0;
    for index in 1..=count {
        let name = stmt.parameter_name(index).map(str::to_string);
        let value = match params {
            Params::None => {
                return Err(CoreError::BadRequest(format!(
                    "the statement has {count} parameters but none were given"
                )));
            }
            Params::Positional(values) => {
                let position = name.as_deref().and_then(numbered_position).unwrap_or(index);
                highest = highest.max(position);
                values.get(position - 1).ok_or_else(|| {
                    CoreError::BadRequest(format!(
                        "parameter {} is missing: {} given",
                        name.clone().unwrap_or_else(|| format!("?{index}")),
                        values.len()
                    ))
                })?
            }
            Params::Named(pairs) => {
                let Some(name) = name else {
                    return Err(CoreError::BadRequest(
                        "the statement uses positional parameters (?): send params as an array"
                            .into(),
                    ));
                };
                let key = &name[1..];
                pairs
                    .iter()
                    .find(|(given, _)| given.trim_start_matches([':', '@', '$']) == key)
                    .map(|(_, value)| value)
                    .ok_or_else(|| CoreError::BadRequest(format!("parameter {name} is missing")))?
            }
        };
        stmt.raw_bind_parameter(index, Bind(value))?;
    }
    Ok(highest)
}

/// `?3`, `$3`, `:3` and `@3` name position 3.
fn numbered_position(name: &str) -> Option<usize> {
    let digits = name.get(1..)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n >= 1)
}

/// A value bound as a parameter, borrowed.
pub(crate) struct Bind<'a>(pub(crate) &'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

pub(crate) fn to_value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatabaseSpec;
    use crate::open::Opener;

    /// The origin of column `name` of the test table `t` (the first table: OID 16385).
    fn name_of_t() -> ha_types::ColumnOrigin {
        ha_types::ColumnOrigin {
            table: "t".into(),
            column: "name".into(),
            table_oid: 16385,
            position: 2,
            declared_type: "TEXT".into(),
            not_null: false,
            primary_key: false,
            auto_increment: false,
        }
    }

    fn conn() -> Conn {
        let spec = DatabaseSpec {
            id: "t.db".into(),
            storage: crate::Storage::Memory { load_from: None },
        };
        let conn = Opener::new(&spec).unwrap().open_writer().unwrap();
        conn.conn
            .execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
            .unwrap();
        conn
    }

    fn exec(conn: &Conn, sql: &str, params: Params) -> Result<StatementResult, RunError> {
        run(
            conn,
            &Statement::with_params(sql, params),
            Access::ReadWrite,
        )
    }

    #[test]
    fn named_parameters_with_any_prefix() {
        let c = conn();
        for (sql, key) in [
            ("INSERT INTO t(name) VALUES(:name)", "name"),
            ("INSERT INTO t(name) VALUES(@name)", "@name"),
            ("INSERT INTO t(name) VALUES($name)", "$name"),
        ] {
            let r = exec(
                &c,
                sql,
                Params::Named(vec![(key.into(), Value::Text("x".into()))]),
            );
            assert!(
                matches!(
                    r,
                    Ok(StatementResult::Exec {
                        rows_affected: 1,
                        ..
                    })
                ),
                "{sql}"
            );
        }
        assert!(matches!(
            exec(
                &c,
                "INSERT INTO t(name) VALUES(:nope)",
                Params::Named(vec![])
            ),
            Err(RunError::Failed(CoreError::BadRequest(_)))
        ));
    }

    #[test]
    fn positional_parameters() {
        let c = conn();
        let two = Params::Positional(vec![Value::Integer(7), Value::Text("a".into())]);
        assert!(exec(&c, "INSERT INTO t VALUES(?, ?)", two.clone()).is_ok());
        assert!(
            exec(
                &c,
                "INSERT INTO t VALUES($2 + 1, $1)",
                Params::Positional(vec![Value::Text("b".into()), Value::Integer(8)])
            )
            .is_ok()
        );
        let r = exec(
            &c,
            "SELECT name FROM t WHERE id = ?1 OR id = ?1",
            Params::Positional(vec![Value::Integer(9)]),
        )
        .unwrap();
        assert_eq!(
            r,
            StatementResult::Rows {
                columns: vec!["name".into()],
                rows: vec![vec![Value::Text("b".into())]],
                declared_types: vec![Some("TEXT".into())],
                origins: std::sync::Arc::new(vec![Some(name_of_t())]),
            }
        );
        assert!(exec(&c, "SELECT ?", Params::Positional(vec![])).is_err());
        assert!(exec(&c, "SELECT ?", two).is_err(), "too many parameters");
    }

    #[test]
    fn rows_come_from_any_statement_with_result_columns() {
        let c = conn();
        let r = exec(
            &c,
            "INSERT INTO t(name) VALUES('r') RETURNING id, name",
            Params::None,
        )
        .unwrap();
        assert_eq!(
            r,
            StatementResult::Rows {
                columns: vec!["id".into(), "name".into()],
                rows: vec![vec![Value::Integer(1), Value::Text("r".into())]],
                declared_types: vec![Some("INTEGER".into()), Some("TEXT".into())],
                origins: std::sync::Arc::new(vec![
                    Some(ha_types::ColumnOrigin {
                        column: "id".into(),
                        position: 1,
                        declared_type: "INTEGER".into(),
                        not_null: true,
                        primary_key: true,
                        auto_increment: true,
                        ..name_of_t()
                    }),
                    Some(name_of_t())
                ]),
            }
        );
        assert!(matches!(
            exec(&c, "PRAGMA table_info(t)", Params::None),
            Ok(StatementResult::Rows { .. })
        ));
        assert!(matches!(
            exec(&c, "VALUES (1), (2)", Params::None),
            Ok(StatementResult::Rows { .. })
        ));
        assert!(matches!(
            exec(&c, "EXPLAIN SELECT 1", Params::None),
            Ok(StatementResult::Rows { .. })
        ));
        assert_eq!(
            exec(&c, "CREATE TABLE u(x)", Params::None).unwrap(),
            StatementResult::Exec {
                rows_affected: 0,
                last_insert_id: 1
            }
        );
    }

    #[test]
    fn read_only_access_stops_before_a_write() {
        let c = conn();
        let r = run(
            &c,
            &Statement::new("SELECT 1; INSERT INTO t(name) VALUES('x')"),
            Access::ReadOnly,
        );
        assert!(matches!(r, Err(RunError::NeedsWriter)));
        let n: i64 = c
            .conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn transaction_control_and_attach_are_refused() {
        let c = conn();
        for sql in ["BEGIN", "COMMIT", "SAVEPOINT x", "ATTACH ':memory:' AS y"] {
            assert!(
                matches!(
                    exec(&c, sql, Params::None),
                    Err(RunError::Failed(CoreError::BadRequest(_)))
                ),
                "{sql}"
            );
        }
    }
}
