//! The commands `ha` adds to SQL, shared by every protocol: `SHOW DATABASES`, `CREATE DATABASE`,
//! `DROP DATABASE`, `SET DATABASE TO`, `UNSET DATABASE` and `USE`, and history and undo
//! (`HISTORY`, `UNDO`, `UNDOE`, `UNDOT`, SPEC §10). Recognised here, from the text alone, so
//! front ends can tell them apart too; the engine's registry runs them.

use std::time::Duration;

/// A special command recognised in a statement's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecialCommand {
    ShowDatabases,
    CreateDatabase(String),
    DropDatabase(String),
    /// `SET DATABASE TO x`, `SET DATABASE = x`, `USE x`.
    SetDatabase(String),
    UnsetDatabase,
    /// `HISTORY n` / `HISTORY '5m'`: the database's change sets from there on.
    History(Since),
    /// `UNDO`, `UNDOE`, `UNDOT` with a sequence or a duration.
    Undo(UndoScope, Since),
    /// A history or undo command whose argument is not a sequence or a duration: answered with
    /// this message instead of being sent to SQLite (which would call it a syntax error).
    Unusable(String),
}

/// Where history and undo start: a log sequence, or a span of time back from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Seq(u64),
    Ago(Duration),
}

/// What an undo reverts, from its starting point on (SPEC §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoScope {
    /// `UNDO`: every transaction.
    Everything,
    /// `UNDOE n`: only the changes to the rows (entities) that transaction `n` touched.
    Entities,
    /// `UNDOT n`: the whole transactions that touched the rows transaction `n` touched.
    Transactions,
}

impl UndoScope {
    pub fn keyword(self) -> &'static str {
        match self {
            UndoScope::Everything => "UNDO",
            UndoScope::Entities => "UNDOE",
            UndoScope::Transactions => "UNDOT",
        }
    }
}

impl SpecialCommand {
    /// Recognises a special command; anything else is SQL for SQLite (returns `None`).
    pub fn parse(sql: &str) -> Option<SpecialCommand> {
        let text = sql.trim().trim_end_matches(';').trim();
        // Most statements are none of these: decide on the first word before anything else.
        let first = text.split_whitespace().next().unwrap_or_default();
        if ![
            "SHOW", "CREATE", "DROP", "SET", "USE", "UNSET", "HISTORY", "UNDO", "UNDOE", "UNDOT",
        ]
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
            ["HISTORY", ..] => Some(since_of("HISTORY", &words[1..], SpecialCommand::History)),
            [keyword @ ("UNDO" | "UNDOE" | "UNDOT"), ..] => {
                let scope = match *keyword {
                    "UNDO" => UndoScope::Everything,
                    "UNDOE" => UndoScope::Entities,
                    _ => UndoScope::Transactions,
                };
                Some(since_of(keyword, &words[1..], |since| {
                    SpecialCommand::Undo(scope, since)
                }))
            }
            _ => None,
        }
    }
}

/// The command made of `make` and the one argument in `args` (a sequence, or a duration such
/// as `5m`, quoted or not; `UNDOE` and `UNDOT` name a transaction, so a sequence), or an
/// `Unusable` command saying what is wrong.
fn since_of(
    keyword: &str,
    args: &[&str],
    make: impl FnOnce(Since) -> SpecialCommand,
) -> SpecialCommand {
    let usage = || {
        SpecialCommand::Unusable(format!(
            "{keyword} takes one argument: a log sequence (e.g. {keyword} 42) or a duration \
             back from now (e.g. {keyword} '5m')"
        ))
    };
    let [arg] = args else { return usage() };
    let arg = unquote(arg);
    if let Ok(seq) = arg.parse::<u64>() {
        return make(Since::Seq(seq));
    }
    match crate::duration::parse_duration(&arg) {
        Ok(ago) if ago > Duration::ZERO => make(Since::Ago(ago)),
        _ => usage(),
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

    #[test]
    fn history_and_undo_take_a_sequence_or_a_duration_quoted_or_not() {
        use SpecialCommand::*;
        let minutes = |m: u64| Since::Ago(Duration::from_secs(60 * m));
        assert_eq!(
            SpecialCommand::parse("HISTORY 3"),
            Some(History(Since::Seq(3)))
        );
        assert_eq!(
            SpecialCommand::parse("history '5m';"),
            Some(History(minutes(5)))
        );
        assert_eq!(
            SpecialCommand::parse("UNDO 10m"),
            Some(Undo(UndoScope::Everything, minutes(10)))
        );
        assert_eq!(
            SpecialCommand::parse("undoe '7'"),
            Some(Undo(UndoScope::Entities, Since::Seq(7)))
        );
        assert_eq!(
            SpecialCommand::parse("UNDOT \"1h\""),
            Some(Undo(UndoScope::Transactions, minutes(60)))
        );
        for bad in ["HISTORY", "UNDO x", "UNDOT 1 2", "HISTORY '-5m'", "UNDO 0s"] {
            assert!(
                matches!(SpecialCommand::parse(bad), Some(Unusable(_))),
                "{bad}"
            );
        }
    }
}
