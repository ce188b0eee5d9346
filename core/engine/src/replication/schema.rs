//! Column names and primary keys of tables, as change sets need them. Cached per table and
//! dropped whenever the schema changes.

use std::collections::HashMap;
use std::sync::Arc;

use ha_types::{RowChange, Value};
use rusqlite::Connection;

use crate::capture::RawRow;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableShape {
    /// The stored, non-generated columns: what a change carries and an applier writes.
    pub columns: Vec<String>,
    /// Positions of `columns` among all the columns the preupdate hook reports (generated
    /// columns are computed on every node from the others, and cannot be written).
    pub stored_positions: Vec<usize>,
    /// Primary-key columns in key order; empty for a rowid table without a declared key.
    pub pk_columns: Vec<String>,
    /// Positions of `pk_columns` in `columns`.
    pub pk_positions: Vec<usize>,
}

impl TableShape {
    /// A captured row with this shape's columns and key.
    pub(crate) fn describe(&self, raw: RawRow) -> RowChange {
        let keep = |values: Option<Vec<Value>>| {
            values.map(|all| {
                if all.len() == self.stored_positions.len() {
                    return all;
                }
                self.stored_positions
                    .iter()
                    .map(|&i| all.get(i).cloned().unwrap_or(Value::Null))
                    .collect()
            })
        };
        RowChange {
            database: "main".into(),
            table: raw.table,
            columns: self.columns.clone(),
            pk_columns: self.pk_columns.clone(),
            operation: raw.operation,
            old_rowid: raw.old_rowid,
            new_rowid: raw.new_rowid,
            old_values: keep(raw.old_values),
            new_values: keep(raw.new_values),
        }
    }
}

#[derive(Default)]
pub(crate) struct SchemaCache {
    tables: HashMap<String, Arc<TableShape>>,
}

impl SchemaCache {
    pub(crate) fn invalidate(&mut self) {
        self.tables.clear();
    }

    pub(crate) fn shape(
        &mut self,
        conn: &Connection,
        table: &str,
    ) -> rusqlite::Result<Arc<TableShape>> {
        if let Some(shape) = self.tables.get(table) {
            return Ok(Arc::clone(shape));
        }
        let shape = Arc::new(read_shape(conn, table)?);
        self.tables.insert(table.to_string(), Arc::clone(&shape));
        Ok(shape)
    }
}

fn read_shape(conn: &Connection, table: &str) -> rusqlite::Result<TableShape> {
    // table_xinfo lists generated columns too (hidden 2: virtual, 3: stored), which the
    // preupdate hook also reports.
    let mut stmt =
        conn.prepare("SELECT name, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid")?;
    let rows = stmt.query_map([table], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut columns = Vec::new();
    let mut stored_positions = Vec::new();
    let mut keyed = Vec::new();
    for (position, row) in rows.enumerate() {
        let (name, pk, hidden) = row?;
        if matches!(hidden, 2 | 3) {
            continue;
        }
        if pk > 0 {
            keyed.push((pk, columns.len(), name.clone()));
        }
        columns.push(name);
        stored_positions.push(position);
    }
    keyed.sort();
    Ok(TableShape {
        columns,
        stored_positions,
        pk_columns: keyed.iter().map(|(_, _, name)| name.clone()).collect(),
        pk_positions: keyed.iter().map(|(_, position, _)| *position).collect(),
    })
}

/// `"name"` with embedded quotes doubled: every identifier in generated SQL is quoted.
pub(crate) fn quote(identifier: &str) -> String {
    let mut quoted = String::with_capacity(identifier.len() + 2);
    push_quoted(&mut quoted, identifier);
    quoted
}

/// [`quote`] onto the end of `sql`.
pub(crate) fn push_quoted(sql: &mut String, identifier: &str) {
    sql.push('"');
    for (i, part) in identifier.split('"').enumerate() {
        if i > 0 {
            sql.push_str("\"\"");
        }
        sql.push_str(part);
    }
    sql.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_keys() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE a(x, y, z, PRIMARY KEY (z, x)) WITHOUT ROWID; CREATE TABLE b(v);",
        )
        .unwrap();
        let mut cache = SchemaCache::default();
        let a = cache.shape(&conn, "a").unwrap();
        assert_eq!(a.columns, ["x", "y", "z"]);
        assert_eq!(a.pk_columns, ["z", "x"]);
        assert_eq!(a.pk_positions, [2, 0]);
        assert!(cache.shape(&conn, "b").unwrap().pk_columns.is_empty());
        assert_eq!(quote("we\"ird"), "\"we\"\"ird\"");
    }
}
