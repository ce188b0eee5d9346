//! Plain data shared by every part of `ha`: SQL values, statements with their parameters, statement
//! results, the lexing every front end shares ([`sql_text`]), and the stable [`ErrorCode`] that each protocol maps to its own error form.
//!
//! This crate knows nothing of SQLite, tokio or NATS, so clients, bindings and front ends can all
//! depend on it cheaply.

mod catalog;
mod change;
mod change_proto;
mod column_type;
mod database_hint;
mod description;
pub mod duration;
mod error_code;
mod generated_columns;
mod literal_parameters;
mod mysql_type;
mod param_json;
mod postgres_type;
mod result;
mod special;
pub mod sql_text;
mod sqlstate;
mod statement;
mod tagged_values;
mod value;

pub use catalog::{CatalogQuery, is_rowid_alias};
pub use change::{
    CHANGE_SET_VERSION, CHANGE_SETS_HEADER, Change, ChangeSet, ChangeSetFormat, Chunk, RowChange,
    RowOperation,
};
pub use column_type::{ColumnType, exact_bool, exact_integer, exact_real, real_text};
pub use database_hint::{DatabaseHint, DatabaseHintError};
pub use description::{ColumnDescription, ParameterDescription, StatementDescription};
pub use error_code::ErrorCode;
pub use generated_columns::{GeneratedColumn, generated_columns};
pub use literal_parameters::{LiteralParameters, literal_parameters};
pub use mysql_type::MysqlType;
pub use param_json::{JsonParam, JsonParams};
pub use postgres_type::postgres_type;
pub use result::{ColumnOrigin, EXEC_COLUMNS, StatementResult};
pub use special::{Since, SpecialCommand, UndoScope};
pub use sqlstate::sqlstate;
pub use statement::{Params, Statement};
pub use value::{Value, ValueError};

/// The PostgreSQL version the PostgreSQL door and the catalog report (`server_version`,
/// `version()`): tools choose their catalog queries by it.
pub const POSTGRESQL_VERSION: &str = "16.6";

/// A database's name in the replication log (its subject token and consumer names): characters
/// NATS gives a meaning to become `_`. Two databases whose names are the same here (`a.db` and
/// `a_db`) would share one log, so a node refuses to serve both.
pub fn log_name(database: &str) -> String {
    database
        .chars()
        .map(|c| {
            if matches!(c, '.' | '/' | ' ' | '*' | '>' | '\t') {
                '_'
            } else {
                c
            }
        })
        .collect()
}
