//! What MySQL clients and drivers ask that is not SQLite's SQL, answered by the front end:
//! `SET` of session variables, `SELECT @@var`, `DATABASE()` and their kind, `SHOW TABLES` /
//! `SHOW COLUMNS` / `DESCRIBE` / `SHOW CREATE TABLE` (from the core's catalog queries),
//! `SHOW VARIABLES`, `SHOW WARNINGS`, and MySQL's spellings of transaction commands.

use ha_types::SpecialCommand;

/// A statement the front end answers itself (or passes on in SQLite's words).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Compat {
    /// `SET name = value, ...` (session and user variables, `NAMES`, `autocommit`,
    /// `ha_min_seq`); the names lower-cased, without `@@session.`.
    Set(Vec<(String, String)>),
    /// A `SELECT` of system variables and session functions only: (column, item).
    Select(Vec<(String, Item)>),
    ShowVariables {
        like: Option<String>,
    },
    /// `SHOW WARNINGS`, `SHOW ERRORS`, `SHOW STATUS`, `SHOW ENGINES`...: an empty list.
    ShowNothing {
        columns: Vec<&'static str>,
    },
    ShowTables {
        full: bool,
        like: Option<String>,
    },
    ShowColumns {
        table: String,
        full: bool,
    },
    ShowCreateTable {
        table: String,
    },
    ShowIndex {
        table: String,
    },
    /// `SHOW TABLE STATUS [FROM db] [LIKE pattern]`.
    ShowTableStatus {
        like: Option<String>,
    },
    /// A transaction command in SQLite's words (`START TRANSACTION` -> `BEGIN`).
    Transaction(&'static str),
}

/// What a `SELECT` of the front end's own items asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Variable(String),
    Database,
    Version,
    User,
    ConnectionId,
    LastInsertId,
    /// A literal beside them (`SELECT DATABASE(), 7`).
    Literal(ha_types::Value),
    /// `ROW_COUNT()`: the rows the last statement changed.
    RowCount,
}

/// `sql` without the comments before its first word (`/* mysql-connector-j ... */SELECT`).
fn without_leading_comments(sql: &str) -> &str {
    let mut text = sql.trim_start();
    loop {
        if let Some(rest) = text.strip_prefix("/*") {
            match rest.find("*/") {
                Some(end) => text = rest[end + 2..].trim_start(),
                None => return text,
            }
        } else if text.starts_with("-- ") || text.starts_with('#') {
            match text.find('\n') {
                Some(end) => text = text[end + 1..].trim_start(),
                None => return "",
            }
        } else {
            return text;
        }
    }
}

pub(crate) fn parse(sql: &str) -> Option<Compat> {
    let text = without_leading_comments(sql)
        .trim()
        .trim_end_matches(';')
        .trim();
    let words: Vec<&str> = text.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let first = upper.first()?.as_str();
    match first {
        "SET" => {
            if SpecialCommand::parse(text).is_some() {
                return None;
            }
            set(&text[3..])
        }
        "SELECT" => select(&text[6..]),
        "SHOW" => show(text, &words, &upper),
        "DESCRIBE" | "DESC" | "EXPLAIN" if words.len() == 2 => Some(Compat::ShowColumns {
            table: table_name(words[1]),
            full: false,
        }),
        "START" if upper.get(1).is_some_and(|w| w == "TRANSACTION") => {
            Some(Compat::Transaction("BEGIN"))
        }
        "BEGIN" if upper.get(1).is_some_and(|w| w == "WORK") => Some(Compat::Transaction("BEGIN")),
        "COMMIT" if words.len() > 1 => Some(Compat::Transaction("COMMIT")),
        "ROLLBACK" if upper.get(1).is_some_and(|w| w == "WORK") && words.len() == 2 => {
            Some(Compat::Transaction("ROLLBACK"))
        }
        _ => None,
    }
}

/// `name` without its quotes (backticks, double or single quotes).
pub(crate) fn unquote(name: &str) -> String {
    let name = name.trim().trim_end_matches(';');
    for quote in ['`', '"', '\''] {
        if let Some(inner) = name
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner.to_string();
        }
    }
    name.to_string()
}

/// A table's name as `SHOW ... FROM` names it, without its quotes and without the database it
/// may be qualified with (`` `ha.db`.`users` ``, as Connector/J writes it).
fn table_name(name: &str) -> String {
    let name = name.trim().trim_end_matches(';');
    let mut quoted = false;
    let mut last_dot = None;
    for (at, c) in name.char_indices() {
        match c {
            '`' => quoted = !quoted,
            '.' if !quoted => last_dot = Some(at),
            _ => {}
        }
    }
    unquote(last_dot.map_or(name, |at| &name[at + 1..]))
}

/// Splits on the commas outside quotes and parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&text[start..at]);
                    start = at + 1;
                }
                _ => {}
            },
        }
    }
    parts.push(&text[start..]);
    parts
}

fn variable_name(name: &str) -> String {
    let name = name.trim().trim_start_matches("@@").to_ascii_lowercase();
    for scope in ["session.", "local.", "global."] {
        if let Some(rest) = name.strip_prefix(scope) {
            return rest.to_string();
        }
    }
    name
}

fn set(assignments: &str) -> Option<Compat> {
    let mut pairs = Vec::new();
    for assignment in split_top(assignments) {
        let assignment = assignment.trim();
        let upper = assignment.to_ascii_uppercase();
        if upper.starts_with("NAMES ") || upper.starts_with("CHARACTER SET ") {
            let value = assignment.split_whitespace().last().unwrap_or_default();
            pairs.push(("names".to_string(), unquote(value)));
            continue;
        }
        if upper.starts_with("TRANSACTION ") || upper.starts_with("SESSION TRANSACTION ") {
            // Isolation and access mode: SQLite's transactions are serializable.
            pairs.push(("transaction".to_string(), assignment.to_string()));
            continue;
        }
        let (name, value) = assignment.split_once('=')?;
        let name = name.trim();
        let name = ["SESSION ", "LOCAL ", "GLOBAL "]
            .iter()
            .find_map(|scope| {
                name.get(..scope.len())
                    .filter(|p| p.eq_ignore_ascii_case(scope))
                    .map(|_| &name[scope.len()..])
            })
            .unwrap_or(name);
        let name = name.trim_start_matches(':');
        pairs.push((variable_name(name), unquote(value.trim())));
    }
    Some(Compat::Set(pairs))
}

fn select(list: &str) -> Option<Compat> {
    let mut list = list.trim();
    // `select @@version_comment limit 1` (the mysql client's first question).
    let upper = list.to_ascii_uppercase();
    if let Some(at) = upper.rfind(" LIMIT ")
        && upper[at + 7..].trim().chars().all(|c| c.is_ascii_digit())
    {
        list = list[..at].trim();
    }
    let mut items = Vec::new();
    for part in split_top(list) {
        let part = part.trim();
        let (expression, alias) = split_alias(part);
        let item = item(expression)?;
        items.push((alias.unwrap_or_else(|| expression.to_string()), item));
    }
    (!items.is_empty()).then_some(Compat::Select(items))
}

fn split_alias(part: &str) -> (&str, Option<String>) {
    let upper = part.to_ascii_uppercase();
    if let Some(at) = upper.rfind(" AS ") {
        return (part[..at].trim(), Some(unquote(&part[at + 4..])));
    }
    (part, None)
}

pub(crate) fn item(expression: &str) -> Option<Item> {
    if let Some(name) = expression.strip_prefix("@@") {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        return valid.then(|| Item::Variable(variable_name(expression)));
    }
    if let Some(literal) = literal(expression) {
        return Some(Item::Literal(literal));
    }
    let call = expression.replace(' ', "").to_ascii_uppercase();
    Some(match call.as_str() {
        "DATABASE()" | "SCHEMA()" => Item::Database,
        "VERSION()" => Item::Version,
        "USER()" | "CURRENT_USER()" | "CURRENT_USER" | "SESSION_USER()" | "SYSTEM_USER()" => {
            Item::User
        }
        "CONNECTION_ID()" => Item::ConnectionId,
        "LAST_INSERT_ID()" => Item::LastInsertId,
        "ROW_COUNT()" => Item::RowCount,
        _ => return None,
    })
}

/// A number, a quoted string or NULL.
fn literal(expression: &str) -> Option<ha_types::Value> {
    use ha_types::Value;
    if expression.eq_ignore_ascii_case("NULL") {
        return Some(Value::Null);
    }
    if let Ok(n) = expression.parse::<i64>() {
        return Some(Value::Integer(n));
    }
    if expression
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '.')
        && let Ok(f) = expression.parse::<f64>()
    {
        return Some(Value::Real(f));
    }
    for quote in ['\'', '"'] {
        if let Some(inner) = expression
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
            && !inner.contains(quote)
            && !inner.contains('\\')
        {
            return Some(Value::Text(inner.to_string()));
        }
    }
    None
}

fn like_of(words: &[&str], upper: &[String]) -> Option<String> {
    let at = upper.iter().position(|w| w == "LIKE")?;
    let pattern = words[at + 1..].join(" ");
    Some(unquote(&pattern))
}

fn show(text: &str, words: &[&str], upper: &[String]) -> Option<Compat> {
    let rest: Vec<&str> = upper.iter().skip(1).map(String::as_str).collect();
    let (full, rest) = match rest.first() {
        Some(&"FULL") => (true, &rest[1..]),
        _ => (false, &rest[..]),
    };
    let offset = if full { 2 } else { 1 };
    match rest {
        ["DATABASES" | "SCHEMAS", ..] => None,
        ["TABLE", "STATUS", ..] => Some(Compat::ShowTableStatus {
            like: like_of(words, upper),
        }),
        ["PROCESSLIST", ..] => Some(Compat::ShowNothing {
            columns: vec![
                "Id", "User", "Host", "db", "Command", "Time", "State", "Info",
            ],
        }),
        ["TABLES", ..] => Some(Compat::ShowTables {
            full,
            like: like_of(words, upper),
        }),
        ["COLUMNS" | "FIELDS", "FROM" | "IN", ..] => Some(Compat::ShowColumns {
            table: table_name(words.get(offset + 2)?),
            full,
        }),
        ["CREATE", "TABLE", ..] => Some(Compat::ShowCreateTable {
            table: table_name(words.get(3)?),
        }),
        ["INDEX" | "INDEXES" | "KEYS", "FROM" | "IN", ..] => Some(Compat::ShowIndex {
            table: table_name(words.get(offset + 2)?),
        }),
        ["VARIABLES", ..] | ["SESSION" | "GLOBAL" | "LOCAL", "VARIABLES", ..] => {
            Some(Compat::ShowVariables {
                like: like_of(words, upper),
            })
        }
        ["WARNINGS", ..] | ["ERRORS", ..] => Some(Compat::ShowNothing {
            columns: vec!["Level", "Code", "Message"],
        }),
        ["STATUS", ..] | ["SESSION" | "GLOBAL", "STATUS", ..] => Some(Compat::ShowNothing {
            columns: vec!["Variable_name", "Value"],
        }),
        ["ENGINES", ..] => Some(Compat::ShowNothing {
            columns: vec![
                "Engine",
                "Support",
                "Comment",
                "Transactions",
                "XA",
                "Savepoints",
            ],
        }),
        ["COLLATION", ..] => Some(Compat::ShowNothing {
            columns: vec![
                "Collation",
                "Charset",
                "Id",
                "Default",
                "Compiled",
                "Sortlen",
            ],
        }),
        ["CHARACTER", "SET", ..] | ["CHARSET", ..] => Some(Compat::ShowNothing {
            columns: vec!["Charset", "Description", "Default collation", "Maxlen"],
        }),
        _ => {
            let _ = text;
            None
        }
    }
}

/// Whether `value` matches a SQL LIKE `pattern` (`%`, `_`, `\` escapes; case-insensitive).
pub(crate) fn like(pattern: &str, value: &str) -> bool {
    fn matches(p: &[char], v: &[char]) -> bool {
        match p.first() {
            None => v.is_empty(),
            Some('%') => (0..=v.len()).any(|skip| matches(&p[1..], &v[skip..])),
            Some('_') => !v.is_empty() && matches(&p[1..], &v[1..]),
            Some('\\') if p.len() > 1 => v.first() == Some(&p[1]) && matches(&p[2..], &v[1..]),
            Some(c) => v.first() == Some(c) && matches(&p[1..], &v[1..]),
        }
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let v: Vec<char> = value.to_lowercase().chars().collect();
    matches(&p, &v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drivers_connect_time_questions_are_recognised() {
        assert_eq!(
            parse("select @@version_comment limit 1"),
            Some(Compat::Select(vec![(
                "@@version_comment".into(),
                Item::Variable("version_comment".into())
            )]))
        );
        assert_eq!(
            parse(
                "SELECT @@session.auto_increment_increment AS auto_increment_increment, DATABASE()"
            ),
            Some(Compat::Select(vec![
                (
                    "auto_increment_increment".into(),
                    Item::Variable("auto_increment_increment".into())
                ),
                ("DATABASE()".into(), Item::Database),
            ]))
        );
        assert_eq!(
            parse(
                "/* mysql-connector-j */SELECT  @@session.auto_increment_increment AS a, 1 AS one"
            ),
            Some(Compat::Select(vec![
                (
                    "a".into(),
                    Item::Variable("auto_increment_increment".into())
                ),
                ("one".into(), Item::Literal(ha_types::Value::Integer(1))),
            ]))
        );
        assert_eq!(parse("SELECT @@version, now()"), None);
        assert_eq!(parse("SELECT name FROM t"), None);
        assert_eq!(
            parse("SET NAMES utf8mb4"),
            Some(Compat::Set(vec![("names".into(), "utf8mb4".into())]))
        );
        assert_eq!(
            parse("SET autocommit=0, @@session.sql_mode = 'ANSI'"),
            Some(Compat::Set(vec![
                ("autocommit".into(), "0".into()),
                ("sql_mode".into(), "ANSI".into())
            ]))
        );
        assert_eq!(parse("SET DATABASE TO x"), None);
        assert_eq!(
            parse("START TRANSACTION"),
            Some(Compat::Transaction("BEGIN"))
        );
        assert_eq!(
            parse("DESCRIBE `t`"),
            Some(Compat::ShowColumns {
                table: "t".into(),
                full: false
            })
        );
        assert_eq!(
            parse("SHOW FULL COLUMNS FROM t"),
            Some(Compat::ShowColumns {
                table: "t".into(),
                full: true
            })
        );
        assert_eq!(
            parse("SHOW VARIABLES LIKE 'sql_mode'"),
            Some(Compat::ShowVariables {
                like: Some("sql_mode".into())
            })
        );
        assert_eq!(parse("SHOW DATABASES"), None);
    }

    #[test]
    fn show_table_status_and_processlist() {
        assert_eq!(
            parse("SHOW TABLE STATUS FROM `ha.db` LIKE 'us%'"),
            Some(Compat::ShowTableStatus {
                like: Some("us%".into())
            })
        );
        assert!(matches!(
            parse("SHOW FULL PROCESSLIST"),
            Some(Compat::ShowNothing { .. })
        ));
    }

    #[test]
    fn show_names_a_table_with_or_without_its_database() {
        for sql in [
            "SHOW CREATE TABLE `ha.db`.`users`",
            "SHOW CREATE TABLE ha.users",
            "SHOW CREATE TABLE `users`",
        ] {
            assert_eq!(
                parse(sql),
                Some(Compat::ShowCreateTable {
                    table: "users".into()
                }),
                "{sql}"
            );
        }
    }

    #[test]
    fn like_patterns_match_as_mysql_does() {
        assert!(like("sql\\_mode", "sql_mode"));
        assert!(like("char%", "character_set_client"));
        assert!(!like("char%", "collation"));
        assert!(like("T_", "t1"));
    }
}
