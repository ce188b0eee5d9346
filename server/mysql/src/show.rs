//! `SHOW COLUMNS` and `SHOW INDEX` as queries of the core's MySQL `information_schema` views
//! (`mysql_information_schema_*`), so they answer what `information_schema` answers.

use ha_types::Value;

use crate::results::text;

/// `SHOW FULL COLUMNS FROM ?1`; plain `SHOW COLUMNS` leaves out Collation, Privileges and
/// Comment.
pub(crate) const SHOW_COLUMNS: &str = "SELECT COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME, \
     IS_NULLABLE, COLUMN_KEY, COLUMN_DEFAULT, EXTRA, PRIVILEGES, COLUMN_COMMENT \
     FROM mysql_information_schema_columns WHERE TABLE_NAME = ?1 ORDER BY ORDINAL_POSITION";

pub(crate) const SHOW_COLUMNS_NAMES: [&str; 9] = [
    "Field",
    "Type",
    "Collation",
    "Null",
    "Key",
    "Default",
    "Extra",
    "Privileges",
    "Comment",
];

/// Which of [`SHOW_COLUMNS_NAMES`] a `SHOW [FULL] COLUMNS` answers.
pub(crate) fn show_columns_picked(full: bool) -> &'static [usize] {
    if full {
        &[0, 1, 2, 3, 4, 5, 6, 7, 8]
    } else {
        &[0, 1, 3, 4, 5, 6]
    }
}

/// `SHOW INDEX FROM ?1`: the primary key first, then the indexes by name.
pub(crate) const SHOW_INDEX: &str = "SELECT TABLE_NAME, NON_UNIQUE, INDEX_NAME, SEQ_IN_INDEX, \
     COLUMN_NAME, COLLATION, CARDINALITY, SUB_PART, PACKED, NULLABLE, INDEX_TYPE, COMMENT, \
     INDEX_COMMENT, IS_VISIBLE, EXPRESSION FROM mysql_information_schema_statistics \
     WHERE TABLE_NAME = ?1 ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX";

pub(crate) const SHOW_INDEX_NAMES: [&str; 15] = [
    "Table",
    "Non_unique",
    "Key_name",
    "Seq_in_index",
    "Column_name",
    "Collation",
    "Cardinality",
    "Sub_part",
    "Packed",
    "Null",
    "Index_type",
    "Comment",
    "Index_comment",
    "Visible",
    "Expression",
];

/// `SHOW TABLE STATUS`: the tables and views with what `information_schema.TABLES` knows of
/// them (sizes and row counts are not kept: NULL).
pub(crate) const SHOW_TABLE_STATUS: &str = "SELECT TABLE_NAME, ENGINE, VERSION, ROW_FORMAT, \
     TABLE_ROWS, AVG_ROW_LENGTH, DATA_LENGTH, MAX_DATA_LENGTH, INDEX_LENGTH, DATA_FREE, \
     AUTO_INCREMENT, CREATE_TIME, UPDATE_TIME, CHECK_TIME, TABLE_COLLATION, CHECKSUM, \
     CREATE_OPTIONS, TABLE_COMMENT FROM mysql_information_schema_tables ORDER BY TABLE_NAME";

pub(crate) const SHOW_TABLE_STATUS_NAMES: [&str; 18] = [
    "Name",
    "Engine",
    "Version",
    "Row_format",
    "Rows",
    "Avg_row_length",
    "Data_length",
    "Max_data_length",
    "Index_length",
    "Data_free",
    "Auto_increment",
    "Create_time",
    "Update_time",
    "Check_time",
    "Collation",
    "Checksum",
    "Create_options",
    "Comment",
];

/// A value as the text protocol sends it; NULL stays NULL.
pub(crate) fn optional_text(value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => None,
        value => Some(text(value)),
    }
}
