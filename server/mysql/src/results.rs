//! Answers written in MySQL's form: result sets whose column types follow the core's rule for
//! result columns ([`ha_types::ColumnType`]: the declared type while every value fits it,
//! else the one class the values share, else text), and OK packets.

use ha_types::{
    ColumnType as Sqlite, StatementResult, Value, exact_bool, exact_integer, exact_real, real_text,
};
use opensrv_mysql::{Column, ColumnFlags, ColumnType, QueryResultWriter};
use tokio::io::AsyncWrite;

/// The MySQL type of a result column type.
fn mysql_type(column: Sqlite) -> ColumnType {
    match column {
        Sqlite::Integer | Sqlite::Boolean => ColumnType::MYSQL_TYPE_LONGLONG,
        Sqlite::Real => ColumnType::MYSQL_TYPE_DOUBLE,
        Sqlite::Text => ColumnType::MYSQL_TYPE_VAR_STRING,
        Sqlite::Blob => ColumnType::MYSQL_TYPE_BLOB,
    }
}

/// The MySQL type of a column declared `declared`, before any value is seen (a prepared
/// statement's metadata).
pub(crate) fn declared_type(declared: Option<&str>) -> ColumnType {
    declared
        .and_then(Sqlite::declared)
        .map_or(ColumnType::MYSQL_TYPE_VAR_STRING, mysql_type)
}

pub(crate) fn column(name: &str, coltype: ColumnType) -> Column {
    let colflags = match coltype {
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

/// Writes rows; each value converted to its column's type.
pub(crate) async fn write_rows<W: AsyncWrite + Send + Unpin>(
    writer: QueryResultWriter<'_, W>,
    names: &[String],
    declared: &[Option<String>],
    rows: &[Vec<Value>],
) -> std::io::Result<()> {
    let declared: Vec<Option<Sqlite>> = (0..names.len())
        .map(|i| {
            declared
                .get(i)
                .cloned()
                .flatten()
                .and_then(|d| Sqlite::declared(&d))
        })
        .collect();
    let types = Sqlite::for_result(&declared, rows);
    let columns: Vec<Column> = names
        .iter()
        .zip(&types)
        .map(|(name, column_type)| column(name, mysql_type(*column_type)))
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
    write_rows(writer, &names, &declared, &rows).await
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
