//! The pieces of the translation that catalog queries need: PostgreSQL's reference-type casts,
//! regular expression operators, `ANY(ARRAY[...])`, set-returning functions in a FROM list,
//! `LIKE`'s default escape, `E''` strings.

use std::collections::HashMap;

use ha_types::sql_text::{Token, TokenKind};

use super::Piece;

/// The index of the `)` that closes the `(` at token `open`.
pub(super) fn matching(sql: &str, tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, token) in tokens.iter().enumerate().skip(open) {
        match &sql[token.start..token.end] {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

/// Whether the text so far ends where a FROM list expects a table (after FROM, JOIN or `,`
/// inside a FROM list).
pub(super) fn after_from_list_start(out: &[Piece<'_>]) -> bool {
    let mut words = out.iter().rev().filter(|p| p.kind != TokenKind::Whitespace);
    match words.next() {
        Some(p) if p.text.eq_ignore_ascii_case("FROM") || p.text.eq_ignore_ascii_case("JOIN") => {
            true
        }
        Some(p) if p.text == "," => out
            .iter()
            .rev()
            .find(|p| {
                ["FROM", "SELECT", "WHERE"]
                    .iter()
                    .any(|k| p.text.eq_ignore_ascii_case(k))
            })
            .is_some_and(|p| p.text.eq_ignore_ascii_case("FROM")),
        _ => false,
    }
}

/// A set-returning function in a FROM list: its closing `)`, its alias and column names (`x`,
/// `AS x`, `pos(n)`, `WITH ORDINALITY k(item, n)`: the column is the alias unless named), and
/// the token after them.
pub(super) struct SetAlias {
    pub close: usize,
    pub alias: String,
    /// The names of its columns: the items' (one per array), then the ordinality's.
    pub columns: Vec<String>,
    /// `WITH ORDINALITY`: a last column counting the rows from 1.
    pub ordinality: bool,
    pub end: usize,
}

/// After `unnest(` (or `generate_series(`) at token `open`: see [`SetAlias`]; `None` without
/// an alias or with `WITH ORDINALITY`.
pub(super) fn set_alias(sql: &str, tokens: &[Token], open: usize) -> Option<SetAlias> {
    let close = matching(sql, tokens, open);
    let (mut at, mut kind, mut word) = next_significant(sql, tokens, close + 1)?;
    let mut ordinality = false;
    if word.eq_ignore_ascii_case("WITH") {
        let (ord_at, _, ord) = next_significant(sql, tokens, at + 1)?;
        if !ord.eq_ignore_ascii_case("ORDINALITY") {
            return None;
        }
        ordinality = true;
        (at, kind, word) = next_significant(sql, tokens, ord_at + 1)?;
    }
    let mut after = at + 1;
    if word.eq_ignore_ascii_case("AS") {
        let (at, _, name) = next_significant(sql, tokens, after)?;
        word = name;
        after = at + 1;
    } else if kind != TokenKind::Word {
        return None;
    }
    if [
        "ON", "WHERE", "JOIN", "LEFT", "ORDER", "GROUP", "CROSS", "INNER",
    ]
    .iter()
    .any(|k| word.eq_ignore_ascii_case(k))
    {
        return None;
    }
    let alias = word.to_string();
    let mut columns = vec![alias.clone()];
    let mut end = after;
    if let Some((open, _, "(")) = next_significant(sql, tokens, after) {
        let close = matching(sql, tokens, open);
        columns = sql[tokens[open].end..tokens[close].start]
            .split(',')
            .map(|name| name.trim().to_string())
            .collect();
        end = close + 1;
    }
    Some(SetAlias {
        close,
        alias,
        columns,
        ordinality,
        end,
    })
}

/// The first token from `from` on that is not whitespace: its index, kind and text.
pub(super) fn next_significant<'a>(
    sql: &'a str,
    tokens: &[Token],
    from: usize,
) -> Option<(usize, TokenKind, &'a str)> {
    (from..tokens.len())
        .find(|&j| tokens[j].kind != TokenKind::Whitespace)
        .map(|j| (j, tokens[j].kind, &sql[tokens[j].start..tokens[j].end]))
}

/// `current_catalog`, `current_user`...: the call each stands for.
pub(super) fn keyword_function(word: &str) -> Option<&'static str> {
    // Asked of nearly every word of every statement: compared in place, not lower-cased.
    let is = |name: &str| word.eq_ignore_ascii_case(name);
    if is("current_catalog") {
        Some("current_database()")
    } else if is("current_user") || is("session_user") || is("current_role") {
        Some("ha_pg_user()")
    } else {
        None
    }
}

/// A name without its double quotes.
pub(super) fn unquoted(name: &str) -> &str {
    name.strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or(name)
}

/// `~` (match), `~*` (match, any case), `!~`, `!~*`: SQLite's REGEXP, run by the catalog's
/// `regexp` function.
pub(super) fn regex_operator(operator: &str) -> String {
    let negated = if operator.starts_with('!') {
        "NOT "
    } else {
        ""
    };
    if operator.contains('~') {
        format!(" {negated}REGEXP ")
    } else {
        format!(" {operator} ")
    }
}

/// Whether the text so far ends with an operand (so an operator that follows is binary).
pub(super) fn follows_operand(out: &[Piece<'_>]) -> bool {
    let Some(last) = out.iter().rev().find(|p| p.kind != TokenKind::Whitespace) else {
        return false;
    };
    match last.kind {
        TokenKind::String | TokenKind::Number | TokenKind::Parameter => true,
        TokenKind::QuotedIdentifier => true,
        TokenKind::Symbol => last.text == ")",
        TokenKind::Word => !KEYWORDS_BEFORE_OPERANDS
            .iter()
            .any(|k| last.text.eq_ignore_ascii_case(k)),
        _ => false,
    }
}

/// Words after which an expression starts (so `~` there is SQLite's bitwise not).
const KEYWORDS_BEFORE_OPERANDS: &[&str] = &[
    "SELECT",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "ON",
    "WHEN",
    "THEN",
    "ELSE",
    "RETURNING",
    "SET",
    "BY",
    "HAVING",
    "CASE",
    "IS",
    "IN",
    "LIKE",
    "BETWEEN",
    "VALUES",
    "DISTINCT",
    "ALL",
];

/// Wraps the operand just written (a literal, a parameter, a column `a.b`, or a call or
/// parenthesized expression) in `open` ... `close`.
pub(super) fn wrap_operand(out: &mut Vec<Piece<'_>>, open: &str, close: &str) {
    let mut end = out.len();
    while end > 0 && out[end - 1].kind == TokenKind::Whitespace {
        end -= 1;
    }
    if end == 0 {
        return;
    }
    let mut start = end - 1;
    if out[start].text == ")" {
        let mut depth = 0usize;
        loop {
            match &*out[start].text {
                ")" => depth += 1,
                "(" => depth -= 1,
                _ => {}
            }
            if depth == 0 || start == 0 {
                break;
            }
            start -= 1;
        }
        // A call: its function's name.
        if start > 0 && out[start - 1].kind == TokenKind::Word {
            start -= 1;
        }
    }
    // A qualified name: `c.oid`.
    while start >= 2
        && out[start - 1].text == "."
        && matches!(
            out[start - 2].kind,
            TokenKind::Word | TokenKind::QuotedIdentifier
        )
    {
        start -= 2;
    }
    out.insert(start, Piece::new(TokenKind::Word, open));
    out.truncate(end + 1);
    out.push(Piece::new(TokenKind::Symbol, close));
}

/// A `CAST(x AS regclass)` (or `regtype`) call: what replaces it, and where its parts are.
pub(super) struct CastCall {
    pub function: &'static str,
    pub after: &'static str,
    pub open: usize,
    pub as_word: usize,
    pub close: usize,
}

/// The casts to the catalog's reference types, by the index of their `CAST` token.
pub(super) fn cast_calls(sql: &str, tokens: &[Token]) -> HashMap<usize, CastCall> {
    let text = |i: usize| &sql[tokens[i].start..tokens[i].end];
    let mut calls = HashMap::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.kind != TokenKind::Word || !text(i).eq_ignore_ascii_case("CAST") {
            continue;
        }
        let Some(open) = (i + 1..tokens.len()).find(|&j| tokens[j].kind != TokenKind::Whitespace)
        else {
            continue;
        };
        if text(open) != "(" {
            continue;
        }
        let mut depth = 0usize;
        let mut as_word = None;
        let mut close = None;
        for j in open..tokens.len() {
            match text(j) {
                "(" => depth += 1,
                ")" => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(j);
                        break;
                    }
                }
                word if depth == 1 && word.eq_ignore_ascii_case("AS") => as_word = Some(j),
                _ => {}
            }
        }
        let (Some(as_word), Some(close)) = (as_word, close) else {
            continue;
        };
        let type_name: String = (as_word + 1..close)
            .filter(|&j| tokens[j].kind != TokenKind::Whitespace)
            .map(|j| unquoted(text(j)).to_ascii_lowercase())
            .collect();
        let type_name = type_name.trim_start_matches("pg_catalog.");
        let (function, after) = match type_name {
            "regclass" => ("ha_regclass", ")"),
            "regtype" => ("format_type", ", NULL)"),
            _ => continue,
        };
        calls.insert(
            i,
            CastCall {
                function,
                after,
                open,
                as_word,
                close,
            },
        );
    }
    calls
}

/// `(ARRAY[a, b])` starting at token `from` (after whitespace): the items' text and the index
/// of the closing parenthesis.
pub(super) fn array_argument<'a>(
    sql: &'a str,
    tokens: &[Token],
    from: usize,
) -> Option<(&'a str, usize)> {
    let significant: Vec<usize> = (from..tokens.len())
        .filter(|&j| tokens[j].kind != TokenKind::Whitespace)
        .take(4)
        .collect();
    let text = |j: usize| &sql[tokens[j].start..tokens[j].end];
    match significant.as_slice() {
        [open, array, items, close]
            if text(*open) == "("
                && text(*array).eq_ignore_ascii_case("ARRAY")
                && text(*items).starts_with('[')
                && text(*close) == ")" =>
        {
            let items = text(*items);
            Some((&items[1..items.len() - 1], *close))
        }
        _ => None,
    }
}

/// An `E'...'` string as an SQLite literal: its backslash escapes applied.
pub(super) fn escaped_string(literal: &str) -> String {
    let inner = &literal[1..literal.len().saturating_sub(1).max(1)];
    let mut value = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => value.push('\n'),
            Some('t') => value.push('\t'),
            Some('r') => value.push('\r'),
            Some('b') => value.push('\u{8}'),
            Some('f') => value.push('\u{c}'),
            Some(other) => value.push(other),
            None => {}
        }
    }
    format!("'{}'", value.replace("''", "'").replace('\'', "''"))
}
