//! Answers written in MySQL's form: result sets whose column types come from the values (a
//! column of integers is BIGINT, of numbers DOUBLE, of bytes BLOB, else text; with no rows,
//! from the declared types), and OK packets.

use ha_types::{StatementResult, Value};
use opensrv_mysql::{Column, ColumnFlags, ColumnType, QueryResultWriter};
use tokio::io::AsyncWrite;

/// The MySQL type of a column declared `declared` (SQLite's affinity rules), for a column
/// with no value to go by.
pub(crate) fn declared_type(declared: Option<&str>) -> ColumnType {
    let Some(declared) = declared.map(str::to_ascii_uppercase) else {
        return ColumnType::MYSQL_TYPE_VAR_STRING;
    };
    if declared.contains("INT") {
        ColumnType::MYSQL_TYPE_LONGLONG
    } else if declared.contains("CHAR") || declared.contains("CLOB") || declared.contains("TEXT") {
        ColumnType::MYSQL_TYPE_VAR_STRING
    } else if declared.contains("BLOB") || declared.contains("BINARY") {
        ColumnType::MYSQL_TYPE_BLOB
    } else if declared.contains("REAL") || declared.contains("FLOA") || declared.contains("DOUB") {
        ColumnType::MYSQL_TYPE_DOUBLE
    } else {
        ColumnType::MYSQL_TYPE_VAR_STRING
    }
}

/// The type of one column of rows: a declared BLOB stays BLOB (a text value in it is sent as
/// its bytes); else the one kind all its values have, else text.
fn column_type(rows: &[Vec<Value>], index: usize, declared: Option<&str>) -> ColumnType {
    if declared_type(declared) == ColumnType::MYSQL_TYPE_BLOB {
        return ColumnType::MYSQL_TYPE_BLOB;
    }
    let mut kind: Option<ColumnType> = None;
    for value in rows.iter().filter_map(|r| r.get(index)) {
        let this = match value {
            Value::Null => continue,
            Value::Integer(_) => ColumnType::MYSQL_TYPE_LONGLONG,
            Value::Real(_) => ColumnType::MYSQL_TYPE_DOUBLE,
            Value::Text(_) => ColumnType::MYSQL_TYPE_VAR_STRING,
            Value::Blob(_) => ColumnType::MYSQL_TYPE_BLOB,
        };
        kind = Some(match kind {
            None => this,
            Some(k) if k == this => k,
            // Integers among reals are numbers; anything else mixed is shown as text.
            Some(ColumnType::MYSQL_TYPE_LONGLONG | ColumnType::MYSQL_TYPE_DOUBLE)
                if matches!(
                    this,
                    ColumnType::MYSQL_TYPE_LONGLONG | ColumnType::MYSQL_TYPE_DOUBLE
                ) =>
            {
                ColumnType::MYSQL_TYPE_DOUBLE
            }
            Some(_) => return ColumnType::MYSQL_TYPE_VAR_STRING,
        });
    }
    kind.unwrap_or_else(|| declared_type(declared))
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
    let columns: Vec<Column> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            column(
                name,
                column_type(rows, i, declared.get(i).and_then(|d| d.as_deref())),
            )
        })
        .collect();
    let mut out = writer.start(&columns).await?;
    for row in rows {
        for (value, column) in row.iter().zip(&columns) {
            match (value, column.coltype) {
                (Value::Null, _) => out.write_col(None::<i64>)?,
                (Value::Integer(i), ColumnType::MYSQL_TYPE_LONGLONG) => out.write_col(*i)?,
                (Value::Integer(i), ColumnType::MYSQL_TYPE_DOUBLE) => out.write_col(*i as f64)?,
                (Value::Real(f), ColumnType::MYSQL_TYPE_DOUBLE) => out.write_col(*f)?,
                (Value::Blob(b), ColumnType::MYSQL_TYPE_BLOB) => out.write_col(b.as_slice())?,
                (Value::Text(t), ColumnType::MYSQL_TYPE_BLOB) => out.write_col(t.as_bytes())?,
                (Value::Integer(i), ColumnType::MYSQL_TYPE_BLOB) => {
                    out.write_col(i.to_string().as_bytes())?
                }
                (Value::Real(f), ColumnType::MYSQL_TYPE_BLOB) => {
                    out.write_col(f.to_string().as_bytes())?
                }
                (Value::Text(t), _) => out.write_col(t.as_str())?,
                (Value::Integer(i), _) => out.write_col(i.to_string())?,
                (Value::Real(f), _) => out.write_col(f.to_string())?,
                (Value::Blob(b), _) => out.write_col(String::from_utf8_lossy(b).as_ref())?,
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
        Some(Value::Real(f)) => f.to_string(),
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
