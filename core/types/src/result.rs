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
    },
    /// A statement without result columns.
    Exec {
        rows_affected: u64,
        last_insert_id: i64,
    },
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
