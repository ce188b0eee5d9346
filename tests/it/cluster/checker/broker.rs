//! What the broker holds, read straight from JetStream (not through a node): the last sequence
//! of a database's subject, every change set on it, and who leads the stream.

use std::time::Duration;

use anyhow::{Context, anyhow};
use async_nats::jetstream::{self, consumer::pull::OrderedConfig};
use futures::StreamExt;
use serde_json::Value;

/// The stream every node publishes to (`--replication-stream`'s default).
pub const STREAM: &str = "ha_replication";

/// `<stream>.<database id with . / space * > replaced by _>` (SPEC §6.1).
pub fn subject(database: &str) -> String {
    let id: String = database
        .chars()
        .map(|c| match c {
            '.' | '/' | ' ' | '*' | '>' => '_',
            c => c,
        })
        .collect();
    format!("{STREAM}.{id}")
}

/// One change set of the subject: the stream sequence of its message and its JSON (`Err`
/// with why, and the start of the payload, when it is not one).
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub set: Result<Value, String>,
}

/// A JetStream connection to the broker at `url` (a comma-separated list for a cluster).
pub struct Broker {
    js: jetstream::Context,
}

impl Broker {
    pub async fn connect(url: &str) -> anyhow::Result<Broker> {
        let servers = url
            .split(',')
            .map(|u| u.parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()?;
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(Duration::from_secs(5)))
            .connect(servers.as_slice())
            .await
            .with_context(|| format!("connecting to {url}"))?;
        Ok(Broker {
            js: jetstream::new(client),
        })
    }

    /// The stream sequence of the last message on `subject` (0 when it has none, or when the
    /// stream does not exist yet).
    pub async fn last_seq(&self, subject: &str) -> anyhow::Result<u64> {
        let stream = match self.js.get_stream(STREAM).await {
            Ok(stream) => stream,
            Err(e) if e.to_string().contains("not found") => return Ok(0),
            Err(e) => return Err(anyhow!("reading stream {STREAM}: {e}")),
        };
        match stream.get_last_raw_message_by_subject(subject).await {
            Ok(message) => Ok(message.sequence),
            Err(e) if e.to_string().to_lowercase().contains("not found") => Ok(0),
            Err(e) => Err(anyhow!("last message of {subject}: {e}")),
        }
    }

    /// The server that leads the stream's RAFT group (clustered JetStream only).
    pub async fn stream_leader(&self) -> anyhow::Result<Option<String>> {
        let mut stream = self.js.get_stream(STREAM).await?;
        let info = stream.info().await?;
        Ok(info.cluster.as_ref().and_then(|c| c.leader.clone()))
    }

    /// Every message of `subject` from the start of the stream up to sequence `last`.
    pub async fn read(&self, subject: &str, last: u64) -> anyhow::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        if last == 0 {
            return Ok(entries);
        }
        let stream = self.js.get_stream(STREAM).await?;
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: subject.to_string(),
                ..Default::default()
            })
            .await
            .context("creating an ordered consumer")?;
        let mut messages = consumer.messages().await?;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(20), messages.next())
                .await
                .with_context(|| {
                    format!(
                        "reading {subject}: no message after {:?}",
                        entries.last().map(|e: &Entry| e.seq)
                    )
                })?;
            let message = next.context("the ordered consumer ended")??;
            let seq = message.info().map_err(|e| anyhow!("{e}"))?.stream_sequence;
            entries.extend(
                change_sets(&message)
                    .into_iter()
                    .map(|set| Entry { seq, set }),
            );
            if seq >= last {
                return Ok(entries);
            }
        }
    }
}

/// A message's change sets: one, or as many lines as its `Ha-Change-Sets` header says (the
/// change sets a node published together).
fn change_sets(message: &async_nats::jetstream::Message) -> Vec<Result<Value, String>> {
    // Either format (`--replication-format`), through the one reader every node uses; the
    // checks that follow read the seed's JSON shape of each change set.
    let count = message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(ha_types::CHANGE_SETS_HEADER))
        .map(|value| value.as_str());
    match ha_types::ChangeSet::read_message(&message.payload, count) {
        Ok(sets) => sets
            .iter()
            .map(|set| serde_json::to_value(set).map_err(|e| e.to_string()))
            .collect(),
        Err(e) => {
            let shown = String::from_utf8_lossy(&message.payload[..message.payload.len().min(200)])
                .into_owned();
            vec![Err(format!("{e}: {shown}"))]
        }
    }
}
