//! The rule every node must follow (SPEC §6.5): for every row, the change that comes last in
//! the stream wins. This replays the stream's row changes of a few tables (those whose schema
//! never changes during a run) into a private SQLite database in the order nodes apply them
//! (`log::in_applied_order`: the stream's order, each origin's sets once and in commit order), each image with
//! `INSERT OR REPLACE` (which also removes rows it displaces through a UNIQUE index) and each
//! delete by key, and gives their rows: what a node must hold after settling. An acknowledged
//! write missing from a node without a later write in the stream replacing it shows here.

use rusqlite::types::Value as Sql;
use serde_json::{Value, json};

use super::dump::Dump;
use super::log::LogicalSet;

/// Tables whose rows are checked against the replay.
pub const TABLES: &[&str] = &["kv", "wr", "gen"];

fn to_sql(value: &Value) -> Sql {
    match value {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(Sql::Integer)
            .unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

fn to_json(value: Sql) -> Value {
    match value {
        Sql::Null => Value::Null,
        Sql::Integer(i) => json!(i),
        Sql::Real(r) => json!(r),
        Sql::Text(t) => json!(t),
        Sql::Blob(b) => json!({ "blob_len": b.len() }),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The replayed rows of each of [`TABLES`] (ordered by all columns, as a dump without rowid),
/// and the problems met while replaying (changes the model cannot apply).
pub fn replay(schema: &Dump, sets: &[LogicalSet]) -> (Vec<(String, Vec<Value>)>, Vec<String>) {
    let mut problems = Vec::new();
    let conn = rusqlite::Connection::open_in_memory().expect("an in-memory SQLite database");
    for object in &schema.schema {
        if object[0] == "table" && TABLES.contains(&object[1].as_str().unwrap_or_default()) {
            conn.execute_batch(object[3].as_str().unwrap_or_default())
                .expect("the table's CREATE statement from the dump");
        }
    }
    let real_columns = |table: &str| -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_table_xinfo(?1) WHERE hidden = 0")
            .expect("table_xinfo");
        stmt.query_map([table], |r| r.get(0))
            .expect("columns")
            .collect::<Result<_, _>>()
            .expect("columns")
    };
    let tables: Vec<(String, Vec<String>)> = TABLES
        .iter()
        .map(|t| (t.to_string(), real_columns(t)))
        .collect();
    for set in sets {
        for change in &set.changes {
            let Some(table) = change["table"].as_str() else {
                continue;
            };
            let Some((_, real)) = tables.iter().find(|(t, _)| t == table) else {
                continue;
            };
            if let Err(e) = apply(&conn, table, real, change) {
                problems.push(format!(
                    "replay of seq {} on {table}: {e}: {change}",
                    set.seq
                ));
            }
        }
    }
    let mut out = Vec::new();
    for (table, _) in &tables {
        let width: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_xinfo(?1)",
                [table],
                |r| r.get(0),
            )
            .expect("width");
        let width = width as usize;
        let order: Vec<String> = (1..=width).map(|i| i.to_string()).collect();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT * FROM {} ORDER BY {}",
                quote(table),
                order.join(", ")
            ))
            .expect("select");
        let rows = stmt
            .query_map([], |row| {
                (0..width)
                    .map(|i| row.get::<_, Sql>(i).map(to_json))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::from)
            })
            .expect("rows")
            .collect::<Result<Vec<_>, _>>()
            .expect("rows");
        out.push((table.clone(), rows));
    }
    (out, problems)
}

fn apply(
    conn: &rusqlite::Connection,
    table: &str,
    real: &[String],
    change: &Value,
) -> rusqlite::Result<()> {
    let columns: Vec<&str> = change["columns"]
        .as_array()
        .map(|c| c.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let pk: Vec<&str> = change["pk_columns"]
        .as_array()
        .map(|c| c.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let image = |name: &str| -> Option<Vec<(&str, Sql)>> {
        let values = change[name].as_array()?;
        Some(
            columns
                .iter()
                .zip(values)
                .map(|(c, v)| (*c, to_sql(v)))
                .collect(),
        )
    };
    let key_of = |image: &[(&str, Sql)]| -> Vec<(String, Sql)> {
        image
            .iter()
            .filter(|(c, _)| pk.contains(c))
            .map(|(c, v)| (c.to_string(), v.clone()))
            .collect()
    };
    let delete = |key: &[(String, Sql)]| -> rusqlite::Result<()> {
        if key.is_empty() {
            return Ok(());
        }
        let wheres: Vec<String> = key
            .iter()
            .map(|(c, _)| format!("{} IS ?", quote(c)))
            .collect();
        let params: Vec<&Sql> = key.iter().map(|(_, v)| v).collect();
        conn.execute(
            &format!(
                "DELETE FROM {} WHERE {}",
                quote(table),
                wheres.join(" AND ")
            ),
            rusqlite::params_from_iter(params),
        )?;
        Ok(())
    };
    let operation = change["operation"].as_str().unwrap_or_default();
    let old = image("old_values");
    let new = image("new_values");
    let key_moved = old.as_ref().map(|o| key_of(o)) != new.as_ref().map(|n| key_of(n));
    if (operation == "DELETE" || (operation == "UPDATE" && key_moved))
        && let Some(old) = &old
    {
        delete(&key_of(old))?;
    }
    if operation == "INSERT" || operation == "UPDATE" {
        let Some(new) = new else { return Ok(()) };
        let kept: Vec<&(&str, Sql)> = new
            .iter()
            .filter(|(c, _)| real.iter().any(|r| r == c))
            .collect();
        let names: Vec<String> = kept.iter().map(|(c, _)| quote(c)).collect();
        let marks: Vec<&str> = kept.iter().map(|_| "?").collect();
        conn.execute(
            &format!(
                "INSERT OR REPLACE INTO {}({}) VALUES ({})",
                quote(table),
                names.join(", "),
                marks.join(", ")
            ),
            rusqlite::params_from_iter(kept.iter().map(|(_, v)| v)),
        )?;
    }
    Ok(())
}
