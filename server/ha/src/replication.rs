//! Wiring replication into a node (SPEC §3, §6): the embedded `nats-server` (unless
//! `--nats-port 0` or `--replication-url`), the connection, the stream, each database's
//! replication settings, and one consumer per database.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use async_nats::jetstream;
use ha_core::{DatabaseSpec, Registry, ReplicationOptions};
use ha_nats::log::{
    ConsumerStart, Healing, JetStreamLog, StreamSettings, ensure_stream, run_consumer,
};
use ha_nats::snapshot::{Restored, Snapshots};
use ha_nats::{EmbeddedNats, EmbeddedNatsOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::config::{Config, ReplicationPolicy, RowIdentify};

/// How long the node waits for its broker at start.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// What the node's service needs of replication to answer `/replications` and `/readyz`.
#[derive(Clone)]
pub(crate) struct ReplicationHandle {
    pub client: async_nats::Client,
    pub context: jetstream::Context,
    pub stream: String,
    pub node: String,
    pub snapshots: Arc<Snapshots>,
    start: ConsumerStart,
    stop: watch::Receiver<bool>,
}

impl ReplicationHandle {
    /// Starts the consumer of a database; it ends when the database is dropped or the node
    /// stops. When the database cannot catch up from the log it is restored from the latest
    /// snapshot in `registry`.
    pub(crate) fn start_consumer(
        &self,
        registry: &Arc<Registry>,
        database: Arc<ha_core::Database>,
    ) -> JoinHandle<()> {
        tokio::spawn(run_consumer(
            self.context.clone(),
            self.stream.clone(),
            self.node.clone(),
            database,
            self.start.clone(),
            Some(Healing {
                snapshots: Arc::clone(&self.snapshots),
                registry: Arc::clone(registry),
            }),
            self.stop.clone(),
        ))
    }
}

pub(crate) struct Replication {
    embedded: Option<EmbeddedNats>,
    /// The broker's store under `-m`: a fresh directory of its own, removed after the broker
    /// stops. (A name derived from the node and pid was once used; pids get reused, and a
    /// later node replayed a stale stream left behind by an earlier one.)
    _temporary_store: Option<tempfile::TempDir>,
    client: async_nats::Client,
    context: jetstream::Context,
    stream: String,
    node: String,
    snapshots: Arc<Snapshots>,
    start: ConsumerStart,
    stop: watch::Sender<bool>,
    consumers: Vec<JoinHandle<()>>,
    pub(crate) options: ReplicationOptions,
}

/// Whether this configuration replicates: an embedded broker or an external one.
pub(crate) fn enabled(config: &Config) -> bool {
    config.replication_url.is_some() || config.nats_port != 0 || config.nats_config.is_some()
}

impl Replication {
    pub(crate) async fn start(config: &Config, data_dir: PathBuf) -> anyhow::Result<Replication> {
        let (embedded, temporary_store) = match &config.replication_url {
            Some(_) => (None, None),
            None => {
                let (embedded, temporary) = start_embedded(config, data_dir).await?;
                (Some(embedded), temporary)
            }
        };
        let url = match (&config.replication_url, &embedded) {
            (Some(url), _) => url.clone(),
            (None, Some(embedded)) => embedded.client_url(),
            (None, None) => bail!("no NATS to replicate through"),
        };
        let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
        let client = connect(&url).await?;
        let context = jetstream::new(client.clone());
        let settings = StreamSettings {
            name: config.replication_stream.clone(),
            replicas: usize::from(config.replicas),
            max_age: config.replication_max_age,
        };
        // A clustered JetStream may still be electing its leaders when the node starts.
        let mut stream = loop {
            match ensure_stream(&context, &settings).await {
                Ok(stream) => break stream,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(error = %e, "the stream is not ready yet");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let log = Arc::new(JetStreamLog::new(
            client.clone(),
            config.replication_stream.clone(),
        ));
        let snapshots = Arc::new(Snapshots::new(
            context.clone(),
            &config.replication_stream,
            usize::from(config.replicas),
            &config.name,
            Arc::clone(&log) as Arc<dyn ha_core::ChangeLog>,
        ));
        let options = ReplicationOptions {
            node: config.name.clone(),
            async_ack: config.async_replication,
            timeout: config.replication_timeout,
            disable_ddl_sync: config.disable_ddl_sync,
            row_identify: match config.row_identify {
                RowIdentify::Pk => ha_core::RowIdentify::PrimaryKey,
                RowIdentify::Rowid => ha_core::RowIdentify::Rowid,
                RowIdentify::Full => ha_core::RowIdentify::Full,
            },
            from_log_start: matches!(
                config.replication_policy,
                None | Some(ReplicationPolicy::All)
            ),
            log,
            runtime: tokio::runtime::Handle::current(),
        };
        let start = match &config.replication_policy {
            None | Some(ReplicationPolicy::All) => ConsumerStart::All,
            Some(ReplicationPolicy::Last) => ConsumerStart::Last,
            // "New" means what is written after this node started: fixed here, as a sequence,
            // so a change written while the consumer is being created is not missed.
            Some(ReplicationPolicy::New) => {
                let last = stream
                    .info()
                    .await
                    .context("reading the stream's last sequence")?
                    .state
                    .last_sequence;
                ConsumerStart::Sequence(last + 1)
            }
            Some(ReplicationPolicy::ByStartSequence(n)) => ConsumerStart::Sequence(*n),
            Some(ReplicationPolicy::ByStartTime(t)) => ConsumerStart::Time(t.clone()),
        };
        let (stop, _) = watch::channel(false);
        info!(url = %redact(&url), stream = %config.replication_stream, "replication ready");
        Ok(Replication {
            embedded,
            _temporary_store: temporary_store,
            client,
            context,
            stream: config.replication_stream.clone(),
            node: config.name.clone(),
            snapshots,
            start,
            stop,
            consumers: Vec::new(),
            options,
        })
    }

    pub(crate) fn handle(&self) -> ReplicationHandle {
        ReplicationHandle {
            client: self.client.clone(),
            context: self.context.clone(),
            stream: self.stream.clone(),
            node: self.node.clone(),
            snapshots: Arc::clone(&self.snapshots),
            start: self.start.clone(),
            stop: self.stop.subscribe(),
        }
    }

    /// `--from-latest-snapshot`: restores each database (not opened yet) from its latest
    /// snapshot. A database whose snapshot cannot be had starts from its file, with the
    /// reason in the log. The results hold the downloads memory databases load from: keep
    /// them until the databases are open.
    pub(crate) async fn restore_before_open(
        &self,
        specs: Vec<DatabaseSpec>,
    ) -> (Vec<DatabaseSpec>, Vec<Restored>) {
        let mut opened = Vec::with_capacity(specs.len());
        let mut kept = Vec::new();
        for spec in specs {
            match self.snapshots.restore_before_open(spec.clone()).await {
                Ok(restored) => {
                    opened.push(restored.spec.clone());
                    kept.push(restored);
                }
                Err(e) => {
                    warn!(database = %spec.id, error = %e, "--from-latest-snapshot: not restored; starting from the local file");
                    opened.push(spec);
                }
            }
        }
        (opened, kept)
    }

    /// Starts one consumer per database of the registry.
    pub(crate) fn start_consumers(&mut self, registry: &Arc<Registry>) -> anyhow::Result<()> {
        let handle = self.handle();
        for id in registry.ids() {
            self.consumers
                .push(handle.start_consumer(registry, registry.get(Some(&id))?));
        }
        Ok(())
    }

    /// Stops the consumers (before the databases close).
    pub(crate) async fn stop_consumers(&mut self) {
        let _ = self.stop.send(true);
        for consumer in self.consumers.drain(..) {
            let _ = consumer.await;
        }
    }

    /// Stops the embedded broker (after the databases closed).
    pub(crate) async fn stop_broker(self) {
        if let Some(embedded) = self.embedded {
            embedded.stop().await;
        }
        // `_temporary_store`, if any, is removed as `self` drops here, after the broker.
    }
}

/// Starts the embedded broker; with `-m` and no `--nats-store-dir` its store is a temporary
/// directory, returned so that it lives as long as the broker.
async fn start_embedded(
    config: &Config,
    data_dir: PathBuf,
) -> anyhow::Result<(EmbeddedNats, Option<tempfile::TempDir>)> {
    let (store_dir, temporary) = match (&config.nats_store_dir, config.memory) {
        (Some(dir), _) => (dir.clone(), None),
        // With -m nothing of the node is kept: the broker's store is temporary too.
        (None, true) => {
            let temporary = tempfile::Builder::new()
                .prefix(&format!("ha-nats-{}-", config.name))
                .tempdir()
                .context("creating the embedded broker's temporary store")?;
            (temporary.path().to_path_buf(), Some(temporary))
        }
        (None, false) => (data_dir.join("nats"), None),
    };
    let mut options = EmbeddedNatsOptions::new(store_dir, config.name.clone());
    options.port = config.nats_port;
    options.user = config.nats_user.clone();
    options.pass = config.nats_pass.clone();
    options.config_file = config.nats_config.clone();
    options.show_logs = config.nats_logs;
    options.program = config.nats_bin.clone();
    let embedded = EmbeddedNats::start(options)
        .await
        .context("--nats-port: starting the embedded nats-server")?;
    Ok((embedded, temporary))
}

async fn connect(url: &str) -> anyhow::Result<async_nats::Client> {
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    // `nats://a:4222,nats://b:4222`: the servers of a cluster, any of which will do.
    let servers: Vec<&str> = url
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    loop {
        match async_nats::connect(servers.as_slice()).await {
            Ok(client) => return Ok(client),
            Err(e) if tokio::time::Instant::now() < deadline => {
                tracing::debug!(error = %e, "NATS not reachable yet");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => bail!("--replication-url: cannot connect to {}: {e}", redact(url)),
        }
    }
}

/// A URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
