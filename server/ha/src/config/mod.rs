//! The node's configuration: flags, `HA_*` environment variables and the config file, merged
//! with the precedence command line > environment > config file > default (SPEC §1), then
//! checked once by [`Config::validate`]. docs/configuration.md is the user-facing reference.

mod duration;
mod error;
mod file;
mod flags;
mod load;
mod size;
mod validate;
mod values;

pub use duration::{format_duration, parse_duration};
pub use error::ConfigError;
pub use flags::{Config, DEFAULT_DB_PARAMS, default_node_name};
pub use size::{format_byte_size, parse_byte_size};
pub use validate::{NOT_SUPPORTED_YET, OffValue, Unbuilt};
pub use values::{LogFormat, LogLevel, PgAuth, ReplicationFormat, ReplicationPolicy, RowIdentify};

use std::ffi::OsString;

impl Config {
    /// Parses the process's command line, environment (`HA_*`) and config file.
    pub fn load() -> Result<Config, ConfigError> {
        Self::load_from(std::env::args_os())
    }

    /// Same, from explicit arguments (argv[0] first); the environment still comes from the process.
    pub fn load_from<I, T>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        load::load_with(args, &|name| std::env::var_os(name))
    }

    /// Same, with the environment given as `(name, value)` pairs instead of the process's.
    pub fn load_from_env<I, T>(args: I, env: &[(&str, &str)]) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        load::load_with(args, &|name| {
            env.iter()
                .find(|(n, _)| name == *n)
                .map(|(_, v)| OsString::from(v))
        })
    }

    /// A config for tests and benchmarks: in memory, HTTP on 127.0.0.1 port 0, no embedded NATS,
    /// everything else default. Ignores the process's environment.
    pub fn for_tests() -> Config {
        let args = [
            "ha",
            "--memory",
            "--port=0",
            "--bind-address=127.0.0.1",
            "--nats-port=0",
        ];
        match load::load_with(args, &|_| None) {
            Ok(mut config) => {
                config.explicit.clear();
                config
            }
            // The arguments above are fixed; a unit test proves they parse.
            Err(e) => panic!("built-in test configuration does not parse: {e}"),
        }
    }

    /// Whether a flag (long name without dashes) was given on the command line, in the
    /// environment or in the config file.
    pub fn is_explicit(&self, long_name: &str) -> bool {
        self.explicit.contains(long_name)
    }
}

/// "ha 0.1.0 (commit abc1234)", as printed by `--version`.
pub fn version_string() -> String {
    format!("ha {}", load::version_number())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
