//! MySQL's SQL text made SQLite's, where the two read the same text differently:
//!
//! - string literals: MySQL reads backslash escapes (`'it\'s'`, `'a\nb'`) and takes `"..."` as a
//!   string; SQLite reads neither. Every literal is written again the SQLite way (`'it''s'`), a
//!   `_binary'...'` one as a BLOB (`X'..'`);
//! - `#` comments become `--` ones;
//! - `LIKE` without `ESCAPE` escapes with a backslash, as MySQL's does;
//! - `information_schema.x` names the core's view of it, `mysql_information_schema_x`;
//! - `HAVING` in a query without GROUP BY filters the result rows (SQLite refuses it);
//! - in `CREATE TABLE`, what SQLite has no use for and refuses: `AUTO_INCREMENT` (an `INTEGER
//!   PRIMARY KEY` is SQLite's auto-increment), `UNSIGNED`/`ZEROFILL`, `CHARACTER SET x` /
//!   `COLLATE x` on columns, and the table options after the column list (`ENGINE=InnoDB
//!   DEFAULT CHARSET=utf8mb4`).
//!
//! Identifiers in backticks stay as they are: SQLite reads them as MySQL does.

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    /// Already in SQLite's form.
    Literal(String),
    Other(String),
}

impl Token {
    fn text(&self) -> &str {
        match self {
            Token::Word(t) | Token::Literal(t) | Token::Other(t) => t,
        }
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(word))
    }

    fn is_space(&self) -> bool {
        matches!(self, Token::Other(t) if t.chars().all(char::is_whitespace))
    }
}

/// A query whose bytes are not all UTF-8 (a client that interpolates bytes, as PyMySQL does:
/// `'...'` or `_binary'...'` holding raw bytes): each string literal that is not UTF-8 text, or
/// that a `_binary` introducer marks, becomes a BLOB literal `X'..'`; the rest is kept as sent.
pub(crate) fn binary_literals(sql: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(sql.len() * 2);
    let mut at = 0;
    while at < sql.len() {
        let byte = sql[at];
        if byte == b'\'' || byte == b'"' {
            let (value, end) = raw_literal(sql, at);
            let introducer =
                out.len() >= 7 && out[out.len() - 7..].eq_ignore_ascii_case(b"_binary");
            if introducer || std::str::from_utf8(&value).is_err() {
                if introducer {
                    out.truncate(out.len() - 7);
                }
                out.extend_from_slice(b"X'");
                for b in &value {
                    out.extend_from_slice(format!("{b:02X}").as_bytes());
                }
                out.push(b'\'');
            } else {
                out.extend_from_slice(&sql[at..end]);
            }
            at = end;
        } else if byte == b'`' {
            let end = sql[at + 1..]
                .iter()
                .position(|b| *b == b'`')
                .map_or(sql.len(), |p| at + 2 + p);
            out.extend_from_slice(&sql[at..end]);
            at = end;
        } else {
            out.push(byte);
            at += 1;
        }
    }
    out
}

/// The bytes of the literal opening at `start` (backslash escapes and doubled quotes read)
/// and where it ends.
fn raw_literal(sql: &[u8], start: usize) -> (Vec<u8>, usize) {
    let quote = sql[start];
    let mut value = Vec::new();
    let mut at = start + 1;
    while at < sql.len() {
        let b = sql[at];
        if b == quote {
            if sql.get(at + 1) == Some(&quote) {
                value.push(quote);
                at += 2;
                continue;
            }
            return (value, at + 1);
        }
        if b == b'\\' && at + 1 < sql.len() {
            value.push(match sql[at + 1] {
                b'0' => 0,
                b'b' => 8,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'Z' => 0x1a,
                other => other,
            });
            at += 2;
            continue;
        }
        value.push(b);
        at += 1;
    }
    (value, at)
}

/// The statement SQLite should run for MySQL's `sql`.
pub(crate) fn to_sqlite(sql: &str) -> String {
    let tokens = tokens(sql);
    // Statement by statement: a CREATE TABLE's rewrite must not touch what follows it.
    let mut out = String::with_capacity(sql.len());
    for statement in tokens.split_inclusive(|t| t.text() == ";") {
        if is_create_table(statement) {
            out.extend(create_table(statement.to_vec()).iter().map(Token::text));
        } else {
            let statement = information_schema(statement);
            let statement = having_without_group_by(&statement).unwrap_or(statement);
            out.extend(statement.iter().map(Token::text));
        }
    }
    // MySQL's LIKE escapes with a backslash unless told otherwise; SQLite's with nothing.
    ha_types::sql_text::with_backslash_like_escapes(&out)
}

fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    let mut binary = false;
    while at < chars.len() {
        let c = chars[at];
        let start = at;
        if c == '\'' || c == '"' {
            let (value, end) = string_literal(&chars, at);
            tokens.push(Token::Literal(if binary {
                blob_literal(&value)
            } else {
                text_literal(&value)
            }));
            binary = false;
            at = end;
            continue;
        }
        binary = false;
        if c == '`' {
            at += 1;
            while at < chars.len() {
                if chars[at] == '`' {
                    if chars.get(at + 1) == Some(&'`') {
                        at += 2;
                        continue;
                    }
                    at += 1;
                    break;
                }
                at += 1;
            }
            tokens.push(Token::Other(chars[start..at].iter().collect()));
        } else if c == '#' || (c == '-' && chars.get(at + 1) == Some(&'-')) {
            while at < chars.len() && chars[at] != '\n' {
                at += 1;
            }
            let comment: String = chars[start..at].iter().collect();
            let comment = match comment.strip_prefix('#') {
                Some(rest) => format!("--{rest}"),
                None => comment,
            };
            tokens.push(Token::Other(comment));
        } else if c == '/' && chars.get(at + 1) == Some(&'*') {
            at += 2;
            while at < chars.len() && !(chars[at] == '*' && chars.get(at + 1) == Some(&'/')) {
                at += 1;
            }
            at = (at + 2).min(chars.len());
            tokens.push(Token::Other(chars[start..at].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            while at < chars.len()
                && (chars[at].is_alphanumeric() || chars[at] == '_' || chars[at] == '$')
            {
                at += 1;
            }
            let word: String = chars[start..at].iter().collect();
            // A charset introducer before a literal: `_binary'...'`, `_utf8mb4'...'`.
            if word.starts_with('_') && matches!(chars.get(at), Some('\'' | '"')) {
                binary = word.eq_ignore_ascii_case("_binary");
                continue;
            }
            tokens.push(Token::Word(word));
        } else if c.is_whitespace() {
            while at < chars.len() && chars[at].is_whitespace() {
                at += 1;
            }
            tokens.push(Token::Other(chars[start..at].iter().collect()));
        } else {
            at += 1;
            tokens.push(Token::Other(c.to_string()));
        }
    }
    tokens
}

/// The value of the literal opening at `start` and where it ends.
fn string_literal(chars: &[char], start: usize) -> (String, usize) {
    let quote = chars[start];
    let mut value = String::new();
    let mut at = start + 1;
    while at < chars.len() {
        let c = chars[at];
        if c == quote {
            if chars.get(at + 1) == Some(&quote) {
                value.push(quote);
                at += 2;
                continue;
            }
            return (value, at + 1);
        }
        if c == '\\' && at + 1 < chars.len() {
            let next = chars[at + 1];
            let unescaped = match next {
                '0' => '\0',
                'b' => '\u{8}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'Z' => '\u{1a}',
                // MySQL keeps the backslash of `\%` and `\_` (LIKE escapes).
                '%' | '_' => {
                    value.push('\\');
                    next
                }
                other => other,
            };
            value.push(unescaped);
            at += 2;
            continue;
        }
        value.push(c);
        at += 1;
    }
    // Unterminated: SQLite reports the syntax error on what follows.
    (value, at)
}

fn text_literal(value: &str) -> String {
    if !value.contains('\0') {
        return format!("'{}'", value.replace('\'', "''"));
    }
    // SQLite's SQL text cannot hold a NUL: join the pieces around each with char(0).
    let pieces: Vec<String> = value
        .split('\0')
        .map(|p| format!("'{}'", p.replace('\'', "''")))
        .collect();
    format!("({})", pieces.join(" || char(0) || "))
}

fn blob_literal(value: &str) -> String {
    let hex: String = value.bytes().map(|b| format!("{b:02X}")).collect();
    format!("X'{hex}'")
}

/// The prefix of the core's MySQL `information_schema` views (`catalog/mysql.rs`).
pub(crate) const INFORMATION_SCHEMA_VIEWS: &str = "mysql_information_schema_";

/// `information_schema.x` (any case, quoted or not) as the core's view of it,
/// `mysql_information_schema_x` (see the engine's `catalog::mysql`).
fn information_schema(tokens: &[Token]) -> Vec<Token> {
    let name = |t: &Token| match t {
        Token::Word(w) => Some(w.to_lowercase()),
        Token::Other(o) if o.len() > 2 && o.starts_with('`') && o.ends_with('`') => {
            Some(o[1..o.len() - 1].replace("``", "`").to_lowercase())
        }
        _ => None,
    };
    let mut out = Vec::with_capacity(tokens.len());
    let mut at = 0;
    while at < tokens.len() {
        if let (Some(schema), Some(dot), Some(relation)) = (
            name(&tokens[at]),
            tokens.get(at + 1),
            tokens.get(at + 2).and_then(name),
        ) && schema == "information_schema"
            && dot.text() == "."
            && relation
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            out.push(Token::Word(format!("{INFORMATION_SCHEMA_VIEWS}{relation}")));
            at += 3;
            continue;
        }
        out.push(tokens[at].clone());
        at += 1;
    }
    out
}

/// A query that reads the session beside other expressions (`SELECT VERSION(), @@sql_mode,
/// CONVERT_TZ(..) IS NOT NULL`, Django's first question) with the session's values written in
/// as literals (`@@name`, `@@session.name`, `VERSION()`, `LAST_INSERT_ID()`...), so SQLite
/// evaluates the rest; `None` when it reads none. `sqlite` is [`to_sqlite`]'s text.
pub(crate) fn with_session_values(
    sqlite: &str,
    value: impl Fn(&crate::compat::Item) -> ha_types::Value,
) -> Option<String> {
    use ha_types::sql_text::{TokenKind, tokenize};
    if !sqlite.contains('@') && !sqlite.contains('(') {
        return None;
    }
    let tokens = tokenize(sqlite);
    let text = |i: usize| tokens.get(i).map_or("", |t| &sqlite[t.start..t.end]);
    let kind = |i: usize| tokens.get(i).map(|t| t.kind);
    // `name()` or `name ( )`: the index of the `)`.
    let empty_call = |at: usize| {
        let mut next = (at + 1..tokens.len()).filter(|&i| kind(i) != Some(TokenKind::Whitespace));
        let open = next.next().filter(|&i| text(i) == "(")?;
        next.next().filter(|&i| text(i) == ")" && i > open)
    };
    let mut out = String::with_capacity(sqlite.len());
    let mut replaced = false;
    let mut at = 0;
    while at < tokens.len() {
        // `@@name` lexes as `@` then the parameter `@name`; `@@session.name` adds `.name`.
        let (item, next) = if text(at) == "@" && kind(at + 1) == Some(TokenKind::Parameter) {
            let scoped = ["@session", "@global", "@local"]
                .iter()
                .any(|s| text(at + 1).eq_ignore_ascii_case(s));
            if scoped && text(at + 2) == "." && kind(at + 3) == Some(TokenKind::Word) {
                (crate::compat::item(&format!("@@{}", text(at + 3))), at + 4)
            } else {
                (crate::compat::item(&format!("@{}", text(at + 1))), at + 2)
            }
        } else if kind(at) == Some(TokenKind::Word)
            && let Some(close) = empty_call(at)
        {
            let item = crate::compat::item(&format!("{}()", text(at)))
                .filter(|i| !matches!(i, crate::compat::Item::Literal(_)));
            (item, close + 1)
        } else {
            (None, at + 1)
        };
        match item {
            Some(item) => {
                out.push_str(&sql_literal(&value(&item)));
                replaced = true;
                at = next;
            }
            None => {
                out.push_str(text(at));
                at += 1;
            }
        }
    }
    replaced.then_some(out)
}

fn sql_literal(value: &ha_types::Value) -> String {
    match value {
        ha_types::Value::Null => "NULL".to_string(),
        ha_types::Value::Integer(n) => n.to_string(),
        ha_types::Value::Real(r) => ha_types::real_text(*r),
        ha_types::Value::Text(t) => text_literal(t),
        ha_types::Value::Blob(b) => format!(
            "X'{}'",
            b.iter().map(|b| format!("{b:02X}")).collect::<String>()
        ),
    }
}

/// Functions that make a query an aggregate one (SQLite takes its HAVING as it is then).
const AGGREGATES: [&str; 9] = [
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "TOTAL",
    "GROUP_CONCAT",
    "JSON_GROUP_ARRAY",
    "JSON_GROUP_OBJECT",
];

/// MySQL takes `HAVING` in a query without GROUP BY or aggregates as a filter on the result
/// rows, whose names are the select list's (Connector/J: `... FROM INFORMATION_SCHEMA.TABLES
/// WHERE .. HAVING TABLE_TYPE IN (..) ORDER BY ..`); SQLite refuses it. Such a query becomes
/// `SELECT * FROM (query ORDER BY ..) AS ha_having WHERE condition LIMIT ..`, where the
/// condition reads the select list's names and the order is the inner query's.
fn having_without_group_by(tokens: &[Token]) -> Option<Vec<Token>> {
    if !significant(tokens).next()?.is_word("SELECT") {
        return None;
    }
    let mut depth = 0usize;
    let (mut having, mut order, mut limit) = (None, None, None);
    for (at, token) in tokens.iter().enumerate() {
        match token.text() {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            _ if token.is_word("HAVING") => having = Some(at),
            _ if token.is_word("ORDER") && having.is_some() => order = order.or(Some(at)),
            _ if token.is_word("LIMIT") && having.is_some() => limit = limit.or(Some(at)),
            _ if ["GROUP", "UNION", "INTERSECT", "EXCEPT", "WINDOW"]
                .iter()
                .any(|w| token.is_word(w)) =>
            {
                return None;
            }
            _ if AGGREGATES.iter().any(|w| token.is_word(w))
                && tokens.get(at + 1).is_some_and(|t| t.text() == "(") =>
            {
                return None;
            }
            _ => {}
        }
    }
    let having = having?;
    let end = tokens
        .iter()
        .rposition(|t| t.text() != ";" && !t.is_space())
        .map_or(tokens.len(), |at| at + 1);
    let condition_end = order.or(limit).unwrap_or(end);
    let order_end = limit.unwrap_or(end);
    let other = |text: &str| Token::Other(text.to_string());
    let mut out = vec![other("SELECT * FROM (")];
    out.extend_from_slice(&tokens[..having]);
    if let Some(order) = order {
        out.push(other(" "));
        out.extend_from_slice(&tokens[order..order_end]);
    }
    out.push(other(") AS ha_having WHERE "));
    out.extend_from_slice(&tokens[having + 1..condition_end]);
    if let Some(limit) = limit {
        out.push(other(" "));
        out.extend_from_slice(&tokens[limit..end]);
    }
    out.extend_from_slice(&tokens[end..]);
    Some(out)
}

fn significant(tokens: &[Token]) -> impl Iterator<Item = &Token> {
    tokens
        .iter()
        .filter(|t| !t.is_space() && !t.text().starts_with("--") && !t.text().starts_with("/*"))
}

fn is_create_table(tokens: &[Token]) -> bool {
    let mut words = significant(tokens);
    if !words.next().is_some_and(|t| t.is_word("CREATE")) {
        return false;
    }
    words.take(2).any(|t| t.is_word("TABLE"))
}

const COLUMN_NOISE: [&str; 3] = ["AUTO_INCREMENT", "UNSIGNED", "ZEROFILL"];

fn create_table(tokens: Vec<Token>) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut depth = 0usize;
    let mut opened = false;
    let mut at = 0;
    while at < tokens.len() {
        let token = &tokens[at];
        match token.text() {
            "(" => {
                depth += 1;
                opened = true;
            }
            ")" => {
                depth = depth.saturating_sub(1);
                if opened && depth == 0 {
                    out.push(token.clone());
                    // The table options: keep SQLite's own (WITHOUT ROWID, STRICT), drop MySQL's;
                    // the statement's closing `;` stays.
                    let rest = &tokens[at + 1..];
                    let (options, end) = match rest.split_last() {
                        Some((last, options)) if last.text() == ";" => (options, Some(last)),
                        _ => (rest, None),
                    };
                    let sqlite_options = significant(options).all(|t| {
                        t.is_word("WITHOUT")
                            || t.is_word("ROWID")
                            || t.is_word("STRICT")
                            || t.text() == ","
                    });
                    if sqlite_options {
                        out.extend(options.iter().cloned());
                    }
                    out.extend(end.cloned());
                    return out;
                }
            }
            _ => {}
        }
        if depth >= 1 && COLUMN_NOISE.iter().any(|w| token.is_word(w)) {
            at += 1;
            continue;
        }
        // `CHARACTER SET x`, `CHARSET x`, `COLLATE x` inside the column list.
        if depth >= 1
            && (token.is_word("CHARACTER") || token.is_word("CHARSET") || token.is_word("COLLATE"))
        {
            let mut skip = at + 1;
            let mut words_left = if token.is_word("CHARACTER") { 2 } else { 1 };
            while skip < tokens.len() && words_left > 0 {
                if !tokens[skip].is_space() && tokens[skip].text() != "=" {
                    words_left -= 1;
                }
                skip += 1;
            }
            at = skip;
            continue;
        }
        out.push(token.clone());
        at += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{to_sqlite, with_session_values};

    #[test]
    fn literals_are_rewritten_the_sqlite_way() {
        assert_eq!(
            to_sqlite(r"SELECT 'it\'s', 'a\\b'"),
            r"SELECT 'it''s', 'a\b'"
        );
        assert_eq!(
            to_sqlite(r#"SELECT "x", 'say ''hi'''"#),
            "SELECT 'x', 'say ''hi'''"
        );
        assert_eq!(to_sqlite(r"SELECT 'a\nb'"), "SELECT 'a\nb'");
        assert_eq!(
            to_sqlite(r"SELECT 'a\0b'"),
            "SELECT ('a' || char(0) || 'b')"
        );
        assert_eq!(to_sqlite(r"SELECT _binary'ab'"), "SELECT X'6162'");
        assert_eq!(to_sqlite(r"SELECT _utf8mb4'ab'"), "SELECT 'ab'");
        assert_eq!(
            to_sqlite("SELECT `a``b` FROM t # note"),
            "SELECT `a``b` FROM t -- note"
        );
        assert_eq!(
            to_sqlite(r"SELECT 'x' LIKE 'a\%'"),
            r"SELECT 'x' LIKE 'a\%' ESCAPE '\'"
        );
        assert_eq!(to_sqlite("SELECT '中文 ✓'"), "SELECT '中文 ✓'");
    }

    #[test]
    fn literals_of_raw_bytes_become_blobs() {
        let sql = b"INSERT INTO t VALUES ('\xff\\0\x01', _binary'ab', 'text', `c`)";
        assert_eq!(
            String::from_utf8(super::binary_literals(sql)).unwrap(),
            "INSERT INTO t VALUES (X'FF0001', X'6162', 'text', `c`)"
        );
    }

    #[test]
    fn information_schema_names_the_cores_views() {
        assert_eq!(
            to_sqlite(
                "SELECT t.TABLE_NAME FROM INFORMATION_SCHEMA.TABLES t JOIN \
                 `information_schema`.`Columns` c WHERE 'information_schema.x' = information_schema"
            ),
            "SELECT t.TABLE_NAME FROM mysql_information_schema_tables t JOIN \
             mysql_information_schema_columns c WHERE 'information_schema.x' = information_schema"
        );
    }

    #[test]
    fn having_without_group_by_filters_the_result_rows() {
        assert_eq!(
            to_sqlite(
                "SELECT a AS x, b FROM t WHERE c = ? HAVING x IN (?, ?) ORDER BY x, c LIMIT 3;"
            ),
            "SELECT * FROM (SELECT a AS x, b FROM t WHERE c = ?  ORDER BY x, c ) AS ha_having \
             WHERE  x IN (?, ?)  LIMIT 3;"
        );
        for kept in [
            "SELECT a FROM t GROUP BY a HAVING count(*) > 1",
            "SELECT count(*) FROM t HAVING count(*) > 1",
            "SELECT a FROM t WHERE a IN (SELECT b FROM u HAVING b > 1)",
        ] {
            assert_eq!(to_sqlite(kept), kept);
        }
    }

    #[test]
    fn session_values_are_written_into_mixed_queries() {
        use crate::compat::Item;
        let value = |item: &Item| match item {
            Item::Version => ha_types::Value::Text("8.0.36-ha".into()),
            Item::Variable(name) if name == "sql_mode" => ha_types::Value::Text("STRICT".into()),
            Item::LastInsertId => ha_types::Value::Integer(7),
            _ => ha_types::Value::Null,
        };
        assert_eq!(
            with_session_values(
                "SELECT VERSION(), @@sql_mode, @@SESSION.sql_mode, LAST_INSERT_ID ( ), \
                 upper('@@x'), CONVERT_TZ('2001-01-01', 'UTC', 'UTC') IS NOT NULL",
                value
            )
            .as_deref(),
            Some(
                "SELECT '8.0.36-ha', 'STRICT', 'STRICT', 7, upper('@@x'), \
                 CONVERT_TZ('2001-01-01', 'UTC', 'UTC') IS NOT NULL"
            )
        );
        assert_eq!(with_session_values("SELECT upper(x) FROM t", value), None);
    }

    #[test]
    fn odd_text_never_panics() {
        for sql in [
            "'unterminated",
            "`x",
            "SELECT a FROM t HAVING",
            "SELECT HAVING ) ) (",
            "information_schema.",
            "information_schema . `",
            "@@",
            "SELECT @",
            "SELECT @@session.",
            "é LIKE",
            "VERSION(",
        ] {
            let sqlite = to_sqlite(sql);
            let _ = with_session_values(&sqlite, |_| ha_types::Value::Null);
        }
    }

    #[test]
    fn create_table_drops_what_sqlite_refuses() {
        assert_eq!(
            to_sqlite(
                "CREATE TABLE t (id INTEGER NOT NULL AUTO_INCREMENT, n INT(11) UNSIGNED, \
                 s VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, PRIMARY KEY (id)) \
                 ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            ),
            "CREATE TABLE t (id INTEGER NOT NULL , n INT(11) , \
             s VARCHAR(20)  , PRIMARY KEY (id))"
        );
        assert_eq!(
            to_sqlite("CREATE TABLE t(a INTEGER PRIMARY KEY) WITHOUT ROWID"),
            "CREATE TABLE t(a INTEGER PRIMARY KEY) WITHOUT ROWID"
        );
        assert_eq!(
            to_sqlite(
                "CREATE TABLE a(x INT) ENGINE=InnoDB; INSERT INTO a VALUES (1); \
                 CREATE TABLE b(y INT UNSIGNED) STRICT;"
            ),
            "CREATE TABLE a(x INT); INSERT INTO a VALUES (1); CREATE TABLE b(y INT ) STRICT;"
        );
        assert_eq!(
            to_sqlite("INSERT INTO t VALUES ('AUTO_INCREMENT')"),
            "INSERT INTO t VALUES ('AUTO_INCREMENT')"
        );
    }
}
