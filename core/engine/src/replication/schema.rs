//! Column names and primary keys of tables, as change sets need them. Cached per table and
//! dropped whenever the schema changes.

use std::collections::HashMap;

use rusqlite::Connection;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableShape {
    pub columns: Vec<String>,
    /// Primary-key columns in key order; empty for a rowid table without a declared key.
    pub pk_columns: Vec<String>,
    /// Positions of `pk_columns` in `columns`.
    pub pk_positions: Vec<usize>,
}

#[derive(Default)]
pub(crate) struct SchemaCache {
    tables: HashMap<String, TableShape>,
}

impl SchemaCache {
    pub(crate) fn invalidate(&mut self) {
        self.tables.clear();
    }

    pub(crate) fn shape(&mut self, conn: &Connection, table: &str) -> rusqlite::Result<TableShape> {
        if let Some(shape) = self.tables.get(table) {
            return Ok(shape.clone());
        }
        let shape = read_shape(conn, table)?;
        self.tables.insert(table.to_string(), shape.clone());
        Ok(shape)
    }
}

fn read_shape(conn: &Connection, table: &str) -> rusqlite::Result<TableShape> {
    // table_xinfo lists generated columns too, which the preupdate hook also reports.
    let mut stmt = conn.prepare("SELECT name, pk FROM pragma_table_xinfo(?1) ORDER BY cid")?;
    let rows = stmt.query_map([table], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut columns = Vec::new();
    let mut keyed = Vec::new();
    for (position, row) in rows.enumerate() {
        let (name, pk) = row?;
        if pk > 0 {
            keyed.push((pk, position, name.clone()));
        }
        columns.push(name);
    }
    keyed.sort();
    Ok(TableShape {
        columns,
        pk_columns: keyed.iter().map(|(_, _, name)| name.clone()).collect(),
        pk_positions: keyed.iter().map(|(_, position, _)| *position).collect(),
    })
}

/// `"name"` with embedded quotes doubled: every identifier in generated SQL is quoted.
pub(crate) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
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
