//! The cross-database hint (SPEC §9): `/*+ db=<regex> */` anywhere in a statement asks the node
//! to run it on every database whose id matches the regex and merge the answers. Recognised
//! here, from the text alone, with the shared lexer: a hint inside a string literal or a quoted
//! identifier is not a comment, so it is not a hint.

use crate::sql_text::{TokenKind, Tokens};

/// A statement's cross-database hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseHint {
    /// The regex as written (the engine anchors it: the whole id must match).
    pub pattern: String,
    /// The statement with the hint comment replaced by a space.
    pub sql: String,
}

/// A hint that cannot be obeyed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseHintError {
    #[error("the hint /*+ db=... */ names no pattern: write /*+ db=<regex> */")]
    Empty,
    #[error("a statement may carry one /*+ db=... */ hint, not several")]
    Repeated,
}

impl DatabaseHint {
    /// The statement's `/*+ db=... */` hint, if it has one. Other `/*+ ... */` comments (other
    /// systems' optimizer hints) are left alone.
    pub fn find(sql: &str) -> Result<Option<DatabaseHint>, DatabaseHintError> {
        // Every statement of every request asks: most have no hint comment at all.
        if !sql.contains("/*+") {
            return Ok(None);
        }
        let mut found: Option<(std::ops::Range<usize>, String)> = None;
        for token in Tokens::new(sql) {
            if token.kind != TokenKind::Comment {
                continue;
            }
            let Some(pattern) = hint_pattern(&sql[token.start..token.end]) else {
                continue;
            };
            if found.is_some() {
                return Err(DatabaseHintError::Repeated);
            }
            if pattern.is_empty() {
                return Err(DatabaseHintError::Empty);
            }
            found = Some((token.start..token.end, pattern.to_string()));
        }
        Ok(found.map(|(range, pattern)| DatabaseHint {
            pattern,
            sql: format!("{} {}", &sql[..range.start], &sql[range.end..]),
        }))
    }

    /// Whether the statement carries a `/*+ db=... */` hint (or a malformed one).
    pub fn is_present(sql: &str) -> bool {
        !matches!(DatabaseHint::find(sql), Ok(None))
    }
}

/// The pattern of a `/*+ db=... */` comment, trimmed; `None` for any other comment.
fn hint_pattern(comment: &str) -> Option<&str> {
    let body = comment.strip_prefix("/*+")?;
    let body = body.strip_suffix("*/").unwrap_or(body).trim();
    let name = body.get(..2)?;
    if !name.eq_ignore_ascii_case("db") {
        return None;
    }
    body[2..].trim_start().strip_prefix('=').map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(sql: &str) -> Option<String> {
        DatabaseHint::find(sql).unwrap().map(|h| h.pattern)
    }

    #[test]
    fn finds_the_hint_anywhere_in_the_statement() {
        let hint = DatabaseHint::find("SELECT id, name /*+ db=users_.* */ FROM users")
            .unwrap()
            .unwrap();
        assert_eq!(hint.pattern, "users_.*");
        assert_eq!(hint.sql, "SELECT id, name   FROM users");
        assert_eq!(pattern("/*+ db=.* */ SELECT 1").as_deref(), Some(".*"));
        assert_eq!(pattern("SELECT 1 /*+DB = a|b*/").as_deref(), Some("a|b"));
        assert_eq!(
            pattern("SELECT 1 /*+ db=x"),
            Some("x".into()),
            "unterminated"
        );
    }

    #[test]
    fn a_hint_in_a_literal_or_another_comment_is_not_a_hint() {
        assert_eq!(pattern("SELECT '/*+ db=.* */'"), None);
        assert_eq!(pattern("SELECT \"/*+ db=.* */\" FROM t"), None);
        assert_eq!(pattern("SELECT 1 -- /*+ db=.* */"), None);
        assert_eq!(pattern("SELECT 1 /* db=.* */"), None);
        assert_eq!(pattern("SELECT /*+ INDEX(t i) */ 1"), None);
        assert_eq!(pattern("SELECT /*+ dbx=1 */ 1"), None);
        assert!(!DatabaseHint::is_present("SELECT 1"));
    }

    #[test]
    fn empty_and_repeated_hints_are_errors() {
        assert_eq!(
            DatabaseHint::find("SELECT 1 /*+ db= */"),
            Err(DatabaseHintError::Empty)
        );
        assert_eq!(
            DatabaseHint::find("SELECT /*+ db=a */ 1 /*+ db=b */"),
            Err(DatabaseHintError::Repeated)
        );
        assert!(DatabaseHint::is_present("SELECT 1 /*+ db= */"));
    }
}
