//! The expressions of a table's generated columns, read from its `CREATE TABLE` text: SQLite's
//! catalog (`pragma table_xinfo`) says which columns are generated (hidden 2 virtual, 3 stored)
//! but not from what, and the wire front ends' catalogs (MySQL's `SHOW CREATE TABLE`,
//! PostgreSQL's `pg_attrdef`) show the expression.

use crate::sql_text::{TokenKind, Tokens, unquote_identifier};

/// One generated column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedColumn {
    pub name: String,
    /// The expression as written, without its enclosing parentheses.
    pub expression: String,
    /// `STORED` (computed on write) rather than `VIRTUAL` (on read, SQLite's default).
    pub stored: bool,
}

/// The generated columns of `create_table`, in their order. Text that is not a `CREATE TABLE`
/// gives none.
pub fn generated_columns(create_table: &str) -> Vec<GeneratedColumn> {
    let tokens: Vec<_> = Tokens::new(create_table)
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .collect();
    let text = |i: usize| tokens.get(i).map_or("", |t| &create_table[t.start..t.end]);
    let Some(open) = (0..tokens.len()).find(|&i| text(i) == "(") else {
        return Vec::new();
    };
    // The table's definitions: token ranges between the top-level commas of its parentheses.
    let mut definitions = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    for i in open + 1..tokens.len() {
        match text(i) {
            "(" => depth += 1,
            ")" if depth == 0 => {
                definitions.push(start..i);
                break;
            }
            ")" => depth -= 1,
            "," if depth == 0 => {
                definitions.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
    }
    let mut generated = Vec::new();
    for definition in definitions {
        let first = definition.start;
        if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| text(first).eq_ignore_ascii_case(k))
            && tokens.get(first).is_some_and(|t| t.kind == TokenKind::Word)
        {
            continue;
        }
        // `AS (` at the definition's own level starts the expression.
        let mut depth = 0usize;
        let mut found = None;
        for i in definition.clone() {
            match text(i) {
                "(" => depth += 1,
                ")" => depth = depth.saturating_sub(1),
                word if depth == 0 && word.eq_ignore_ascii_case("AS") && text(i + 1) == "(" => {
                    found = Some(i + 1);
                    break;
                }
                _ => {}
            }
        }
        let Some(open) = found else { continue };
        let mut depth = 0usize;
        let Some(close) = (open..definition.end).find(|&i| {
            match text(i) {
                "(" => depth += 1,
                ")" => depth -= 1,
                _ => {}
            }
            depth == 0
        }) else {
            continue;
        };
        let (Some(after_open), Some(before_close)) = (tokens.get(open), tokens.get(close)) else {
            continue;
        };
        generated.push(GeneratedColumn {
            name: unquote_identifier(text(first)),
            expression: create_table[after_open.end..before_close.start]
                .trim()
                .to_string(),
            stored: text(close + 1).eq_ignore_ascii_case("STORED"),
        });
    }
    generated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, expression: &str, stored: bool) -> GeneratedColumn {
        GeneratedColumn {
            name: name.into(),
            expression: expression.into(),
            stored,
        }
    }

    #[test]
    fn reads_virtual_and_stored_columns_with_nested_parentheses() {
        let sql = "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT DEFAULT (1), \
                   \"full name\" TEXT GENERATED ALWAYS AS (upper(a) || ' (x)') VIRTUAL, \
                   b INT AS ((a + 1) * 2) STORED, c AS (a), \
                   CONSTRAINT k CHECK (a AS_IS > 0), UNIQUE (a))";
        assert_eq!(
            generated_columns(sql),
            [
                column("full name", "upper(a) || ' (x)'", false),
                column("b", "(a + 1) * 2", true),
                column("c", "a", false),
            ]
        );
    }

    #[test]
    fn tables_without_generated_columns_and_odd_text_give_none() {
        assert!(generated_columns("CREATE TABLE t(a, b TEXT DEFAULT 'AS (x)')").is_empty());
        assert!(generated_columns("CREATE VIEW v AS SELECT 1").is_empty());
        assert!(generated_columns("").is_empty());
        assert!(generated_columns("CREATE TABLE t(a AS (").is_empty());
    }
}
