//! The shell at a terminal: line editing and a history file (rustyline), a prompt naming the
//! database, statements over several lines until their `;`, tables with timings.
//!
//! Keys: Ctrl-C forgets the statement being typed (or stops waiting for one that runs), Ctrl-D
//! on an empty line leaves, as do `EXIT;` and `QUIT;`.

use std::path::PathBuf;
use std::process::ExitCode;

use rustyline::error::ReadlineError;
use rustyline::{Config, DefaultEditor};

use super::connection::{Connection, Outcome};
use super::input::{StatementBuffer, is_exit};
use super::render;

/// Entries kept in the history file.
const HISTORY_SIZE: usize = 5000;

pub fn run(mut connection: Connection, url: &str) -> ExitCode {
    if let Err(error) = connection.learn_default() {
        eprintln!("{}", render::error_line(&error));
        return ExitCode::FAILURE;
    }
    if let Err(error) = connection.catch_interrupts() {
        tracing::debug!(%error, "Ctrl-C will not cancel running statements");
    }
    let mut editor = match editor() {
        Ok(editor) => editor,
        Err(error) => {
            eprintln!("error: cannot read the terminal: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut history = History::open(&mut editor);
    println!(
        "{}: connected to {url}. End statements with ';'. EXIT; or Ctrl-D leaves.",
        crate::config::version_string()
    );
    let unicode = render::unicode_terminal();
    let mut buffer = StatementBuffer::new();
    // The lines of the input being typed: one history entry once its statements are complete.
    let mut entry: Vec<String> = Vec::new();
    loop {
        let prompt = prompt(connection.database(), !buffer.is_empty());
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                entry.clear();
                continue;
            }
            Err(ReadlineError::Eof) => {
                println!();
                return ExitCode::SUCCESS;
            }
            Err(error) => {
                eprintln!("error: reading the terminal: {error}");
                return ExitCode::FAILURE;
            }
        };
        if buffer.is_empty() && is_exit(&line) {
            return ExitCode::SUCCESS;
        }
        entry.push(line.clone());
        let statements = buffer.push_line(&line);
        if buffer.is_empty() {
            history.add(&mut editor, &entry.join("\n"));
            entry.clear();
        }
        for sql in statements {
            if is_exit(&sql) {
                return ExitCode::SUCCESS;
            }
            show(&sql, connection.run(&sql, true), unicode);
        }
    }
}

fn editor() -> rustyline::Result<DefaultEditor> {
    let config = Config::builder()
        .max_history_size(HISTORY_SIZE)?
        .history_ignore_dups(true)?
        .auto_add_history(false)
        .build();
    DefaultEditor::with_config(config)
}

/// `ha.db> `, and `   ...> ` (as wide) while a statement goes on.
fn prompt(database: Option<&str>, continued: bool) -> String {
    let name = database.unwrap_or("ha");
    if continued {
        format!("{:>width$}> ", "...", width = name.chars().count())
    } else {
        format!("{name}> ")
    }
}

fn show(sql: &str, outcome: Outcome, unicode: bool) {
    match outcome {
        Outcome::Done { executed, elapsed } => {
            for result in executed.results {
                match result {
                    ha_types::StatementResult::Rows { columns, rows, .. } => {
                        if !columns.is_empty() {
                            println!("{}", render::table(&columns, &rows, unicode));
                        }
                        println!("{}", render::rows_summary(rows.len(), elapsed));
                    }
                    ha_types::StatementResult::Exec {
                        rows_affected,
                        last_insert_id,
                    } => println!(
                        "{}",
                        render::exec_summary(sql, rows_affected, last_insert_id, elapsed)
                    ),
                }
            }
        }
        Outcome::Failed(error) => eprintln!("{}", render::error_line(&error)),
        Outcome::Cancelled { in_transaction } => {
            eprintln!("cancelled (the statement may still complete on the node)");
            if in_transaction {
                eprintln!("the open transaction was rolled back");
            }
        }
    }
}

/// The history file: `$HA_HISTORY_FILE`, else `~/.ha_history`. Each complete input is appended
/// as it is entered, so a shell that is killed keeps what was typed.
struct History {
    path: Option<PathBuf>,
}

impl History {
    fn open(editor: &mut DefaultEditor) -> History {
        let path = std::env::var_os("HA_HISTORY_FILE")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|h| !h.is_empty())
                    .map(|home| PathBuf::from(home).join(".ha_history"))
            });
        if let Some(path) = &path
            && path.exists()
            && let Err(error) = editor.load_history(path)
        {
            eprintln!(
                "warning: cannot read the history file {}: {error}",
                path.display()
            );
        }
        History { path }
    }

    fn add(&mut self, editor: &mut DefaultEditor, entry: &str) {
        if entry.trim().is_empty() || !matches!(editor.add_history_entry(entry), Ok(true)) {
            return;
        }
        let Some(path) = &self.path else { return };
        if let Err(error) = editor.append_history(path) {
            eprintln!(
                "warning: cannot write the history file {} (history is off): {error}",
                path.display()
            );
            self.path = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_names_the_database() {
        assert_eq!(prompt(Some("ha.db"), false), "ha.db> ");
        assert_eq!(prompt(Some("ha.db"), true), "  ...> ");
        assert_eq!(prompt(None, false), "ha> ");
    }
}
