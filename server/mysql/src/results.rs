//! Answers written in MySQL's form: result sets whose column types follow the core's rule for
//! result columns ([`ha_types::ColumnType`]: the declared type while every value fits it,
//! else the one class the values share, else text), and OK packets.

use ha_types::{
    ColumnOrigin, ColumnType as Sqlite, StatementResult, Value, exact_bool, exact_integer,
    exact_real, real_text,
};
use opensrv_mysql::{Column, ColumnFlags, ColumnType, QueryResultWriter};
use tokio::io::AsyncWrite;

/// The MySQL type of a result column type: what its declared type is in MySQL where that is
/// a long text (`TEXT`: MySQL's BLOB type in a text character set, which drivers give as
/// text and ORMs read as a text field rather than a `VARCHAR`).
fn mysql_type(column: Sqlite, declared: Option<&str>) -> ColumnType {
    match column {
        Sqlite::Integer | Sqlite::Boolean => ColumnType::MYSQL_TYPE_LONGLONG,
        Sqlite::Real => ColumnType::MYSQL_TYPE_DOUBLE,
        Sqlite::Text if declared.is_some_and(is_long_text) => ColumnType::MYSQL_TYPE_BLOB,
        Sqlite::Text => ColumnType::MYSQL_TYPE_VAR_STRING,
        Sqlite::Blob => ColumnType::MYSQL_TYPE_BLOB,
    }
}

fn is_long_text(declared: &str) -> bool {
    matches!(
        ha_types::MysqlType::of(declared).data_type.as_str(),
        "text" | "tinytext" | "mediumtext" | "longtext" | "clob"
    )
}

/// A column declared `declared`, before any value is seen (a prepared statement's metadata).
pub(crate) fn declared_column(name: &str, declared: Option<&str>) -> Column {
    let class = declared.and_then(Sqlite::declared);
    let coltype = class.map_or(ColumnType::MYSQL_TYPE_VAR_STRING, |t| {
        mysql_type(t, declared)
    });
    column(name, coltype, class.is_none_or(|c| c == Sqlite::Text))
}

/// A column of `coltype`; a BLOB one is binary (bytes) unless `text` (a long text).
pub(crate) fn column(name: &str, coltype: ColumnType, text: bool) -> Column {
    let colflags = match coltype {
        ColumnType::MYSQL_TYPE_BLOB if text => ColumnFlags::BLOB_FLAG,
        ColumnType::MYSQL_TYPE_BLOB => ColumnFlags::BLOB_FLAG | ColumnFlags::BINARY_FLAG,
        _ => ColumnFlags::empty(),
    };
    Column {
        table: String::new(),
        column: name.to_string(),
        coltype,
        colflags,
    }
}

/// Writes rows; each value converted to its column's type. A column that reads a table column
/// (`origins`, may be empty) names its table and carries its key flags, and NOT NULL unless
/// the result holds a NULL in it (the inner side of an outer join).
pub(crate) async fn write_rows<W: AsyncWrite + Send + Unpin>(
    writer: QueryResultWriter<'_, W>,
    names: &[String],
    declared: &[Option<String>],
    rows: &[Vec<Value>],
    origins: &[Option<ColumnOrigin>],
) -> std::io::Result<()> {
    let declared_text = |i: usize| declared.get(i).and_then(Option::as_deref);
    let classes: Vec<Option<Sqlite>> = (0..names.len())
        .map(|i| declared_text(i).and_then(Sqlite::declared))
        .collect();
    let types = Sqlite::for_result(&classes, rows);
    let columns: Vec<Column> = names
        .iter()
        .zip(&types)
        .enumerate()
        .map(|(i, (name, column_type))| {
            let text = *column_type == Sqlite::Text;
            let mut column = column(name, mysql_type(*column_type, declared_text(i)), text);
            if let Some(Some(origin)) = origins.get(i) {
                column.table = origin.table.clone();
                let has_null = || rows.iter().any(|r| matches!(r.get(i), Some(Value::Null)));
                for (flag, holds) in [
                    (ColumnFlags::PRI_KEY_FLAG, origin.primary_key),
                    (ColumnFlags::AUTO_INCREMENT_FLAG, origin.auto_increment),
                    (ColumnFlags::NOT_NULL_FLAG, origin.not_null && !has_null()),
                ] {
                    if holds {
                        column.colflags |= flag;
                    }
                }
            }
            column
        })
        .collect();
    let mut out = writer.start(&columns).await?;
    for row in rows {
        for (value, column_type) in row.iter().zip(&types) {
            // Every value fits its column's type (the rule above chose it so).
            match (column_type, value) {
                (_, Value::Null) => out.write_col(None::<i64>)?,
                (Sqlite::Boolean, v) if let Some(b) = exact_bool(v) => {
                    out.write_col(i64::from(b))?
                }
                (Sqlite::Integer, v) if let Some(i) = exact_integer(v) => out.write_col(i)?,
                (Sqlite::Real, v) if let Some(f) = exact_real(v) => out.write_col(f)?,
                (_, Value::Blob(b)) => out.write_col(b.as_slice())?,
                (Sqlite::Blob, Value::Text(t)) => out.write_col(t.as_bytes())?,
                (_, Value::Text(t)) => out.write_col(t.as_str())?,
                (_, Value::Integer(i)) => out.write_col(i.to_string())?,
                (_, Value::Real(f)) => out.write_col(real_text(*f))?,
            }
        }
        out.end_row().await?;
    }
    out.finish().await
}

/// Writes text rows of the front end's own answers (variables, SHOW ...).
pub(crate) async fn write_text_rows<W: AsyncWrite + Send + Unpin>(
    writer: QueryResultWriter<'_, W>,
    names: &[&str],
    rows: Vec<Vec<Option<String>>>,
) -> std::io::Result<()> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let rows: Vec<Vec<Value>> = rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|cell| cell.map_or(Value::Null, Value::Text))
                .collect()
        })
        .collect();
    let declared: Vec<Option<String>> = vec![Some("TEXT".into()); names.len()];
    write_rows(writer, &names, &declared, &rows, &[]).await
}

/// A catalog cell as text (empty for NULL or a missing one).
pub(crate) fn text(value: Option<&Value>) -> String {
    match value {
        Some(Value::Text(t)) => t.clone(),
        Some(Value::Integer(i)) => i.to_string(),
        Some(Value::Real(f)) => real_text(*f),
        Some(Value::Blob(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(Value::Null) | None => String::new(),
    }
}

/// Rows of `result` (empty when it has none).
pub(crate) fn rows_of(result: StatementResult) -> Vec<Vec<Value>> {
    match result {
        StatementResult::Rows { rows, .. } => rows,
        StatementResult::Exec { .. } => Vec::new(),
    }
}
