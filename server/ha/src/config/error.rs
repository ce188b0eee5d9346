//! Why a configuration was refused. Every message names the flag (and, for the config file, the
//! file and line) so the operator can fix it without reading code.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The command line was wrong, or asked for `--help` / `--version` (see [`ConfigError::exit`]).
    #[error("{}", first_line(.0))]
    Cli(clap::Error),
    /// An `HA_*` environment variable holds a value its flag refuses.
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    /// The config file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    FileRead {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line of the config file is wrong.
    #[error("{}:{line}: {message}", path.display())]
    File {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A flag's value is out of range, or two flags do not go together.
    #[error("{flag}: {message}")]
    Invalid { flag: String, message: String },
    /// Flags whose feature this build does not have yet (long names, without dashes).
    #[error("not supported yet: {}", dashed(.0))]
    NotSupportedYet(Vec<String>),
}

impl ConfigError {
    /// True for `--help` and `--version`: not an error, the text is to be shown and the
    /// process is to exit successfully.
    pub fn is_help_or_version(&self) -> bool {
        matches!(self, ConfigError::Cli(e) if matches!(
            e.kind(),
            clap::error::ErrorKind::DisplayHelp
                | clap::error::ErrorKind::DisplayVersion
                | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        ))
    }

    /// The process exit code: 0 for `--help`/`--version`, 2 for anything else (clap's usage code).
    pub fn exit_code(&self) -> i32 {
        if self.is_help_or_version() { 0 } else { 2 }
    }

    /// Prints the help, the version or the error the way clap does (help and version to stdout,
    /// errors to stderr) and exits the process. For `main` only.
    pub fn exit(self) -> ! {
        match self {
            ConfigError::Cli(e) => e.exit(),
            other => {
                eprintln!("error: {other}");
                std::process::exit(other.exit_code())
            }
        }
    }
}

/// clap renders "error: <message>\n\n<usage tips>"; the first line alone reads well inside our
/// own messages and logs.
pub(crate) fn first_line(e: &clap::Error) -> String {
    let rendered = e.to_string();
    let line = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    line.strip_prefix("error: ")
        .unwrap_or(line)
        .trim_end()
        .to_string()
}

fn dashed(flags: &[String]) -> String {
    flags
        .iter()
        .map(|f| format!("--{f}"))
        .collect::<Vec<_>>()
        .join(", ")
}
