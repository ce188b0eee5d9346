//! A full dump of a node's default database over HTTP (or of an in-process replica's, through
//! `ha-client`, in the same JSON shapes): the schema (without `_ha_*` and `sqlite_*` objects)
//! and every user table's rows, ordered by all their columns (rowid first for rowid tables),
//! and a readable difference between two dumps.

use std::collections::BTreeMap;

use anyhow::bail;
use ha_test_harness::TestNode;
use serde_json::{Value, json};

/// `_` is a LIKE wildcard, so the prefixes are escaped.
const SCHEMA: &str = "SELECT type, name, tbl_name, sql FROM sqlite_master \
     WHERE name NOT LIKE '\\_ha\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY name";

/// One table's columns (as `SELECT` names them) and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Value>,
    pub rows: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dump {
    /// `[type, name, tbl_name, sql]` per object.
    pub schema: Vec<Value>,
    pub tables: BTreeMap<String, Table>,
}

/// What a dump reads.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    Node(&'a TestNode),
    Replica(&'a ha_client::Client),
}

async fn query(source: Source<'_>, sql: &str) -> anyhow::Result<Value> {
    match source {
        Source::Node(node) => {
            let (status, answer) = node.post("/query", &json!({ "sql": sql })).await?;
            if status != 200 {
                bail!("{sql}: status {status}: {answer}");
            }
            Ok(answer)
        }
        Source::Replica(client) => {
            let executed = client
                .execute(vec![ha_client::Statement::new(sql)])
                .await
                .map_err(|e| anyhow::anyhow!("{sql}: {e}"))?;
            match executed.results.into_iter().next() {
                Some(ha_client::StatementResult::Rows { columns, rows, .. }) => Ok(json!({
                    "columns": columns,
                    "rows": rows
                        .into_iter()
                        .map(|row| row.into_iter().map(as_http_json).collect::<Vec<_>>())
                        .collect::<Vec<_>>(),
                })),
                other => bail!("{sql}: no rows: {other:?}"),
            }
        }
    }
}

/// A value as the HTTP API writes it (BLOBs as base64 text).
fn as_http_json(value: ha_client::Value) -> Value {
    use base64::Engine;
    match value {
        ha_client::Value::Null => Value::Null,
        ha_client::Value::Integer(i) => json!(i),
        ha_client::Value::Real(r) => json!(r),
        ha_client::Value::Text(t) => json!(t),
        ha_client::Value::Blob(b) => json!(base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Dump {
    pub async fn of(node: &TestNode) -> anyhow::Result<Dump> {
        Dump::of_source(Source::Node(node)).await
    }

    pub async fn of_source(node: Source<'_>) -> anyhow::Result<Dump> {
        let schema = query(node, SCHEMA).await?["rows"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut tables = BTreeMap::new();
        for object in &schema {
            if object[0] != "table" {
                continue;
            }
            let name = object[1].as_str().unwrap_or_default();
            let sql = object[3].as_str().unwrap_or_default().to_uppercase();
            // The rowid is a row's identity only when the table declares no other key (none,
            // or an INTEGER PRIMARY KEY, which is the rowid). Under a TEXT or composite key
            // each node numbers its rows itself (inserted concurrently on several nodes, they
            // could not share numbers), so it is not compared there.
            let key = query(
                node,
                &format!(
                    "SELECT count(*), max(upper(type) = 'INTEGER') FROM pragma_table_info({}) WHERE pk > 0",
                    quote_literal(name)
                ),
            )
            .await?["rows"][0]
                .clone();
            let rowid_identity = key[0] == 0 || (key[0] == 1 && key[1] == 1);
            let rowid = if sql.contains("WITHOUT ROWID")
                || sql.starts_with("CREATE VIRTUAL")
                || !rowid_identity
            {
                ""
            } else {
                "_rowid_ AS \"(rowid)\", "
            };
            let width = query(
                node,
                &format!(
                    "SELECT count(*) FROM pragma_table_xinfo({})",
                    quote_literal(name)
                ),
            )
            .await?["rows"][0][0]
                .as_u64()
                .unwrap_or(0)
                + u64::from(!rowid.is_empty());
            let order: Vec<String> = (1..=width).map(|i| i.to_string()).collect();
            let answer = query(
                node,
                &format!(
                    "SELECT {rowid}* FROM {} ORDER BY {}",
                    quote(name),
                    order.join(", ")
                ),
            )
            .await?;
            tables.insert(
                name.to_string(),
                Table {
                    columns: answer["columns"].as_array().cloned().unwrap_or_default(),
                    rows: answer["rows"].as_array().cloned().unwrap_or_default(),
                },
            );
        }
        Ok(Dump { schema, tables })
    }

    /// The values of one column of a table, row by row.
    pub fn column(&self, table: &str, column: &str) -> Vec<&Value> {
        let Some(t) = self.tables.get(table) else {
            return Vec::new();
        };
        let Some(at) = t.columns.iter().position(|c| c == column) else {
            return Vec::new();
        };
        t.rows.iter().map(|r| &r[at]).collect()
    }

    /// `(a, b)` per row of a table, for two of its columns.
    pub fn pairs(&self, table: &str, a: &str, b: &str) -> Vec<(&Value, &Value)> {
        self.column(table, a)
            .into_iter()
            .zip(self.column(table, b))
            .collect()
    }
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// At most this many lines per difference, so a failure stays readable.
const SHOWN: usize = 15;

/// What differs between `a` (named `a_name`) and `b`; empty when they are equal.
pub fn diff(a_name: &str, a: &Dump, b_name: &str, b: &Dump) -> Vec<String> {
    let mut lines = Vec::new();
    list_difference(&mut lines, "schema", a_name, &a.schema, b_name, &b.schema);
    let names: std::collections::BTreeSet<&String> =
        a.tables.keys().chain(b.tables.keys()).collect();
    for name in names {
        match (a.tables.get(name), b.tables.get(name)) {
            (Some(ta), Some(tb)) => {
                if ta.columns != tb.columns {
                    lines.push(format!(
                        "table {name}: columns {a_name} {} vs {b_name} {}",
                        Value::from(ta.columns.clone()),
                        Value::from(tb.columns.clone())
                    ));
                }
                let label = format!("table {name} {}", Value::from(ta.columns.clone()));
                list_difference(&mut lines, &label, a_name, &ta.rows, b_name, &tb.rows);
            }
            (Some(_), None) => lines.push(format!("table {name}: only on {a_name}")),
            (None, Some(_)) => lines.push(format!("table {name}: only on {b_name}")),
            (None, None) => {}
        }
    }
    lines
}

/// Rows in one list and not the other (as multisets), a few of each.
fn list_difference(
    lines: &mut Vec<String>,
    label: &str,
    a_name: &str,
    a: &[Value],
    b_name: &str,
    b: &[Value],
) {
    if a == b {
        return;
    }
    let count = |rows: &[Value]| {
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        for row in rows {
            *counts.entry(row.to_string()).or_default() += 1;
        }
        counts
    };
    let (ca, cb) = (count(a), count(b));
    let only = |x: &BTreeMap<String, i64>, y: &BTreeMap<String, i64>| -> Vec<String> {
        x.iter()
            .filter(|(row, n)| y.get(*row).copied().unwrap_or(0) < **n)
            .map(|(row, _)| row.clone())
            .collect()
    };
    let (only_a, only_b) = (only(&ca, &cb), only(&cb, &ca));
    lines.push(format!(
        "{label}: {} rows on {a_name}, {} on {b_name}; {} only on {a_name}, {} only on {b_name}",
        a.len(),
        b.len(),
        only_a.len(),
        only_b.len()
    ));
    for (name, rows) in [(a_name, &only_a), (b_name, &only_b)] {
        for row in rows.iter().take(SHOWN) {
            lines.push(format!("  only on {name}: {row}"));
        }
        if rows.len() > SHOWN {
            lines.push(format!(
                "  ... and {} more only on {name}",
                rows.len() - SHOWN
            ));
        }
    }
    if only_a.is_empty() && only_b.is_empty() {
        lines.push("  same rows in a different order".into());
    }
}
