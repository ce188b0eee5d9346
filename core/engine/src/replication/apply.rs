//! Writing another node's change set (SPEC §6.5). Runs on the writer's connection inside the
//! writer's transaction, with capture, triggers and foreign-key actions off (their effects were
//! captured at the origin and arrive as rows of their own).

use ha_types::{Change, ChangeSet, RowChange, RowOperation, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, params_from_iter};
use tracing::debug;

use super::pending::{image_key, row_keys};
use super::schema::{push_quoted, quote};
use super::{PendingRows, RowIdentify};

/// Generated statements carry this prefix so they never share a cached statement with a
/// client's identical text (they are prepared with triggers off).
const TAG: &str = "/*ha-apply*/ ";

pub(crate) fn apply_change_set(
    conn: &Connection,
    set: &ChangeSet,
    pending: &PendingRows,
    identify: RowIdentify,
) -> rusqlite::Result<()> {
    for change in &set.changes {
        match change {
            Change::Sql { command } => apply_sql(conn, command)?,
            Change::Row(row) if pending.has_table(&row.table) => {
                apply_near_pending(conn, set, row, pending, identify)?;
            }
            Change::Row(row) => {
                debug!(origin = %set.node, table = %row.table, op = ?row.operation, "applying");
                apply_row(conn, row, identify)?;
            }
        }
    }
    Ok(())
}

/// A change to a table with pending local rows (SPEC §6.5). If it touches a pending row, or its
/// new image would displace one through a UNIQUE index, it is older in the log than that local
/// change and is skipped. The other rows its new image displaces still go, as they go on every
/// node that applies it (INSERT/UPDATE OR REPLACE), so the nodes stay identical.
fn apply_near_pending(
    conn: &Connection,
    set: &ChangeSet,
    row: &RowChange,
    pending: &PendingRows,
    identify: RowIdentify,
) -> rusqlite::Result<()> {
    let displaced = displaced_rows(conn, row)?;
    let is_pending = |key: &[Value]| pending.contains(&row.table, key);
    let touches_pending = pending.touches(row);
    let displaces_pending = displaced.iter().any(|key| is_pending(key))
        || takes_a_pending_unique_value(conn, row, pending)?;
    if !touches_pending && !displaces_pending {
        debug!(origin = %set.node, table = %row.table, op = ?row.operation, "applying");
        return apply_row(conn, row, identify);
    }
    debug!(origin = %set.node, table = %row.table, op = ?row.operation, old = ?row.old_values,
        new = ?row.new_values, "skipping a change older than a local one");
    for key in displaced.iter().filter(|key| !is_pending(key)) {
        delete_by_key(conn, row, key)?;
    }
    if !touches_pending {
        // Its new image takes a UNIQUE value that a pending row holds. Every other node
        // writes it, and then loses its row to the local change when that one arrives (it
        // replaces what holds its values): so the row it writes is gone there. Here too.
        for key in row_keys(row) {
            delete_by_key(conn, row, &key)?;
        }
    }
    Ok(())
}

/// Whether the change's new image holds UNIQUE values that a pending own change set writes to
/// another row: the other nodes write this change first and then that one, which displaces it.
/// (The local row may hold other values by now: what counts is every image the pending change
/// sets will write, at their places in the log.)
fn takes_a_pending_unique_value(
    conn: &Connection,
    row: &RowChange,
    pending: &PendingRows,
) -> rusqlite::Result<bool> {
    let Some(values) = &row.new_values else {
        return Ok(false);
    };
    if row.pk_columns.is_empty() {
        // Rows of a table without a declared key are told apart by rowid, which images lack.
        return Ok(false);
    }
    let at = |columns: &[String], image: &'_ [Value], names: &[String]| -> Option<Vec<Value>> {
        names
            .iter()
            .map(|name| {
                columns
                    .iter()
                    .position(|c| c == name)
                    .and_then(|i| image.get(i).cloned())
            })
            .collect()
    };
    let own_key = at(&row.columns, values, &row.pk_columns);
    for index in unique_indexes(conn, &row.table)? {
        let Some(taken) = at(&row.columns, values, &index) else {
            continue;
        };
        // NULLs never conflict in a UNIQUE index.
        if taken.contains(&Value::Null) {
            continue;
        }
        for (columns, image) in pending.images(&row.table) {
            if at(columns, image, &index).as_ref() == Some(&taken)
                && at(columns, image, &row.pk_columns) != own_key
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The columns that identify a row: the primary key, or the rowid.
fn key_columns(row: &RowChange) -> Vec<String> {
    if row.pk_columns.is_empty() {
        vec!["rowid".into()]
    } else {
        row.pk_columns.iter().map(|c| quote(c)).collect()
    }
}

fn delete_by_key(conn: &Connection, row: &RowChange, key: &[Value]) -> rusqlite::Result<()> {
    let condition: Vec<String> = key_columns(row)
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} IS ?{}", i + 1))
        .collect();
    let sql = format!(
        "{TAG}DELETE FROM {} WHERE {}",
        quote(&row.table),
        condition.join(" AND ")
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(key.iter().map(Arg::Value)))?;
    Ok(())
}

/// The keys of the rows, other than its own, that the new image would replace through a UNIQUE
/// index.
fn displaced_rows(conn: &Connection, row: &RowChange) -> rusqlite::Result<Vec<Vec<Value>>> {
    let Some(values) = &row.new_values else {
        return Ok(Vec::new());
    };
    let table = quote(&row.table);
    let key_columns = key_columns(row);
    let own_key = image_key(row, values, row.new_rowid);
    let mut displaced = Vec::new();
    for index in unique_indexes(conn, &row.table)? {
        let mut bound = Vec::with_capacity(index.len());
        for column in &index {
            match row
                .columns
                .iter()
                .position(|c| c == column)
                .and_then(|i| values.get(i))
            {
                // NULLs never conflict in a UNIQUE index.
                Some(Value::Null) | None => {
                    bound.clear();
                    break;
                }
                Some(value) => bound.push(Arg::Value(value)),
            }
        }
        if bound.is_empty() {
            continue;
        }
        let condition: Vec<String> = index
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{} = ?{}", quote(c), i + 1))
            .collect();
        let sql = format!(
            "{TAG}SELECT {} FROM {table} WHERE {}",
            key_columns.join(", "),
            condition.join(" AND ")
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut found = stmt.query(params_from_iter(bound))?;
        while let Some(existing) = found.next()? {
            let key: Vec<Value> = (0..key_columns.len())
                .map(|i| existing.get_ref(i).map(crate::exec::to_value))
                .collect::<rusqlite::Result<_>>()?;
            if key != own_key && !displaced.contains(&key) {
                displaced.push(key);
            }
        }
    }
    Ok(displaced)
}

/// The column lists of the table's UNIQUE indexes (primary key included).
fn unique_indexes(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Vec<String>>> {
    let mut names = conn.prepare_cached(&format!(
        "{TAG}SELECT name FROM pragma_index_list(?1) WHERE \"unique\" = 1"
    ))?;
    let names: Vec<String> = names
        .query_map([table], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut columns = conn.prepare_cached(&format!(
        "{TAG}SELECT name FROM pragma_index_info(?1) ORDER BY seqno"
    ))?;
    names
        .iter()
        .map(|index| columns.query_map([index], |r| r.get(0))?.collect())
        .collect()
}

fn apply_sql(conn: &Connection, command: &str) -> rusqlite::Result<()> {
    match conn.execute_batch(command) {
        Ok(()) => Ok(()),
        // The same column added (or dropped) on two nodes: the schema is as this change wants
        // it. Nothing else is forgiven: change sets arrive exactly once, so any other failure
        // is schema drift that must show, not vanish.
        Err(e) if is_same_column_change(command, &e) => Ok(()),
        Err(e) => Err(e),
    }
}

fn is_same_column_change(command: &str, e: &rusqlite::Error) -> bool {
    let words: Vec<String> = ha_types::sql_text::leading_tokens(command, 6)
        .iter()
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let text = e.to_string();
    let is =
        |verb: &str| words.first().is_some_and(|w| w == "ALTER") && words.iter().any(|w| w == verb);
    (is("ADD") && text.contains("duplicate column name"))
        || (is("DROP") && text.contains("no such column"))
}

fn apply_row(conn: &Connection, row: &RowChange, identify: RowIdentify) -> rusqlite::Result<()> {
    match row.operation {
        RowOperation::Insert => upsert(conn, row),
        RowOperation::Update => {
            let Some(new_values) = &row.new_values else {
                return Ok(());
            };
            let (condition, mut params) = locate(conn, row, identify)?;
            let assignments: Vec<String> = row
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{} = ?{}", quote(c), i + 1))
                .collect();
            let offset = row.columns.len();
            let condition = renumber(&condition, offset);
            let sql = format!(
                "{TAG}UPDATE OR REPLACE {} SET {} WHERE {condition}",
                quote(&row.table),
                assignments.join(", ")
            );
            let mut all: Vec<Arg<'_>> = new_values.iter().map(Arg::Value).collect();
            all.append(&mut params);
            let changed = conn.prepare_cached(&sql)?.execute(params_from_iter(all))?;
            if changed == 0 {
                // The row is not here (deleted by a change that lost, or never inserted): the
                // new image is the truth.
                upsert(conn, row)?;
            } else if row.pk_columns.is_empty()
                && let (Some(old), Some(new)) = (row.old_rowid, row.new_rowid)
                && old != new
            {
                let sql = format!(
                    "{TAG}UPDATE {} SET rowid = ?2 WHERE rowid = ?1",
                    quote(&row.table)
                );
                conn.prepare_cached(&sql)?.execute([old, new])?;
            }
            Ok(())
        }
        RowOperation::Delete => {
            let (condition, params) = locate(conn, row, identify)?;
            let sql = format!("{TAG}DELETE FROM {} WHERE {condition}", quote(&row.table));
            conn.prepare_cached(&sql)?
                .execute(params_from_iter(params))?;
            Ok(())
        }
    }
}

/// INSERT OR REPLACE of the new image; a table without a declared key keeps the origin's rowid.
fn upsert(conn: &Connection, row: &RowChange) -> rusqlite::Result<()> {
    let Some(values) = &row.new_values else {
        return Ok(());
    };
    let mut params: Vec<Arg<'_>> = Vec::with_capacity(values.len() + 1);
    let rowid = row.new_rowid.filter(|_| row.pk_columns.is_empty());
    if let Some(rowid) = rowid {
        params.push(Arg::Int(rowid));
    }
    params.extend(values.iter().map(Arg::Value));
    let sql = upsert_sql(&row.table, &row.columns, rowid.is_some());
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(params))?;
    Ok(())
}

/// `INSERT OR REPLACE INTO "t"([rowid, ]"a", "b") VALUES (?1, ?2[, ?3])`, written into one
/// buffer: an applier builds it for every row it inserts, only to find it in the statement
/// cache, and building it from a string per name and per placeholder was a tenth of its writer
/// thread's time.
fn upsert_sql(table: &str, columns: &[String], with_rowid: bool) -> String {
    use std::fmt::Write as _;
    let names: usize = columns.iter().map(|c| c.len() + 8).sum();
    let mut sql = String::with_capacity(TAG.len() + 48 + table.len() + names);
    sql.push_str(TAG);
    sql.push_str("INSERT OR REPLACE INTO ");
    push_quoted(&mut sql, table);
    sql.push('(');
    if with_rowid {
        sql.push_str("rowid");
    }
    for (i, column) in columns.iter().enumerate() {
        if i > 0 || with_rowid {
            sql.push_str(", ");
        }
        push_quoted(&mut sql, column);
    }
    sql.push_str(") VALUES (");
    for n in 1..=columns.len() + usize::from(with_rowid) {
        if n > 1 {
            sql.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = write!(sql, "?{n}");
    }
    sql.push(')');
    sql
}

/// The WHERE clause (numbered from ?1) and its parameters that find the old row.
fn locate<'r>(
    conn: &Connection,
    row: &'r RowChange,
    identify: RowIdentify,
) -> rusqlite::Result<(String, Vec<Arg<'r>>)> {
    let Some(old) = &row.old_values else {
        return Err(rusqlite::Error::InvalidParameterName(
            "change without old values".into(),
        ));
    };
    // A WITHOUT ROWID table is always found by its key; the others may use the rowid, but
    // only where it is the same on every node: a table without a declared key (inserts carry
    // the rowid) or one whose key is the rowid (INTEGER PRIMARY KEY). Elsewhere each node
    // numbers its rows itself, and the key finds the row.
    let rowid_table = row.pk_columns.is_empty() || has_rowid(conn, &row.table)?;
    let stable_rowid = row.pk_columns.is_empty() || key_is_rowid(conn, row)?;
    let by_rowid = rowid_table
        && stable_rowid
        && (identify == RowIdentify::Rowid
            || (row.pk_columns.is_empty() && identify == RowIdentify::PrimaryKey));
    if by_rowid && let Some(rowid) = row.old_rowid {
        return Ok(("rowid = ?1".into(), vec![Arg::Int(rowid)]));
    }
    if identify == RowIdentify::Full && rowid_table {
        // All old values find the row; among identical rows of a key-less table, the one with
        // the origin's rowid is preferred, so identical rows stay identical everywhere.
        let names = row.columns.iter().enumerate();
        let condition: Vec<String> = names
            .map(|(i, c)| format!("{} IS ?{}", quote(c), i + 1))
            .collect();
        let condition = condition.join(" AND ");
        let table = quote(&row.table);
        let rowid_param = row.columns.len() + 1;
        let sql = format!(
            "rowid = coalesce((SELECT rowid FROM {table} WHERE rowid = ?{rowid_param} AND {condition}), \
             (SELECT rowid FROM {table} WHERE {condition} LIMIT 1))"
        );
        let mut params: Vec<Arg<'r>> = old.iter().map(Arg::Value).collect();
        params.push(Arg::Int(row.old_rowid.unwrap_or(0)));
        return Ok((sql, params));
    }
    let (names, values): (Vec<&String>, Vec<&Value>) =
        if identify == RowIdentify::Full || row.pk_columns.is_empty() {
            row.columns.iter().zip(old.iter()).unzip()
        } else {
            row.pk_columns
                .iter()
                .filter_map(|pk| {
                    row.columns
                        .iter()
                        .position(|c| c == pk)
                        .map(|i| (pk, &old[i]))
                })
                .unzip()
        };
    let condition: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} IS ?{}", quote(c), i + 1))
        .collect();
    Ok((
        condition.join(" AND "),
        values.into_iter().map(Arg::Value).collect(),
    ))
}

/// Whether the table's primary key is its rowid (a single INTEGER PRIMARY KEY column): then
/// the key's value, which the change carries, is the rowid.
fn key_is_rowid(conn: &Connection, row: &RowChange) -> rusqlite::Result<bool> {
    let [key] = row.pk_columns.as_slice() else {
        return Ok(false);
    };
    let mut stmt = conn.prepare_cached(&format!(
        "{TAG}SELECT upper(type) FROM pragma_table_info(?1) WHERE name = ?2 AND pk = 1"
    ))?;
    let declared: Option<String> = stmt
        .query_row([row.table.as_str(), key.as_str()], |r| r.get(0))
        .ok();
    Ok(declared.as_deref() == Some("INTEGER"))
}

fn has_rowid(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare_cached(&format!(
        "{TAG}SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1"
    ))?;
    let without_rowid: Option<bool> = stmt.query_row([table], |r| r.get(0)).ok();
    Ok(!without_rowid.unwrap_or(false))
}

/// Shifts `?N` placeholders by `offset` (the WHERE clause follows the SET parameters).
fn renumber(condition: &str, offset: usize) -> String {
    let mut out = String::with_capacity(condition.len() + 8);
    let mut chars = condition.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            let n: usize = digits.parse().unwrap_or(0);
            out.push_str(&format!("?{}", n + offset));
        } else {
            out.push(c);
        }
    }
    out
}

/// A bound parameter of generated SQL.
enum Arg<'a> {
    Value(&'a Value),
    Int(i64),
}

impl ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Int(i) => ValueRef::Integer(*i),
            Arg::Value(Value::Null) => ValueRef::Null,
            Arg::Value(Value::Integer(i)) => ValueRef::Integer(*i),
            Arg::Value(Value::Real(f)) => ValueRef::Real(*f),
            Arg::Value(Value::Text(t)) => ValueRef::Text(t.as_bytes()),
            Arg::Value(Value::Blob(b)) => ValueRef::Blob(b),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upsert_names_every_column_quoted_and_numbers_its_placeholders() {
        let columns = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            upsert_sql("t", &columns(&["a", "b\"c"]), false),
            r#"/*ha-apply*/ INSERT OR REPLACE INTO "t"("a", "b""c") VALUES (?1, ?2)"#
        );
        assert_eq!(
            upsert_sql("my \"t\"", &columns(&["x"]), true),
            r#"/*ha-apply*/ INSERT OR REPLACE INTO "my ""t"""(rowid, "x") VALUES (?1, ?2)"#
        );
        assert_eq!(
            upsert_sql("t", &[], true),
            r#"/*ha-apply*/ INSERT OR REPLACE INTO "t"(rowid) VALUES (?1)"#
        );
        assert_eq!(quote(r#""a"b""#), r#""""a""b""""#);
        assert_eq!(quote(""), r#""""#);
    }
}
