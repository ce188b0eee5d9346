//! Set-returning functions in a select list (`SELECT unnest(indkey) AS attnum,
//! generate_subscripts(indkey, 1) AS ord FROM pg_index`, pgjdbc's
//! `(information_schema._pg_expandarray(con.conkey)).n`): PostgreSQL makes one row per item.
//! SQLite has no such functions, so the select's FROM list is joined with the items of the
//! first array (`json_each`, as `ha_srf`), and each call becomes that row's item or position;
//! a second array in the same list is read at the same position (PostgreSQL's lockstep).

use std::collections::HashMap;

use ha_types::sql_text::{Token, TokenKind};

use super::catalog::{SetAlias, matching, next_significant, unquoted};
use super::{Piece, rewrite};

/// The alias SQLite knows a lateral `unnest` by (see [`lateral_unnest`]).
const LATERAL: &str = "ha_lateral";

/// An `unnest(a, b) [WITH ORDINALITY] k(x, y, n)` in a FROM list whose arrays read an item
/// before it (`FROM pg_index i, unnest(i.indkey, i.indoption) WITH ORDINALITY k(...)`,
/// Django's index query). SQLite's subqueries in FROM can't read their neighbours, but its
/// table-valued functions can: it becomes `json_each(a) AS ha_lateral`, and the query's
/// `SELECT *` (already in `out`) names the items' columns as the alias does (`i.*,
/// ha_lateral.value AS x, ...`). `None` unless the query selects `*` and an array reads an
/// item of its FROM list; the text to put in the FROM list otherwise.
pub(super) fn lateral_unnest(
    out: &mut [Piece<'_>],
    arrays: &[String],
    alias: &SetAlias,
) -> Option<String> {
    let significant = |p: &&Piece<'_>| p.kind != TokenKind::Whitespace;
    // The FROM of this query, and the items before the unnest.
    let mut depth = 0usize;
    let mut from = None;
    for (at, piece) in out.iter().enumerate().rev() {
        match &*piece.text {
            ")" => depth += 1,
            "(" if depth == 0 => return None,
            "(" => depth -= 1,
            word if depth == 0 && word.eq_ignore_ascii_case("FROM") => {
                from = Some(at);
                break;
            }
            _ => {}
        }
    }
    let from = from?;
    let mut items: Vec<String> = Vec::new();
    let mut last_name = None;
    let mut depth = 0usize;
    for piece in out[from + 1..].iter().filter(significant) {
        match &*piece.text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            "," if depth == 0 => items.extend(last_name.take()),
            _ if depth == 0
                && matches!(piece.kind, TokenKind::Word | TokenKind::QuotedIdentifier) =>
            {
                last_name = Some(piece.text.to_string());
            }
            _ => {}
        }
    }
    let reads_an_item = arrays
        .iter()
        .any(|array| items.iter().any(|item| array.contains(&format!("{item}."))));
    if !reads_an_item {
        return None;
    }
    // The query's select list must be `*`.
    let mut depth = 0usize;
    let mut star = None;
    for (at, piece) in out[..from].iter().enumerate().rev() {
        match &*piece.text {
            ")" => depth += 1,
            "(" => depth = depth.checked_sub(1)?,
            _ if depth > 0 || !significant(&piece) => {}
            "*" if star.is_none() => star = Some(at),
            word if word.eq_ignore_ascii_case("SELECT") => break,
            _ => return None,
        }
    }
    let star = star?;
    let mut columns: Vec<String> = items.iter().map(|item| format!("{item}.*")).collect();
    for (k, array) in arrays.iter().enumerate() {
        let name = alias
            .columns
            .get(k)
            .cloned()
            .unwrap_or_else(|| alias.alias.clone());
        columns.push(if k == 0 {
            format!("{LATERAL}.value AS {name}")
        } else {
            format!("ha_subscript({array}, {LATERAL}.key + ha_array_base({array})) AS {name}")
        });
    }
    if alias.ordinality
        && let Some(name) = alias.columns.get(arrays.len())
    {
        columns.push(format!("{LATERAL}.key + 1 AS {name}"));
    }
    out[star].text = columns.join(", ").into();
    Some(format!(
        "json_each(ha_array_json({})) AS {LATERAL}",
        arrays.first()?
    ))
}

/// Text edits by token index: a replacement of tokens `start..end`, or text to insert before
/// a token.
#[derive(Debug, Default)]
pub(super) struct Edits {
    pub replace: HashMap<usize, (usize, String)>,
    pub insert: HashMap<usize, String>,
}

const FUNCTIONS: &[&str] = &["unnest", "generate_subscripts", "_pg_expandarray"];

/// Where a select list ends its FROM list: the clause words after it.
const AFTER_FROM: &[&str] = &[
    "WHERE",
    "GROUP",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "WINDOW",
    "UNION",
    "EXCEPT",
    "INTERSECT",
];

pub(super) fn edits(sql: &str, tokens: &[Token]) -> Edits {
    let mut edits = Edits::default();
    let text = |i: usize| &sql[tokens[i].start..tokens[i].end];
    let word_is =
        |i: usize, w: &str| tokens[i].kind == TokenKind::Word && text(i).eq_ignore_ascii_case(w);
    for select in (0..tokens.len()).filter(|&i| word_is(i, "SELECT")) {
        // The select list: to its FROM at the same depth, or to where the select ends.
        let mut depth = 0usize;
        let mut from = None;
        let mut list_end = tokens.len();
        let mut calls = Vec::new();
        let mut i = select + 1;
        while i < tokens.len() {
            match text(i) {
                "(" => depth += 1,
                ")" if depth == 0 => {
                    list_end = i;
                    break;
                }
                ")" => depth -= 1,
                ";" => {
                    list_end = i;
                    break;
                }
                _ if word_is(i, "SELECT") => {
                    // A subquery: its own select, handled on its own.
                    i = matching_close(sql, tokens, i);
                    continue;
                }
                _ if depth == 0 && word_is(i, "FROM") => {
                    from = Some(i);
                    list_end = i;
                    break;
                }
                _ if tokens[i].kind == TokenKind::Word
                    && FUNCTIONS.iter().any(|f| text(i).eq_ignore_ascii_case(f))
                    && tokens
                        .get(i + 1)
                        .is_some_and(|t| &sql[t.start..t.end] == "(") =>
                {
                    calls.push(i);
                }
                _ => {}
            }
            i += 1;
        }
        if calls.is_empty() {
            continue;
        }
        let arrays: Vec<String> = calls
            .iter()
            .map(|&call| {
                let close = matching(sql, tokens, call + 1);
                let arguments = &sql[tokens[call + 1].end..tokens[close].start];
                rewrite(top_level_arguments(arguments)[0])
                    .sql
                    .trim()
                    .to_string()
            })
            .collect();
        let driver = arrays[0].clone();
        for (&call, array) in calls.iter().zip(&arrays) {
            let close = matching(sql, tokens, call + 1);
            let item = if *array == driver {
                "ha_srf.value".to_string()
            } else {
                format!("ha_subscript({array}, ha_srf.key + ha_array_base({array}))")
            };
            // `information_schema._pg_expandarray`: the qualifier goes with the call.
            let mut start = call;
            if call >= 2
                && text(call - 1) == "."
                && unquoted(text(call - 2)).eq_ignore_ascii_case("information_schema")
            {
                start = call - 2;
            }
            let name = text(call).to_ascii_lowercase();
            let (start, end, replacement) = match name.as_str() {
                "generate_subscripts" => (
                    start,
                    close + 1,
                    format!("(ha_srf.key + ha_array_base({array}))"),
                ),
                // `(_pg_expandarray(a)).n` is the position from 1, `.x` the item; the whole
                // record stands for its item (`(result.keys).x` reads it back).
                "_pg_expandarray" => match field_of_call(sql, tokens, start, close) {
                    Some((open, last, field)) if field.eq_ignore_ascii_case("n") => {
                        (open, last + 1, "(ha_srf.key + 1)".to_string())
                    }
                    Some((open, last, _)) => (open, last + 1, item),
                    None => (start, close + 1, item),
                },
                _ => (start, close + 1, item),
            };
            edits.replace.insert(start, (end, replacement));
        }
        let join = format!(" JOIN json_each(ha_array_json({driver})) AS ha_srf ");
        match from {
            Some(from) => {
                let end = from_list_end(sql, tokens, from);
                edits.insert.entry(end).or_default().push_str(&join);
            }
            None => {
                let from = format!(" FROM json_each(ha_array_json({driver})) AS ha_srf ");
                edits.insert.entry(list_end).or_default().push_str(&from);
            }
        }
    }
    // `(a.b).x`: a record's item read back, for `_pg_expandarray`'s record above.
    for open in (0..tokens.len()).filter(|&i| text(i) == "(") {
        let close = matching(sql, tokens, open);
        let inside: Vec<usize> = (open + 1..close)
            .filter(|&j| tokens[j].kind != TokenKind::Whitespace)
            .collect();
        let is_name = inside.len() == 3
            && text(inside[1]) == "."
            && tokens[inside[0]].kind == TokenKind::Word
            && tokens[inside[2]].kind == TokenKind::Word;
        if is_name
            && tokens
                .get(close + 1)
                .is_some_and(|t| &sql[t.start..t.end] == ".")
            && tokens.get(close + 2).is_some_and(|t| {
                t.kind == TokenKind::Word && sql[t.start..t.end].eq_ignore_ascii_case("x")
            })
            && !edits.replace.contains_key(&open)
        {
            let name = format!("{}.{}", text(inside[0]), text(inside[2]));
            edits.replace.insert(open, (close + 3, name));
        }
    }
    edits
}

/// The arguments of a call, split at its top-level commas.
pub(super) fn top_level_arguments(arguments: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    // Commas inside quotes ('{1,2}', "a,b") are the text's.
    let mut quote = None;
    for (at, c) in arguments.char_indices() {
        match c {
            '\'' | '"' if quote == Some(c) => quote = None,
            _ if quote.is_some() => {}
            '\'' | '"' => quote = Some(c),
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&arguments[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&arguments[start..]);
    parts
}

/// For a call at `start..=close` written `(call).field`: the `(`, the field's token and the
/// field.
fn field_of_call<'a>(
    sql: &'a str,
    tokens: &[Token],
    start: usize,
    close: usize,
) -> Option<(usize, usize, &'a str)> {
    let open = (0..start)
        .rev()
        .find(|&j| tokens[j].kind != TokenKind::Whitespace)
        .filter(|&j| &sql[tokens[j].start..tokens[j].end] == "(")?;
    let (after, _, ")") = next_significant(sql, tokens, close + 1)? else {
        return None;
    };
    let (dot, _, ".") = next_significant(sql, tokens, after + 1)? else {
        return None;
    };
    let (field, TokenKind::Word, name) = next_significant(sql, tokens, dot + 1)? else {
        return None;
    };
    Some((open, field, name))
}

/// The index past the `)` that closes the subquery whose SELECT is at `select` (the subquery's
/// `(` is before it).
fn matching_close(sql: &str, tokens: &[Token], select: usize) -> usize {
    let mut depth = 0usize;
    for (j, token) in tokens.iter().enumerate().skip(select) {
        match &sql[token.start..token.end] {
            "(" => depth += 1,
            ")" if depth == 0 => return j,
            ")" => depth -= 1,
            _ => {}
        }
    }
    tokens.len()
}

/// Where the FROM list that starts after `from` ends.
fn from_list_end(sql: &str, tokens: &[Token], from: usize) -> usize {
    let mut depth = 0usize;
    for (j, token) in tokens.iter().enumerate().skip(from + 1) {
        let t = &sql[token.start..token.end];
        match t {
            "(" => depth += 1,
            ")" if depth == 0 => return j,
            ")" => depth -= 1,
            ";" if depth == 0 => return j,
            _ if depth == 0
                && token.kind == TokenKind::Word
                && AFTER_FROM.iter().any(|w| t.eq_ignore_ascii_case(w)) =>
            {
                return j;
            }
            _ => {}
        }
    }
    tokens.len()
}
