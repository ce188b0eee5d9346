//! The catalog's SQL ([`ha_types::CatalogQuery`]) checked against this build's SQLite: the
//! text lives in ha-types, which has no SQLite to run it.

#[cfg(test)]
mod tests {
    use ha_types::{CatalogQuery, Params, Value};
    use rusqlite::Connection;

    fn run(conn: &Connection, query: CatalogQuery, table: Option<&str>) -> Vec<Vec<String>> {
        let statement = query.statement(table);
        let mut prepared = conn.prepare(&statement.sql).unwrap();
        let Params::Positional(params) = statement.params else {
            panic!("positional parameters")
        };
        let params: Vec<rusqlite::types::Value> = params
            .into_iter()
            .map(|v| match v {
                Value::Text(t) => rusqlite::types::Value::Text(t),
                _ => rusqlite::types::Value::Null,
            })
            .collect();
        let columns = prepared.column_count();
        prepared
            .query_map(rusqlite::params_from_iter(params), |row| {
                (0..columns)
                    .map(|i| {
                        let value: rusqlite::types::Value = row.get(i)?;
                        Ok(match value {
                            rusqlite::types::Value::Null => "NULL".to_string(),
                            rusqlite::types::Value::Integer(i) => i.to_string(),
                            rusqlite::types::Value::Text(t) => t,
                            other => format!("{other:?}"),
                        })
                    })
                    .collect()
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn the_catalog_answers_a_schema_with_keys_views_and_generated_columns() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE _ha_outbox(x);
             CREATE TABLE parent(a INTEGER, b TEXT, PRIMARY KEY (a, b));
             CREATE TABLE child(id INTEGER PRIMARY KEY, a INTEGER NOT NULL DEFAULT 0, b TEXT,
                 total REAL GENERATED ALWAYS AS (a * 2) VIRTUAL,
                 FOREIGN KEY (a, b) REFERENCES parent ON DELETE CASCADE);
             CREATE UNIQUE INDEX child_b ON child(b);
             CREATE VIEW v AS SELECT id FROM child;",
        )
        .unwrap();
        let tables = run(&conn, CatalogQuery::Tables, None);
        let names: Vec<(&str, &str)> = tables
            .iter()
            .map(|t| (t[0].as_str(), t[1].as_str()))
            .collect();
        assert_eq!(
            names,
            [("child", "table"), ("parent", "table"), ("v", "view")]
        );

        let columns = run(&conn, CatalogQuery::Columns, Some("child"));
        let summary: Vec<String> = columns
            .iter()
            .map(|c| format!("{} {} {} {} {} {}", c[1], c[2], c[3], c[4], c[6], c[7]))
            .collect();
        assert_eq!(
            summary,
            [
                "1 id INTEGER 0 1 0",
                "2 a INTEGER 1 0 0",
                "3 b TEXT 0 0 0",
                "4 total REAL 0 0 2"
            ]
        );
        assert_eq!(columns[1][5], "0", "the default value's text");

        let parent_key = run(&conn, CatalogQuery::Columns, Some("parent"));
        assert_eq!(parent_key[1][6], "2", "b is the key's second column");

        let indexes = run(&conn, CatalogQuery::Indexes, Some("child"));
        assert_eq!(indexes.len(), 1);
        assert_eq!(&indexes[0][1..6], ["child_b", "1", "c", "1", "b"]);

        let keys = run(&conn, CatalogQuery::ForeignKeys, None);
        let keys: Vec<String> = keys
            .iter()
            .map(|k| format!("{} {} {} {} {} {}", k[0], k[2], k[3], k[4], k[5], k[7]))
            .collect();
        assert_eq!(
            keys,
            ["child 1 a parent a CASCADE", "child 2 b parent b CASCADE"],
            "a reference without columns names the parent's key"
        );
    }
}
