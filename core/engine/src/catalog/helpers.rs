//! The catalog relations, as temporary views over the core's catalog questions
//! ([`CatalogQuery`]: SQLite's schema table and pragmas), through helper tables made again
//! whenever the schema version changes, so they are always the schema as it is now. `BOOL[expr]` marks a boolean column: it is
//! written as a scalar subquery on a `BOOLEAN` column (`ha_bool`), which gives the view column
//! that declared type, so the wire protocols describe it as a boolean (psql reads `t`/`f`).
//!
//! `OID[expr]` marks a column of OIDs: written as a cast to INTEGER, which gives the view
//! column integer affinity, so `c.oid = '16387'` (psql writes OIDs as quoted literals)
//! compares as numbers.
//!
//! OIDs: a relation's is `16384 + its rowid in sqlite_schema` (stable while it exists), the
//! primary key index of a table that has none in SQLite (`INTEGER PRIMARY KEY`, `WITHOUT
//! ROWID`) `1000000 +` its table's, a constraint's `2000000 +` its index's, a foreign key's
//! `3000000 + 1000 * its table's rowid + its id`. The catalog relations themselves have
//! PostgreSQL's OIDs (`pg_class` is 1259), so `'pg_class'::regclass` finds them.

use ha_types::CatalogQuery;

/// The views the catalog's relations are computed from: the core's own catalog questions
/// ([`CatalogQuery`], which JDBC's metadata and the MySQL door read too) with the OIDs and
/// names PostgreSQL gives. They are materialized into temporary tables of the same names
/// without `source_` ([`HELPERS`]) when the schema changes: a catalog of a few hundred tables,
/// read through views alone, recomputed every table's pragmas for every row of a join (psql's
/// `\d name` took seconds).
pub(super) fn sources() -> Vec<String> {
    let all = |query: CatalogQuery| query.sql_for_every_table().unwrap_or_default();
    vec![
        format!(
            r#"CREATE TEMP VIEW IF NOT EXISTS ha_source_tables(oid, name, kind, sql) AS
              SELECT 16384 + m.rowid, q.name, q.type, q.sql
              FROM ({}) q JOIN main.sqlite_schema m ON m.name = q.name"#,
            all(CatalogQuery::Tables)
        ),
        format!(
            r#"CREATE TEMP VIEW IF NOT EXISTS ha_source_columns(rel_oid, rel, kind, attnum, name,
                declared, not_null, default_value, pk, hidden) AS
              SELECT t.oid, t.name, t.kind, q.position, q.name, q.declared_type, q.not_null,
                q.default_value, q.primary_key, q.hidden
              FROM ({}) q JOIN ha_tables t ON t.name = q."table""#,
            all(CatalogQuery::Columns)
        ),
        format!(
            r#"CREATE TEMP VIEW IF NOT EXISTS ha_source_index_rows AS {}"#,
            all(CatalogQuery::Indexes)
        ),
        // Indexes, with PostgreSQL's names for those behind PRIMARY KEY and UNIQUE, and a
        // primary key index for a table whose key has none in SQLite (INTEGER PRIMARY KEY,
        // WITHOUT ROWID).
        r#"CREATE TEMP VIEW IF NOT EXISTS ha_source_indexes(oid, name, sqlite_name, tbl, tbl_oid,
            is_unique, is_primary, origin, partial, sql) AS
          SELECT 16384 + s.rowid,
            CASE WHEN s.sql IS NULL THEN
              CASE r.origin WHEN 'pk' THEN t.name || '_pkey'
                ELSE t.name || '_' || group_concat(r.column_name, '_' ORDER BY r.position)
                  || '_key' END
            ELSE s.name END,
            s.name, t.name, t.oid, r."unique", r.origin = 'pk', r.origin, r.partial, s.sql
          FROM ha_index_rows r JOIN ha_tables t ON t.name = r."table"
            JOIN main.sqlite_schema s ON s.name = r.index_name AND s.type = 'index'
          GROUP BY s.rowid
          UNION ALL
          SELECT 1000000 + t.oid, t.name || '_pkey', NULL, t.name, t.oid, 1, 1, 'pk', 0, NULL
          FROM ha_tables t
          WHERE t.kind = 'table'
            AND EXISTS (SELECT 1 FROM ha_columns c WHERE c.rel_oid = t.oid AND c.pk > 0)
            AND NOT EXISTS (SELECT 1 FROM ha_index_rows r
                            JOIN main.sqlite_schema s ON s.name = r.index_name
                            WHERE r."table" = t.name AND r.origin = 'pk')"#
            .to_string(),
        // Each index's key columns in order (attnum 0: an expression).
        r#"CREATE TEMP VIEW IF NOT EXISTS ha_source_index_columns(index_oid, ord, attnum, name,
            descending) AS
          SELECT x.oid, r.position,
            coalesce((SELECT c.attnum FROM ha_columns c
                      WHERE c.rel_oid = x.tbl_oid AND c.name = r.column_name), 0),
            r.column_name, r.descending
          FROM ha_indexes x JOIN ha_index_rows r ON r.index_name = x.sqlite_name
          WHERE x.oid < 1000000
          UNION ALL
          SELECT x.oid, c.pk, c.attnum, c.name, 0
          FROM ha_indexes x JOIN ha_columns c ON c.rel_oid = x.tbl_oid
          WHERE x.oid >= 1000000 AND c.pk > 0"#
            .to_string(),
        format!(
            r#"CREATE TEMP VIEW IF NOT EXISTS ha_source_foreign_keys(oid, tbl, tbl_oid, id, seq,
                from_col, from_attnum, ref_table, ref_oid, to_col, to_attnum, on_update,
                on_delete) AS
              SELECT 3000000 + 1000 * (t.oid - 16384) + q.id, t.name, t.oid, q.id, q.position,
                q.column_name,
                (SELECT c.attnum FROM ha_columns c
                 WHERE c.rel_oid = t.oid AND c.name = q.column_name),
                q.parent_table, r.oid, q.parent_column,
                (SELECT c.attnum FROM ha_columns c
                 WHERE c.rel_oid = r.oid AND c.name = q.parent_column),
                q.on_update, q.on_delete
              FROM ({}) q JOIN ha_tables t ON t.name = q."table"
                LEFT JOIN ha_tables r ON r.name = q.parent_table"#,
            all(CatalogQuery::ForeignKeys)
        ),
    ]
}

/// The materialized helpers, in dependency order, with the indexes their readers use.
pub(super) const HELPERS: &[(&str, &[&str])] = &[
    ("ha_tables", &["oid", "name"]),
    ("ha_columns", &["rel_oid"]),
    ("ha_index_rows", &["index_name"]),
    ("ha_indexes", &["oid", "tbl_oid"]),
    ("ha_index_columns", &["index_oid"]),
    ("ha_foreign_keys", &["oid", "tbl_oid", "ref_oid"]),
];

/// Views with their markers written out: `BOOL[expr]` as a typed boolean, `OID[expr]` as an
/// integer.
pub(super) fn statements(sql: &[&str]) -> Vec<String> {
    sql.iter()
        .map(|sql| {
            let sql = expand(
                sql,
                "BOOL[",
                "(SELECT b FROM temp.ha_bool WHERE b = (",
                "))",
            );
            expand(&sql, "OID[", "CAST((", ") AS INTEGER)")
        })
        .collect()
}

fn expand(sql: &str, marker: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(sql.len() * 2);
    let mut rest = sql;
    while let Some(start) = rest.find(marker) {
        out.push_str(&rest[..start]);
        let after = &rest[start + marker.len()..];
        // The expression ends at the `]` that balances it.
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '[' => depth += 1,
                ']' if depth == 0 => {
                    end = i;
                    break;
                }
                ']' => depth -= 1,
                _ => {}
            }
        }
        out.push_str(open);
        out.push_str(&after[..end]);
        out.push_str(close);
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_written_out() {
        let bool = |sql| {
            expand(
                sql,
                "BOOL[",
                "(SELECT b FROM temp.ha_bool WHERE b = (",
                "))",
            )
        };
        assert_eq!(
            bool("SELECT BOOL[a > 1], BOOL[0] FROM t"),
            "SELECT (SELECT b FROM temp.ha_bool WHERE b = (a > 1)), \
             (SELECT b FROM temp.ha_bool WHERE b = (0)) FROM t"
        );
        assert_eq!(
            expand("SELECT OID[x[1]]", "OID[", "CAST((", ") AS INTEGER)"),
            "SELECT CAST((x[1]) AS INTEGER)"
        );
    }
}
