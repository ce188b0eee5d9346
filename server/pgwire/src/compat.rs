//! What PostgreSQL drivers and tools send on their own that SQLite can't answer: `SET` of
//! client settings, `SHOW` of server settings, `RESET`/`DISCARD`, and the one-function
//! `SELECT`s (`version()`, `current_schema()`, `current_database()`...). They are answered
//! here, as PostgreSQL would. `SET ha.min_seq = N` is the read-your-writes setting (SPEC §7).

use ha_types::sql_text::{TokenKind, first_word, tokenize};

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
    /// A query of the PostgreSQL catalog (`pg_type`, `pg_class`, `information_schema`...):
    /// there is none, so it answers no rows (drivers probing for types like hstore get
    /// "not there").
    Catalog { columns: Vec<String> },
    /// psql's `\dt`, `\dv`, `\d` (its "List of relations" query): answered from
    /// `sqlite_master`, without the server's `_ha_*` tables.
    ListRelations { tables: bool, views: bool },
    /// psql's `\d name`, first query: the relation's oid (`FIRST_OID + its sqlite_master rowid`).
    FindRelation { name: String },
    /// psql's `\d name`, second query: the relation's properties, by column name.
    RelationInfo { oid: i64, columns: Vec<String> },
    /// psql's `\d name`, third query: the columns (name, type, default, not null, ...).
    Attributes { oid: i64, columns: Vec<String> },
}

/// psql's oids of relations: `FIRST_OID + rowid` in `sqlite_master`.
pub(crate) const FIRST_OID: i64 = 16384;

/// Catalog relations drivers and tools query.
const CATALOG: &[&str] = &[
    "pg_type",
    "pg_class",
    "pg_namespace",
    "pg_attribute",
    "pg_index",
    "pg_proc",
    "pg_database",
    "pg_settings",
    "pg_roles",
    "pg_user",
    "pg_enum",
    "pg_range",
    "pg_description",
    "pg_constraint",
    "pg_am",
    "pg_inherits",
    "pg_tables",
    "pg_views",
    "pg_indexes",
    "pg_stat_activity",
    "pg_extension",
    "pg_collation",
    "pg_attrdef",
    "pg_sequence",
    "pg_trigger",
    "pg_matviews",
    "pg_authid",
    "pg_shdescription",
    "pg_tablespace",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    Version,
    CurrentSchema,
    CurrentDatabase,
    CurrentUser,
    BackendPid,
}

/// The server version clients see (`SHOW server_version`, the startup ParameterStatus).
pub(crate) const SERVER_VERSION: &str = "16.6";

impl Compat {
    pub(crate) fn parse(sql: &str) -> Option<Compat> {
        let first = first_word(sql);
        let catalog_candidate = matches!(first.as_str(), "SELECT" | "WITH") && {
            let lower = sql.to_ascii_lowercase();
            lower.contains("pg_") || lower.contains("information_schema")
        };
        let answered_here = matches!(
            first.as_str(),
            "SET" | "RESET" | "DISCARD" | "DEALLOCATE" | "SHOW"
        );
        let maybe_function = first == "SELECT" && sql.len() < 80;
        if !(catalog_candidate || answered_here || maybe_function) {
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
            ["SELECT", ..] => select_function(&words[1..]).or_else(|| catalog_query(words)),
            ["WITH", ..] => catalog_query(words),
            _ => None,
        }
    }
}

fn catalog_query(words: &[(TokenKind, String)]) -> Option<Compat> {
    // A catalog relation after FROM/JOIN, any `pg_catalog.` name, or information_schema.
    let reads_catalog = words.windows(2).any(|pair| {
        let relation = pair[1].1.to_ascii_lowercase();
        (matches!(pair[0].1.to_ascii_uppercase().as_str(), "FROM" | "JOIN")
            && (CATALOG.contains(&relation.as_str()) || relation == "pg_catalog"))
            || (pair[0].1.eq_ignore_ascii_case("pg_catalog") && pair[1].1 == ".")
    }) || words
        .iter()
        .any(|(_, w)| w.eq_ignore_ascii_case("information_schema"));
    if !reads_catalog {
        return None;
    }
    // The result columns: the outermost SELECT list, each named by its alias or last word.
    let select = words
        .iter()
        .position(|(_, w)| w.eq_ignore_ascii_case("SELECT"))?;
    let mut columns = Vec::new();
    let mut depth = 0usize;
    let mut current: Vec<&str> = Vec::new();
    for (kind, word) in &words[select + 1..] {
        match word.as_str() {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            "," if depth == 0 => {
                columns.push(column_name(&current));
                current.clear();
                continue;
            }
            _ if depth == 0 && word.eq_ignore_ascii_case("FROM") => break,
            _ => {}
        }
        if depth == 0 && matches!(kind, TokenKind::Word | TokenKind::QuotedIdentifier) {
            current.push(word);
        }
    }
    columns.push(column_name(&current));
    if columns == ["Schema", "Name", "Type", "Owner"]
        && words
            .iter()
            .any(|(_, w)| w.eq_ignore_ascii_case("pg_class"))
    {
        // The kinds asked for: the strings of `relkind IN (...)` (the CASE names them all).
        let kinds: Vec<&str> = words
            .windows(2)
            .position(|pair| {
                pair[0].1.eq_ignore_ascii_case("relkind") && pair[1].1.eq_ignore_ascii_case("IN")
            })
            .map(|at| {
                words[at + 2..]
                    .iter()
                    .skip_while(|(_, w)| w == "(")
                    .take_while(|(_, w)| w != ")")
                    .filter(|(kind, _)| *kind == TokenKind::String)
                    .map(|(_, w)| w.as_str())
                    .collect()
            })
            .unwrap_or_default();
        return Some(Compat::ListRelations {
            tables: kinds.contains(&"'r'"),
            views: kinds.contains(&"'v'"),
        });
    }
    let strings: Vec<&str> = words
        .iter()
        .filter(|(kind, _)| *kind == TokenKind::String)
        .map(|(_, w)| w.trim_matches('\''))
        .collect();
    let oid = || strings.iter().find_map(|s| s.parse::<i64>().ok());
    match columns.first().map(String::as_str) {
        Some("oid") if columns == ["oid", "nspname", "relname"] => {
            if let Some(name) = strings
                .iter()
                .find_map(|s| s.strip_prefix("^(").and_then(|s| s.strip_suffix(")$")))
            {
                return Some(Compat::FindRelation {
                    name: name.to_string(),
                });
            }
        }
        Some("relchecks") => {
            if let Some(oid) = oid() {
                return Some(Compat::RelationInfo { oid, columns });
            }
        }
        Some("attname")
            if words
                .iter()
                .any(|(_, w)| w.eq_ignore_ascii_case("attrelid")) =>
        {
            if let Some(oid) = oid() {
                return Some(Compat::Attributes { oid, columns });
            }
        }
        _ => {}
    }
    Some(Compat::Catalog { columns })
}

fn column_name(words: &[&str]) -> String {
    words
        .last()
        .map(|w| w.trim_matches('"').to_string())
        .unwrap_or_else(|| "?column?".into())
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
        assert_eq!(
            Compat::parse(
                "SELECT typname AS name, oid, typarray AS array_oid, oid::regtype::text AS regtype, \
                 typdelim AS delimiter FROM pg_type t WHERE t.oid = to_regtype($1) ORDER BY t.oid"
            ),
            Some(Compat::Catalog {
                columns: vec![
                    "name".into(),
                    "oid".into(),
                    "array_oid".into(),
                    "regtype".into(),
                    "delimiter".into()
                ]
            })
        );
        assert!(matches!(
            Compat::parse("select * from pg_catalog.pg_class"),
            Some(Compat::Catalog { .. })
        ));
        assert_eq!(Compat::parse("SELECT * FROM my_types"), None);
        let psql_dt = "SELECT n.nspname as \"Schema\",\n  c.relname as \"Name\",\n  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' END as \"Type\",\n  pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\"\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE c.relkind IN ('r','p','')\n ORDER BY 1,2;";
        assert!(matches!(
            Compat::parse(
                "SELECT c.oid,\n  n.nspname,\n  c.relname\nFROM pg_catalog.pg_class c\n     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\nWHERE c.relname OPERATOR(pg_catalog.~) '^(users)$' COLLATE pg_catalog.default\n  AND pg_catalog.pg_table_is_visible(c.oid)\nORDER BY 2, 3;"
            ),
            Some(Compat::FindRelation { name }) if name == "users"
        ));
        assert!(matches!(
            Compat::parse(
                "SELECT c.relchecks, c.relkind, c.relhasindex FROM pg_catalog.pg_class c WHERE c.oid = '16385';"
            ),
            Some(Compat::RelationInfo { oid: 16385, .. })
        ));
        assert!(matches!(
            Compat::parse(
                "SELECT oid, stxrelid::pg_catalog.regclass FROM pg_catalog.pg_statistic_ext WHERE stxrelid = '16385'"
            ),
            Some(Compat::Catalog { .. })
        ));
        assert_eq!(
            Compat::parse(psql_dt),
            Some(Compat::ListRelations {
                tables: true,
                views: false
            })
        );
        assert_eq!(Compat::parse("SELECT 1"), None);
    }
}
