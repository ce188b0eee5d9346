//! Following a cluster's stream: the one way a node and an in-process replica join replication
//! (SPEC §6, §11). A [`ReplicationLink`] holds the broker connection (an embedded `nats-server`
//! or an external URL), the stream, the snapshot store, the replication options every database
//! opens with, and one consumer per database. The node and the replica differ only in what
//! they put around it (doors, or a client API), so they cannot drift apart.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use ha_core::{ChangeLog, DatabaseSpec, Registry, ReplicationOptions, RowIdentify};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::log::{
    ConsumerStart, Healing, JetStreamLog, StreamSettings, ensure_stream, run_consumer,
};
use crate::snapshot::{Restored, Snapshots};
use crate::{EmbeddedNats, EmbeddedNatsOptions, NatsError};

/// How long joining waits for the broker and the stream.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the broker is.
#[derive(Clone)]
pub enum Broker {
    /// Run a `nats-server` as a supervised child.
    Embedded(EmbeddedNatsOptions),
    /// Connect to these servers (`nats://a:4222,nats://b:4222`: any of them will do).
    Url(String),
}

/// Everything a link needs.
#[derive(Clone)]
pub struct LinkSettings {
    /// This node's (or replica's) name: in change sets and consumer names.
    pub node: String,
    pub broker: Broker,
    pub stream: StreamSettings,
    /// Where a consumer without a recorded position starts (`--replication-policy`);
    /// `New` means what is written after this link started.
    pub policy: ConsumerStart,
    pub async_ack: bool,
    /// Most change sets published together in one message.
    pub most_per_message: usize,
    /// How this node writes its change sets (`--replication-format`).
    pub format: ha_types::ChangeSetFormat,
    pub timeout: Duration,
    pub disable_ddl_sync: bool,
    pub row_identify: RowIdentify,
}

/// What the doors need of a link to answer `/replications`, `/readyz` and snapshots, and to
/// start the consumer of a database created later.
#[derive(Clone)]
pub struct LinkHandle {
    pub client: async_nats::Client,
    pub context: jetstream::Context,
    pub stream: String,
    pub node: String,
    pub snapshots: Arc<Snapshots>,
    /// Leader mode's fence in the log (marked by each new leader).
    pub fence: Arc<crate::fence::Fence>,
    start: ConsumerStart,
    stop: watch::Receiver<bool>,
}

impl LinkHandle {
    /// Becomes `true` when the link stops.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.clone()
    }

    /// The cluster's directory of databases (opened, or created, in the broker).
    pub async fn directory(&self, replicas: usize) -> Result<crate::Directory, NatsError> {
        crate::Directory::open(
            self.context.clone(),
            &self.stream,
            replicas,
            &self.node,
            Arc::clone(&self.snapshots),
        )
        .await
    }

    /// Starts the consumer of a database of `registry`; it ends when the database is dropped
    /// or the link stops. A database that cannot catch up from the log is restored from the
    /// latest snapshot in `registry`.
    pub fn start_consumer(
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

pub struct ReplicationLink {
    embedded: Option<EmbeddedNats>,
    handle: LinkHandle,
    stop: watch::Sender<bool>,
    consumers: Vec<JoinHandle<()>>,
    options: ReplicationOptions,
}

impl ReplicationLink {
    /// Starts the embedded broker (if any), connects, and makes sure the stream exists (a
    /// clustered JetStream may still be electing its leaders: retried for a while).
    pub async fn start(settings: LinkSettings) -> Result<ReplicationLink, NatsError> {
        let (embedded, url) = match &settings.broker {
            Broker::Url(url) => (None, url.clone()),
            Broker::Embedded(options) => {
                let embedded = EmbeddedNats::start(options.clone()).await?;
                let url = embedded.client_url();
                (Some(embedded), url)
            }
        };
        let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
        let client = connect(&url).await?;
        let context = jetstream::new(client.clone());
        let mut stream = loop {
            match ensure_stream(&context, &settings.stream).await {
                Ok(stream) => break stream,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(error = %e, "the stream is not ready yet");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let log = Arc::new(JetStreamLog::new(
            client.clone(),
            settings.stream.name.clone(),
            &settings.node,
        ));
        let fence = log.fence();
        let snapshots = Arc::new(Snapshots::new(
            context.clone(),
            &settings.stream.name,
            settings.stream.replicas,
            &settings.node,
            Arc::clone(&log) as Arc<dyn ChangeLog>,
        ));
        let options = ReplicationOptions {
            node: settings.node.clone(),
            async_ack: settings.async_ack,
            timeout: settings.timeout,
            disable_ddl_sync: settings.disable_ddl_sync,
            row_identify: settings.row_identify,
            from_log_start: settings.policy == ConsumerStart::All,
            log,
            runtime: tokio::runtime::Handle::current(),
            write_gate: None,
            most_per_message: settings.most_per_message,
            format: settings.format,
        };
        let start = match &settings.policy {
            // "New" means what is written after this start: fixed here, as a sequence, so a
            // change written while the consumer is being created is not missed.
            ConsumerStart::New => {
                let last = stream
                    .info()
                    .await
                    .map_err(|e| {
                        NatsError::Log(format!("reading the stream's last sequence: {e}"))
                    })?
                    .state
                    .last_sequence;
                ConsumerStart::Sequence(last + 1)
            }
            other => other.clone(),
        };
        let (stop, stopped) = watch::channel(false);
        info!(url = %redact(&url), stream = %settings.stream.name, "replication ready");
        Ok(ReplicationLink {
            embedded,
            handle: LinkHandle {
                client,
                context,
                stream: settings.stream.name.clone(),
                node: settings.node.clone(),
                snapshots,
                fence,
                start,
                stop: stopped,
            },
            stop,
            consumers: Vec::new(),
            options,
        })
    }

    /// The replication options every database of this link opens with.
    pub fn options(&self) -> &ReplicationOptions {
        &self.options
    }

    pub fn handle(&self) -> LinkHandle {
        self.handle.clone()
    }

    /// `--from-latest-snapshot`: restores each database (not opened yet) from its latest
    /// snapshot. A database whose snapshot cannot be had starts from its file, with the reason
    /// in the log. Open the returned specs, then call [`Restored::after_open`] on each result
    /// (it also keeps a memory database's download until then).
    pub async fn restore_before_open(
        &self,
        specs: Vec<DatabaseSpec>,
    ) -> (Vec<DatabaseSpec>, Vec<Restored>) {
        let mut opened = Vec::with_capacity(specs.len());
        let mut kept = Vec::new();
        for spec in specs {
            match self
                .handle
                .snapshots
                .restore_before_open(spec.clone())
                .await
            {
                Ok(restored) => {
                    opened.push(restored.spec.clone());
                    kept.push(restored);
                }
                Err(e) => {
                    warn!(database = %spec.id, error = %e, "not restored from a snapshot; starting from the local file");
                    opened.push(spec);
                }
            }
        }
        (opened, kept)
    }

    /// Starts one consumer per database of the registry.
    pub fn start_consumers(&mut self, registry: &Arc<Registry>) -> Result<(), NatsError> {
        for id in registry.ids() {
            let database = registry.get(Some(&id))?;
            self.consumers
                .push(self.handle.start_consumer(registry, database));
        }
        Ok(())
    }

    /// Stops the consumers (before the databases close).
    pub async fn stop_consumers(&mut self) {
        let _ = self.stop.send(true);
        for consumer in self.consumers.drain(..) {
            let _ = consumer.await;
        }
    }

    /// Stops the embedded broker (after the databases closed).
    pub async fn stop_broker(self) {
        if let Some(embedded) = self.embedded {
            embedded.stop().await;
        }
    }
}

async fn connect(url: &str) -> Result<async_nats::Client, NatsError> {
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
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
            Err(e) => {
                return Err(NatsError::Unreachable(format!(
                    "cannot connect to {}: {e}",
                    redact(url)
                )));
            }
        }
    }
}

/// A URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
