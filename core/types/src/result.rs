use std::sync::Arc;

use crate::Value;

/// Column names of the result of a statement that returns no rows.
pub const EXEC_COLUMNS: [&str; 2] = ["rows_affected", "last_insert_id"];

/// What one statement produced.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementResult {
    /// A statement with result columns (SELECT, VALUES, PRAGMA, EXPLAIN, ... RETURNING).
    Rows {
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
        /// Each column's declared type in its table (`None` for expressions); empty when not
        /// known. Typed protocols (PostgreSQL wire) describe columns with it.
        declared_types: Vec<Option<String>>,
        /// Each column's table column (`None` for expressions); empty when not known. The wire
        /// protocols' result descriptions carry it (PostgreSQL's table OID and attribute
        /// number, MySQL's table and NOT NULL / key flags), so tools can tell where a result
        /// column comes from.
        origins: Arc<Vec<Option<ColumnOrigin>>>,
    },
    /// A statement without result columns.
    Exec {
        rows_affected: u64,
        last_insert_id: i64,
    },
}

/// The table column a result column reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnOrigin {
    pub table: String,
    pub column: String,
    /// The table's OID in the PostgreSQL catalog (`16384 +` its rowid in `sqlite_schema`).
    pub table_oid: i64,
    /// The column's position in its table, from 1 (PostgreSQL's `attnum`).
    pub position: i64,
    /// The column's declared type, as written (`VARCHAR(50)`; empty when it has none).
    pub declared_type: String,
    /// NOT NULL, or the rowid alias (which is never NULL).
    pub not_null: bool,
    pub primary_key: bool,
    /// The rowid alias (`INTEGER PRIMARY KEY`): numbered by SQLite when not given.
    pub auto_increment: bool,
}

impl StatementResult {
    /// The uniform tabular view: an `Exec` is one row of `rows_affected, last_insert_id`.
    pub fn columns(&self) -> Vec<String> {
        match self {
            StatementResult::Rows { columns, .. } => columns.clone(),
            StatementResult::Exec { .. } => EXEC_COLUMNS.iter().map(|c| c.to_string()).collect(),
        }
    }
}
