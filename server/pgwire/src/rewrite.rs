//! PostgreSQL spellings that SQLite does not read, turned into ones it does:
//! `$1` parameters become `?1` (SQLite numbers `?NNN` exactly as PostgreSQL numbers `$N`,
//! whereas `$1` would be a *named* parameter numbered by first appearance), `::type` casts
//! are dropped (SQLite's values carry their own type; the cast of a parameter is kept as that
//! parameter's type), and `ILIKE` becomes `LIKE` (case-insensitive in SQLite already).

use std::collections::HashMap;

use ha_types::sql_text::{TokenKind, tokenize};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rewritten {
    pub sql: String,
    /// `$N::type` casts: parameter number → the type name as written (lower case).
    pub casts: HashMap<usize, String>,
}

/// Type names of more than one word.
const TWO_WORD_TYPES: &[(&str, &str)] = &[
    ("double", "precision"),
    ("character", "varying"),
    ("bit", "varying"),
];

pub(crate) fn rewrite(sql: &str) -> Rewritten {
    let tokens = tokenize(sql);
    let mut out = String::with_capacity(sql.len());
    let mut casts = HashMap::new();
    let mut i = 0;
    let mut last_parameter: Option<usize> = None;
    while i < tokens.len() {
        let token = tokens[i];
        let text = &sql[token.start..token.end];
        // `::type`: two ':' symbols, then a type name.
        if text == ":"
            && tokens
                .get(i + 1)
                .is_some_and(|t| &sql[t.start..t.end] == ":")
            && let Some((end, name)) = cast_type(sql, &tokens, i + 2)
        {
            if let Some(number) = last_parameter {
                casts.insert(number, name);
            }
            i = end;
            continue;
        }
        last_parameter = None;
        match token.kind {
            TokenKind::Parameter
                if text.starts_with('$') && text[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                out.push('?');
                out.push_str(&text[1..]);
                last_parameter = text[1..].parse().ok();
            }
            TokenKind::Word if text.eq_ignore_ascii_case("ILIKE") => out.push_str("LIKE"),
            _ => out.push_str(text),
        }
        i += 1;
    }
    Rewritten { sql: out, casts }
}

/// The type name starting at token `from` (after optional whitespace), its end, and its text:
/// one or two words, an optional `(n[, m])`, optional `[]`.
fn cast_type(
    sql: &str,
    tokens: &[ha_types::sql_text::Token],
    from: usize,
) -> Option<(usize, String)> {
    let text = |i: usize| tokens.get(i).map(|t| &sql[t.start..t.end]);
    let kind = |i: usize| tokens.get(i).map(|t| t.kind);
    let skip_space = |mut i: usize| {
        while kind(i) == Some(TokenKind::Whitespace) {
            i += 1;
        }
        i
    };
    let mut i = from;
    let mut name = match kind(i)? {
        TokenKind::Word => text(i)?.to_ascii_lowercase(),
        TokenKind::QuotedIdentifier => {
            let quoted = text(i)?;
            quoted[1..quoted.len() - 1].to_ascii_lowercase()
        }
        _ => return None,
    };
    i += 1;
    let after_space = skip_space(i);
    if let Some(second) = text(after_space)
        && TWO_WORD_TYPES
            .iter()
            .any(|(a, b)| *a == name && second.eq_ignore_ascii_case(b))
    {
        name = format!("{name} {}", second.to_ascii_lowercase());
        i = after_space + 1;
    }
    if text(i) == Some("(") {
        let close = (i..tokens.len()).find(|&j| text(j) == Some(")"))?;
        i = close + 1;
    }
    // `[]` lexes as a bracket-quoted identifier (SQLite's `[name]`), or as two symbols.
    loop {
        if text(i) == Some("[]") {
            i += 1;
        } else if text(i) == Some("[") && text(i + 1) == Some("]") {
            i += 2;
        } else {
            break;
        }
        name.push_str("[]");
    }
    Some((i, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_become_sqlite_ones() {
        let r = rewrite("SELECT $2, $1 FROM t WHERE a = $10 AND b = '$1'");
        assert_eq!(r.sql, "SELECT ?2, ?1 FROM t WHERE a = ?10 AND b = '$1'");
    }

    #[test]
    fn casts_are_dropped_and_parameter_casts_kept() {
        let r = rewrite(
            "INSERT INTO t(a, b) VALUES ($1::VARCHAR, $2::double precision) RETURNING a::text, (b)::numeric(10,2)",
        );
        assert_eq!(
            r.sql,
            "INSERT INTO t(a, b) VALUES (?1, ?2) RETURNING a, (b)"
        );
        assert_eq!(r.casts.get(&1).map(String::as_str), Some("varchar"));
        assert_eq!(
            r.casts.get(&2).map(String::as_str),
            Some("double precision")
        );
        let r = rewrite("SELECT $1::int[], 'x'::\"char\"");
        assert_eq!(r.sql, "SELECT ?1, 'x'");
        assert_eq!(r.casts.get(&1).map(String::as_str), Some("int[]"));
    }

    #[test]
    fn other_text_is_kept_as_written() {
        let sql = "SELECT a FROM t WHERE name ILIKE 'x%' AND c = ':a::b' -- $1::int\n";
        assert_eq!(
            rewrite(sql).sql,
            "SELECT a FROM t WHERE name LIKE 'x%' AND c = ':a::b' -- $1::int\n"
        );
        assert_eq!(rewrite("SELECT :name").sql, "SELECT :name");
    }
}
