//! PostgreSQL spellings that SQLite does not read, turned into ones it does:
//! `$1` parameters become `?1` (SQLite numbers `?NNN` exactly as PostgreSQL numbers `$N`,
//! whereas `$1` would be a *named* parameter numbered by first appearance), `::type` casts
//! are dropped (SQLite's values carry their own type; the cast of a parameter is kept as that
//! parameter's type), and `ILIKE` becomes `LIKE` (case-insensitive in SQLite already).

use std::borrow::Cow;
use std::collections::HashMap;

use ha_types::sql_text::{TokenKind, tokenize};

mod arrays;
mod catalog;
mod srf;

use ha_types::sql_text::like_escapes;

use catalog::{
    after_from_list_start, array_argument, cast_calls, escaped_string, follows_operand,
    keyword_function, matching, regex_operator, set_alias, unquoted, wrap_operand,
};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rewritten {
    pub sql: String,
    /// `$N::type` casts: parameter number → the type name as written (lower case).
    pub casts: HashMap<usize, String>,
    /// Result columns that `array_agg` makes, by name (lower case): their array types.
    pub array_columns: HashMap<String, pgwire::api::Type>,
}

/// Type names of more than one word.
const TWO_WORD_TYPES: &[(&str, &str)] = &[
    ("double", "precision"),
    ("character", "varying"),
    ("bit", "varying"),
];

pub(crate) fn rewrite(sql: &str) -> Rewritten {
    let tokens = tokenize(sql);
    let casts_to_relations = cast_calls(sql, &tokens);
    let like_escapes = like_escapes(sql, &tokens);
    let set_functions = srf::edits(sql, &tokens);
    // Where an `array_agg(` call closes, and whether it is an unnamed select item.
    let mut aggregate_closes: HashMap<usize, bool> = HashMap::new();
    let mut out: Vec<Piece> = Vec::with_capacity(tokens.len());
    let mut casts = HashMap::new();
    let mut i = 0;
    let mut last_parameter: Option<usize> = None;
    while i < tokens.len() {
        let token = tokens[i];
        let text = &sql[token.start..token.end];
        let next = |n: usize| tokens.get(i + n).map(|t| &sql[t.start..t.end]);
        // `::type`: two ':' symbols, then a type name.
        if text == ":"
            && next(1) == Some(":")
            && let Some((end, name)) = cast_type(sql, &tokens, i + 2)
        {
            if let Some(number) = last_parameter {
                casts.insert(number, name.clone());
            }
            // Casts to the catalog's reference types look the relation or type up.
            match name.as_str() {
                "regclass" => wrap_operand(&mut out, "ha_regclass(", ")"),
                "regtype" => wrap_operand(&mut out, "format_type(", ", NULL)"),
                _ => {}
            }
            i = end;
            continue;
        }
        last_parameter = None;
        if let Some(unnamed) = aggregate_closes.get(&i) {
            // Unnamed, PostgreSQL names the column `array_agg`.
            let close = if *unnamed {
                ")) AS \"array_agg\""
            } else {
                "))"
            };
            out.push(Piece::new(TokenKind::Symbol, close));
            i += 1;
            continue;
        }
        if let Some(text) = set_functions.insert.get(&i) {
            out.push(Piece::new(TokenKind::Word, text));
        }
        if let Some((end, replacement)) = set_functions.replace.get(&i) {
            out.push(Piece::new(TokenKind::Word, replacement));
            i = *end;
            continue;
        }
        if like_escapes.contains(&i) {
            out.push(Piece::new(TokenKind::Word, " ESCAPE '\\' "));
        }
        if let Some(cast) = casts_to_relations.get(&i) {
            // `CAST(x AS regclass)`: the call, then `x` as it comes, then `)`.
            out.push(Piece::new(TokenKind::Word, cast.function));
            out.push(Piece::new(TokenKind::Symbol, "("));
            let operand = &sql[tokens[cast.open + 1].start..tokens[cast.as_word].start];
            let rewritten = rewrite(operand);
            casts.extend(rewritten.casts);
            out.push(Piece::new(TokenKind::Word, rewritten.sql.trim_end()));
            out.push(Piece::new(TokenKind::Symbol, cast.after));
            i = cast.close + 1;
            continue;
        }
        match token.kind {
            TokenKind::Parameter
                if text.starts_with('$') && text[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                out.push(Piece::new(token.kind, &format!("?{}", &text[1..])));
                last_parameter = text[1..].parse().ok();
            }
            // `array_agg(x ORDER BY y)`: an array's text, from SQLite's JSON aggregate.
            TokenKind::Word if text.eq_ignore_ascii_case("array_agg") && next(1) == Some("(") => {
                let close = matching(sql, &tokens, i + 1);
                let unnamed = arrays::unnamed_select_item(sql, &tokens, i, close);
                aggregate_closes.insert(close, unnamed);
                out.push(Piece::new(TokenKind::Word, "ha_pg_array(json_group_array("));
                i += 2;
                continue;
            }
            // `id SERIAL` in a table's definition: SQLite's auto-numbered key is a column typed
            // exactly INTEGER (with PRIMARY KEY), so the serial types are written so.
            TokenKind::Word
                if is_serial(text)
                    && defines_schema(sql, &tokens)
                    && ends_column_type(sql, &tokens, i) =>
            {
                out.push(Piece::new(TokenKind::Word, "INTEGER"));
            }
            // PostgreSQL's boolean aggregates over SQLite's 0 and 1.
            TokenKind::Word
                if next(1) == Some("(")
                    && let Some(aggregate) = boolean_aggregate(text) =>
            {
                out.push(Piece::new(TokenKind::Word, aggregate));
            }
            TokenKind::Word if text.eq_ignore_ascii_case("ILIKE") => {
                out.push(Piece::new(token.kind, "LIKE"));
            }
            // `pg_catalog.x` is `x`: the catalog's relations and functions are unqualified.
            TokenKind::Word | TokenKind::QuotedIdentifier
                if unquoted(text).eq_ignore_ascii_case("pg_catalog") && next(1) == Some(".") =>
            {
                i += 2;
                continue;
            }
            // `information_schema.tables` is the view `information_schema_tables`.
            TokenKind::Word | TokenKind::QuotedIdentifier
                if unquoted(text).eq_ignore_ascii_case("information_schema")
                    && next(1) == Some(".")
                    && next(2).is_some() =>
            {
                let name = unquoted(next(2).unwrap_or_default()).to_ascii_lowercase();
                out.push(Piece::new(
                    TokenKind::Word,
                    &format!("information_schema_{name}"),
                ));
                i += 3;
                continue;
            }
            // `OPERATOR(pg_catalog.~)`: the operator itself.
            TokenKind::Word if text.eq_ignore_ascii_case("OPERATOR") && next(1) == Some("(") => {
                let close = (i + 2..tokens.len())
                    .find(|&j| &sql[tokens[j].start..tokens[j].end] == ")")
                    .unwrap_or(tokens.len() - 1);
                let operator: String = tokens[i + 2..close]
                    .iter()
                    .map(|t| &sql[t.start..t.end])
                    .filter(|t| *t != "." && !t.eq_ignore_ascii_case("pg_catalog"))
                    .collect();
                out.push(Piece::new(TokenKind::Word, &regex_operator(&operator)));
                i = close + 1;
                continue;
            }
            // PostgreSQL's regular expression match operators, between two operands (`~x`
            // before one is SQLite's bitwise not).
            TokenKind::Symbol if (text == "~" || text == "!") && follows_operand(&out) => {
                let mut operator = text.to_string();
                let mut j = i + 1;
                while let Some(more @ ("~" | "*")) = tokens.get(j).map(|t| &sql[t.start..t.end]) {
                    operator.push_str(more);
                    j += 1;
                }
                if operator.contains('~') {
                    out.push(Piece::new(TokenKind::Word, &regex_operator(&operator)));
                    i = j;
                    continue;
                }
                out.push(Piece::token(token.kind, text));
            }
            // `= ANY (ARRAY[a, b])` is `IN (a, b)`; `<> ALL (ARRAY[...])` is `NOT IN (...)`.
            TokenKind::Word
                if (text.eq_ignore_ascii_case("ANY") || text.eq_ignore_ascii_case("ALL"))
                    && let Some((items, close)) = array_argument(sql, &tokens, i + 1) =>
            {
                let negated = text.eq_ignore_ascii_case("ALL");
                let compared = out
                    .iter()
                    .rposition(|p| p.kind != TokenKind::Whitespace)
                    .filter(|&at| out[at].text == if negated { ">" } else { "=" });
                if let Some(at) = compared {
                    // `<>` and `!=` are two symbols.
                    if negated && at > 0 && matches!(&*out[at - 1].text, "<" | "!") {
                        out.truncate(at - 1);
                    } else {
                        out.truncate(at);
                    }
                    let rewritten = rewrite(items);
                    casts.extend(rewritten.casts);
                    let list = format!(
                        "{}IN ({})",
                        if negated { " NOT " } else { " " },
                        rewritten.sql
                    );
                    out.push(Piece::new(TokenKind::Word, &list));
                    i = close + 1;
                    continue;
                }
                out.push(Piece::token(token.kind, text));
            }
            // `COLLATE pg_catalog.default`: SQLite's default collation is the one meant.
            TokenKind::Word if text.eq_ignore_ascii_case("COLLATE") => {
                let mut j = i + 1;
                while tokens
                    .get(j)
                    .is_some_and(|t| t.kind == TokenKind::Whitespace)
                {
                    j += 1;
                }
                if tokens
                    .get(j)
                    .map(|t| &sql[t.start..t.end])
                    .is_some_and(|name| {
                        unquoted(name).eq_ignore_ascii_case("pg_catalog")
                            || unquoted(name).eq_ignore_ascii_case("default")
                    })
                {
                    let mut end = j + 1;
                    if tokens.get(end).map(|t| &sql[t.start..t.end]) == Some(".") {
                        end += 2;
                    }
                    i = end;
                    continue;
                }
                out.push(Piece::token(token.kind, text));
            }
            // `unnest(array) x` in a FROM list: the array's items as rows of a column `x`.
            TokenKind::Word
                if (text.eq_ignore_ascii_case("unnest")
                    || text.eq_ignore_ascii_case("generate_series"))
                    && next(1) == Some("(")
                    && after_from_list_start(&out)
                    && let Some(from) = set_alias(sql, &tokens, i + 1) =>
            {
                let arguments = &sql[tokens[i + 1].end..tokens[from.close].start];
                let unnest = text.eq_ignore_ascii_case("unnest");
                let arrays: Vec<String> = if unnest {
                    srf::top_level_arguments(arguments)
                        .iter()
                        .map(|array| {
                            let array = rewrite(array);
                            casts.extend(array.casts);
                            array.sql.trim().to_string()
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                if unnest && let Some(lateral) = srf::lateral_unnest(&mut out, &arrays, &from) {
                    out.push(Piece::new(TokenKind::Word, &lateral));
                    i = from.end;
                    continue;
                }
                let rows = if unnest {
                    // `unnest(a, b)`: the first array's rows, the others read alongside.
                    let mut items: Vec<String> = arrays
                        .iter()
                        .enumerate()
                        .map(|(k, array)| {
                            let column = from.columns.get(k).cloned().unwrap_or_else(|| from.alias.clone());
                            if k == 0 {
                                format!("value AS {column}")
                            } else {
                                format!("ha_subscript({array}, key + ha_array_base({array})) AS {column}")
                            }
                        })
                        .collect();
                    if from.ordinality
                        && let Some(column) = from.columns.get(arrays.len())
                    {
                        items.push(format!("key + 1 AS {column}"));
                    }
                    format!(
                        "SELECT {} FROM json_each(ha_array_json({}))",
                        items.join(", "),
                        arrays.first().map(String::as_str).unwrap_or("NULL")
                    )
                } else {
                    let inner = rewrite(arguments);
                    casts.extend(inner.casts);
                    format!(
                        "SELECT value AS {} FROM generate_series({})",
                        from.columns[0], inner.sql
                    )
                };
                out.push(Piece::new(
                    TokenKind::Word,
                    &format!("({rows}) {}", from.alias),
                ));
                i = from.end;
                continue;
            }
            // `x[n]` (the lexer reads `[n]` as SQLite's bracket-quoted name): the nth item of
            // an array (`{a,b}`, from 1) or of a vector (`1 2`, from 0).
            TokenKind::QuotedIdentifier
                if text.starts_with('[')
                    && i > 0
                    && tokens[i - 1].end == token.start
                    && follows_operand(&out) =>
            {
                let index = rewrite(&text[1..text.len() - 1]);
                casts.extend(index.casts);
                wrap_operand(&mut out, "ha_subscript(", &format!(", {})", index.sql));
            }
            // PostgreSQL's functions written without parentheses.
            TokenKind::Word
                if next(1) != Some("(")
                    && out.last().is_none_or(|p| p.text != ".")
                    && let Some(call) = keyword_function(text) =>
            {
                out.push(Piece::new(TokenKind::Word, call));
            }
            // `ARRAY(SELECT x ...)`: the rows' values as an array's text (named `array`, as
            // PostgreSQL names it, when it is a whole select item).
            TokenKind::Word if text.eq_ignore_ascii_case("ARRAY") && next(1) == Some("(") => {
                let close = matching(sql, &tokens, i + 1);
                let inner = &sql[tokens[i + 2].start..tokens[close].start];
                let column = crate::compat::select_list_names(inner)
                    .and_then(|columns| columns.into_iter().next())
                    .unwrap_or_default();
                let inner = rewrite(inner);
                casts.extend(inner.casts);
                let name = if arrays::unnamed_select_item(sql, &tokens, i, close) {
                    " AS \"array\""
                } else {
                    ""
                };
                out.push(Piece::new(
                    TokenKind::Word,
                    &format!(
                        "(SELECT ha_pg_array(json_group_array(\"{}\")) FROM ({})){name}",
                        column.replace('"', "\"\""),
                        inner.sql
                    ),
                ));
                i = close + 1;
                continue;
            }
            // `trim(both '"' from x)`: SQLite's `trim(x, '"')` (`ltrim`, `rtrim`).
            TokenKind::Word
                if text.eq_ignore_ascii_case("trim")
                    && next(1) == Some("(")
                    && let Some(call) = trim_call(sql, &tokens, i + 1) =>
            {
                let (function, characters, operand) = call;
                let characters = rewrite(characters);
                let operand = rewrite(operand);
                casts.extend(characters.casts);
                casts.extend(operand.casts);
                out.push(Piece::new(
                    TokenKind::Word,
                    &format!(
                        "{function}({}, {})",
                        operand.sql.trim(),
                        characters.sql.trim()
                    ),
                ));
                i = matching(sql, &tokens, i + 1) + 1;
                continue;
            }
            // `E'a\nb'`: a string with backslash escapes.
            TokenKind::Word
                if text.eq_ignore_ascii_case("E")
                    && tokens
                        .get(i + 1)
                        .is_some_and(|t| t.kind == TokenKind::String && t.start == token.end) =>
            {
                let literal = &sql[tokens[i + 1].start..tokens[i + 1].end];
                out.push(Piece::new(TokenKind::String, &escaped_string(literal)));
                i += 2;
                continue;
            }
            _ => out.push(Piece::token(token.kind, text)),
        }
        i += 1;
    }
    if let Some(text) = set_functions.insert.get(&tokens.len()) {
        out.push(Piece::new(TokenKind::Word, text));
    }
    if like_escapes.contains(&tokens.len()) {
        out.push(Piece::new(TokenKind::Word, " ESCAPE '\\'"));
    }
    Rewritten {
        sql: out.iter().map(|p| &*p.text).collect(),
        casts,
        array_columns: arrays::array_columns(sql, &tokens),
    }
}

/// `trim(both|leading|trailing 'chars' from x)` after `trim` (`(` at token `open`): the
/// function, the characters and the operand.
fn trim_call<'a>(
    sql: &'a str,
    tokens: &[ha_types::sql_text::Token],
    open: usize,
) -> Option<(&'static str, &'a str, &'a str)> {
    let close = matching(sql, tokens, open);
    let (side_at, _, side) = catalog::next_significant(sql, tokens, open + 1)?;
    let function = match side.to_ascii_uppercase().as_str() {
        "BOTH" => "trim",
        "LEADING" => "ltrim",
        "TRAILING" => "rtrim",
        _ => return None,
    };
    let from = (side_at + 1..close).find(|&j| {
        tokens[j].kind == TokenKind::Word
            && sql[tokens[j].start..tokens[j].end].eq_ignore_ascii_case("FROM")
    })?;
    Some((
        function,
        &sql[tokens[side_at].end..tokens[from].start],
        &sql[tokens[from].end..tokens[close].start],
    ))
}

fn is_serial(word: &str) -> bool {
    [
        "SERIAL",
        "SERIAL4",
        "BIGSERIAL",
        "SERIAL8",
        "SMALLSERIAL",
        "SERIAL2",
    ]
    .iter()
    .any(|s| word.eq_ignore_ascii_case(s))
}

/// Whether the statement creates or alters a table (where a type name can be a serial type).
fn defines_schema(sql: &str, tokens: &[ha_types::sql_text::Token]) -> bool {
    catalog::next_significant(sql, tokens, 0).is_some_and(|(_, _, word)| {
        word.eq_ignore_ascii_case("CREATE") || word.eq_ignore_ascii_case("ALTER")
    })
}

/// Whether the word at `at` is a column's type: what follows it ends the type.
fn ends_column_type(sql: &str, tokens: &[ha_types::sql_text::Token], at: usize) -> bool {
    match catalog::next_significant(sql, tokens, at + 1) {
        None => true,
        Some((_, _, next)) => {
            [",", ")", ";"].contains(&next)
                || [
                    "NOT",
                    "NULL",
                    "PRIMARY",
                    "DEFAULT",
                    "UNIQUE",
                    "REFERENCES",
                    "CHECK",
                    "CONSTRAINT",
                ]
                .iter()
                .any(|k| next.eq_ignore_ascii_case(k))
        }
    }
}

/// `bool_and`, `every`, `bool_or`: SQLite's `min` and `max` of 0 and 1.
fn boolean_aggregate(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "bool_and" | "every" => Some("min"),
        "bool_or" => Some("max"),
        _ => None,
    }
}

/// One piece of the rewritten text, with the kind of token it came from. Most pieces are the
/// statement's own tokens, borrowed: a rewrite runs for every statement a client sends.
struct Piece<'a> {
    kind: TokenKind,
    text: Cow<'a, str>,
}

impl<'a> Piece<'a> {
    /// A piece of new text.
    fn new(kind: TokenKind, text: &str) -> Piece<'a> {
        Piece {
            kind,
            text: Cow::Owned(text.to_string()),
        }
    }

    /// A token of the statement, as it is.
    fn token(kind: TokenKind, text: &'a str) -> Piece<'a> {
        Piece {
            kind,
            text: Cow::Borrowed(text),
        }
    }
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
    // `pg_catalog.oid`: the type `oid`.
    if text(i).is_some_and(|t| unquoted(t).eq_ignore_ascii_case("pg_catalog"))
        && text(i + 1) == Some(".")
    {
        i += 2;
    }
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
    fn catalog_spellings_become_the_core_catalogs() {
        let sql = |text: &str| rewrite(text).sql;
        assert_eq!(
            sql(
                "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default"
            ),
            "SELECT c.relname FROM pg_class c WHERE c.relname  REGEXP  '^(t)$' "
        );
        assert_eq!(
            sql(
                "SELECT 1 FROM information_schema.\"tables\" WHERE n !~ '^pg_' AND k = ANY (ARRAY['r', $1::text])"
            ),
            "SELECT 1 FROM information_schema_tables WHERE n  NOT REGEXP  '^pg_' AND k  IN ('r', ?1)"
        );
        assert_eq!(
            sql(
                "SELECT 'pg_class'::regclass, c.oid::pg_catalog.regclass, CAST($2 AS REGCLASS), t::regtype::text"
            ),
            "SELECT ha_regclass('pg_class'), ha_regclass(c.oid), ha_regclass(?2), format_type(t, NULL)"
        );
        assert_eq!(
            sql(
                "SELECT con.conkey[pos.n], (current_schemas(true))[1], current_catalog FROM pg_catalog.generate_series(1, 32) pos(n)"
            ),
            "SELECT ha_subscript(con.conkey, pos.n), ha_subscript((current_schemas(true)), 1), current_database() FROM (SELECT value AS n FROM generate_series(1, 32)) pos"
        );
        assert_eq!(
            sql(
                "SELECT array(select rolname from pg_roles order by 1), x FROM unnest(tc.reloptions) x, E'a\\nb'"
            ),
            "SELECT (SELECT ha_pg_array(json_group_array(\"rolname\")) FROM (select rolname from pg_roles order by 1)) AS \"array\", x FROM (SELECT value AS x FROM json_each(ha_array_json(tc.reloptions))) x, 'a\nb'"
        );
        assert_eq!(
            sql("CREATE TABLE t (id SERIAL NOT NULL, n BIGSERIAL, serial TEXT, PRIMARY KEY (id))"),
            "CREATE TABLE t (id INTEGER NOT NULL, n INTEGER, serial TEXT, PRIMARY KEY (id))"
        );
        assert_eq!(sql("SELECT serial FROM t"), "SELECT serial FROM t");
        assert_eq!(
            sql("SELECT SESSION_USER, Current_Role, t.current_user FROM t"),
            "SELECT ha_pg_user(), ha_pg_user(), t.current_user FROM t"
        );
        assert_eq!(
            sql(
                "SELECT array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY cols(colid, arridx) ORDER BY cols.arridx)"
            ),
            "SELECT (SELECT ha_pg_array(json_group_array(\"attname\")) FROM (SELECT attname FROM (SELECT value AS colid, key + 1 AS arridx FROM json_each(ha_array_json(c.conkey))) cols ORDER BY cols.arridx)) AS \"array\""
        );
        // Not PostgreSQL's: SQLite's bitwise not stays.
        assert_eq!(sql("SELECT ~5, a FROM t"), "SELECT ~5, a FROM t");
    }

    #[test]
    fn an_unnamed_array_agg_is_named_as_postgresql_names_it() {
        let rewritten = rewrite("SELECT array_agg(a ORDER BY b), array_agg(c) AS cs FROM t");
        assert_eq!(
            rewritten.sql,
            "SELECT ha_pg_array(json_group_array(a ORDER BY b)) AS \"array_agg\", \
             ha_pg_array(json_group_array(c)) AS cs FROM t"
        );
        assert!(rewritten.array_columns.contains_key("array_agg"));
        assert!(rewritten.array_columns.contains_key("cs"));
    }

    #[test]
    fn an_unnest_reading_its_neighbour_becomes_a_table_valued_function() {
        assert_eq!(
            rewrite(
                "SELECT * FROM (SELECT * FROM pg_index i, unnest(i.indkey, i.indoption) \
                 WITH ORDINALITY koi(key, option, arridx)) idx WHERE idx.key > 0"
            )
            .sql,
            "SELECT * FROM (SELECT i.*, ha_lateral.value AS key, ha_subscript(i.indoption, \
             ha_lateral.key + ha_array_base(i.indoption)) AS option, ha_lateral.key + 1 AS \
             arridx FROM pg_index i, json_each(ha_array_json(i.indkey)) AS ha_lateral) idx \
             WHERE idx.key > 0"
        );
        // Not a neighbour's array, or not `SELECT *`: a subquery as before.
        for kept in [
            "SELECT x FROM pg_index i, unnest(i.indkey) x",
            "SELECT * FROM pg_index i, unnest('{1,2}') x",
        ] {
            let sql = rewrite(kept).sql;
            assert!(sql.contains("(SELECT value AS x FROM json_each"), "{sql}");
        }
    }

    #[test]
    fn set_returning_functions_in_a_select_list_become_a_join() {
        let sql = |text: &str| rewrite(text).sql;
        assert_eq!(
            sql(
                "SELECT indexrelid, unnest(indkey) AS attnum, unnest(indclass) AS c, generate_subscripts(indkey, 1) AS ord FROM pg_index WHERE indrelid = 1"
            ),
            "SELECT indexrelid, ha_srf.value AS attnum, ha_subscript(indclass, ha_srf.key + ha_array_base(indclass)) AS c, (ha_srf.key + ha_array_base(indkey)) AS ord FROM pg_index  JOIN json_each(ha_array_json(indkey)) AS ha_srf WHERE indrelid = 1"
        );
        assert_eq!(
            sql(
                "SELECT r.k FROM (SELECT (information_schema._pg_expandarray(con.conkey)).n AS seq, information_schema._pg_expandarray(con.conkey) AS k FROM pg_constraint con) r WHERE r.a = (r.k).x"
            ),
            "SELECT r.k FROM (SELECT (ha_srf.key + 1) AS seq, ha_srf.value AS k FROM pg_constraint con JOIN json_each(ha_array_json(con.conkey)) AS ha_srf ) r WHERE r.a = r.k"
        );
        assert_eq!(
            sql("SELECT trim(both '\"' from pg_get_indexdef(1, 1, false))"),
            "SELECT trim(pg_get_indexdef(1, 1, false), '\"')"
        );
    }

    #[test]
    fn other_text_is_kept_as_written() {
        let sql = "SELECT a FROM t WHERE name ILIKE 'x%' AND c = ':a::b' -- $1::int\n";
        assert_eq!(
            rewrite(sql).sql,
            "SELECT a FROM t WHERE name LIKE 'x%' ESCAPE '\\'  AND c = ':a::b' -- $1::int\n"
        );
        // PostgreSQL's LIKE escapes with a backslash unless told otherwise.
        assert_eq!(
            rewrite("SELECT 1 WHERE a LIKE 'x\\_%' -- end").sql,
            "SELECT 1 WHERE a LIKE 'x\\_%' ESCAPE '\\'  -- end"
        );
        assert_eq!(
            rewrite("SELECT 1 WHERE a NOT LIKE $1 || '%' ESCAPE '/'").sql,
            "SELECT 1 WHERE a NOT LIKE ?1 || '%' ESCAPE '/'"
        );
        assert_eq!(rewrite("SELECT :name").sql, "SELECT :name");
    }
}
