//! What front ends and the engine need to know of an SQL text before SQLite sees it: where one
//! statement ends and the next begins, its leading keyword, and whether it is a transaction
//! command (`BEGIN`, `COMMIT`, `SAVEPOINT`...), which the engine runs itself.
//!
//! A small lexer of our own rather than a full SQL parser: these questions only need quotes,
//! comments and words told apart, and it must accept every dialect a client may send.

/// One lexical piece of an SQL text, as a byte range of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A keyword or a bare identifier.
    Word,
    /// `"x"`, `` `x` `` or `[x]`.
    QuotedIdentifier,
    /// `'x'` (also `E'x'` / `X'..'` prefixes lexed as a word then a string).
    String,
    Number,
    /// `?`, `?N`, `$N`, `:name`, `@name`, `$name`.
    Parameter,
    Semicolon,
    /// Any other single character (operators, parentheses, commas).
    Symbol,
    Whitespace,
    Comment,
}

/// Splits `sql` into tokens. Never fails: an unterminated quote or comment runs to the end.
pub fn tokenize(sql: &str) -> Vec<Token> {
    Tokens::new(sql).collect()
}

/// The tokens of an SQL text, lexed as they are asked for (the leading words of a statement
/// cost no more than themselves).
pub struct Tokens<'a> {
    sql: &'a str,
    position: usize,
}

impl<'a> Tokens<'a> {
    pub fn new(sql: &'a str) -> Tokens<'a> {
        Tokens { sql, position: 0 }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let sql = self.sql;
        let bytes = sql.as_bytes();
        let mut i = self.position;
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        let c = bytes[i];
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                TokenKind::Whitespace
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                TokenKind::Comment
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = find(bytes, i + 2, b"*/").map_or(bytes.len(), |end| end + 2);
                TokenKind::Comment
            }
            b'\'' => {
                i = quoted_end(bytes, i, b'\'');
                TokenKind::String
            }
            b'"' | b'`' => {
                i = quoted_end(bytes, i, c);
                TokenKind::QuotedIdentifier
            }
            b'[' => {
                i = find(bytes, i + 1, b"]").map_or(bytes.len(), |end| end + 1);
                TokenKind::QuotedIdentifier
            }
            b';' => {
                i += 1;
                TokenKind::Semicolon
            }
            b'?' => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                TokenKind::Parameter
            }
            // `::` (PostgreSQL's cast) is two symbols, never a `:name` parameter.
            b'$' | b':' | b'@'
                if bytes
                    .get(i + 1)
                    .is_some_and(|b| is_word_byte(*b) || (c == b'$' && b.is_ascii_digit()))
                    && !(c == b':' && i > 0 && bytes[i - 1] == b':') =>
            {
                i += 1;
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                TokenKind::Parameter
            }
            b'0'..=b'9' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                TokenKind::Number
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                TokenKind::Number
            }
            _ if is_word_byte(c) => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                TokenKind::Word
            }
            _ => {
                // One whole character, so ranges stay on UTF-8 boundaries.
                i += sql[i..].chars().next().map_or(1, char::len_utf8);
                TokenKind::Symbol
            }
        };
        self.position = i;
        Some(Token {
            kind,
            start,
            end: i,
        })
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The end of a quoted run starting at `start`; a doubled quote is an escaped one.
fn quoted_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The first `limit` tokens of `sql` that are not whitespace or comments, as text.
pub fn leading_tokens(sql: &str, limit: usize) -> Vec<&str> {
    Tokens::new(sql)
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .take(limit)
        .map(|t| &sql[t.start..t.end])
        .collect()
}

/// An identifier token without its quotes (`"a""b"` → `a"b`, `[x]` → `x`); a bare word as is.
pub fn unquote_identifier(token: &str) -> String {
    let mut chars = token.chars();
    match (chars.next(), token.chars().last()) {
        (Some(q @ ('"' | '`')), Some(end)) if end == q && token.len() >= 2 => {
            let inner = &token[1..token.len() - 1];
            inner.replace(&format!("{q}{q}"), &q.to_string())
        }
        (Some('['), Some(']')) => token[1..token.len() - 1].to_string(),
        _ => token.to_string(),
    }
}

/// Splits a text holding several statements at the semicolons that end them. Statements are
/// trimmed; empty ones (`;;`, comments only) are left out. A `CREATE TRIGGER` body's inner
/// semicolons do not end it: its `END` does.
pub fn split_statements(sql: &str) -> Vec<&str> {
    match one_plain_statement(sql) {
        Some(single) => single,
        None => split_tokenized(sql),
    }
}

fn split_tokenized(sql: &str) -> Vec<&str> {
    let tokens = tokenize(sql);
    let mut statements = Vec::new();
    let mut start = 0;
    let mut significant = 0;
    let mut in_trigger = false;
    let mut previous_word = String::new();
    let mut words = 0;
    for token in &tokens {
        match token.kind {
            TokenKind::Whitespace | TokenKind::Comment => continue,
            TokenKind::Semicolon => {
                if in_trigger && previous_word != "END" {
                    continue;
                }
                push_statement(&mut statements, sql, start, token.start, significant);
                start = token.end;
                significant = 0;
                in_trigger = false;
                words = 0;
                previous_word.clear();
                continue;
            }
            TokenKind::Word => {
                let word = sql[token.start..token.end].to_ascii_uppercase();
                // CREATE [TEMP|TEMPORARY] TRIGGER within the first three words.
                if word == "TRIGGER" && words <= 2 && first_word(&sql[start..]) == "CREATE" {
                    in_trigger = true;
                }
                words += 1;
                previous_word = word;
            }
            _ => previous_word.clear(),
        }
        significant += 1;
    }
    push_statement(&mut statements, sql, start, sql.len(), significant);
    statements
}

/// The common text, one statement with no comment and no semicolon but a last one, split
/// without tokenizing it (every query of a simple-protocol client goes through here).
fn one_plain_statement(sql: &str) -> Option<Vec<&str>> {
    let odd = |quote: u8| sql.bytes().filter(|b| *b == quote).count() % 2 == 1;
    let quoted_to_the_end = odd(b'\'') || odd(b'"') || odd(b'`') || sql.contains('[');
    if sql.contains("--") || sql.contains("/*") || quoted_to_the_end {
        return None;
    }
    let text = sql.trim_end();
    let text = text.strip_suffix(';').unwrap_or(text);
    if text.contains(';') {
        return None;
    }
    let text = text.trim();
    Some(if text.is_empty() {
        Vec::new()
    } else {
        vec![text]
    })
}

fn push_statement<'a>(
    statements: &mut Vec<&'a str>,
    sql: &'a str,
    start: usize,
    end: usize,
    significant: usize,
) {
    if significant > 0 {
        statements.push(sql[start..end].trim());
    }
}

/// The first word of a statement, upper-cased, after whitespace, comments and parentheses
/// (`(SELECT 1)`); empty when it starts with something else.
/// Whether the statement sets the last inserted row id (`sqlite3`'s `lastrowid`, MySQL's
/// `LAST_INSERT_ID()`): an INSERT or a REPLACE.
pub fn sets_last_row_id(sql: &str) -> bool {
    matches!(first_word(sql).as_str(), "INSERT" | "REPLACE")
}

/// Whether `sql` may name the PostgreSQL catalog (`pg_...`, `information_schema...`): a byte
/// scan without allocation, cheap enough to run before every statement.
pub fn may_name_catalog(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let names = |word: &[u8]| {
        bytes
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    names(b"pg_") || names(b"information_schema")
}

/// Where a `LIKE` pattern without `ESCAPE` ends (the index of the token after it): there an
/// `ESCAPE '\'` makes backslash the escape character, as it is by default in PostgreSQL and
/// MySQL
/// (`'a\_%'` matches `a_x`, not `a\x`); SQLite has none unless told.
pub fn like_escapes(sql: &str, tokens: &[Token]) -> std::collections::HashSet<usize> {
    const ENDS: &[&str] = &[
        "AND",
        "OR",
        "THEN",
        "ELSE",
        "END",
        "WHEN",
        "ORDER",
        "GROUP",
        "LIMIT",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "HAVING",
        "WINDOW",
        "OFFSET",
        "RETURNING",
        "FROM",
        "WHERE",
        "JOIN",
        "ON",
        "LEFT",
        "RIGHT",
        "INNER",
        "CROSS",
        "FULL",
        "NATURAL",
        "USING",
        "AS",
        "IS",
        "ASC",
        "DESC",
        "NULLS",
    ];
    let text = |i: usize| &sql[tokens[i].start..tokens[i].end];
    let mut ends = std::collections::HashSet::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.kind != TokenKind::Word
            || !(text(i).eq_ignore_ascii_case("LIKE") || text(i).eq_ignore_ascii_case("ILIKE"))
        {
            continue;
        }
        let mut depth = 0usize;
        let mut end = tokens.len();
        let mut escaped = false;
        for (j, next) in tokens.iter().enumerate().skip(i + 1) {
            let t = text(j);
            match t {
                "(" => depth += 1,
                ")" if depth == 0 => {
                    end = j;
                    break;
                }
                ")" => depth -= 1,
                "," | ";" if depth == 0 => {
                    end = j;
                    break;
                }
                _ if depth == 0
                    && next.kind == TokenKind::Word
                    && ENDS.iter().any(|w| t.eq_ignore_ascii_case(w)) =>
                {
                    end = j;
                    break;
                }
                _ if next.kind == TokenKind::Word && t.eq_ignore_ascii_case("ESCAPE") => {
                    escaped = true;
                }
                _ => {}
            }
        }
        // Not after a closing comment: before it.
        while end > i + 1
            && matches!(
                tokens[end - 1].kind,
                TokenKind::Whitespace | TokenKind::Comment
            )
        {
            end -= 1;
        }
        if !escaped {
            ends.insert(end);
        }
    }
    ends
}

/// `sql` with `ESCAPE '\'` after every `LIKE` pattern that has no `ESCAPE` (see
/// [`like_escapes`]); `sql` itself when it has no `LIKE`.
pub fn with_backslash_like_escapes(sql: &str) -> String {
    if !sql
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"LIKE"))
    {
        return sql.to_string();
    }
    let tokens = tokenize(sql);
    let ends = like_escapes(sql, &tokens);
    let mut out = String::with_capacity(sql.len() + 16);
    for (i, token) in tokens.iter().enumerate() {
        if ends.contains(&i) {
            out.push_str(" ESCAPE '\\'");
        }
        out.push_str(&sql[token.start..token.end]);
    }
    if ends.contains(&tokens.len()) {
        out.push_str(" ESCAPE '\\'");
    }
    out
}

pub fn first_word(sql: &str) -> String {
    words(sql, 1).into_iter().next().unwrap_or_default()
}

/// Up to `n` leading words of `sql`, upper-cased (quoted identifiers unquoted, as written).
fn words(sql: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for token in Tokens::new(sql) {
        if out.len() == n {
            break;
        }
        let text = &sql[token.start..token.end];
        match token.kind {
            TokenKind::Whitespace | TokenKind::Comment => {}
            TokenKind::Symbol if text == "(" && out.is_empty() => {}
            TokenKind::Word => out.push(text.to_ascii_uppercase()),
            TokenKind::QuotedIdentifier | TokenKind::String => {
                out.push(text[1..text.len().saturating_sub(1)].to_string());
            }
            _ => break,
        }
    }
    out
}

/// The transaction commands a session runs itself instead of sending them to SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionCommand {
    /// `BEGIN`, `BEGIN TRANSACTION`, `START TRANSACTION`, with any isolation or access mode.
    Begin,
    /// `COMMIT`, `END`, with optional `WORK` / `TRANSACTION`.
    Commit,
    /// `ROLLBACK`, `ABORT`.
    Rollback,
    Savepoint(String),
    /// `RELEASE [SAVEPOINT] name`.
    Release(String),
    /// `ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name`.
    RollbackTo(String),
}

impl TransactionCommand {
    /// Recognises a transaction command; anything else returns `None`.
    pub fn parse(sql: &str) -> Option<TransactionCommand> {
        if !matches!(
            first_word(sql).as_str(),
            "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "SAVEPOINT" | "RELEASE"
        ) {
            return None;
        }
        let tokens: Vec<(TokenKind, &str)> = tokenize(sql)
            .into_iter()
            .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
            .map(|t| (t.kind, &sql[t.start..t.end]))
            .collect();
        let mut tokens = tokens.as_slice();
        while let [rest @ .., (TokenKind::Semicolon, _)] = tokens {
            tokens = rest;
        }
        let upper: Vec<String> = tokens.iter().map(|(_, t)| t.to_ascii_uppercase()).collect();
        let words: Vec<&str> = upper.iter().map(String::as_str).collect();
        let name = |index: usize| -> Option<String> {
            let (kind, text) = tokens.get(index)?;
            if index + 1 != tokens.len() {
                return None;
            }
            match kind {
                TokenKind::Word => Some(text.to_string()),
                TokenKind::QuotedIdentifier => {
                    Some(text[1..text.len().saturating_sub(1)].to_string())
                }
                _ => None,
            }
        };
        let optional_work = |rest: &[&str]| matches!(rest, [] | ["WORK" | "TRANSACTION"]);
        match words.as_slice() {
            ["BEGIN", rest @ ..] => {
                let rest = match rest {
                    ["WORK" | "TRANSACTION", more @ ..] => more,
                    // SQLite's lock modes mean nothing here: the engine picks the lock.
                    ["DEFERRED" | "IMMEDIATE" | "EXCLUSIVE", more @ ..] => match more {
                        ["TRANSACTION", more @ ..] => more,
                        more => more,
                    },
                    more => more,
                };
                transaction_modes(rest).then_some(TransactionCommand::Begin)
            }
            ["START", "TRANSACTION", rest @ ..] => {
                transaction_modes(rest).then_some(TransactionCommand::Begin)
            }
            ["COMMIT" | "END", rest @ ..] if optional_work(rest) => {
                Some(TransactionCommand::Commit)
            }
            ["COMMIT", "AND", "NO", "CHAIN"] => Some(TransactionCommand::Commit),
            ["ROLLBACK" | "ABORT", rest @ ..] if optional_work(rest) => {
                Some(TransactionCommand::Rollback)
            }
            ["ROLLBACK", rest @ ..] => {
                let rest = match rest {
                    ["WORK" | "TRANSACTION", more @ ..] => more,
                    more => more,
                };
                match rest {
                    ["TO", "SAVEPOINT", _] => {
                        name(tokens.len() - 1).map(TransactionCommand::RollbackTo)
                    }
                    ["TO", _] => name(tokens.len() - 1).map(TransactionCommand::RollbackTo),
                    _ => None,
                }
            }
            ["SAVEPOINT", _] => name(1).map(TransactionCommand::Savepoint),
            ["RELEASE", "SAVEPOINT", _] => name(2).map(TransactionCommand::Release),
            ["RELEASE", _] => name(1).map(TransactionCommand::Release),
            _ => None,
        }
    }
}

/// Whether `words` are only transaction modes (`ISOLATION LEVEL ...`, `READ WRITE`, commas),
/// which are accepted and ignored: every transaction is serializable here.
fn transaction_modes(words: &[&str]) -> bool {
    words.iter().all(|w| {
        matches!(
            *w,
            "ISOLATION"
                | "LEVEL"
                | "SERIALIZABLE"
                | "REPEATABLE"
                | "READ"
                | "COMMITTED"
                | "UNCOMMITTED"
                | "WRITE"
                | "ONLY"
                | "DEFERRABLE"
                | "NOT"
                | "WITH"
                | "CONSISTENT"
                | "SNAPSHOT"
                | ","
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_semicolons_outside_quotes_and_comments() {
        let sql = "INSERT INTO t VALUES('a;b'); -- c;d\nSELECT \"x;y\" FROM t /* ; */;;  ";
        assert_eq!(
            split_statements(sql),
            vec![
                "INSERT INTO t VALUES('a;b')",
                "-- c;d\nSELECT \"x;y\" FROM t /* ; */"
            ]
        );
        assert_eq!(
            split_statements("  ; -- only a comment\n"),
            Vec::<&str>::new()
        );
        assert_eq!(split_statements("SELECT 1"), vec!["SELECT 1"]);
    }

    #[test]
    fn one_plain_statement_splits_as_the_tokenizer_does() {
        for sql in [
            "SELECT 1",
            "  SELECT name FROM t WHERE id = 42 ;  ",
            "SELECT 'a;b' FROM t;",
            "SELECT 'it''s';",
            "SELECT \"x;\" FROM t",
            "SELECT ';",
            "SELECT \";",
            "SELECT `a;",
            "SELECT [a;",
            "SELECT [a;b] FROM t;",
            "SELECT 1; SELECT 2",
            "SELECT 1;;",
            ";",
            "   ",
            "",
            "SELECT 1 -- no; more",
            "SELECT 1 /* ; */;",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;",
        ] {
            assert_eq!(split_statements(sql), split_tokenized(sql), "{sql:?}");
        }
        assert!(one_plain_statement("SELECT x FROM t WHERE a = 'b';").is_some());
    }

    #[test]
    fn a_trigger_body_is_one_statement() {
        let sql = "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES(1); \
                   UPDATE u SET x = 2; END; SELECT 1";
        let parts = split_statements(sql);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with("END"));
        assert_eq!(parts[1], "SELECT 1");
    }

    #[test]
    fn like_patterns_get_backslash_as_their_escape() {
        assert_eq!(
            with_backslash_like_escapes(
                "SELECT 1 WHERE a LIKE 'x\\_%' AND b NOT LIKE ? ESCAPE '/'"
            ),
            "SELECT 1 WHERE a LIKE 'x\\_%' ESCAPE '\\' AND b NOT LIKE ? ESCAPE '/'"
        );
        assert_eq!(with_backslash_like_escapes("SELECT 1"), "SELECT 1");
        // The pattern ends where the next clause begins (pgjdbc's column metadata query).
        assert_eq!(
            with_backslash_like_escapes("SELECT a LIKE '%nextval(%' FROM t JOIN u ON (x)"),
            "SELECT a LIKE '%nextval(%' ESCAPE '\\' FROM t JOIN u ON (x)"
        );
    }

    #[test]
    fn first_words() {
        assert_eq!(first_word("  /* x */ select 1"), "SELECT");
        assert_eq!(first_word("(SELECT 1)"), "SELECT");
        assert_eq!(first_word("'text'"), "text");
        assert_eq!(first_word(""), "");
    }

    #[test]
    fn recognises_transaction_commands() {
        use TransactionCommand::*;
        let cases = [
            ("BEGIN", Some(Begin)),
            ("begin transaction;", Some(Begin)),
            ("BEGIN IMMEDIATE", Some(Begin)),
            (
                "START TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE",
                Some(Begin),
            ),
            ("BEGIN ISOLATION LEVEL SERIALIZABLE", Some(Begin)),
            ("COMMIT", Some(Commit)),
            ("end work", Some(Commit)),
            ("ROLLBACK", Some(Rollback)),
            ("abort", Some(Rollback)),
            ("SAVEPOINT sp1", Some(Savepoint("sp1".into()))),
            ("SAVEPOINT \"Sp 1\"", Some(Savepoint("Sp 1".into()))),
            ("RELEASE SAVEPOINT sp1", Some(Release("sp1".into()))),
            ("RELEASE sp1", Some(Release("sp1".into()))),
            ("ROLLBACK TO SAVEPOINT sp1", Some(RollbackTo("sp1".into()))),
            (
                "ROLLBACK TRANSACTION TO sp1",
                Some(RollbackTo("sp1".into())),
            ),
            ("SELECT 1", None),
            ("BEGIN x", None),
            ("SAVEPOINT", None),
            ("ROLLBACK TO", None),
            ("COMMIT PREPARED 'x'", None),
        ];
        for (sql, want) in cases {
            assert_eq!(TransactionCommand::parse(sql), want, "{sql}");
        }
    }

    #[test]
    fn parameters_are_tokens_of_their_own() {
        let sql = "SELECT $1, ?2, :a, @b, '$3' FROM t WHERE x=$10";
        let params: Vec<&str> = tokenize(sql)
            .into_iter()
            .filter(|t| t.kind == TokenKind::Parameter)
            .map(|t| &sql[t.start..t.end])
            .collect();
        assert_eq!(params, vec!["$1", "?2", ":a", "@b", "$10"]);
    }

    #[test]
    fn never_panics_on_odd_text() {
        for sql in [
            "'unterminated",
            "/* open",
            "\"x",
            "[x",
            "é;ü",
            "$",
            ":",
            "-",
            "?",
        ] {
            let _ = split_statements(sql);
            let _ = TransactionCommand::parse(sql);
            let _ = first_word(sql);
            let _ = with_backslash_like_escapes(sql);
            let _ = with_backslash_like_escapes(&format!("SELECT a LIKE {sql}"));
            let _ = crate::literal_parameters(&format!("SELECT a FROM t WHERE a = {sql}"));
            let _ = crate::literal_parameters(&format!("SELECT ( FROM t WHERE a = 1 {sql}"));
            let _ = crate::MysqlType::of(sql);
        }
    }
}
