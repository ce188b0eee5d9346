//! Typed values of the enumerated flags: `--row-identify`, `--log-level`, `--log-format`,
//! `--replication-format` and `--replication-policy`.

use std::fmt;
use std::str::FromStr;

use clap::ValueEnum;

/// How a node writes its change sets to the log (`--replication-format`); every node reads
/// both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ReplicationFormat {
    /// Compact protobuf (`ha.cdc.v1.ChangeSet`).
    #[default]
    Protobuf,
    /// The seed's JSON, for CDC consumers that read the log as JSON.
    Json,
}

/// How PostgreSQL wire clients authenticate (`--pg-auth`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum PgAuth {
    /// SCRAM-SHA-256: the password never crosses the wire.
    #[default]
    #[value(name = "scram-sha-256")]
    ScramSha256,
    /// The password in clear text (use with TLS).
    Password,
}

/// How an applied change finds its row on another node (§6.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RowIdentify {
    /// By primary key (tables without one fall back to rowid).
    #[default]
    Pk,
    /// By SQLite rowid.
    Rowid,
    /// By every column's old value.
    Full,
}

impl RowIdentify {
    pub fn as_str(self) -> &'static str {
        match self {
            RowIdentify::Pk => "pk",
            RowIdentify::Rowid => "rowid",
            RowIdentify::Full => "full",
        }
    }
}

/// The most detailed log level that is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// The name `tracing_subscriber::EnvFilter` understands.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    pub fn as_level(self) -> tracing::Level {
        match self {
            LogLevel::Error => tracing::Level::ERROR,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Debug => tracing::Level::DEBUG,
            LogLevel::Trace => tracing::Level::TRACE,
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Where a new replication consumer starts reading the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicationPolicy {
    All,
    Last,
    New,
    ByStartSequence(u64),
    /// `YYYY-MM-DD HH:MM:SS` (UTC), checked for shape when parsed; kept as given.
    ByStartTime(String),
}

impl FromStr for ReplicationPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s {
            "all" => return Ok(ReplicationPolicy::All),
            "last" => return Ok(ReplicationPolicy::Last),
            "new" => return Ok(ReplicationPolicy::New),
            _ => {}
        }
        if let Some(n) = s.strip_prefix("by_start_sequence=") {
            return n
                .trim()
                .parse::<u64>()
                .map(ReplicationPolicy::ByStartSequence)
                .map_err(|_| format!("by_start_sequence needs a whole number, got '{n}'"));
        }
        if let Some(t) = s.strip_prefix("by_start_time=") {
            let t = t.trim();
            check_date_time(t)?;
            return Ok(ReplicationPolicy::ByStartTime(t.to_string()));
        }
        Err(format!(
            "expected all, last, new, by_start_sequence=N or by_start_time=YYYY-MM-DD HH:MM:SS, got '{s}'"
        ))
    }
}

impl fmt::Display for ReplicationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplicationPolicy::All => f.write_str("all"),
            ReplicationPolicy::Last => f.write_str("last"),
            ReplicationPolicy::New => f.write_str("new"),
            ReplicationPolicy::ByStartSequence(n) => write!(f, "by_start_sequence={n}"),
            ReplicationPolicy::ByStartTime(t) => write!(f, "by_start_time={t}"),
        }
    }
}

/// Checks `YYYY-MM-DD HH:MM:SS` with plausible field ranges (not the days of each month).
fn check_date_time(t: &str) -> Result<(), String> {
    let bad = || format!("by_start_time needs YYYY-MM-DD HH:MM:SS, got '{t}'");
    let b = t.as_bytes();
    if b.len() != 19 {
        return Err(bad());
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            4 | 7 => c == b'-',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        };
        if !ok {
            return Err(bad());
        }
    }
    let num = |from: usize, to: usize| -> u32 {
        b[from..to]
            .iter()
            .fold(0, |acc, &c| acc * 10 + u32::from(c - b'0'))
    };
    let in_range = (1..=12).contains(&num(5, 7))
        && (1..=31).contains(&num(8, 10))
        && num(11, 13) <= 23
        && num(14, 16) <= 59
        && num(17, 19) <= 59;
    if in_range { Ok(()) } else { Err(bad()) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn replication_policy_parses_every_form() {
        assert_eq!(
            "all".parse::<ReplicationPolicy>(),
            Ok(ReplicationPolicy::All)
        );
        assert_eq!(
            "last".parse::<ReplicationPolicy>(),
            Ok(ReplicationPolicy::Last)
        );
        assert_eq!(
            "new".parse::<ReplicationPolicy>(),
            Ok(ReplicationPolicy::New)
        );
        assert_eq!(
            "by_start_sequence=42".parse::<ReplicationPolicy>(),
            Ok(ReplicationPolicy::ByStartSequence(42))
        );
        assert_eq!(
            "by_start_time=2024-02-29 23:59:01".parse::<ReplicationPolicy>(),
            Ok(ReplicationPolicy::ByStartTime("2024-02-29 23:59:01".into()))
        );
    }

    #[test]
    fn replication_policy_round_trips_through_display() {
        for s in [
            "all",
            "last",
            "new",
            "by_start_sequence=7",
            "by_start_time=2020-01-02 03:04:05",
        ] {
            let p: ReplicationPolicy = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
        }
    }

    #[test]
    fn replication_policy_rejects_bad_values() {
        for s in [
            "",
            "first",
            "by_start_sequence=",
            "by_start_sequence=-1",
            "by_start_sequence=x",
            "by_start_time=2024-01-01",
            "by_start_time=2024-13-01 00:00:00",
            "by_start_time=2024-01-01T00:00:00",
            "by_start_time=2024-01-01 24:00:00",
            "by_start_time=2024-01-01 00:60:00",
        ] {
            assert!(
                s.parse::<ReplicationPolicy>().is_err(),
                "{s} should be refused"
            );
        }
    }

    #[test]
    fn log_level_and_format_parse() {
        assert_eq!(LogLevel::from_str("debug", false), Ok(LogLevel::Debug));
        assert_eq!(LogLevel::from_str("WARN", true), Ok(LogLevel::Warn));
        assert!(LogLevel::from_str("verbose", false).is_err());
        assert_eq!(LogLevel::Trace.as_level(), tracing::Level::TRACE);
        assert_eq!(LogFormat::from_str("json", false), Ok(LogFormat::Json));
        assert!(LogFormat::from_str("xml", false).is_err());
        assert_eq!(
            RowIdentify::from_str("rowid", false),
            Ok(RowIdentify::Rowid)
        );
    }
}
