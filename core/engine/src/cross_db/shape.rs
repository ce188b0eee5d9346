//! The top-level clauses of a SELECT, found from its tokens: the select list, the body that
//! runs on each database as it is (`FROM ... WHERE ...`), and the clauses that must be applied
//! to the merged rows (`GROUP BY`, `HAVING`, `ORDER BY`, `LIMIT`). Not a SQL parser: SQLite
//! checks the statement on each database; this only finds where its clauses begin and end, and
//! refuses what it cannot plan (compound SELECTs, window definitions).

use std::ops::Range;

use ha_types::sql_text::TokenKind;

use super::tokens::Sql;
use super::{bad_request, not_supported};
use crate::CoreError;

/// Statements that change something: refused under the hint (a cross-database query reads).
const WRITING: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "CREATE", "DROP", "ALTER", "VACUUM",
    "REINDEX", "ANALYZE", "ATTACH", "DETACH",
];

pub(super) struct Shape {
    /// `WITH ...` before the main SELECT (empty when there is none).
    pub prefix: Range<usize>,
    pub distinct: bool,
    /// The whole select list, and its entries.
    pub items_range: Range<usize>,
    pub items: Vec<Item>,
    /// `FROM ... WHERE ...`, possibly empty.
    pub body: Range<usize>,
    /// The whole `GROUP BY ...` clause, and its terms.
    pub group_clause: Option<Range<usize>>,
    pub group_by: Vec<Term>,
    /// The condition after `HAVING`.
    pub having: Option<Range<usize>>,
    /// The whole `ORDER BY ...` clause, and its terms.
    pub order_clause: Option<Range<usize>>,
    pub order_by: Vec<Term>,
    /// What follows `LIMIT`.
    pub limit: Option<Limit>,
}

/// One entry of the select list.
pub(super) struct Item {
    /// The expression without its alias.
    pub expression: Range<usize>,
    pub alias: Option<String>,
    /// `*` or `table.*`: as many columns as the tables have.
    pub star: bool,
}

/// One GROUP BY or ORDER BY term: its expression, and what follows it (`COLLATE x`,
/// `ASC`/`DESC`, `NULLS FIRST`/`LAST`), applied again to the merged rows.
pub(super) struct Term {
    pub expression: Range<usize>,
    pub suffix: Range<usize>,
}

pub(super) struct Limit {
    pub range: Range<usize>,
    /// `LIMIT n [OFFSET m]` or `LIMIT m, n` with integer literals: how many rows each database
    /// must return at most for the merged answer to be right (`n + m`).
    pub rows_needed: Option<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Clause {
    Items,
    Body,
    Group,
    Having,
    Order,
    Limit,
}

impl Shape {
    pub fn parse(sql: &Sql) -> Result<Shape, CoreError> {
        let mut end = sql.len();
        while end > 0 && sql.kind(end - 1) == Some(TokenKind::Semicolon) {
            end -= 1;
        }
        if (0..end).any(|i| sql.kind(i) == Some(TokenKind::Semicolon)) {
            return Err(bad_request(
                "a cross-database query is one statement: send statements one at a time",
            ));
        }
        let select = main_statement(sql, end)?;
        let mut start = select + 1;
        let distinct = sql.is_word(start, "DISTINCT");
        if distinct || sql.is_word(start, "ALL") {
            start += 1;
        }
        // Where each clause begins (the index of its first keyword), in order.
        let mut found: Vec<(Clause, usize)> = vec![(Clause::Items, start)];
        let mut i = start;
        while i < end {
            if sql.is_symbol(i, "(") {
                i = sql.closing(i) + 1;
                continue;
            }
            let current = found.last().map_or(Clause::Items, |(c, _)| *c);
            let clause = if sql.is_any_word(i, &["UNION", "INTERSECT", "EXCEPT"]) {
                return Err(not_supported(
                    "compound SELECTs (UNION, INTERSECT, EXCEPT) can't run across databases: \
                     run each part with the hint and combine them in the client",
                ));
            } else if sql.is_any_word(i, &["WINDOW", "WITHIN"]) {
                return Err(not_supported(
                    "window functions can't be merged across databases",
                ));
            } else if sql.is_word(i, "FROM")
                && current == Clause::Items
                && !is_distinct_from(sql, i)
                || sql.is_word(i, "WHERE") && current == Clause::Items
            {
                Some(Clause::Body)
            } else if sql.is_word(i, "GROUP") && sql.is_word(i + 1, "BY") {
                Some(Clause::Group)
            } else if sql.is_word(i, "HAVING") {
                Some(Clause::Having)
            } else if sql.is_word(i, "ORDER") && sql.is_word(i + 1, "BY") {
                Some(Clause::Order)
            } else if sql.is_word(i, "LIMIT") {
                Some(Clause::Limit)
            } else {
                None
            };
            if let Some(clause) = clause {
                if clause <= current {
                    return Err(not_supported(format!(
                        "the clauses of this SELECT could not be told apart near {:?}",
                        sql.str(i)
                    )));
                }
                found.push((clause, i));
            }
            i += 1;
        }
        let range_of = |clause: Clause| -> Option<Range<usize>> {
            let at = found.iter().position(|(c, _)| *c == clause)?;
            let begin = found[at].1;
            let until = found.get(at + 1).map_or(end, |(_, next)| *next);
            Some(begin..until)
        };
        let items_range = range_of(Clause::Items).unwrap_or(start..start);
        let group_clause = range_of(Clause::Group);
        let order_clause = range_of(Clause::Order);
        Ok(Shape {
            prefix: 0..if sql.is_word(0, "WITH") { select } else { 0 },
            distinct,
            items_range: items_range.clone(),
            items: sql
                .split_commas(items_range)
                .into_iter()
                .map(|range| Item::parse(sql, range))
                .collect(),
            body: range_of(Clause::Body).unwrap_or(0..0),
            group_by: group_clause
                .clone()
                .map(|r| terms(sql, r.start + 2..r.end))
                .unwrap_or_default(),
            group_clause,
            having: range_of(Clause::Having).map(|r| r.start + 1..r.end),
            order_by: order_clause
                .clone()
                .map(|r| terms(sql, r.start + 2..r.end))
                .unwrap_or_default(),
            order_clause,
            limit: range_of(Clause::Limit).map(|r| Limit::parse(sql, r.start + 1..r.end)),
        })
    }
}

/// The index of the main statement's SELECT, after a `WITH` clause if there is one; anything
/// else is refused (writes as bad requests).
fn main_statement(sql: &Sql, end: usize) -> Result<usize, CoreError> {
    let mut i = 0;
    if sql.is_word(0, "WITH") {
        while i < end {
            if sql.is_symbol(i, "(") {
                i = sql.closing(i);
            } else if sql.is_any_word(i, &["SELECT", "VALUES"]) || sql.is_any_word(i, WRITING) {
                break;
            }
            i += 1;
        }
    }
    if sql.is_word(i, "SELECT") {
        return Ok(i);
    }
    let word = sql.str(i).to_ascii_uppercase();
    if sql.is_any_word(i, WRITING) {
        Err(bad_request(format!(
            "a cross-database query (/*+ db=... */) only reads: {word} can't run across databases"
        )))
    } else {
        Err(not_supported(format!(
            "only SELECT statements run across databases (/*+ db=... */), not {word}"
        )))
    }
}

/// `x IS [NOT] DISTINCT FROM y`: that FROM is an operator's, not the clause.
fn is_distinct_from(sql: &Sql, from: usize) -> bool {
    from >= 2
        && sql.is_word(from - 1, "DISTINCT")
        && (sql.is_word(from - 2, "IS") || sql.is_word(from - 2, "NOT"))
}

/// The parts of a condition joined by its top-level ANDs (not the AND of a BETWEEN, nor one
/// inside a CASE or parentheses): each is kept on the databases or applied after the merge
/// on its own.
pub(super) fn conjuncts(sql: &Sql, range: Range<usize>) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut start = range.start;
    let mut cases = 0usize;
    let mut between = false;
    let mut i = range.start;
    while i < range.end {
        if sql.is_symbol(i, "(") {
            i = sql.closing(i) + 1;
            continue;
        }
        if sql.is_word(i, "CASE") {
            cases += 1;
        } else if sql.is_word(i, "END") {
            cases = cases.saturating_sub(1);
        } else if sql.is_word(i, "BETWEEN") && cases == 0 {
            between = true;
        } else if sql.is_word(i, "AND") && cases == 0 {
            if between {
                between = false;
            } else {
                parts.push(start..i);
                start = i + 1;
            }
        }
        i += 1;
    }
    parts.push(start..range.end);
    parts
}

fn terms(sql: &Sql, range: Range<usize>) -> Vec<Term> {
    sql.split_commas(range)
        .into_iter()
        .map(|range| Term::parse(sql, range))
        .collect()
}

impl Term {
    fn parse(sql: &Sql, range: Range<usize>) -> Term {
        let mut cut = range.end;
        if cut >= range.start + 2
            && sql.is_word(cut - 2, "NULLS")
            && sql.is_any_word(cut - 1, &["FIRST", "LAST"])
        {
            cut -= 2;
        }
        if cut > range.start && sql.is_any_word(cut - 1, &["ASC", "DESC"]) {
            cut -= 1;
        }
        if cut >= range.start + 2 && sql.is_word(cut - 2, "COLLATE") {
            cut -= 2;
        }
        Term {
            expression: range.start..cut,
            suffix: cut..range.end,
        }
    }
}

/// Words that end an expression: a name after them is not an alias.
const ENDING_KEYWORDS: &[&str] = &[
    "END",
    "NULL",
    "ISNULL",
    "NOTNULL",
    "TRUE",
    "FALSE",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
];

/// Operator words: a name after them is an operand, not an alias.
const OPERATOR_KEYWORDS: &[&str] = &[
    "NOT", "AND", "OR", "IS", "IN", "LIKE", "GLOB", "REGEXP", "MATCH", "ESCAPE", "BETWEEN", "CASE",
    "WHEN", "THEN", "ELSE", "DISTINCT", "COLLATE", "AS", "ALL", "EXISTS", "SELECT",
];

impl Item {
    fn parse(sql: &Sql, range: Range<usize>) -> Item {
        let len = range.len();
        let last = range.end.saturating_sub(1);
        let star = sql.is_symbol(last, "*")
            && (len == 1 || (len == 3 && sql.is_symbol(last - 1, ".") && sql.is_name(range.start)));
        let alias_token = sql.is_name(last) || sql.kind(last) == Some(TokenKind::String);
        if len >= 3 && sql.is_word(last - 1, "AS") && alias_token {
            return Item {
                expression: range.start..last - 1,
                alias: Some(alias_name(sql, last)),
                star,
            };
        }
        let bare_alias = len >= 2
            && sql.is_name(last)
            && !sql.is_any_word(last, ENDING_KEYWORDS)
            && !sql.is_symbol(last - 1, ".")
            && (matches!(
                sql.kind(last - 1),
                Some(TokenKind::QuotedIdentifier | TokenKind::Number | TokenKind::String)
            ) || sql.is_symbol(last - 1, ")")
                || (sql.kind(last - 1) == Some(TokenKind::Word)
                    && !sql.is_any_word(last - 1, OPERATOR_KEYWORDS)));
        if bare_alias {
            return Item {
                expression: range.start..last,
                alias: Some(alias_name(sql, last)),
                star,
            };
        }
        Item {
            expression: range,
            alias: None,
            star,
        }
    }
}

fn alias_name(sql: &Sql, token: usize) -> String {
    if sql.kind(token) == Some(TokenKind::String) {
        let text = sql.str(token);
        return text[1..text.len().saturating_sub(1).max(1)].replace("''", "'");
    }
    sql.name(token)
}

impl Limit {
    fn parse(sql: &Sql, range: Range<usize>) -> Limit {
        let offset_at = (range.clone()).find(|&i| sql.is_word(i, "OFFSET"));
        let comma_at = sql.split_commas(range.clone());
        let (count, offset) = match (offset_at, comma_at.as_slice()) {
            (Some(at), _) => (sql.integer(range.start..at), sql.integer(at + 1..range.end)),
            (None, [offset, count]) => (sql.integer(count.clone()), sql.integer(offset.clone())),
            (None, _) => (sql.integer(range.clone()), Some(0)),
        };
        let rows_needed = match (count, offset) {
            (Some(count), Some(offset)) if count >= 0 && offset >= 0 => count.checked_add(offset),
            _ => None,
        };
        Limit { range, rows_needed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> (Sql<'_>, Shape) {
        let sql = Sql::new(text);
        let shape = Shape::parse(&sql).unwrap();
        (sql, shape)
    }

    #[test]
    fn finds_the_clauses_of_a_select() {
        let (sql, s) = shape(
            "WITH c AS (SELECT 1 FROM x ORDER BY 1 LIMIT 1) SELECT DISTINCT a, count(*) AS n, \
             b c FROM t JOIN (SELECT * FROM u GROUP BY 1) WHERE a IS NOT DISTINCT FROM b \
             GROUP BY a, b HAVING n > 1 ORDER BY 2 DESC NULLS LAST, a COLLATE NOCASE \
             LIMIT 5 OFFSET 2;",
        );
        assert_eq!(
            sql.span(s.prefix.clone()),
            "WITH c AS (SELECT 1 FROM x ORDER BY 1 LIMIT 1)"
        );
        assert!(s.distinct);
        let items: Vec<(&str, Option<String>)> = s
            .items
            .iter()
            .map(|i| (sql.span(i.expression.clone()), i.alias.clone()))
            .collect();
        assert_eq!(
            items,
            vec![
                ("a", None),
                ("count(*)", Some("n".into())),
                ("b", Some("c".into()))
            ]
        );
        assert_eq!(
            sql.span(s.body.clone()),
            "FROM t JOIN (SELECT * FROM u GROUP BY 1) WHERE a IS NOT DISTINCT FROM b"
        );
        assert_eq!(s.group_by.len(), 2);
        assert_eq!(sql.span(s.having.clone().unwrap()), "n > 1");
        let order: Vec<(&str, &str)> = s
            .order_by
            .iter()
            .map(|t| (sql.span(t.expression.clone()), sql.span(t.suffix.clone())))
            .collect();
        assert_eq!(
            order,
            vec![("2", "DESC NULLS LAST"), ("a", "COLLATE NOCASE")]
        );
        assert_eq!(s.limit.unwrap().rows_needed, Some(7));
    }

    #[test]
    fn limits_in_every_form() {
        for (text, want) in [
            ("SELECT 1 LIMIT 3", Some(3)),
            ("SELECT 1 LIMIT 2, 3", Some(5)),
            ("SELECT 1 LIMIT ?", None),
            ("SELECT 1 LIMIT -1", None),
            ("SELECT 1 LIMIT 1 + 1", None),
        ] {
            let (_, s) = shape(text);
            assert_eq!(s.limit.unwrap().rows_needed, want, "{text}");
        }
    }

    #[test]
    fn aliases_and_stars() {
        let (sql, s) = shape(
            "SELECT *, t.*, x y, CASE WHEN a THEN 1 END, a IS NULL, NOT b, 'v' 'w', t.\"Col\" \
             FROM t",
        );
        let aliases: Vec<Option<String>> = s.items.iter().map(|i| i.alias.clone()).collect();
        assert_eq!(
            aliases,
            vec![None, None, Some("y".into()), None, None, None, None, None]
        );
        assert!(s.items[0].star && s.items[1].star && !s.items[2].star);
        assert_eq!(sql.span(s.items[7].expression.clone()), "t.\"Col\"");
    }

    #[test]
    fn splits_conditions_at_their_top_level_ands() {
        let sql = Sql::new(
            "a > 1 AND b BETWEEN 1 AND 2 AND CASE WHEN x AND y THEN 1 END AND (c OR d AND e)",
        );
        let parts: Vec<&str> = conjuncts(&sql, 0..sql.len())
            .into_iter()
            .map(|r| sql.span(r))
            .collect();
        assert_eq!(
            parts,
            vec![
                "a > 1",
                "b BETWEEN 1 AND 2",
                "CASE WHEN x AND y THEN 1 END",
                "(c OR d AND e)"
            ]
        );
    }

    #[test]
    fn refuses_what_it_cannot_plan() {
        let refused = |text: &str| {
            let sql = Sql::new(text);
            Shape::parse(&sql).err().unwrap().code()
        };
        use ha_types::ErrorCode::{BadRequest, NotSupported};
        assert_eq!(refused("SELECT 1 UNION SELECT 2"), NotSupported);
        assert_eq!(
            refused("SELECT a FROM t WINDOW w AS (ORDER BY a)"),
            NotSupported
        );
        assert_eq!(refused("INSERT INTO t VALUES (1)"), BadRequest);
        assert_eq!(refused("WITH c AS (SELECT 1) DELETE FROM t"), BadRequest);
        assert_eq!(refused("drop table t"), BadRequest);
        assert_eq!(refused("PRAGMA table_info(t)"), NotSupported);
        assert_eq!(refused("SELECT 1; SELECT 2"), BadRequest);
        assert_eq!(refused("SELECT a FROM t LIMIT 1 ORDER BY a"), NotSupported);
    }
}
