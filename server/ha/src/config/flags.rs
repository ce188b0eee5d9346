//! The node's settings as one flat struct, declared once for clap: the flag, its `HA_*`
//! environment variable, its default and its help text live together on each field.
//!
//! Every `bool` field is turned by [`super::load::command`] into a flag that is `true` when given
//! bare and also takes `=true/false/1/0` (and the same from the environment and the config file),
//! so they carry no attributes of their own here beyond `long` and `env`.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use super::duration::parse_duration;
use super::size::parse_byte_size;
use super::values::{
    LogFormat, LogLevel, PgAuth, ReplicationFormat, ReplicationPolicy, RowIdentify,
};

/// `--db-params` when none is given: the engine reads these three names as pragmas.
pub const DEFAULT_DB_PARAMS: &str = "journal_mode=WAL&busy_timeout=5000&synchronous=NORMAL";

#[derive(Parser, Clone, Debug, PartialEq)]
#[command(
    name = "ha",
    about = "A highly available SQLite server",
    long_about = "A highly available SQLite server.\n\nEvery flag can also be set by its HA_* \
                  environment variable or in the config file (-c); the command line wins over \
                  the environment, which wins over the file.",
    after_help = "DATABASE: file names, file: DSNs (file:app.db?cache=shared) or glob patterns; \
                  with none, the node serves ha.db."
)]
pub struct Config {
    /// Node name; appears in CDC messages and consumer names
    #[arg(short = 'n', long, env = "HA_NAME", default_value_t = default_node_name())]
    pub name: String,
    /// HTTP (and gRPC) port; 0 lets the OS pick one
    #[arg(short = 'p', long, env = "HA_PORT", default_value_t = 8080)]
    pub port: u16,
    /// IP address the HTTP server listens on
    #[arg(
        long,
        env = "HA_BIND_ADDRESS",
        value_name = "IP",
        default_value = "0.0.0.0"
    )]
    pub bind_address: IpAddr,
    /// API token every request must carry in its Authorization header
    #[arg(long, env = "HA_TOKEN")]
    pub token: Option<String>,
    /// Most queries running at once per database
    #[arg(long, env = "HA_CONCURRENT_QUERIES", default_value_t = 50)]
    pub concurrent_queries: usize,
    /// How long a query waits for a free slot before the "busy" error
    #[arg(long, env = "HA_CONCURRENT_QUERIES_WAIT", default_value = "5s", value_name = "DURATION", value_parser = parse_duration)]
    pub concurrent_queries_wait: Duration,
    /// A read first runs on the thread that received it for at most this long, then moves to
    /// the blocking pool; 0: every read moves at once
    #[arg(long, env = "HA_INLINE_READ_BUDGET", default_value = "250us", value_name = "DURATION", value_parser = parse_duration)]
    pub inline_read_budget: Duration,
    /// Threads running the node's connections and replication (0: one per core). Fewer than
    /// the cores cost less CPU per request where the node shares them (its embedded broker,
    /// clients on the same host); one thread serves every connection in turn
    #[arg(long, env = "HA_WORKERS", default_value_t = 0, value_name = "N")]
    pub workers: usize,
    /// An interactive transaction (BEGIN over a wire protocol) idle longer than this is rolled
    /// back: while it is open it holds its database's one writer
    #[arg(long, env = "HA_TRANSACTION_IDLE_TIMEOUT", default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    pub transaction_idle_timeout: Duration,
    /// Largest HTTP request body in bytes (or with KiB/MiB/GiB); larger ones get 413
    #[arg(long, env = "HA_MAX_BODY_SIZE", default_value = "32MiB", value_name = "SIZE", value_parser = parse_byte_size)]
    pub max_body_size: usize,
    /// Config file: one "name value" per line
    #[arg(short = 'c', long, env = "HA_CONFIG")]
    pub config: Option<PathBuf>,

    /// Databases live in memory; existing files are loaded and never written
    #[arg(short = 'm', long, env = "HA_MEMORY")]
    pub memory: bool,
    /// SQLite URI parameters added to each file database
    #[arg(long, env = "HA_DB_PARAMS", default_value = DEFAULT_DB_PARAMS)]
    pub db_params: String,
    /// Directory scanned at start for SQLite files, and where CREATE DATABASE puts new ones
    #[arg(long, env = "HA_CREATE_DB_DIR")]
    pub create_db_dir: Option<PathBuf>,
    /// Extensions loaded into every connection (comma list)
    #[arg(long, env = "HA_EXTENSIONS", value_delimiter = ',')]
    pub extensions: Vec<String>,
    /// Restore each database from the latest snapshot before starting
    #[arg(long, env = "HA_FROM_LATEST_SNAPSHOT")]
    pub from_latest_snapshot: bool,
    /// Take snapshots periodically (0 = off)
    #[arg(long, env = "HA_SNAPSHOT_INTERVAL", default_value = "0s", value_name = "DURATION", value_parser = parse_duration)]
    pub snapshot_interval: Duration,

    /// Embedded NATS client port; 0 = no embedded server
    #[arg(long, env = "HA_NATS_PORT", default_value_t = 4222)]
    pub nats_port: u16,
    /// Show the embedded NATS server's log
    #[arg(long, env = "HA_NATS_LOGS")]
    pub nats_logs: bool,
    /// JetStream storage directory of the embedded server
    #[arg(long, env = "HA_NATS_STORE_DIR")]
    pub nats_store_dir: Option<PathBuf>,
    /// User of the embedded server
    #[arg(long, env = "HA_NATS_USER")]
    pub nats_user: Option<String>,
    /// Password of the embedded server's user
    #[arg(long, env = "HA_NATS_PASS")]
    pub nats_pass: Option<String>,
    /// nats-server config file used as is for the embedded server
    #[arg(long, env = "HA_NATS_CONFIG")]
    pub nats_config: Option<PathBuf>,
    /// Path of the nats-server program
    #[arg(long, env = "HA_NATS_BIN")]
    pub nats_bin: Option<PathBuf>,

    /// Acknowledge writes before the broker has them
    #[arg(long, env = "HA_ASYNC_REPLICATION")]
    pub async_replication: bool,
    /// Most transactions' change sets published together in one message, one per line (1: one
    /// message per transaction)
    #[arg(long, env = "HA_REPLICATION_GROUP", default_value_t = 256)]
    pub replication_group: usize,
    /// How change sets are written to the log: protobuf (compact) or json (the seed's CDC
    /// format); nodes read both
    #[arg(long, env = "HA_REPLICATION_FORMAT", value_enum, default_value_t = ReplicationFormat::Protobuf)]
    pub replication_format: ReplicationFormat,
    /// Where asynchronous replication keeps unsent changes
    #[arg(long, env = "HA_ASYNC_REPLICATION_STORE_DIR")]
    pub async_replication_store_dir: Option<PathBuf>,
    /// JetStream replicas of the stream, object store and KV buckets (1-5)
    #[arg(long, env = "HA_REPLICAS", default_value_t = 1)]
    pub replicas: u8,
    /// How long a write waits for the broker
    #[arg(long, env = "HA_REPLICATION_TIMEOUT", default_value = "15s", value_name = "DURATION", value_parser = parse_duration)]
    pub replication_timeout: Duration,
    /// Stream name and subject prefix
    #[arg(long, env = "HA_REPLICATION_STREAM", default_value = "ha_replication")]
    pub replication_stream: String,
    /// How long the stream keeps changes
    #[arg(long, env = "HA_REPLICATION_MAX_AGE", default_value = "24h", value_name = "DURATION", value_parser = parse_duration)]
    pub replication_max_age: Duration,
    /// External NATS URL (instead of the embedded server)
    #[arg(long, env = "HA_REPLICATION_URL")]
    pub replication_url: Option<String>,
    /// Where a new consumer starts: all, last, new, by_start_sequence=N, by_start_time=YYYY-MM-DD HH:MM:SS
    #[arg(long, env = "HA_REPLICATION_POLICY", value_parser = clap::value_parser!(ReplicationPolicy))]
    pub replication_policy: Option<ReplicationPolicy>,
    /// How changes find rows on apply
    #[arg(long, env = "HA_ROW_IDENTIFY", value_enum, default_value_t = RowIdentify::Pk)]
    pub row_identify: RowIdentify,
    /// Do not publish DDL
    #[arg(long, env = "HA_DISABLE_DDL_SYNC")]
    pub disable_ddl_sync: bool,
    /// Script that customises replication
    #[arg(short = 'i', long, env = "HA_INTERCEPTOR")]
    pub interceptor: Option<PathBuf>,

    /// Enables leader election; the address other nodes use to reach this node's gRPC
    #[arg(long, env = "HA_LEADER_ADDR")]
    pub leader_addr: Option<String>,
    /// Static leader address; this node forwards writes there
    #[arg(long, env = "HA_LEADER_STATIC")]
    pub leader_static: Option<String>,
    /// Plaintext gRPC for forwarding to the leader (what a node without --tls-cert serves)
    #[arg(long, env = "HA_GRPC_INSECURE")]
    pub grpc_insecure: bool,
    /// TLS certificate (PEM) of the HTTP/gRPC port: with --tls-key it serves HTTPS and gRPC
    /// over TLS, and other nodes forward to it over TLS
    #[arg(long, env = "HA_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// TLS key (PEM) of the HTTP/gRPC port
    #[arg(long, env = "HA_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// A certificate authority (PEM) trusted, besides the system's, for other nodes' TLS
    #[arg(long, env = "HA_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Separate gRPC port
    #[arg(long, env = "HA_GRPC_PORT")]
    pub grpc_port: Option<u16>,

    /// MySQL wire port (0 = off)
    #[arg(long, env = "HA_MYSQL_PORT", default_value_t = 0)]
    pub mysql_port: u16,
    /// MySQL wire user
    #[arg(long, env = "HA_MYSQL_USER", default_value = "ha")]
    pub mysql_user: String,
    /// MySQL wire password
    #[arg(long, env = "HA_MYSQL_PASS", default_value = "")]
    pub mysql_pass: String,
    /// MySQL source DSN to mirror through the binlog
    #[arg(long, env = "HA_MYSQL_PROXIED")]
    pub mysql_proxied: Option<String>,
    /// Regular expression of source tables to include
    #[arg(long, env = "HA_MYSQL_INCLUDE", default_value = "^db.*")]
    pub mysql_include: String,
    /// Regular expression of source tables to exclude
    #[arg(long, env = "HA_MYSQL_EXCLUDE")]
    pub mysql_exclude: Option<String>,
    /// mysqldump program for the initial import
    #[arg(long, env = "HA_MYSQL_DUMP_BIN")]
    pub mysql_dump_bin: Option<PathBuf>,
    /// Source database to dump
    #[arg(long, env = "HA_MYSQL_DUMP_DB")]
    pub mysql_dump_db: Option<String>,
    /// Tables to dump
    #[arg(long, env = "HA_MYSQL_DUMP_INCLUDE")]
    pub mysql_dump_include: Option<String>,
    /// Replication client id presented to the MySQL source
    #[arg(long, env = "HA_MYSQL_PROXY_ID", default_value = "sqlite-ha")]
    pub mysql_proxy_id: String,

    /// PostgreSQL wire port (0 = off)
    #[arg(long, env = "HA_PG_PORT", default_value_t = 0)]
    pub pg_port: u16,
    /// PostgreSQL wire user
    #[arg(long, env = "HA_PG_USER", default_value = "ha")]
    pub pg_user: String,
    /// PostgreSQL wire password
    #[arg(long, env = "HA_PG_PASS", default_value = "ha")]
    pub pg_pass: String,
    /// TLS certificate (PEM) of the PostgreSQL wire server
    #[arg(long, env = "HA_PG_CERT")]
    pub pg_cert: Option<PathBuf>,
    /// TLS key (PEM) of the PostgreSQL wire server
    #[arg(long, env = "HA_PG_KEY")]
    pub pg_key: Option<PathBuf>,
    /// How PostgreSQL wire clients prove the password: scram-sha-256 or password (cleartext)
    #[arg(long, env = "HA_PG_AUTH", value_enum, default_value_t = PgAuth::ScramSha256)]
    pub pg_auth: PgAuth,
    /// PostgreSQL source DSN to mirror through logical replication
    #[arg(long, env = "HA_PG_PROXIED")]
    pub pg_proxied: Option<String>,
    /// Publication of the PostgreSQL source
    #[arg(long, env = "HA_PG_PUBLICATION", default_value = "ha_publication")]
    pub pg_publication: String,
    /// Replication slot of the PostgreSQL source
    #[arg(long, env = "HA_PG_SLOT", default_value = "ha_slot")]
    pub pg_slot: String,

    /// Local database that mirrors a proxied source
    #[arg(long, env = "HA_PROXY_LOCAL", default_value = "ha.db")]
    pub proxy_local: String,
    /// Keep the source's schema names
    #[arg(long, env = "HA_PROXY_USE_SCHEMA")]
    pub proxy_use_schema: bool,
    /// Apply writes locally instead of sending them to the source
    #[arg(long, env = "HA_PROXY_DISABLE_REDIRECT")]
    pub proxy_disable_redirect: bool,
    /// A read waits until the node has replicated the session's last write
    #[arg(long, env = "HA_PROXY_READ_YOUR_WRITES")]
    pub proxy_read_your_writes: bool,

    /// Kafka brokers (comma list) of the Debezium sink
    #[arg(long, env = "HA_DEBEZIUM_BROKERS")]
    pub debezium_brokers: Option<String>,
    /// Kafka consumer group
    #[arg(long, env = "HA_DEBEZIUM_GROUP")]
    pub debezium_group: Option<String>,
    /// Kafka topics (repeatable or comma list)
    #[arg(long, env = "HA_DEBEZIUM_TOPICS", value_delimiter = ',')]
    pub debezium_topics: Vec<String>,
    /// DSN that writes are redirected to
    #[arg(long, env = "HA_DEBEZIUM_SOURCE_DSN")]
    pub debezium_source_dsn: Option<String>,

    /// Most detailed log level written
    #[arg(long, env = "HA_LOG_LEVEL", value_enum, default_value_t = LogLevel::Info)]
    pub log_level: LogLevel,
    /// Log line format
    #[arg(long, env = "HA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Run the interactive SQL client against this server URL instead of a node
    #[arg(short = 'r', long, env = "HA_REMOTE")]
    pub remote: Option<String>,

    /// Databases to serve: file names, file: DSNs or glob patterns
    #[arg(value_name = "DATABASE")]
    pub databases: Vec<String>,

    /// Long names (without dashes) of the flags set by any source other than their default:
    /// command line, environment or config file. Filled by `load`; empty when built by hand.
    #[arg(skip)]
    pub explicit: BTreeSet<String>,
}

/// The machine's host name, or "ha" when it cannot be found.
pub fn default_node_name() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    let from_env = || std::env::var("HOSTNAME").ok();
    from_kernel
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            from_env()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "ha".to_string())
}

/// The `--help` section of a flag, from its name's family (kept here so the field attributes
/// stay short).
pub(crate) fn help_heading(long: &str) -> &'static str {
    const BY_PREFIX: &[(&str, &str)] = &[
        ("nats-", "NATS"),
        ("mysql-", "MySQL"),
        ("pg-", "PostgreSQL"),
        ("proxy-", "Proxy"),
        ("debezium-", "Debezium"),
        ("leader-", "Leader"),
        ("grpc-", "Leader"),
        ("replica", "Replication"),
        ("async-replication", "Replication"),
        ("log-", "Logging"),
    ];
    if let Some((_, heading)) = BY_PREFIX
        .iter()
        .find(|(prefix, _)| long.starts_with(prefix))
    {
        return heading;
    }
    match long {
        "memory"
        | "db-params"
        | "create-db-dir"
        | "extensions"
        | "from-latest-snapshot"
        | "snapshot-interval" => "Databases",
        "row-identify" | "disable-ddl-sync" | "interceptor" => "Replication",
        "remote" => "Client",
        _ => "Node",
    }
}
