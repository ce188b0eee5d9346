//! A query's compared literals as parameters, so that texts differing only in them share one
//! prepared statement. Clients that write values into the text (PostgreSQL's simple protocol,
//! psycopg2, MySQL's text protocol, pgbench `-M simple`) send a new text per value; preparing
//! each one cost SQLite more than running it.
//!
//! Only what cannot change the answer is taken: in a `SELECT`, `UPDATE` or `DELETE` without
//! parameters or comments, after the `FROM` or `WHERE` of the (sub)query it is in (not in a
//! `RETURNING` list), a number or string that is compared (`= 5`, `< 'x'`) or is a
//! `LIMIT`/`OFFSET`, and stands alone before the next clause. Column names (the select list),
//! `ORDER BY 1`, expressions an index may be built on (`substr(x, 1, 3)`) and `LIKE` patterns
//! keep their literals. A literal and a parameter both have no affinity, so comparisons read
//! them alike; SQLite plans a bound value as it would the literal where that matters (a partial
//! index, by preparing again when the value differs).

use crate::Value;
use crate::sql_text::{Token, TokenKind, tokenize};

/// A statement written with parameters, and their values in order (`?1`, `?2`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct LiteralParameters {
    pub sql: String,
    pub values: Vec<Value>,
}

/// Words that end the operand a literal is compared with.
const CLAUSE_ENDS: [&str; 17] = [
    "AND",
    "OR",
    "ORDER",
    "GROUP",
    "LIMIT",
    "OFFSET",
    "HAVING",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "WINDOW",
    "THEN",
    "ELSE",
    "END",
    "WHEN",
    "WHERE",
    "RETURNING",
];

/// `sql` with its compared literals as parameters, or `None` when it has none to take (or is
/// not a plain `SELECT`, `UPDATE` or `DELETE`).
pub fn literal_parameters(sql: &str) -> Option<LiteralParameters> {
    let head = sql.trim_start().as_bytes();
    let starts =
        |word: &[u8]| head.len() > word.len() && head[..word.len()].eq_ignore_ascii_case(word);
    if !(starts(b"SELECT") || starts(b"UPDATE") || starts(b"DELETE")) {
        return None;
    }
    let tokens = tokenize(sql);
    let text = |t: &Token| &sql[t.start..t.end];
    let significant: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Whitespace)
        .collect();
    // Parameters already, comments (hints such as `/*+ db=.. */`), several statements: as is.
    let last = significant.len().checked_sub(1)?;
    for (at, token) in significant.iter().enumerate() {
        match token.kind {
            TokenKind::Parameter | TokenKind::Comment => return None,
            TokenKind::Semicolon if at != last => return None,
            _ => {}
        }
    }
    let is_word = |t: Option<&&Token>, words: &[&str]| {
        t.is_some_and(|t| {
            t.kind == TokenKind::Word && words.iter().any(|w| text(t).eq_ignore_ascii_case(w))
        })
    };
    // Per parenthesis: whether literals may be taken around it (its query's FROM read, and
    // not inside a select list) and whether its own FROM has been read. A group that is no
    // subquery, `(a = 1 OR b = 2)`, reads as its enclosing query.
    let mut scopes: Vec<(bool, bool)> = vec![(true, false)];
    let mut taken: Vec<(usize, Value)> = Vec::new();
    for (at, token) in significant.iter().enumerate() {
        let current = scopes
            .last()
            .is_some_and(|(allowed, from)| *allowed && *from);
        match (token.kind, text(token)) {
            (TokenKind::Symbol, "(") => {
                let subquery = is_word(significant.get(at + 1), &["SELECT"]);
                scopes.push(if subquery {
                    (current, false)
                } else {
                    (current, true)
                });
            }
            (TokenKind::Symbol, ")") if scopes.len() > 1 => {
                scopes.pop();
            }
            // An UPDATE's or DELETE's condition is after its WHERE (a SELECT's WHERE is after
            // its FROM anyway).
            (TokenKind::Word, word)
                if word.eq_ignore_ascii_case("FROM") || word.eq_ignore_ascii_case("WHERE") =>
            {
                if let Some(scope) = scopes.last_mut() {
                    scope.1 = true;
                }
            }
            // A RETURNING list names its columns by their text, as a select list does.
            (TokenKind::Word, word) if word.eq_ignore_ascii_case("RETURNING") => {
                if let Some(scope) = scopes.last_mut() {
                    scope.0 = false;
                }
            }
            (TokenKind::Number | TokenKind::String, literal) if current => {
                let before = at.checked_sub(1).and_then(|b| significant.get(b));
                let compared = before.is_some_and(|b| {
                    b.kind == TokenKind::Symbol && matches!(text(b), "=" | "<" | ">")
                });
                let limit = is_word(before, &["LIMIT", "OFFSET"]);
                let after = significant.get(at + 1);
                let alone = after.is_none_or(|a| {
                    matches!(a.kind, TokenKind::Semicolon)
                        || (a.kind == TokenKind::Symbol && text(a) == ")")
                        || is_word(Some(a), &CLAUSE_ENDS)
                });
                if (compared || limit)
                    && alone
                    && let Some(value) = literal_value(token.kind, literal)
                {
                    taken.push((token.start, value));
                }
            }
            _ => {}
        }
    }
    if taken.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(sql.len());
    let mut values = Vec::with_capacity(taken.len());
    let mut taken = taken.into_iter().peekable();
    for token in &tokens {
        match taken.next_if(|(start, _)| *start == token.start) {
            Some((_, value)) => {
                values.push(value);
                out.push('?');
                out.push_str(&values.len().to_string());
            }
            None => out.push_str(text(token)),
        }
    }
    Some(LiteralParameters { sql: out, values })
}

fn literal_value(kind: TokenKind, literal: &str) -> Option<Value> {
    match kind {
        TokenKind::String => {
            let inner = literal.strip_prefix('\'')?.strip_suffix('\'')?;
            Some(Value::Text(inner.replace("''", "'")))
        }
        TokenKind::Number => {
            if let Ok(n) = literal.parse::<i64>() {
                return Some(Value::Integer(n));
            }
            // A real as SQLite reads it: digits with a point or an exponent (not hex, not an
            // integer too large for 64 bits, which SQLite would also read as a real but
            // rounds its own way).
            let real = literal
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E'))
                && literal.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
            real.then(|| literal.parse::<f64>().ok().map(Value::Real))
                .flatten()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(sql: &str) -> Option<(String, Vec<Value>)> {
        literal_parameters(sql).map(|p| (p.sql, p.values))
    }

    #[test]
    fn compared_literals_and_limits_become_parameters() {
        assert_eq!(
            taken("SELECT abalance FROM pgbench_accounts WHERE aid = 12345;"),
            Some((
                "SELECT abalance FROM pgbench_accounts WHERE aid = ?1;".into(),
                vec![Value::Integer(12345)]
            ))
        );
        assert_eq!(
            taken("select * from t where a >= 2.5 and (b <> 'it''s') order by c limit 10 offset 5"),
            Some((
                "select * from t where a >= ?1 and (b <> ?2) order by c limit ?3 offset ?4".into(),
                vec![
                    Value::Real(2.5),
                    Value::Text("it's".into()),
                    Value::Integer(10),
                    Value::Integer(5)
                ]
            ))
        );
    }

    #[test]
    fn literals_that_name_or_shape_the_answer_stay() {
        for kept in [
            // Select lists name their columns by their text.
            "SELECT a = 1, 'x' FROM t",
            "SELECT (SELECT x FROM u WHERE id = 5) FROM t",
            "SELECT * FROM (SELECT b, c = 5)",
            "SELECT * FROM t WHERE a IN (SELECT c = 5)",
            // Positions, expressions, patterns, other operands.
            "SELECT a FROM t ORDER BY 1",
            "SELECT a FROM t WHERE substr(a, 1, 3) = b",
            "SELECT a FROM t WHERE a LIKE 'x%'",
            "SELECT a FROM t WHERE a = 1 + b",
            "SELECT a FROM t WHERE a = 'x' COLLATE NOCASE",
            "SELECT a FROM t WHERE a = -1",
            "SELECT a FROM t WHERE a = 0x10",
            "SELECT a FROM t WHERE a = X'00'",
            // Parameters, hints and several statements.
            "SELECT a FROM t WHERE a = 1 AND b = ?",
            "/*+ db=.* */ SELECT a FROM t WHERE a = 1",
            "SELECT a FROM t WHERE a = 1 -- note",
            "SELECT a FROM t WHERE a = 1; SELECT 2 FROM t WHERE b = 3",
            // Not a SELECT, UPDATE or DELETE; an UPDATE's SET; a RETURNING list.
            "INSERT INTO t VALUES (1)",
            "WITH x AS (SELECT 1) SELECT * FROM x WHERE a = 1",
            "UPDATE t SET a = 1, b = 'x'",
            "DELETE FROM t RETURNING a = 1",
        ] {
            assert_eq!(taken(kept), None, "{kept}");
        }
    }

    #[test]
    fn conditions_of_updates_and_deletes_are_taken() {
        assert_eq!(
            taken("UPDATE t SET n = n + 1, m = 'x' WHERE id = 42 RETURNING n = 1"),
            Some((
                "UPDATE t SET n = n + 1, m = 'x' WHERE id = ?1 RETURNING n = 1".into(),
                vec![Value::Integer(42)]
            ))
        );
        assert_eq!(
            taken("delete from t where a < 2.5 and b = 'q';"),
            Some((
                "delete from t where a < ?1 and b = ?2;".into(),
                vec![Value::Real(2.5), Value::Text("q".into())]
            ))
        );
    }

    #[test]
    fn a_subquery_in_from_or_where_is_taken_too() {
        assert_eq!(
            taken("SELECT n FROM (SELECT a AS n FROM t WHERE b = 7) WHERE n IN (SELECT c FROM u WHERE d = 'q')"),
            Some((
                "SELECT n FROM (SELECT a AS n FROM t WHERE b = ?1) WHERE n IN (SELECT c FROM u WHERE d = ?2)".into(),
                vec![Value::Integer(7), Value::Text("q".into())]
            ))
        );
    }
}
