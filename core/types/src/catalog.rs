//! The catalog of a database (tables, columns, indexes, foreign keys) as plain SQL over SQLite's
//! schema table and pragma functions, so every client answers it through its ordinary path —
//! a node over the wire, a replica in-process — and every door shapes the same answers (JDBC's
//! `DatabaseMetaData` now; the PostgreSQL and MySQL catalogs can read the same).
//!
//! `ha`'s own tables (`_ha_*`) and SQLite's (`sqlite_*`) are not the user's: they are left out.

use crate::{Params, Statement, Value};

/// Whether a column is SQLite's rowid alias, what MySQL calls an `AUTO_INCREMENT` column (and
/// which is never NULL): declared exactly `INTEGER` and the whole primary key of its table (of
/// `primary_key_columns` columns). The one statement of the rule for the catalog views, result
/// column origins and `SHOW CREATE TABLE`.
pub fn is_rowid_alias(
    declared_type: &str,
    in_primary_key: bool,
    primary_key_columns: usize,
) -> bool {
    in_primary_key && primary_key_columns == 1 && declared_type.eq_ignore_ascii_case("INTEGER")
}

/// One question to the catalog. Each answers rows with the columns its doc names, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogQuery {
    /// `name, type ('table' | 'view'), sql`.
    Tables,
    /// `table, position (from 1), name, declared_type, not_null (0/1), default_value,
    /// primary_key (position in the key, 0 if none), hidden (0 plain, 2/3 generated)`.
    Columns,
    /// `table, index_name, unique (0/1), origin ('c' created, 'u' UNIQUE, 'pk'), position
    /// (from 1), column_name (NULL for an expression), partial (0/1), descending (0/1)`.
    Indexes,
    /// `table, id, position (from 1), column_name, parent_table, parent_column (the parent's
    /// primary key column when the reference names none), on_update, on_delete`.
    ForeignKeys,
    /// `database`: the databases the connection can reach (`SHOW DATABASES`).
    Databases,
}

/// The user's tables and views, and (`?1`, when not NULL) only the one of that name.
const USER_TABLES: &str = "m.type IN ('table', 'view') \
     AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE '\\_ha\\_%' ESCAPE '\\' \
     AND (?1 IS NULL OR m.name = ?1)";

impl CatalogQuery {
    /// The query named `name` (`tables`, `columns`, `indexes`, `foreign_keys`, `databases`).
    pub fn from_name(name: &str) -> Option<CatalogQuery> {
        Some(match name {
            "tables" => CatalogQuery::Tables,
            "columns" => CatalogQuery::Columns,
            "indexes" => CatalogQuery::Indexes,
            "foreign_keys" => CatalogQuery::ForeignKeys,
            "databases" => CatalogQuery::Databases,
            _ => return None,
        })
    }

    /// The statement that answers it, for one table or (`None`) all of them.
    pub fn statement(self, table: Option<&str>) -> Statement {
        let Some(sql) = self.sql() else {
            return Statement::new("SHOW DATABASES");
        };
        let table = table.map_or(Value::Null, |t| Value::Text(t.to_string()));
        Statement::with_params(sql, Params::Positional(vec![table]))
    }

    /// The query over every table, as SQL without parameters (for a view: the PostgreSQL
    /// catalog is built on these), or `None` for `Databases`, which is no query.
    pub fn sql_for_every_table(self) -> Option<String> {
        Some(self.sql()?.replace("?1", "NULL"))
    }

    /// The query, with `?1` the table it is restricted to (NULL: all of them).
    fn sql(self) -> Option<String> {
        Some(match self {
            CatalogQuery::Databases => return None,
            CatalogQuery::Tables => format!(
                "SELECT m.name AS name, m.type AS type, m.sql AS sql FROM sqlite_schema AS m \
                 WHERE {USER_TABLES} ORDER BY m.name"
            ),
            CatalogQuery::Columns => format!(
                "SELECT m.name AS \"table\", c.cid + 1 AS position, c.name AS name, \
                 c.type AS declared_type, c.\"notnull\" AS not_null, c.dflt_value AS default_value, \
                 c.pk AS primary_key, c.hidden AS hidden \
                 FROM sqlite_schema AS m JOIN pragma_table_xinfo(m.name) AS c \
                 WHERE {USER_TABLES} ORDER BY m.name, c.cid"
            ),
            CatalogQuery::Indexes => format!(
                "SELECT m.name AS \"table\", l.name AS index_name, l.\"unique\" AS \"unique\", \
                 l.origin AS origin, i.seqno + 1 AS position, i.name AS column_name, \
                 l.partial AS partial, i.\"desc\" AS descending \
                 FROM sqlite_schema AS m JOIN pragma_index_list(m.name) AS l \
                 JOIN pragma_index_xinfo(l.name) AS i \
                 WHERE m.type = 'table' AND i.key AND {USER_TABLES} ORDER BY m.name, l.name, i.seqno"
            ),
            CatalogQuery::ForeignKeys => format!(
                "SELECT m.name AS \"table\", f.id AS id, f.seq + 1 AS position, \
                 f.\"from\" AS column_name, f.\"table\" AS parent_table, \
                 COALESCE(f.\"to\", (SELECT p.name FROM pragma_table_info(f.\"table\") AS p \
                 WHERE p.pk = f.seq + 1)) AS parent_column, \
                 f.on_update AS on_update, f.on_delete AS on_delete \
                 FROM sqlite_schema AS m JOIN pragma_foreign_key_list(m.name) AS f \
                 WHERE m.type = 'table' AND {USER_TABLES} ORDER BY m.name, f.id, f.seq"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_reads_back_from_its_name() {
        for name in ["tables", "columns", "indexes", "foreign_keys", "databases"] {
            assert!(CatalogQuery::from_name(name).is_some(), "{name}");
        }
        assert_eq!(CatalogQuery::from_name("nope"), None);
        let one = CatalogQuery::Columns.statement(Some("t"));
        assert_eq!(
            one.params,
            Params::Positional(vec![Value::Text("t".into())])
        );
    }
}

#[cfg(test)]
mod rowid_alias_tests {
    use super::is_rowid_alias;

    #[test]
    fn only_an_integer_column_that_is_the_whole_key_is_the_rowid_alias() {
        assert!(is_rowid_alias("INTEGER", true, 1));
        assert!(is_rowid_alias("integer", true, 1));
        assert!(!is_rowid_alias("INT", true, 1));
        assert!(!is_rowid_alias("BIGINT", true, 1));
        assert!(!is_rowid_alias("INTEGER", true, 2));
        assert!(!is_rowid_alias("INTEGER", false, 1));
    }
}
