//! A statement as the planner reads it: its significant tokens (no whitespace, no comments) over
//! the shared lexer, with the few questions the planner asks of them. Ranges are token indexes;
//! [`Sql::span`] gives back the original text of a range, comments inside it included.

use std::ops::Range;

use ha_types::sql_text::{Token, TokenKind, tokenize, unquote_identifier};

pub(super) struct Sql<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token>,
    /// The number SQLite gives each bare `?` (one more than the highest before it).
    numbers: Vec<Option<usize>>,
}

impl<'a> Sql<'a> {
    pub fn new(text: &'a str) -> Sql<'a> {
        let tokens: Vec<Token> = tokenize(text)
            .into_iter()
            .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
            .collect();
        let mut highest = 0;
        let numbers = tokens
            .iter()
            .map(|t| {
                if t.kind != TokenKind::Parameter {
                    return None;
                }
                let text = &text[t.start..t.end];
                if text == "?" {
                    highest += 1;
                    return Some(highest);
                }
                if let Some(n) = text.get(1..).and_then(|d| d.parse::<usize>().ok()) {
                    highest = highest.max(n);
                }
                None
            })
            .collect();
        Sql {
            text,
            tokens,
            numbers,
        }
    }

    /// Whether bare `?` and named parameters are mixed: SQLite numbers the names too, which
    /// the planner does not follow.
    pub fn mixes_parameters(&self) -> bool {
        let named = (0..self.len()).any(|i| {
            self.kind(i) == Some(TokenKind::Parameter)
                && self.numbers[i].is_none()
                && self
                    .str(i)
                    .get(1..)
                    .is_none_or(|d| d.parse::<usize>().is_err())
        });
        named && self.numbers.iter().any(Option::is_some)
    }

    /// Like [`Sql::span`], with each bare `?` numbered: the text can then move or repeat
    /// without shifting the parameters after it.
    pub fn span_numbered(&self, range: Range<usize>) -> String {
        let text = self.span(range.clone());
        let Some(first) = self.tokens.get(range.start) else {
            return text.to_string();
        };
        let base = first.start;
        let mut out = String::with_capacity(text.len() + 4);
        let mut copied = 0;
        for i in range {
            if let (Some(Some(n)), Some(token)) = (self.numbers.get(i), self.tokens.get(i)) {
                out.push_str(&text[copied..token.start - base]);
                out.push_str(&format!("?{n}"));
                copied = token.end - base;
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn kind(&self, i: usize) -> Option<TokenKind> {
        self.tokens.get(i).map(|t| t.kind)
    }

    pub fn str(&self, i: usize) -> &'a str {
        self.tokens
            .get(i)
            .map_or("", |t| &self.text[t.start..t.end])
    }

    /// Whether token `i` is the keyword (or bare word) `word`, in any letter case.
    pub fn is_word(&self, i: usize, word: &str) -> bool {
        self.kind(i) == Some(TokenKind::Word) && self.str(i).eq_ignore_ascii_case(word)
    }

    pub fn is_any_word(&self, i: usize, words: &[&str]) -> bool {
        words.iter().any(|w| self.is_word(i, w))
    }

    pub fn is_symbol(&self, i: usize, symbol: &str) -> bool {
        self.kind(i) == Some(TokenKind::Symbol) && self.str(i) == symbol
    }

    /// Whether token `i` names something: a bare word or a quoted identifier.
    pub fn is_name(&self, i: usize) -> bool {
        matches!(
            self.kind(i),
            Some(TokenKind::Word | TokenKind::QuotedIdentifier)
        )
    }

    /// The name token `i` stands for, without quotes.
    pub fn name(&self, i: usize) -> String {
        unquote_identifier(self.str(i))
    }

    /// The original text of a range of tokens (empty for an empty range).
    pub fn span(&self, range: Range<usize>) -> &'a str {
        if range.is_empty() {
            return "";
        }
        match (self.tokens.get(range.start), self.tokens.get(range.end - 1)) {
            (Some(first), Some(last)) => &self.text[first.start..last.end],
            _ => "",
        }
    }

    /// The index of the `)` closing the `(` at `open` (the end when it is never closed).
    pub fn closing(&self, open: usize) -> usize {
        let mut depth = 0usize;
        for i in open..self.len() {
            if self.is_symbol(i, "(") {
                depth += 1;
            } else if self.is_symbol(i, ")") {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
        }
        self.len()
    }

    /// Whether the `(` at `open` starts a subquery, which runs on each database as it is.
    pub fn opens_subquery(&self, open: usize) -> bool {
        self.is_symbol(open, "(") && self.is_any_word(open + 1, &["SELECT", "WITH", "VALUES"])
    }

    /// The parts of `range` between its commas outside parentheses.
    pub fn split_commas(&self, range: Range<usize>) -> Vec<Range<usize>> {
        let mut parts = Vec::new();
        let mut start = range.start;
        let mut i = range.start;
        while i < range.end {
            if self.is_symbol(i, "(") {
                i = self.closing(i);
            } else if self.is_symbol(i, ",") {
                parts.push(start..i);
                start = i + 1;
            }
            i += 1;
        }
        parts.push(start..range.end);
        parts
    }

    /// Whether two ranges are the same expression as written (keywords and names in any
    /// letter case, whitespace and comments ignored).
    pub fn same_expression(&self, a: Range<usize>, b: Range<usize>) -> bool {
        a.len() == b.len()
            && a.zip(b).all(|(x, y)| {
                let (kx, ky) = (self.kind(x), self.kind(y));
                kx == ky
                    && if kx == Some(TokenKind::Word) {
                        self.str(x).eq_ignore_ascii_case(self.str(y))
                    } else {
                        self.str(x) == self.str(y)
                    }
            })
    }

    /// The integer a range holds when it is one integer literal (`ORDER BY 2`, `LIMIT 10`).
    pub fn integer(&self, range: Range<usize>) -> Option<i64> {
        match range.len() {
            1 if self.kind(range.start) == Some(TokenKind::Number) => {
                self.str(range.start).parse().ok()
            }
            2 if self.is_symbol(range.start, "-")
                && self.kind(range.start + 1) == Some(TokenKind::Number) =>
            {
                self.str(range.start + 1).parse::<i64>().ok().map(|n| -n)
            }
            _ => None,
        }
    }

    pub fn has_parameter(&self, range: Range<usize>) -> bool {
        range
            .into_iter()
            .any(|i| self.kind(i) == Some(TokenKind::Parameter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_commas_and_compares_as_written() {
        let sql = Sql::new("a, f(b, c), /* x */ \"d\"");
        let parts = sql.split_commas(0..sql.len());
        let texts: Vec<&str> = parts.iter().map(|r| sql.span(r.clone())).collect();
        assert_eq!(texts, vec!["a", "f(b, c)", "\"d\""]);
        let other = Sql::new("SUM( x )  sum(x) sum(y)");
        assert!(other.same_expression(0..4, 4..8));
        assert!(!other.same_expression(4..8, 8..12));
        assert_eq!(Sql::new("-5").integer(0..2), Some(-5));
        assert_eq!(Sql::new("1.5").integer(0..1), None);
    }

    #[test]
    fn bare_parameters_get_the_numbers_sqlite_gives_them() {
        let sql = Sql::new("SELECT ?, ?5, ?, '?' FROM t WHERE a = ? AND b = $9");
        assert_eq!(
            sql.span_numbered(0..sql.len()),
            "SELECT ?1, ?5, ?6, '?' FROM t WHERE a = ?7 AND b = $9"
        );
        assert!(!sql.mixes_parameters());
        assert!(Sql::new("SELECT ?, :a").mixes_parameters());
        assert!(!Sql::new("SELECT :a, :a").mixes_parameters());
    }
}
