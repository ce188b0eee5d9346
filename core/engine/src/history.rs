//! History and undo (SPEC §10), read from the replicated log: `HISTORY` lists a database's
//! change sets as SQL; `UNDO`, `UNDOE` and `UNDOT` write the inverse of chosen changes, newest
//! first, as one ordinary transaction (so an undo replicates, and can itself be undone).
//!
//! Schema changes are not undone (the answer counts them): their inverse is not knowable from
//! the log (a dropped table's rows, a column's old definition).

use std::collections::{BTreeMap, HashSet};

use ha_types::{
    Change, ChangeSet, Params, RowChange, RowOperation, Since, Statement, StatementResult,
    UndoScope, Value,
};

use crate::replication::{LogEntry, join_change_sets};
use crate::{CoreError, Database, Executed};

/// One transaction of the log, its parts put back together: the sequence of its last part.
struct Transaction {
    seq: u64,
    set: ChangeSet,
}

/// `HISTORY since` on `database`: one row per transaction, `seq`, `sql`, `timestamp`.
pub(crate) async fn history(
    database: &Database,
    since: Since,
) -> Result<StatementResult, CoreError> {
    let transactions = transactions(database, since).await?;
    let rows = transactions
        .iter()
        .map(|t| {
            let sql: Vec<String> = t.set.changes.iter().map(render).collect();
            vec![
                Value::Integer(t.seq as i64),
                Value::Text(sql.join(";\n")),
                Value::Text(timestamp(t.set.timestamp_ns)),
            ]
        })
        .collect();
    Ok(StatementResult::Rows {
        columns: vec!["seq".into(), "sql".into(), "timestamp".into()],
        rows,
        declared_types: vec![
            Some("INTEGER".into()),
            Some("TEXT".into()),
            Some("TEXT".into()),
        ],
        origins: Default::default(),
    })
}

/// `UNDO`/`UNDOE`/`UNDOT since` on `database`: writes the inverse of the chosen row changes,
/// newest first, in one transaction. Answers how many transactions and rows were reverted and
/// how many schema changes were left alone.
pub(crate) async fn undo(
    database: &Database,
    scope: UndoScope,
    since: Since,
) -> Result<Executed, CoreError> {
    let transactions = transactions(database, since).await?;
    let chosen = choose(scope, since, &transactions)?;
    let mut statements = Vec::new();
    let (mut reverted, mut rows, mut schema) = (0i64, 0i64, 0i64);
    for (_, changes) in chosen.iter().rev() {
        let before = statements.len();
        for change in changes.iter().rev() {
            match change {
                Change::Row(row) => {
                    statements.push(inverse(row)?);
                    rows += 1;
                }
                Change::Sql { .. } => schema += 1,
            }
        }
        if statements.len() > before {
            reverted += 1;
        }
    }
    let mut executed = if statements.is_empty() {
        Executed {
            results: Vec::new(),
            seq: None,
        }
    } else {
        database.execute(statements).await?
    };
    executed.results = vec![StatementResult::Rows {
        columns: vec![
            "transactions_undone".into(),
            "rows_undone".into(),
            "schema_changes_not_undone".into(),
        ],
        rows: vec![vec![
            Value::Integer(reverted),
            Value::Integer(rows),
            Value::Integer(schema),
        ]],
        declared_types: vec![Some("INTEGER".into()); 3],
        origins: Default::default(),
    }];
    Ok(executed)
}

/// The transactions of `database` in the log from `since` on, in log order.
async fn transactions(database: &Database, since: Since) -> Result<Vec<Transaction>, CoreError> {
    let log = database.replication_log().ok_or_else(|| CoreError::Sql {
        code: ha_types::ErrorCode::NotSupported,
        message: "history and undo read the replicated log: this node does not replicate".into(),
    })?;
    let entries = log.history(database.id(), since).await?;
    assemble(entries)
}

/// The parts of one split transaction gathered so far, by its origin and id: each part's
/// place, log sequence and contents.
type Parts = BTreeMap<(String, u64), Vec<(u32, u64, ChangeSet)>>;

/// Puts each transaction's parts back together (large change sets are split into messages).
fn assemble(entries: Vec<LogEntry>) -> Result<Vec<Transaction>, CoreError> {
    let mut whole = Vec::new();
    let mut parts: Parts = BTreeMap::new();
    let mut sets = Vec::with_capacity(entries.len());
    for entry in entries {
        let read = entry.change_sets.map_err(|e| {
            CoreError::Unavailable(format!("log entry {} cannot be read: {e}", entry.seq))
        })?;
        // The change sets published together in one message share its sequence.
        sets.extend(read.into_iter().map(|set| (entry.seq, set)));
    }
    for (seq, set) in sets {
        let Some(chunk) = set.chunk else {
            whole.push(Transaction { seq, set });
            continue;
        };
        let key = (set.origin.clone().unwrap_or_default(), set.id.unwrap_or(0));
        let gathered = parts.entry(key.clone()).or_default();
        gathered.push((chunk.index, seq, set));
        if gathered.len() == chunk.count as usize
            && let Some(mut gathered) = parts.remove(&key)
        {
            gathered.sort_by_key(|(index, _, _)| *index);
            let seq = gathered.iter().map(|(_, seq, _)| *seq).max().unwrap_or(0);
            if let Some(set) = join_change_sets(gathered.into_iter().map(|(_, _, set)| set)) {
                whole.push(Transaction { seq, set });
            }
        }
    }
    // Parts whose rest is before `since` (or not stored yet) are not a whole transaction.
    whole.sort_by_key(|t| t.seq);
    Ok(whole)
}

/// Which changes of which transactions an undo reverts.
fn choose<'a>(
    scope: UndoScope,
    since: Since,
    transactions: &'a [Transaction],
) -> Result<Vec<(&'a Transaction, Vec<&'a Change>)>, CoreError> {
    let all = |t: &'a Transaction| (t, t.set.changes.iter().collect::<Vec<_>>());
    if scope == UndoScope::Everything {
        return Ok(transactions.iter().map(all).collect());
    }
    // UNDOE and UNDOT start from one transaction: the one at that sequence, or the first of
    // the span of time.
    let first = match since {
        Since::Seq(seq) => transactions.iter().find(|t| t.seq == seq).ok_or_else(|| {
            CoreError::BadRequest(format!(
                "no transaction of this database at log sequence {seq} (see HISTORY)"
            ))
        })?,
        Since::Ago(_) => match transactions.first() {
            Some(first) => first,
            None => return Ok(Vec::new()),
        },
    };
    let entities: HashSet<Entity> = rows_of(&first.set).collect();
    Ok(match scope {
        UndoScope::Entities => transactions
            .iter()
            .map(|t| {
                let changes = t
                    .set
                    .changes
                    .iter()
                    .filter(|c| match c {
                        Change::Row(row) => entity(row).iter().any(|e| entities.contains(e)),
                        Change::Sql { .. } => false,
                    })
                    .collect();
                (t, changes)
            })
            .filter(|(_, changes): &(_, Vec<_>)| !changes.is_empty())
            .collect(),
        _ => transactions
            .iter()
            .filter(|t| rows_of(&t.set).any(|e| entities.contains(&e)))
            .map(all)
            .collect(),
    })
}

/// A row of a table, as a change names it: its key values (or rowid) before and after.
type Entity = (String, String);

fn rows_of(set: &ChangeSet) -> impl Iterator<Item = Entity> + '_ {
    set.changes.iter().flat_map(|c| match c {
        Change::Row(row) => entity(row),
        Change::Sql { .. } => Vec::new(),
    })
}

/// The identities of the row a change touched (old and new: an update may move its key).
fn entity(row: &RowChange) -> Vec<Entity> {
    let mut found = Vec::new();
    for (values, rowid) in [
        (&row.old_values, row.old_rowid),
        (&row.new_values, row.new_rowid),
    ] {
        if let Some(values) = values {
            found.push((row.table.clone(), key_text(row, values, rowid)));
        }
    }
    found
}

fn key_text(row: &RowChange, values: &[Value], rowid: Option<i64>) -> String {
    if row.pk_columns.is_empty() {
        return format!("rowid={}", rowid.unwrap_or_default());
    }
    row.pk_columns
        .iter()
        .map(|k| {
            let at = row.columns.iter().position(|c| c == k);
            literal(at.and_then(|i| values.get(i)).unwrap_or(&Value::Null))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The statement that reverts `row`.
fn inverse(row: &RowChange) -> Result<Statement, CoreError> {
    let table = quote(&row.table);
    let missing = || {
        CoreError::Unavailable(format!(
            "a change to {} in the log lacks its row image",
            row.table
        ))
    };
    Ok(match row.operation {
        RowOperation::Insert => {
            let new = row.new_values.as_ref().ok_or_else(missing)?;
            let (condition, params) = locate(row, new, row.new_rowid);
            statement(format!("DELETE FROM {table} WHERE {condition}"), params)
        }
        RowOperation::Delete => {
            let old = row.old_values.as_ref().ok_or_else(missing)?;
            let mut columns: Vec<String> = row.columns.iter().map(|c| quote(c)).collect();
            let mut params = old.clone();
            if row.pk_columns.is_empty()
                && let Some(rowid) = row.old_rowid
            {
                columns.push("rowid".into());
                params.push(Value::Integer(rowid));
            }
            let marks = vec!["?"; columns.len()].join(", ");
            statement(
                format!(
                    "INSERT INTO {table} ({}) VALUES ({marks})",
                    columns.join(", ")
                ),
                params,
            )
        }
        RowOperation::Update => {
            let old = row.old_values.as_ref().ok_or_else(missing)?;
            let new = row.new_values.as_ref().ok_or_else(missing)?;
            let mut sets: Vec<String> = row
                .columns
                .iter()
                .map(|c| format!("{} = ?", quote(c)))
                .collect();
            let mut params = old.clone();
            if row.pk_columns.is_empty()
                && let (Some(before), Some(after)) = (row.old_rowid, row.new_rowid)
                && before != after
            {
                sets.push("rowid = ?".into());
                params.push(Value::Integer(before));
            }
            let (condition, located) = locate(row, new, row.new_rowid);
            params.extend(located);
            statement(
                format!("UPDATE {table} SET {} WHERE {condition}", sets.join(", ")),
                params,
            )
        }
    })
}

/// `WHERE` finding the row whose image is `values`: by its key, else its rowid.
fn locate(row: &RowChange, values: &[Value], rowid: Option<i64>) -> (String, Vec<Value>) {
    if row.pk_columns.is_empty() {
        return (
            "rowid = ?".into(),
            vec![Value::Integer(rowid.unwrap_or_default())],
        );
    }
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    for key in &row.pk_columns {
        let value = row
            .columns
            .iter()
            .position(|c| c == key)
            .and_then(|i| values.get(i))
            .cloned()
            .unwrap_or(Value::Null);
        conditions.push(format!("{} IS ?", quote(key)));
        params.push(value);
    }
    (conditions.join(" AND "), params)
}

fn statement(sql: String, params: Vec<Value>) -> Statement {
    Statement {
        sql,
        params: Params::Positional(params),
    }
}

/// A change as SQL text, for people to read (values inline).
fn render(change: &Change) -> String {
    let Change::Row(row) = change else {
        let Change::Sql { command } = change else {
            return String::new();
        };
        return command.clone();
    };
    let table = quote(&row.table);
    let values = |v: &Option<Vec<Value>>| v.clone().unwrap_or_default();
    let place = |values: &[Value], rowid: Option<i64>| {
        let (condition, params) = locate(row, values, rowid);
        let mut text = condition;
        for param in params {
            text = text.replacen('?', &literal(&param), 1);
        }
        text
    };
    match row.operation {
        RowOperation::Insert => {
            let new = values(&row.new_values);
            format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                row.columns
                    .iter()
                    .map(|c| quote(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                new.iter().map(literal).collect::<Vec<_>>().join(", ")
            )
        }
        RowOperation::Update => {
            let (old, new) = (values(&row.old_values), values(&row.new_values));
            let sets: Vec<String> = row
                .columns
                .iter()
                .zip(&new)
                .zip(old.iter().map(Some).chain(std::iter::repeat(None)))
                .filter(|((_, n), o)| o.is_none_or(|o| o != *n))
                .map(|((c, n), _)| format!("{} = {}", quote(c), literal(n)))
                .collect();
            format!(
                "UPDATE {table} SET {} WHERE {}",
                sets.join(", "),
                place(&old, row.old_rowid)
            )
        }
        RowOperation::Delete => {
            let old = values(&row.old_values);
            format!("DELETE FROM {table} WHERE {}", place(&old, row.old_rowid))
        }
    }
}

/// A value as an SQL literal.
fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) if f.is_finite() => format!("{f:?}"),
        Value::Real(f) if f.is_nan() => "NULL".into(),
        Value::Real(f) => (if *f > 0.0 { "9e999" } else { "-9e999" }).into(),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => {
            let hex: String = b.iter().map(|byte| format!("{byte:02X}")).collect();
            format!("X'{hex}'")
        }
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A commit time (nanoseconds since the epoch) in RFC 3339, UTC.
fn timestamp(ns: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
