//! `array_agg(x ORDER BY y) AS name`: SQLite's `json_group_array` (which takes `ORDER BY`
//! too), written as a PostgreSQL array's text by the catalog's `ha_pg_array`. A client reads
//! an array only when the column is described with an array type, and SQLite knows none, so the
//! statement's own text tells it: the column named `name` (here, or where an outer query
//! selects `sub.name`) is an array whose items are typed by what is aggregated: a cast to text
//! or to a number, or a column of the statement defined as a comparison (a boolean), a cast
//! or a `CASE` of casts.

use std::collections::HashMap;

use ha_types::sql_text::{Token, TokenKind};
use pgwire::api::Type;

use super::catalog::{matching, next_significant};

/// The array columns `array_agg` makes in `sql` (and the booleans `bool_and` makes), by their
/// names (lower case).
pub(super) fn array_columns(sql: &str, tokens: &[Token]) -> HashMap<String, Type> {
    let mut columns = HashMap::new();
    for call in calls(sql, tokens, &["array_agg"]) {
        let close = matching(sql, tokens, call + 1);
        // Unnamed, PostgreSQL names the column `array_agg` (the rewrite writes that alias).
        let alias = match alias_after(sql, tokens, close) {
            Some(alias) => alias,
            None if unnamed_select_item(sql, tokens, call, close) => "array_agg",
            None => continue,
        };
        let aggregated = aggregated_expression(&sql[tokens[call + 1].end..tokens[close].start]);
        let item = item_type(sql, tokens, aggregated);
        columns.insert(alias.to_ascii_lowercase(), item);
    }
    // `ARRAY(SELECT x ...)`: named by its alias, or `array` as a whole select item.
    for call in calls(sql, tokens, &["ARRAY"]) {
        let close = matching(sql, tokens, call + 1);
        let name = match alias_after(sql, tokens, close) {
            Some(alias) => alias.to_string(),
            None if unnamed_select_item(sql, tokens, call, close) => "array".to_string(),
            None => continue,
        };
        let inner = &sql[tokens[call + 1].end..tokens[close].start];
        let item = crate::compat::select_list_items(inner)
            .and_then(|items| items.first().copied())
            .and_then(cast_type)
            .unwrap_or(Type::TEXT_ARRAY);
        columns.insert(name.to_ascii_lowercase(), item);
    }
    // `bool_and(x) AS name` is SQLite's `min` of 0 and 1: a boolean all the same.
    for call in calls(sql, tokens, &["bool_and", "bool_or", "every"]) {
        let close = matching(sql, tokens, call + 1);
        if let Some(alias) = alias_after(sql, tokens, close) {
            columns.insert(alias.to_ascii_lowercase(), Type::BOOL);
        }
    }
    columns
}

/// Where `sql` calls one of `names` (the name's token, followed by `(`).
fn calls<'a>(
    sql: &'a str,
    tokens: &'a [Token],
    names: &'a [&str],
) -> impl Iterator<Item = usize> + 'a {
    (0..tokens.len()).filter(move |&i| {
        tokens[i].kind == TokenKind::Word
            && names
                .iter()
                .any(|name| sql[tokens[i].start..tokens[i].end].eq_ignore_ascii_case(name))
            && tokens
                .get(i + 1)
                .is_some_and(|t| &sql[t.start..t.end] == "(")
    })
}

/// Whether the expression at `start..=close` is a whole item of a select list without an
/// alias (after SELECT or `,`, before `,` or FROM).
pub(super) fn unnamed_select_item(sql: &str, tokens: &[Token], start: usize, close: usize) -> bool {
    let before = (0..start)
        .rev()
        .find(|&j| tokens[j].kind != TokenKind::Whitespace)
        .map(|j| &sql[tokens[j].start..tokens[j].end]);
    let after = next_significant(sql, tokens, close + 1).map(|(_, _, t)| t);
    before.is_some_and(|b| b == "," || b.eq_ignore_ascii_case("SELECT"))
        && after.is_none_or(|a| a == "," || a.eq_ignore_ascii_case("FROM"))
}

/// The alias after a call ending at `close`: `AS name` or `name`.
fn alias_after<'a>(sql: &'a str, tokens: &[Token], close: usize) -> Option<&'a str> {
    let (at, kind, word) = next_significant(sql, tokens, close + 1)?;
    if word.eq_ignore_ascii_case("AS") {
        let (_, _, name) = next_significant(sql, tokens, at + 1)?;
        return Some(name.trim_matches('"'));
    }
    (kind == TokenKind::Word
        && !["FROM", "OVER", "FILTER"]
            .iter()
            .any(|k| word.eq_ignore_ascii_case(k)))
    .then_some(word)
}

/// The aggregated expression: the argument text before its `ORDER BY`.
fn aggregated_expression(arguments: &str) -> &str {
    let upper = arguments.to_ascii_uppercase();
    upper
        .find(" ORDER BY ")
        .map_or(arguments, |at| &arguments[..at])
        .trim()
}

/// The array type for items written `expression`.
fn item_type(sql: &str, tokens: &[Token], expression: &str) -> Type {
    if let Some(found) = cast_type(expression) {
        return found;
    }
    // `sub.column`: how the statement defines `column`.
    let name = expression
        .rsplit('.')
        .next()
        .unwrap_or(expression)
        .trim_matches('"');
    match definition(sql, tokens, name) {
        Some(defined) => cast_type(defined).unwrap_or(if is_comparison(defined) {
            Type::BOOL_ARRAY
        } else {
            Type::TEXT_ARRAY
        }),
        None => Type::TEXT_ARRAY,
    }
}

/// The array type of an expression that casts (the last cast in it, for a `CASE` of casts).
fn cast_type(expression: &str) -> Option<Type> {
    let upper = expression.to_ascii_uppercase();
    let at = upper.rfind(" AS ")?;
    let target = upper[at + 4..].trim_start();
    let name: String = target
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect();
    let name = name.trim();
    if !upper.contains("CAST") {
        return None;
    }
    Some(match name {
        "BIGINT" | "INTEGER" | "INT" | "INT8" | "INT4" | "SMALLINT" | "INT2" | "OID" => {
            Type::INT8_ARRAY
        }
        "BOOLEAN" | "BOOL" => Type::BOOL_ARRAY,
        _ => Type::TEXT_ARRAY,
    })
}

/// The expression the statement names `name` (`<expression> AS name` in a select list).
fn definition<'a>(sql: &'a str, tokens: &[Token], name: &str) -> Option<&'a str> {
    let text = |i: usize| &sql[tokens[i].start..tokens[i].end];
    let alias = (1..tokens.len()).find(|&i| {
        text(i).trim_matches('"').eq_ignore_ascii_case(name)
            && (0..i)
                .rev()
                .find(|&j| tokens[j].kind != TokenKind::Whitespace)
                .is_some_and(|j| text(j).eq_ignore_ascii_case("AS"))
    })?;
    let as_word = (0..alias)
        .rev()
        .find(|&j| tokens[j].kind != TokenKind::Whitespace)?;
    // Back to the `,` or SELECT that starts the item, at the same depth.
    let mut depth = 0usize;
    let mut start = as_word;
    while start > 0 {
        let t = text(start - 1);
        match t {
            ")" => depth += 1,
            "(" if depth == 0 => break,
            "(" => depth -= 1,
            "," if depth == 0 => break,
            _ if depth == 0 && t.eq_ignore_ascii_case("SELECT") => break,
            _ => {}
        }
        start -= 1;
    }
    Some(sql[tokens[start].start..tokens[as_word].start].trim())
}

/// Whether an expression's value is a comparison's (a boolean), outside parentheses.
fn is_comparison(expression: &str) -> bool {
    let mut depth = 0usize;
    let bytes = expression.as_bytes();
    for (at, c) in bytes.iter().enumerate() {
        match c {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'=' | b'<' | b'>' if depth == 0 => return true,
            _ => {}
        }
        if depth == 0 && expression[at..].to_ascii_uppercase().starts_with(" IS ") {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_columns_are_typed_by_what_they_aggregate() {
        let sql = "SELECT array_agg(CAST(a.attname AS TEXT) ORDER BY a.ord) AS cols, \
                   array_agg(x.element ORDER BY x.ord) AS elements, \
                   array_agg(x.is_expr ORDER BY x.ord) AS elements_is_expr, \
                   array_agg(x.att_opclass ORDER BY x.ord) AS elements_opclass \
                   FROM (SELECT CASE WHEN i.attnum = 0 THEN f(i.id) ELSE CAST(p.attname AS TEXT) END AS element, \
                   i.attnum = 0 AS is_expr, CAST(i.opclass AS BIGINT) AS att_opclass FROM t) AS x";
        let tokens = ha_types::sql_text::tokenize(sql);
        let columns = array_columns(sql, &tokens);
        assert_eq!(columns.get("cols"), Some(&Type::TEXT_ARRAY));
        assert_eq!(columns.get("elements"), Some(&Type::TEXT_ARRAY));
        assert_eq!(columns.get("elements_is_expr"), Some(&Type::BOOL_ARRAY));
        assert_eq!(columns.get("elements_opclass"), Some(&Type::INT8_ARRAY));
    }
}
