//! The commands `ha` adds to SQL, shared by every protocol: `SHOW DATABASES`, `CREATE DATABASE`,
//! `DROP DATABASE`, `SET DATABASE TO`, `UNSET DATABASE` and `USE`. Recognised here, from the text
//! alone, so front ends can tell them apart too; the engine's registry runs them.

/// A special command recognised in a statement's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecialCommand {
    ShowDatabases,
    CreateDatabase(String),
    DropDatabase(String),
    /// `SET DATABASE TO x`, `SET DATABASE = x`, `USE x`.
    SetDatabase(String),
    UnsetDatabase,
}

impl SpecialCommand {
    /// Recognises a special command; anything else is SQL for SQLite (returns `None`).
    pub fn parse(sql: &str) -> Option<SpecialCommand> {
        let text = sql.trim().trim_end_matches(';').trim();
        // Most statements are none of these: decide on the first word before anything else.
        let first = text.split_whitespace().next().unwrap_or_default();
        if !["SHOW", "CREATE", "DROP", "SET", "USE", "UNSET"]
            .iter()
            .any(|keyword| first.eq_ignore_ascii_case(keyword))
        {
            return None;
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        let keywords: Vec<&str> = upper.iter().map(String::as_str).collect();
        let name = |i: usize| words.get(i).map(|w| unquote(w));
        match keywords.as_slice() {
            ["SHOW", "DATABASES"] => Some(SpecialCommand::ShowDatabases),
            ["CREATE", "DATABASE", _] => name(2).map(SpecialCommand::CreateDatabase),
            ["DROP", "DATABASE", _] => name(2).map(SpecialCommand::DropDatabase),
            ["SET", "DATABASE", "TO" | "=", _] => name(3).map(SpecialCommand::SetDatabase),
            ["SET", "DATABASE", rest] if rest.starts_with('=') && rest.len() > 1 => {
                Some(SpecialCommand::SetDatabase(unquote(&words[2][1..])))
            }
            ["USE", _] => name(1).map(SpecialCommand::SetDatabase),
            ["UNSET", "DATABASE"] => Some(SpecialCommand::UnsetDatabase),
            _ => None,
        }
    }
}

fn unquote(word: &str) -> String {
    for quote in ['\'', '"', '`'] {
        if word.len() >= 2 && word.starts_with(quote) && word.ends_with(quote) {
            return word[1..word.len() - 1].to_string();
        }
    }
    word.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_form() {
        use SpecialCommand::*;
        assert_eq!(
            SpecialCommand::parse("show databases;"),
            Some(ShowDatabases)
        );
        assert_eq!(
            SpecialCommand::parse("CREATE DATABASE 'a.db'"),
            Some(CreateDatabase("a.db".into()))
        );
        assert_eq!(
            SpecialCommand::parse("drop database `a.db`;"),
            Some(DropDatabase("a.db".into()))
        );
        assert_eq!(
            SpecialCommand::parse("SET DATABASE TO a.db"),
            Some(SetDatabase("a.db".into()))
        );
        assert_eq!(
            SpecialCommand::parse("SET DATABASE = \"a.db\""),
            Some(SetDatabase("a.db".into()))
        );
        assert_eq!(
            SpecialCommand::parse("set database =a.db"),
            Some(SetDatabase("a.db".into()))
        );
        assert_eq!(
            SpecialCommand::parse("USE a.db"),
            Some(SetDatabase("a.db".into()))
        );
        assert_eq!(SpecialCommand::parse("UNSET DATABASE"), Some(UnsetDatabase));
        assert_eq!(SpecialCommand::parse("SELECT 1"), None);
        assert_eq!(SpecialCommand::parse("CREATE TABLE t(x)"), None);
        assert_eq!(SpecialCommand::parse("DROP DATABASE"), None);
    }
}
