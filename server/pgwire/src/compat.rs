//! What PostgreSQL drivers and tools send on their own that SQLite can't answer: `SET` of
//! client settings, `SHOW` of server settings, `RESET`/`DISCARD`, and the one-function
//! `SELECT`s (`version()`, `current_schema()`, `current_database()`...). They are answered
//! here, as PostgreSQL would. `SET ha.min_seq = N` is the read-your-writes setting (SPEC §7).

use ha_types::sql_text::{TokenKind, first_word, leading_tokens, tokenize};

/// A statement answered by the front end itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Compat {
    /// `SET [SESSION|LOCAL] name {=|TO} value`, `SET TIME ZONE value`.
    Set { name: String, value: String },
    /// `RESET name`, `RESET ALL`, `DISCARD ...`.
    Reset,
    /// `SHOW name` (one row, one column named after the setting).
    Show(String),
    /// `SELECT fn()`: the column name and the function.
    Function { column: String, function: Function },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    Version,
    CurrentSchema,
    CurrentDatabase,
    CurrentUser,
    BackendPid,
}

/// The server version clients see (`SHOW server_version`, the startup ParameterStatus).
pub(crate) const SERVER_VERSION: &str = ha_types::POSTGRESQL_VERSION;

impl Compat {
    pub(crate) fn parse(sql: &str) -> Option<Compat> {
        let first = first_word(sql);
        let answered_here = matches!(
            first.as_str(),
            "SET" | "RESET" | "DISCARD" | "DEALLOCATE" | "SHOW"
        );
        // Only the next word is looked at before the whole text is: most SELECTs are queries,
        // and tokenizing each one whole cost a simple-protocol point select 6% of its time.
        let maybe_function = first == "SELECT"
            && sql.len() < 80
            && leading_tokens(sql, 2)
                .get(1)
                .is_some_and(|word| FUNCTION_WORDS.iter().any(|f| f.eq_ignore_ascii_case(word)));
        if !(answered_here || maybe_function) {
            return None;
        }
        let words: Vec<(TokenKind, String)> = tokenize(sql)
            .into_iter()
            .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
            .map(|t| (t.kind, sql[t.start..t.end].to_string()))
            .collect();
        let mut words = words.as_slice();
        while let [rest @ .., (TokenKind::Semicolon, _)] = words {
            words = rest;
        }
        let upper: Vec<String> = words.iter().map(|(_, w)| w.to_ascii_uppercase()).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        match upper.as_slice() {
            // `SET DATABASE ...` is the engine's special command.
            ["SET", "DATABASE", ..] => None,
            ["SET", "TIME", "ZONE", ..] => Some(Compat::Set {
                name: "timezone".into(),
                value: join(&words[3..]),
            }),
            ["SET", "SESSION", "CHARACTERISTICS", ..] | ["SET", "TRANSACTION", ..] => {
                Some(Compat::Reset)
            }
            ["SET", ..] => {
                let mut rest = &words[1..];
                if let [(_, first), more @ ..] = rest
                    && (first.eq_ignore_ascii_case("SESSION")
                        || first.eq_ignore_ascii_case("LOCAL"))
                {
                    rest = more;
                }
                let (name, value) = setting_and_value(rest)?;
                Some(Compat::Set { name, value })
            }
            ["RESET", ..] | ["DISCARD", ..] | ["DEALLOCATE", ..] => Some(Compat::Reset),
            ["SHOW", "DATABASES"] => None,
            ["SHOW", "TRANSACTION", "ISOLATION", "LEVEL"] => {
                Some(Compat::Show("transaction_isolation".into()))
            }
            ["SHOW", _] | ["SHOW", _, ".", _] => {
                Some(Compat::Show(join(&words[1..]).to_lowercase()))
            }
            ["SELECT", ..] => select_function(&words[1..]),
            _ => None,
        }
    }
}

/// The result columns of a query that reads the PostgreSQL catalog (its outermost SELECT
/// list, each named by its alias or last word), or `None` when it reads none: the catalog
/// answers a query it can't run with no rows under these names (see
/// `execute::catalog_fallback`).
pub(crate) fn catalog_columns(sql: &str) -> Option<Vec<String>> {
    if !ha_types::sql_text::may_name_catalog(sql) {
        return None;
    }
    select_list_names(sql)
}

/// The names of a query's result columns, read off its outermost SELECT list (an alias, else
/// the item's last word).
pub(crate) fn select_list_names(sql: &str) -> Option<Vec<String>> {
    Some(
        select_list_items(sql)?
            .into_iter()
            .map(column_name)
            .collect(),
    )
}

/// The items of a query's outermost SELECT list, as written.
pub(crate) fn select_list_items(sql: &str) -> Option<Vec<&str>> {
    if !matches!(first_word(sql).as_str(), "SELECT" | "WITH") {
        return None;
    }
    let tokens = tokenize(sql);
    let select = tokens.iter().position(|t| {
        t.kind == TokenKind::Word && sql[t.start..t.end].eq_ignore_ascii_case("SELECT")
    })?;
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = tokens[select].end;
    let mut end = sql.len();
    for token in &tokens[select + 1..] {
        let text = &sql[token.start..token.end];
        match text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            "," if depth == 0 => {
                items.push(sql[start..token.start].trim());
                start = token.end;
            }
            _ if depth == 0
                && token.kind == TokenKind::Word
                && text.eq_ignore_ascii_case("FROM") =>
            {
                end = token.start;
                break;
            }
            _ => {}
        }
    }
    items.push(sql[start..end].trim());
    Some(items)
}

/// An item's column name: its last word outside parentheses (its alias, a column's name).
fn column_name(item: &str) -> String {
    let mut depth = 0usize;
    let mut last = None;
    for token in tokenize(item) {
        let text = &item[token.start..token.end];
        match text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ if depth == 0
                && matches!(token.kind, TokenKind::Word | TokenKind::QuotedIdentifier) =>
            {
                last = Some(text);
            }
            _ => {}
        }
    }
    last.map_or_else(|| "?column?".into(), |w| w.trim_matches('"').to_string())
}

/// `name {=|TO} value...` (the name may be dotted: `ha.min_seq`).
fn setting_and_value(words: &[(TokenKind, String)]) -> Option<(String, String)> {
    let position = words
        .iter()
        .position(|(_, w)| w == "=" || w.eq_ignore_ascii_case("TO"))?;
    if position == 0 {
        return None;
    }
    let name = join(&words[..position]).to_lowercase();
    let value = join(&words[position + 1..]);
    Some((name, unquote(&value)))
}

/// The words a `SELECT` answered by [`select_function`] starts with.
const FUNCTION_WORDS: [&str; 8] = [
    "pg_catalog",
    "version",
    "current_schema",
    "current_database",
    "current_user",
    "session_user",
    "user",
    "pg_backend_pid",
];

/// `[pg_catalog.]fn()` with an optional `AS alias`, nothing else.
fn select_function(words: &[(TokenKind, String)]) -> Option<Compat> {
    let texts: Vec<String> = words.iter().map(|(_, w)| w.to_ascii_lowercase()).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (name, rest) = match texts.as_slice() {
        ["pg_catalog", ".", name, rest @ ..] => (*name, rest),
        [name, rest @ ..] => (*name, rest),
        _ => return None,
    };
    let (call, alias) = match rest {
        ["(", ")", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let alias = match alias {
        [] => None,
        ["as", _] => Some(words[words.len() - 1].1.trim_matches('"').to_string()),
        _ => return None,
    };
    let function = match (name, call) {
        ("version", true) => Function::Version,
        ("current_schema", _) => Function::CurrentSchema,
        ("current_database", true) => Function::CurrentDatabase,
        ("current_user" | "session_user" | "user", false) => Function::CurrentUser,
        ("pg_backend_pid", true) => Function::BackendPid,
        _ => return None,
    };
    Some(Compat::Function {
        column: alias.unwrap_or_else(|| name.to_string()),
        function,
    })
}

fn join(words: &[(TokenKind, String)]) -> String {
    let mut out = String::new();
    for (i, (_, w)) in words.iter().enumerate() {
        let glued =
            w == "." || words.get(i.wrapping_sub(1)).is_some_and(|(_, p)| p == ".") || w == ",";
        if i > 0 && !glued {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn unquote(value: &str) -> String {
    let trimmed = value.trim();
    if trimmed.len() >= 2
        && ((trimmed.starts_with('\'') && trimmed.ends_with('\''))
            || (trimmed.starts_with('"') && trimmed.ends_with('"')))
    {
        trimmed[1..trimmed.len() - 1].to_string()
    } else {
        trimmed.to_string()
    }
}

/// The value `SHOW name` answers for a setting nobody set on this connection.
pub(crate) fn default_setting(name: &str) -> Option<&'static str> {
    Some(match name {
        "server_version" => SERVER_VERSION,
        "server_version_num" => "160006",
        "server_encoding" | "client_encoding" => "UTF8",
        "standard_conforming_strings" => "on",
        "transaction_isolation" | "default_transaction_isolation" => "read committed",
        "transaction_read_only" | "default_transaction_read_only" => "off",
        "datestyle" => "ISO, MDY",
        "intervalstyle" => "postgres",
        "timezone" => "UTC",
        "search_path" => "\"$user\", public",
        "integer_datetimes" => "on",
        "max_identifier_length" => "63",
        "lc_collate" | "lc_ctype" => "C",
        "application_name" => "",
        "is_superuser" => "on",
        "ha.min_seq" | "ha.last_seq" => "0",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: &str) -> Option<Compat> {
        Some(Compat::Set {
            name: name.into(),
            value: value.into(),
        })
    }

    #[test]
    fn settings() {
        assert_eq!(
            Compat::parse("SET client_encoding TO 'UTF8'"),
            set("client_encoding", "UTF8")
        );
        assert_eq!(
            Compat::parse("set extra_float_digits = 3;"),
            set("extra_float_digits", "3")
        );
        assert_eq!(
            Compat::parse("SET SESSION ha.min_seq = 42"),
            set("ha.min_seq", "42")
        );
        assert_eq!(
            Compat::parse("SET TIME ZONE 'UTC'"),
            set("timezone", "'UTC'")
        );
        assert_eq!(Compat::parse("SET DATABASE TO x.db"), None);
        assert_eq!(Compat::parse("RESET ALL"), Some(Compat::Reset));
        assert_eq!(
            Compat::parse(
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"
            ),
            Some(Compat::Reset)
        );
    }

    #[test]
    fn show_and_functions() {
        assert_eq!(
            Compat::parse("SHOW transaction isolation level"),
            Some(Compat::Show("transaction_isolation".into()))
        );
        assert_eq!(
            Compat::parse("show standard_conforming_strings"),
            Some(Compat::Show("standard_conforming_strings".into()))
        );
        assert_eq!(Compat::parse("SHOW DATABASES"), None);
        assert_eq!(
            Compat::parse("select pg_catalog.version()"),
            Some(Compat::Function {
                column: "version".into(),
                function: Function::Version
            })
        );
        assert_eq!(
            Compat::parse("SELECT current_schema()"),
            Some(Compat::Function {
                column: "current_schema".into(),
                function: Function::CurrentSchema
            })
        );
        assert_eq!(
            Compat::parse("select current_database() as db"),
            Some(Compat::Function {
                column: "db".into(),
                function: Function::CurrentDatabase
            })
        );
        assert_eq!(Compat::parse("SELECT version() + 1"), None);
        assert_eq!(Compat::parse("SELECT name FROM t WHERE id = 1"), None);
        // Every function answered here gets past the look at the next word.
        for (sql, function) in [
            ("/* driver */ SELECT VERSION()", Function::Version),
            ("SELECT current_user", Function::CurrentUser),
            ("SELECT session_user", Function::CurrentUser),
            ("SELECT user", Function::CurrentUser),
            ("SELECT pg_backend_pid()", Function::BackendPid),
            ("SELECT current_schema", Function::CurrentSchema),
        ] {
            assert!(
                matches!(Compat::parse(sql), Some(Compat::Function { function: f, .. }) if f == function),
                "{sql}"
            );
        }
        assert_eq!(
            catalog_columns(
                "SELECT typname AS name, oid, typarray AS array_oid, oid::regtype::text AS regtype, \
                 typdelim AS delimiter FROM pg_type t WHERE t.oid = to_regtype($1) ORDER BY t.oid"
            ),
            Some(vec![
                "name".into(),
                "oid".into(),
                "array_oid".into(),
                "regtype".into(),
                "delimiter".into()
            ])
        );
        assert_eq!(Compat::parse("select * from pg_catalog.pg_class"), None);
        assert_eq!(catalog_columns("SELECT * FROM my_types"), None);
        assert_eq!(Compat::parse("SELECT 1"), None);
    }
}
