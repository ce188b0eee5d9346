//! Checks that need more than one flag, ranges, and the flags whose feature this build lacks.

use super::{Config, ConfigError};

/// More async workers than this is a typo, not a machine (each is an OS thread).
const MAX_WORKERS: usize = 1024;

/// A flag whose feature is not built yet. It is refused when set explicitly (any source), unless
/// `off` is given and says the value set is the one that switches the feature off.
pub struct Unbuilt {
    pub flag: &'static str,
    pub off: Option<OffValue>,
}

/// The value that switches an unbuilt feature off, so setting it is harmless.
pub struct OffValue {
    /// As users write it (for the help text).
    pub text: &'static str,
    pub is_off: fn(&Config) -> bool,
}

impl Unbuilt {
    const fn always(flag: &'static str) -> Unbuilt {
        Unbuilt { flag, off: None }
    }
}

/// Every flag this build refuses. Delete a line when its feature lands (and its
/// "not supported yet" row in docs/configuration.md).
pub const NOT_SUPPORTED_YET: &[Unbuilt] = &[
    Unbuilt::always("grpc-port"),
    Unbuilt::always("pg-proxied"),
    Unbuilt::always("pg-publication"),
    Unbuilt::always("pg-slot"),
    Unbuilt::always("mysql-proxied"),
    Unbuilt::always("mysql-include"),
    Unbuilt::always("mysql-exclude"),
    Unbuilt::always("mysql-dump-bin"),
    Unbuilt::always("mysql-dump-db"),
    Unbuilt::always("mysql-dump-include"),
    Unbuilt::always("mysql-proxy-id"),
    Unbuilt::always("proxy-local"),
    Unbuilt::always("proxy-use-schema"),
    Unbuilt::always("proxy-disable-redirect"),
    Unbuilt::always("proxy-read-your-writes"),
    Unbuilt::always("debezium-brokers"),
    Unbuilt::always("debezium-group"),
    Unbuilt::always("debezium-topics"),
    Unbuilt::always("debezium-source-dsn"),
    Unbuilt::always("async-replication-store-dir"),
    Unbuilt::always("extensions"),
    Unbuilt::always("interceptor"),
];

/// The help-text note for a flag in [`NOT_SUPPORTED_YET`], if it is there.
pub(crate) fn not_supported_note(long: &str) -> Option<String> {
    let unbuilt = NOT_SUPPORTED_YET.iter().find(|u| u.flag == long)?;
    Some(match unbuilt.off {
        Some(OffValue { text, .. }) => format!(" (not supported yet; only {text} is accepted)"),
        None => " (not supported yet)".to_string(),
    })
}

impl Config {
    /// Checks ranges and cross-flag rules, then refuses every explicitly set flag whose feature
    /// is not built (all of them named in one error).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |flag: &str, message: &str| {
            Err(ConfigError::Invalid {
                flag: format!("--{flag}"),
                message: message.to_string(),
            })
        };
        if self.name.trim().is_empty() {
            return invalid("name", "must not be empty");
        }
        if self.concurrent_queries < 1 {
            return invalid("concurrent-queries", "must be at least 1");
        }
        if self.workers > MAX_WORKERS {
            return invalid(
                "workers",
                &format!("must be at most {MAX_WORKERS} (0: one per core)"),
            );
        }
        if self.max_body_size < 1 {
            return invalid("max-body-size", "must be at least 1 byte");
        }
        if self.replication_group < 1 {
            return invalid("replication-group", "must be at least 1");
        }
        if !(1..=5).contains(&self.replicas) {
            return invalid(
                "replicas",
                &format!("must be between 1 and 5, got {}", self.replicas),
            );
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => return invalid("tls-cert", "needs --tls-key too"),
            (None, Some(_)) => return invalid("tls-key", "needs --tls-cert too"),
            _ => {}
        }
        match (&self.pg_cert, &self.pg_key) {
            (Some(_), None) => return invalid("pg-cert", "needs --pg-key too"),
            (None, Some(_)) => return invalid("pg-key", "needs --pg-cert too"),
            _ => {}
        }
        let replicates =
            self.replication_url.is_some() || self.nats_port != 0 || self.nats_config.is_some();
        if !replicates && !self.snapshot_interval.is_zero() {
            return invalid(
                "snapshot-interval",
                "snapshots are stored in the broker: it needs replication (an embedded broker or --replication-url)",
            );
        }
        if !replicates && self.from_latest_snapshot {
            return invalid(
                "from-latest-snapshot",
                "snapshots are stored in the broker: it needs replication (an embedded broker or --replication-url)",
            );
        }
        if self.leader_addr.is_some() && self.leader_static.is_some() {
            return invalid("leader-static", "cannot be combined with --leader-addr");
        }
        if self.leader_addr.is_some() && !crate::replication::enabled(self) {
            return invalid(
                "leader-addr",
                "the leader is elected through the broker: it needs replication (an embedded broker or --replication-url)",
            );
        }

        let refused: Vec<String> = NOT_SUPPORTED_YET
            .iter()
            .filter(|u| self.explicit.contains(u.flag))
            .filter(|u| !u.off.as_ref().is_some_and(|off| (off.is_off)(self)))
            .map(|u| u.flag.to_string())
            .collect();
        if refused.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::NotSupportedYet(refused))
        }
    }
}
