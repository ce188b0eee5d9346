/// What a statement takes and returns, known without running it (a wire protocol's Describe).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementDescription {
    /// One entry per parameter position (`?1`..`?N`), in order.
    pub parameters: Vec<ParameterDescription>,
    /// The result columns; empty for a statement that returns no rows.
    pub columns: Vec<ColumnDescription>,
    /// SQLite's `sqlite3_stmt_readonly`: the statement does not write.
    pub read_only: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterDescription {
    /// As written (`?1`, `:name`), or `None` for a bare `?`.
    pub name: Option<String>,
    /// The declared type of the column the parameter is compared with or stored into, when
    /// the statement shows one (`col = ?`, `INSERT INTO t(col) VALUES (?)`), or `INTEGER` for
    /// `LIMIT ?` / `OFFSET ?`.
    pub declared_type: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnDescription {
    pub name: String,
    /// The declared type of the table column it reads (`None` for an expression).
    pub declared_type: Option<String>,
}
