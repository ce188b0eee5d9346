//! Builds a [`Config`] from its four layers: command line > environment > config file > default.
//!
//! clap is asked to read only the command line (the `env` attributes are kept on the fields for
//! documentation and moved into the help text here). The loader then reads each flag's `HA_*`
//! variable and the config file itself and, for every flag the command line left alone, inserts
//! `--name=value` after argv[0] and parses once more. Doing the environment ourselves lets every
//! bad value be reported with its variable or file line, and lets tests pass an environment
//! without touching the process's.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};

use super::error::first_line;
use super::file::{FileEntry, parse_config_file};
use super::flags::help_heading;
use super::validate::not_supported_note;
use super::{Config, ConfigError};

/// Reads one environment variable; `None` when unset.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&OsStr) -> Option<OsString>;

/// One named flag, as the environment and config-file layers see it.
struct FlagSpec {
    id: String,
    long: String,
    short: Option<char>,
    env: Option<OsString>,
    /// A bare occurrence (`--memory`, a lone `memory` line) means `true`.
    bare_is_true: bool,
    /// Each occurrence adds values instead of replacing them.
    repeatable: bool,
}

impl FlagSpec {
    fn assignment(&self, value: &OsStr) -> OsString {
        let mut arg = OsString::from(format!("--{}=", self.long));
        arg.push(value);
        arg
    }
}

/// The clap command every parse uses: version, help text and flag shapes applied.
pub(crate) fn command() -> Command {
    Config::command()
        .version(version_number())
        // Go's flag package let the last occurrence win; keep that instead of clap's error.
        .args_override_self(true)
        .mut_args(shape_arg)
}

fn shape_arg(arg: Arg) -> Arg {
    let mut arg = arg;
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        // `--memory`, `--memory=false`, HA_MEMORY=0. require_equals keeps `-m app.db` meaning
        // "memory, and the database app.db".
        arg = arg
            .action(ArgAction::Set)
            .num_args(0..=1)
            .require_equals(true)
            .default_value("false")
            .default_missing_value("true")
            .value_parser(BoolishValueParser::new())
            .value_name("BOOL")
            .hide_default_value(true)
            .hide_possible_values(true);
    }
    let mut help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    if let Some(note) = arg.get_long().and_then(not_supported_note) {
        help.push_str(&note);
    }
    if let Some(env) = arg.get_env() {
        help.push_str(&format!(" [env: {}]", env.to_string_lossy()));
    }
    let heading = arg.get_long().map(help_heading);
    arg.help(help)
        .help_heading(heading)
        .env(None::<&'static str>)
}

fn flag_specs() -> Vec<FlagSpec> {
    Config::command()
        .get_arguments()
        .filter_map(|arg| {
            let long = arg.get_long()?;
            Some(FlagSpec {
                id: arg.get_id().to_string(),
                long: long.to_string(),
                short: arg.get_short(),
                env: arg.get_env().map(OsStr::to_os_string),
                bare_is_true: matches!(arg.get_action(), ArgAction::SetTrue),
                repeatable: matches!(arg.get_action(), ArgAction::Append),
            })
        })
        .collect()
}

pub(crate) fn load_with<I, T>(args: I, env: EnvLookup<'_>) -> Result<Config, ConfigError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cmd = command();
    let specs = flag_specs();

    let from_cli = cmd
        .clone()
        .try_get_matches_from(&args)
        .map_err(ConfigError::Cli)?;
    let mut decided: BTreeSet<&str> = specs
        .iter()
        .filter(|s| from_cli.value_source(&s.id) == Some(ValueSource::CommandLine))
        .map(|s| s.id.as_str())
        .collect();

    let mut layered = Vec::new();
    let mut config_from_env = None;
    for spec in &specs {
        if decided.contains(spec.id.as_str()) {
            continue;
        }
        let Some(var) = &spec.env else { continue };
        // An empty variable counts as unset (`HA_TOKEN=` in a compose file).
        let Some(value) = env(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        check_value(&cmd, spec, &value).map_err(|message| ConfigError::Env {
            var: var.to_string_lossy().into_owned(),
            message,
        })?;
        if spec.id == "config" {
            config_from_env = Some(PathBuf::from(&value));
        }
        layered.push(spec.assignment(&value));
        decided.insert(spec.id.as_str());
    }

    let config_path = from_cli
        .try_get_one::<PathBuf>("config")
        .ok()
        .flatten()
        .cloned()
        .or(config_from_env);
    if let Some(path) = config_path {
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::FileRead {
            path: path.clone(),
            source,
        })?;
        let entries = parse_config_file(&text).map_err(|e| ConfigError::File {
            path: path.clone(),
            line: e.line,
            message: e.message,
        })?;
        layered.extend(file_layer(&cmd, &specs, &entries, &decided, &path)?);
    }

    let mut all_args = Vec::with_capacity(args.len() + layered.len() + 1);
    all_args.push(
        args.first()
            .cloned()
            .unwrap_or_else(|| OsString::from("ha")),
    );
    all_args.extend(layered);
    all_args.extend(args.iter().skip(1).cloned());
    let matches = cmd
        .try_get_matches_from(all_args)
        .map_err(ConfigError::Cli)?;
    let mut config = Config::from_arg_matches(&matches).map_err(ConfigError::Cli)?;
    config.explicit = specs
        .iter()
        .filter(|s| matches!(matches.value_source(&s.id), Some(src) if src != ValueSource::DefaultValue))
        .map(|s| s.long.clone())
        .collect();
    Ok(config)
}

/// The `--name=value` arguments the config file adds, after checking every line.
fn file_layer(
    cmd: &Command,
    specs: &[FlagSpec],
    entries: &[FileEntry],
    decided: &BTreeSet<&str>,
    path: &Path,
) -> Result<Vec<OsString>, ConfigError> {
    let error = |line: usize, message: String| ConfigError::File {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut first_line_of: BTreeMap<&str, usize> = BTreeMap::new();
    let mut layered = Vec::new();
    for entry in entries {
        let spec = resolve_name(specs, &entry.name)
            .ok_or_else(|| error(entry.line, format!("unknown setting '{}'", entry.name)))?;
        if spec.id == "config" {
            return Err(error(
                entry.line,
                "--config cannot be set inside a config file".into(),
            ));
        }
        if !spec.repeatable
            && let Some(first) = first_line_of.insert(&spec.id, entry.line)
        {
            let message = format!("--{} is already set on line {first}", spec.long);
            return Err(error(entry.line, message));
        }
        let value = match (&entry.value, spec.bare_is_true) {
            (Some(v), _) => v.as_str(),
            (None, true) => "true",
            (None, false) => {
                return Err(error(entry.line, format!("--{} needs a value", spec.long)));
            }
        };
        check_value(cmd, spec, OsStr::new(value)).map_err(|m| error(entry.line, m))?;
        if !decided.contains(spec.id.as_str()) {
            layered.push(spec.assignment(OsStr::new(value)));
        }
    }
    Ok(layered)
}

/// Finds the flag a config-file name means: `port`, `--port`, `-p`, `-port`, `HA_PORT`, `nats_port`.
fn resolve_name<'a>(specs: &'a [FlagSpec], written: &str) -> Option<&'a FlagSpec> {
    let bare = written.trim_start_matches('-');
    let dashes = written.len() - bare.len();
    let mut chars = bare.chars();
    if let (1, Some(c), None) = (dashes, chars.next(), chars.next()) {
        return specs.iter().find(|s| s.short == Some(c));
    }
    if dashes > 2 || bare.is_empty() {
        return None;
    }
    let bare = match bare.get(..3) {
        Some(prefix) if dashes == 0 && prefix.eq_ignore_ascii_case("ha_") => &bare[3..],
        _ => bare,
    };
    let long = bare.to_ascii_lowercase().replace('_', "-");
    specs.iter().find(|s| s.long == long)
}

/// Parses one value alone so an error can be tied to its variable or line.
fn check_value(cmd: &Command, spec: &FlagSpec, value: &OsStr) -> Result<(), String> {
    cmd.clone()
        .try_get_matches_from([OsString::from("ha"), spec.assignment(value)])
        .map(|_| ())
        .map_err(|e| first_line(&e))
}

/// "0.1.0 (commit abc1234)"; the commit comes from build.rs.
pub(crate) fn version_number() -> String {
    let commit = option_env!("HA_GIT_COMMIT").unwrap_or("unknown");
    format!("{} (commit {commit})", env!("CARGO_PKG_VERSION"))
}
