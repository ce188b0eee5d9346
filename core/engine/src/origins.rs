//! Where a result's columns come from: the table column each one reads (SQLite's column
//! metadata), with what the wire protocols' result descriptions say of it — the catalog's
//! table OID and attribute number (PostgreSQL's RowDescription), NOT NULL and key flags
//! (MySQL's column definitions). Tools read them to know which table a result shows (pgjdbc's
//! `ResultSetMetaData.getTableName`, Django's MySQL introspection of nullability).
//!
//! Worked out once per statement text and connection, and again when SQLite has prepared the
//! statement again (its schema changed): a lookup of the table's row in `sqlite_schema` and of
//! its columns, which costs more than the point select it describes.

use std::collections::HashMap;
use std::sync::Arc;

use ha_types::ColumnOrigin;
use rusqlite::{Connection, OptionalExtension, StatementStatus};

/// The catalog's OIDs of user relations start here (see `catalog/helpers.rs`).
const FIRST_RELATION_OID: i64 = 16384;

pub(crate) type Origins = Arc<Vec<Option<ColumnOrigin>>>;

/// Origins by statement text, with the statement's prepare count they were read at.
#[derive(Default)]
pub(crate) struct OriginCache {
    by_sql: HashMap<String, (i32, Origins)>,
}

impl OriginCache {
    /// The origins of `stmt`'s columns (prepared from `sql` on `conn`).
    pub(crate) fn get(
        &mut self,
        conn: &Connection,
        sql: &str,
        stmt: &rusqlite::Statement<'_>,
    ) -> Origins {
        let prepared = stmt.get_status(StatementStatus::RePrepare);
        if let Some((at, origins)) = self.by_sql.get(sql)
            && *at == prepared
        {
            return origins.clone();
        }
        let origins: Origins = Arc::new(
            (0..stmt.column_count())
                .map(|i| origin(conn, stmt, i))
                .collect(),
        );
        self.by_sql
            .insert(sql.to_string(), (prepared, origins.clone()));
        origins
    }

    pub(crate) fn clear(&mut self) {
        self.by_sql.clear();
    }
}

fn origin(
    conn: &Connection,
    stmt: &rusqlite::Statement<'_>,
    column: usize,
) -> Option<ColumnOrigin> {
    let (database, table, name, declared, _, not_null, primary_key, _) =
        stmt.column_metadata(column).ok()??;
    if database.to_bytes() != b"main" {
        return None;
    }
    let table = table.to_string_lossy().into_owned();
    let name = name.to_string_lossy().into_owned();
    if table.starts_with("sqlite_") || table.starts_with("_ha_") {
        return None;
    }
    let rowid: i64 = conn
        .prepare_cached("SELECT rowid FROM main.sqlite_schema WHERE type = 'table' AND name = ?1")
        .ok()?
        .query_row([&table], |r| r.get(0))
        .optional()
        .ok()??;
    let (position, key_columns): (i64, i64) = conn
        .prepare_cached(
            "SELECT (SELECT cid FROM pragma_table_xinfo(?1) WHERE name = ?2), \
             (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0)",
        )
        .ok()?
        .query_row([&table, &name], |r| Ok((r.get(0)?, r.get(1)?)))
        .ok()?;
    let declared_type = declared.map_or_else(String::new, |d| d.to_string_lossy().into_owned());
    let auto_increment =
        ha_types::is_rowid_alias(&declared_type, primary_key, key_columns.max(0) as usize);
    Some(ColumnOrigin {
        table,
        column: name,
        table_oid: FIRST_RELATION_OID + rowid,
        position: position + 1,
        declared_type,
        not_null: not_null || auto_increment,
        primary_key,
        auto_increment,
    })
}
