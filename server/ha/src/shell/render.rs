//! How results look: tables with a summary line for people (interactive), tab-separated lines
//! for programs (standard input not a terminal), and one `ERROR <code>: <message>` line.

use std::time::Duration;

use comfy_table::{Cell, CellAlignment, Table, presets};
use ha_client::ClientError;
use ha_types::Value;

/// One value as text: `NULL`, numbers as SQLite prints them, text as is, BLOBs as `x'0a0b'`.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => real_text(*r),
        Value::Text(text) => text.clone(),
        Value::Blob(bytes) => {
            let mut hex = String::with_capacity(bytes.len() * 2 + 3);
            hex.push_str("x'");
            for byte in bytes {
                hex.push_str(&format!("{byte:02x}"));
            }
            hex.push('\'');
            hex
        }
    }
}

/// A whole REAL keeps its `.0` (as SQLite prints it), so `3.0` is not read as an INTEGER.
fn real_text(r: f64) -> String {
    if r.is_finite() && r.fract() == 0.0 && r.abs() < 1e16 {
        format!("{r:.1}")
    } else {
        r.to_string()
    }
}

/// Rows as a table: the column names as its header, numbers right-aligned.
pub fn table(columns: &[String], rows: &[Vec<Value>], unicode: bool) -> String {
    let mut table = Table::new();
    table.load_style(if unicode {
        presets::UTF8_FULL_CONDENSED
    } else {
        presets::ASCII_FULL_CONDENSED
    });
    table.set_header(columns.iter().map(Cell::new));
    for row in rows {
        table.add_row(row.iter().map(|value| {
            let cell = Cell::new_owned(value_text(value));
            match value {
                Value::Integer(_) | Value::Real(_) => cell.set_alignment(CellAlignment::Right),
                _ => cell,
            }
        }));
    }
    table.to_string()
}

/// `(3 rows, 1.234 ms)`.
pub fn rows_summary(count: usize, elapsed: Duration) -> String {
    let noun = if count == 1 { "row" } else { "rows" };
    format!("({count} {noun}, {})", millis(elapsed))
}

/// What a statement without result columns did: `OK (0.512 ms)` for schema and session
/// statements, `OK, 2 rows affected (..)` for changes to rows, with the last inserted row id
/// after an INSERT or REPLACE.
pub fn exec_summary(
    sql: &str,
    rows_affected: u64,
    last_insert_id: i64,
    elapsed: Duration,
) -> String {
    let mut text = "OK".to_string();
    let changes_rows = matches!(
        ha_types::sql_text::first_word(sql).as_str(),
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "WITH"
    );
    if changes_rows || rows_affected > 0 {
        let noun = if rows_affected == 1 { "row" } else { "rows" };
        text.push_str(&format!(", {rows_affected} {noun} affected"));
    }
    if ha_types::sql_text::sets_last_row_id(sql) && rows_affected > 0 {
        text.push_str(&format!(", last insert id {last_insert_id}"));
    }
    format!("{text} ({})", millis(elapsed))
}

fn millis(elapsed: Duration) -> String {
    format!("{:.3} ms", elapsed.as_secs_f64() * 1000.0)
}

/// Rows for programs: a header line of column names, then one line per row, fields separated
/// by tabs. Values as in tables; in text, a backslash, tab, newline and carriage return are
/// written `\\`, `\t`, `\n`, `\r`, so every row is one line and every field one column.
pub fn plain(columns: &[String], rows: &[Vec<Value>]) -> String {
    let mut out = String::new();
    push_line(&mut out, columns.iter().map(|c| escape(c)));
    for row in rows {
        push_line(&mut out, row.iter().map(|v| escape(&value_text(v))));
    }
    out
}

fn push_line(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push('\t');
        }
        out.push_str(&field);
    }
    out.push('\n');
}

fn escape(text: &str) -> String {
    if !text.contains(['\\', '\t', '\n', '\r']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// `ERROR <code>: <message>`, with the stable code clients see everywhere.
pub fn error_line(error: &ClientError) -> String {
    format!("ERROR {}: {}", error.code(), error)
}

/// Whether the terminal shows UTF-8 (the table's borders), from the locale's variables.
pub fn unicode_terminal() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .is_some_and(|value| {
            let value = value.to_ascii_lowercase();
            value.contains("utf-8") || value.contains("utf8")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn values_as_text() {
        assert_eq!(value_text(&Value::Null), "NULL");
        assert_eq!(value_text(&Value::Integer(-3)), "-3");
        assert_eq!(value_text(&Value::Real(3.0)), "3.0");
        assert_eq!(value_text(&Value::Real(0.25)), "0.25");
        assert_eq!(value_text(&Value::Text("a b".into())), "a b");
        assert_eq!(value_text(&Value::Blob(vec![0x0a, 0x0b])), "x'0a0b'");
        assert_eq!(value_text(&Value::Blob(vec![])), "x''");
    }

    #[test]
    fn a_table_has_a_header_and_rows() {
        let text = table(
            &columns(&["id", "name"]),
            &[
                vec![Value::Integer(1), Value::Text("a".into())],
                vec![Value::Integer(22), Value::Null],
            ],
            false,
        );
        let expected = "\
+----+------+
| id | name |
+===========+
|  1 | a    |
| 22 | NULL |
+----+------+";
        assert_eq!(text, expected);
    }

    #[test]
    fn plain_rows_are_tab_separated_and_escaped() {
        let text = plain(
            &columns(&["a", "b"]),
            &[vec![
                Value::Text("x\ty\nz\\".into()),
                Value::Blob(vec![0xff]),
            ]],
        );
        assert_eq!(text, "a\tb\nx\\ty\\nz\\\\\tx'ff'\n");
        assert_eq!(plain(&columns(&["n"]), &[]), "n\n");
    }

    #[test]
    fn summaries() {
        let ms = Duration::from_micros(1234);
        assert_eq!(rows_summary(3, ms), "(3 rows, 1.234 ms)");
        assert_eq!(rows_summary(1, ms), "(1 row, 1.234 ms)");
        assert_eq!(
            exec_summary("INSERT INTO t VALUES (1)", 1, 7, ms),
            "OK, 1 row affected, last insert id 7 (1.234 ms)"
        );
        assert_eq!(
            exec_summary("update t set a = 1", 0, 7, ms),
            "OK, 0 rows affected (1.234 ms)"
        );
        assert_eq!(
            exec_summary("CREATE TABLE t (a)", 0, 0, ms),
            "OK (1.234 ms)"
        );
    }

    #[test]
    fn errors_carry_the_stable_code() {
        let error = ClientError::Failed {
            code: ha_types::ErrorCode::SqlSyntax,
            message: "near \"SELEC\": syntax error".into(),
            statement_index: None,
        };
        assert_eq!(
            error_line(&error),
            "ERROR sql_syntax: near \"SELEC\": syntax error"
        );
    }
}
