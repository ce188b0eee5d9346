//! Replication for a node (SPEC §3, §6): the node's flags mapped onto the core's
//! [`ReplicationLink`] (the same one an in-process replica uses), plus what only a node has:
//! the embedded broker's store directory (a temporary one under `-m`).

use std::path::PathBuf;

use anyhow::Context;
use ha_nats::log::{ConsumerStart, StreamSettings};
use ha_nats::{Broker, EmbeddedNatsOptions, LinkSettings, ReplicationLink};

use crate::config::{Config, ReplicationFormat, ReplicationPolicy, RowIdentify};

pub(crate) struct Replication {
    pub(crate) link: ReplicationLink,
    /// The broker's store under `-m`: a fresh directory of its own, removed after the broker
    /// stops. (A name derived from the node and pid was once used; pids get reused, and a
    /// later node replayed a stale stream left behind by an earlier one.)
    _temporary_store: Option<tempfile::TempDir>,
}

/// Whether this configuration replicates: an embedded broker or an external one.
pub(crate) fn enabled(config: &Config) -> bool {
    config.replication_url.is_some() || config.nats_port != 0 || config.nats_config.is_some()
}

impl Replication {
    pub(crate) async fn start(config: &Config, data_dir: PathBuf) -> anyhow::Result<Replication> {
        let (broker, temporary_store) = match &config.replication_url {
            Some(url) => (Broker::Url(url.clone()), None),
            None => {
                let (options, temporary) = embedded_options(config, data_dir)?;
                (Broker::Embedded(options), temporary)
            }
        };
        let settings = LinkSettings {
            node: config.name.clone(),
            broker,
            stream: StreamSettings {
                name: config.replication_stream.clone(),
                replicas: usize::from(config.replicas),
                max_age: config.replication_max_age,
            },
            policy: match &config.replication_policy {
                None | Some(ReplicationPolicy::All) => ConsumerStart::All,
                Some(ReplicationPolicy::Last) => ConsumerStart::Last,
                Some(ReplicationPolicy::New) => ConsumerStart::New,
                Some(ReplicationPolicy::ByStartSequence(n)) => ConsumerStart::Sequence(*n),
                Some(ReplicationPolicy::ByStartTime(t)) => ConsumerStart::Time(t.clone()),
            },
            async_ack: config.async_replication,
            most_per_message: config.replication_group,
            format: match config.replication_format {
                ReplicationFormat::Protobuf => ha_types::ChangeSetFormat::Protobuf,
                ReplicationFormat::Json => ha_types::ChangeSetFormat::Json,
            },
            timeout: config.replication_timeout,
            disable_ddl_sync: config.disable_ddl_sync,
            row_identify: match config.row_identify {
                RowIdentify::Pk => ha_core::RowIdentify::PrimaryKey,
                RowIdentify::Rowid => ha_core::RowIdentify::Rowid,
                RowIdentify::Full => ha_core::RowIdentify::Full,
            },
        };
        let link = ReplicationLink::start(settings).await.with_context(|| {
            match &config.replication_url {
                Some(_) => "--replication-url: joining the broker".to_string(),
                None => "--nats-port: starting the embedded nats-server".to_string(),
            }
        })?;
        Ok(Replication {
            link,
            _temporary_store: temporary_store,
        })
    }

    pub(crate) fn handle(&self) -> ha_nats::LinkHandle {
        self.link.handle()
    }

    /// Stops the embedded broker (after the databases closed); then the temporary store goes.
    pub(crate) async fn stop_broker(self) {
        self.link.stop_broker().await;
    }
}

/// The embedded broker's options; with `-m` and no `--nats-store-dir` its store is a
/// temporary directory, returned so that it lives as long as the broker.
fn embedded_options(
    config: &Config,
    data_dir: PathBuf,
) -> anyhow::Result<(EmbeddedNatsOptions, Option<tempfile::TempDir>)> {
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
    Ok((options, temporary))
}
