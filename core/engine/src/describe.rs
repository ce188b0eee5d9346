//! Describing a statement without running it: its parameters, its result columns with their
//! declared types, and whether it writes (a wire protocol's Parse/Describe).
//!
//! SQLite knows result columns' declared types but nothing of parameters' types. Typed
//! protocols (PostgreSQL's ParameterDescription) need one, so a parameter gets the declared
//! type of the column it is plainly compared with or stored into, read off the statement's
//! tokens (`col = ?`, `? < col`, `SET col = ?`, `INSERT INTO t(col) VALUES (?)`), and
//! `INTEGER` after `LIMIT`/`OFFSET`. Anything else is left undeclared.

use std::collections::HashMap;

use ha_types::sql_text::{TokenKind, tokenize};
use ha_types::{ColumnDescription, ParameterDescription, StatementDescription};

use crate::CoreError;
use crate::open::Conn;

pub(crate) fn describe(conn: &Conn, sql: &str) -> Result<StatementDescription, CoreError> {
    refresh_schema(conn)?;
    conn.catalog_for(sql)?;
    let _client = conn.actions.client_statement();
    let stmt = conn.conn.prepare(sql)?;
    let columns = stmt
        .columns()
        .map(|c| ColumnDescription {
            name: c.name().to_string(),
            declared_type: c.decl_type().map(str::to_string),
        })
        .collect();
    let count = stmt.parameter_count();
    let hints = parameter_hints(conn, sql);
    let parameters = (1..=count)
        .map(|index| {
            let name = stmt.parameter_name(index).map(str::to_string);
            let key = name.clone().unwrap_or_else(|| format!("?{index}"));
            ParameterDescription {
                declared_type: hints.get(&key).cloned().or_else(|| {
                    // A bare `?` is numbered by its position among the parameters.
                    hints.get(&format!("#{index}")).cloned()
                }),
                name,
            }
        })
        .collect();
    Ok(StatementDescription {
        parameters,
        columns,
        read_only: stmt.readonly(),
    })
}

/// Brings the connection's copy of the schema up to date. Preparing alone does not: SQLite
/// checks the schema when a statement runs, and only re-checks at prepare time after a "no
/// such table" error, so a reader that last ran before `DROP TABLE t; CREATE TABLE t(...)`
/// would describe the old table, or refuse `CREATE INDEX` on the new one as "already exists".
/// Running a statement that reads the schema (cached, so cheap) re-reads it when it changed.
fn refresh_schema(conn: &Conn) -> Result<(), CoreError> {
    conn.conn
        .prepare_cached("SELECT 1 FROM sqlite_schema LIMIT 1")?
        .query([])?
        .next()?;
    Ok(())
}

/// Declared types for parameters, keyed by their text (`?1`, `:a`) and, for bare `?`, by
/// `#<position>`.
fn parameter_hints(conn: &Conn, sql: &str) -> HashMap<String, String> {
    let tokens: Vec<(TokenKind, String)> = tokenize(sql)
        .into_iter()
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .map(|t| (t.kind, sql[t.start..t.end].to_string()))
        .collect();
    let tables = referenced_tables(&tokens);
    let column_types = column_types(conn, &tables);
    let type_of = |column: &str| -> Option<String> {
        column_types
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(column))
            .map(|(_, declared)| declared.clone())
            .filter(|declared| !declared.is_empty())
    };
    let insert_columns = insert_columns(&tokens, &tables, conn);
    let mut hints = HashMap::new();
    let mut bare = 0;
    for (i, (kind, text)) in tokens.iter().enumerate() {
        if *kind != TokenKind::Parameter {
            continue;
        }
        let key = if text == "?" {
            bare += 1;
            format!("#{bare}")
        } else {
            text.clone()
        };
        let upper = |j: usize| tokens.get(j).map(|(_, t)| t.to_ascii_uppercase());
        let hint = if i > 0 && matches!(upper(i - 1).as_deref(), Some("LIMIT" | "OFFSET")) {
            Some("INTEGER".to_string())
        } else if let Some(column) = compared_column(&tokens, i) {
            type_of(&column)
        } else {
            insert_columns
                .as_ref()
                .and_then(|columns| values_position(&tokens, i).and_then(|p| columns.get(p)))
                .and_then(|column| type_of(column))
        };
        if let Some(hint) = hint {
            hints.entry(key).or_insert(hint);
        }
    }
    hints
}

fn identifier(kind: TokenKind, text: &str) -> Option<String> {
    match kind {
        TokenKind::Word => Some(text.to_string()),
        TokenKind::QuotedIdentifier if text.len() >= 2 => Some(text[1..text.len() - 1].to_string()),
        _ => None,
    }
}

/// The tables named after FROM, JOIN, UPDATE and INTO (schema prefixes dropped).
fn referenced_tables(tokens: &[(TokenKind, String)]) -> Vec<String> {
    let mut tables = Vec::new();
    for (i, (_, text)) in tokens.iter().enumerate() {
        if matches!(
            text.to_ascii_uppercase().as_str(),
            "FROM" | "JOIN" | "UPDATE" | "INTO"
        ) {
            let mut j = i + 1;
            let mut name = None;
            while let Some((kind, text)) = tokens.get(j) {
                match identifier(*kind, text) {
                    Some(part) => name = Some(part),
                    None => break,
                }
                if tokens.get(j + 1).is_some_and(|(_, t)| t == ".") {
                    j += 2;
                } else {
                    break;
                }
            }
            if let Some(name) = name {
                tables.push(name);
            }
        }
    }
    tables
}

/// `(column name, declared type)` of every referenced table, in order.
fn column_types(conn: &Conn, tables: &[String]) -> Vec<(String, String)> {
    let mut columns = Vec::new();
    for table in tables {
        // A view's column "types" are the affinities SQLite gives its expressions, not
        // declarations (`BLOB` for none): only tables declare types.
        let Ok(mut stmt) = conn.conn.prepare(
            "SELECT name, type FROM pragma_table_info(?1) WHERE NOT EXISTS \
             (SELECT 1 FROM sqlite_schema WHERE name = ?1 AND type = 'view' UNION ALL \
              SELECT 1 FROM temp.sqlite_schema WHERE name = ?1 AND type = 'view')",
        ) else {
            continue;
        };
        let Ok(rows) = stmt.query_map([table], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        }) else {
            continue;
        };
        columns.extend(rows.flatten());
    }
    columns
}

/// The column a parameter is compared with or assigned to: `col OP ?` or `? OP col`.
fn compared_column(tokens: &[(TokenKind, String)], at: usize) -> Option<String> {
    const OPERATORS: &[&str] = &[
        "=", "==", "!=", "<>", "<", ">", "<=", ">=", "LIKE", "GLOB", "IS",
    ];
    // Operators are lexed one symbol at a time: `<=` is `<` then `=`.
    let operator_before = |end: usize| -> Option<usize> {
        for width in [2, 1] {
            if end >= width {
                let text: String = tokens[end - width..end]
                    .iter()
                    .map(|(_, t)| t.to_ascii_uppercase())
                    .collect();
                if OPERATORS.contains(&text.as_str()) {
                    return Some(end - width);
                }
            }
        }
        None
    };
    if let Some(start) = operator_before(at)
        && start > 0
        && let Some(name) = identifier(tokens[start - 1].0, &tokens[start - 1].1)
    {
        return Some(name);
    }
    for width in [2, 1] {
        if at + width + 1 < tokens.len() + 1 {
            let text: String = tokens
                .get(at + 1..at + 1 + width)?
                .iter()
                .map(|(_, t)| t.to_ascii_uppercase())
                .collect();
            if OPERATORS.contains(&text.as_str())
                && let Some((kind, name)) = tokens.get(at + 1 + width)
                && let Some(name) = identifier(*kind, name)
                && tokens.get(at + 2 + width).is_none_or(|(_, t)| t != "(")
            {
                return Some(name);
            }
        }
    }
    None
}

/// For `INSERT INTO t (a, b) VALUES ...`: the target columns (the table's columns in order
/// when no list is given).
fn insert_columns(
    tokens: &[(TokenKind, String)],
    tables: &[String],
    conn: &Conn,
) -> Option<Vec<String>> {
    let into = tokens
        .iter()
        .position(|(_, t)| t.eq_ignore_ascii_case("INTO"))?;
    let values = tokens
        .iter()
        .position(|(_, t)| t.eq_ignore_ascii_case("VALUES"))?;
    let open = tokens[into..values].iter().position(|(_, t)| t == "(");
    match open {
        Some(open) => Some(
            tokens[into + open + 1..values]
                .iter()
                .filter_map(|(kind, text)| identifier(*kind, text))
                .collect(),
        ),
        None => Some(
            column_types(conn, tables.first().map(std::slice::from_ref)?)
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
        ),
    }
}

/// The position of a parameter inside a `VALUES (...)` tuple, when it is a whole element.
fn values_position(tokens: &[(TokenKind, String)], at: usize) -> Option<usize> {
    let before = &tokens.get(at.checked_sub(1)?)?.1;
    let after = &tokens.get(at + 1)?.1;
    if !(before == "(" || before == ",") || !(after == "," || after == ")") {
        return None;
    }
    let mut depth = 0usize;
    let mut position = 0;
    for (_, text) in tokens[..at].iter().rev() {
        match text.as_str() {
            ")" => depth += 1,
            "(" if depth == 0 => return Some(position),
            "(" => depth -= 1,
            "," if depth == 0 => position += 1,
            _ => {}
        }
    }
    None
}
