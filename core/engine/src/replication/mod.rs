//! Replication inside the engine: what the writer captures and stores in the outbox with each
//! transaction, the publisher that drains the outbox into the log, and the applier that writes
//! other nodes' change sets. The log itself (NATS JetStream) implements [`ChangeLog`] in `ha-nats`.

mod apply;
mod changeset;
mod chunks;
mod identity;
mod order;
mod outbox;
mod pending;
mod publisher;
mod revert;
mod schema;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use apply::apply_change_set;
pub(crate) use changeset::{build_change_set, idempotent_ddl};
pub(crate) use chunks::{
    join_change_sets, join_parts, message_ids, split_into_messages, stored_messages,
};
pub(crate) use identity::Identity;
pub(crate) use order::OriginOrder;
pub(crate) use outbox::Outbox;
pub(crate) use pending::PendingRows;
pub(crate) use publisher::{
    Done, OutboxReader, Outgoing, Published, Publisher, QUEUE_BUDGET, Refusal, Refusals,
};
pub(crate) use revert::undo_outbox_after;
pub(crate) use schema::{SchemaCache, quote};

/// How rows are found when a change is applied (`--row-identify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowIdentify {
    #[default]
    PrimaryKey,
    Rowid,
    Full,
}

/// A database's replication settings.
#[derive(Clone)]
pub struct ReplicationOptions {
    /// This node's name, written into every change set.
    pub node: String,
    /// Answer writes after the local commit instead of after the log stored them.
    pub async_ack: bool,
    /// How long a write waits for the log before the "pending replication" error.
    pub timeout: Duration,
    /// Do not publish schema statements.
    pub disable_ddl_sync: bool,
    pub row_identify: RowIdentify,
    /// Consumers read the log from its beginning (`--replication-policy all`): every origin's
    /// first change set met must be its first ever (id 1), or the ones before it are gone
    /// (aged out of the log) and this database cannot catch up from the log.
    pub from_log_start: bool,
    pub log: Arc<dyn ChangeLog>,
    /// Where the publisher task runs.
    pub runtime: tokio::runtime::Handle,
    /// Leader mode (SPEC §7): who may write now. `None`: every node writes (leaderless).
    pub write_gate: Option<Arc<dyn WriteGate>>,
    /// Most change sets published together in one message (`--replication-group`; 1: one
    /// message per transaction, the seed's form).
    pub most_per_message: usize,
    /// How this node writes its change sets (`--replication-format`); it reads both.
    pub format: ha_types::ChangeSetFormat,
}

/// Change sets one message holds at most by default: as many as one group commit takes.
pub const MOST_PER_MESSAGE: usize = 256;

/// Leader mode's fencing, as the engine sees it: whether this node may commit client writes
/// now, and under which term. Asked before a write is queued, when the writer begins a
/// transaction for it and again just before its COMMIT, so a node whose lease ran out commits
/// nothing more; the term goes into every change set.
pub trait WriteGate: Send + Sync + 'static {
    /// `Ok(term)` while this node holds the lease; otherwise [`crate::CoreError::NotLeader`]
    /// naming the leader's address when one is known.
    fn term(&self) -> Result<u64, crate::CoreError>;
}

impl std::fmt::Debug for ReplicationOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicationOptions")
            .field("node", &self.node)
            .field("async_ack", &self.async_ack)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why the log did not store a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishError {
    /// It may work when sent again (the broker is away, a timeout, a lost answer).
    Failed(String),
    /// Leader mode: the message was written under lease `term`, and the log has been fenced
    /// for a later term since (another node leads): it is not stored and never will be.
    Fenced { term: u64, newer: u64 },
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublishError::Failed(reason) => f.write_str(reason),
            PublishError::Fenced { term, newer } => write!(
                f,
                "the log refused a change set of lease term {term}: term {newer} leads now"
            ),
        }
    }
}

/// Resolves with the log's sequence number once the log has stored the message.
pub type AckFuture = Pin<Box<dyn Future<Output = Result<u64, PublishError>> + Send>>;

/// Resolves once the message is on its way (queued on the connection, in call order), with the
/// future of its acknowledgement.
pub type PublishFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AckFuture, PublishError>> + Send + 'a>>;

/// The replicated log, as the engine needs it.
pub trait ChangeLog: Send + Sync + 'static {
    /// Sends `payload` (`change_sets` change sets, one per line when more than one) for
    /// `database` under `msg_id` (a retried publish with the same id is stored once). Messages
    /// are stored in the order their sends complete; many acknowledgements may be awaited at
    /// once. In leader mode `term` is the lease term the change sets were committed under: the
    /// log stores them only while no later term has fenced it ([`PublishError::Fenced`]).
    fn publish<'a>(
        &'a self,
        database: &'a str,
        msg_id: &'a str,
        payload: bytes::Bytes,
        change_sets: usize,
        term: Option<u64>,
    ) -> PublishFuture<'a>;

    /// The largest payload one message may have; larger change sets are split.
    fn max_payload(&self) -> usize {
        1 << 20
    }

    /// The messages of `database` in the log from `since` to the log's end when asked, in
    /// log order (history and undo, SPEC §10).
    fn history<'a>(&'a self, database: &'a str, since: ha_types::Since) -> HistoryFuture<'a> {
        let _ = (database, since);
        Box::pin(async {
            Err(crate::CoreError::Unavailable(
                "this log keeps no history".to_string(),
            ))
        })
    }
}

/// Resolves to the messages of a database from a point of the log on.
pub type HistoryFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<LogEntry>, crate::CoreError>> + Send + 'a>>;

/// A log message of this database's own, known by its message id without reading its body:
/// the change sets `first_id..=last_id` of `origin`, whole (not parts of a split one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnEntry {
    pub seq: u64,
    pub origin: String,
    pub first_id: u64,
    pub last_id: u64,
}

impl OwnEntry {
    /// What a message id of this build's publisher says (`msg_id` in the writer's `commit`,
    /// the publisher's groups, [`chunks::message_ids`]): `<origin>.<id>` is change set `id` of
    /// `origin`, `<origin>.<first>-<last>` the consecutive ones a group commit published together
    /// (then [`ha_types::CHANGE_SETS_HEADER`] counts them: a different count means some were left out, and
    /// the message is read instead). Parts of a split change set (`<origin>.<id>.<part>`) read as
    /// an origin no database has.
    pub fn from_message_id(seq: u64, msg_id: &str, count: Option<&str>) -> Option<OwnEntry> {
        let (origin, ids) = msg_id.rsplit_once('.')?;
        let (first_id, last_id) = match ids.split_once('-') {
            Some((first, last)) => (first.parse().ok()?, last.parse().ok()?),
            None => {
                let id = ids.parse().ok()?;
                (id, id)
            }
        };
        let sets: u64 = match count {
            Some(count) => count.trim().parse().ok()?,
            None => 1,
        };
        (first_id >= 1 && last_id >= first_id && last_id - first_id + 1 == sets).then(|| OwnEntry {
            seq,
            origin: origin.to_string(),
            first_id,
            last_id,
        })
    }
}

/// One message of the log, to apply.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub seq: u64,
    /// Its change sets (one, or several consecutive ones of one origin published together:
    /// [`ha_types::CHANGE_SETS_HEADER`]), or why it cannot be read (it stops the database's
    /// replication until the operator skips it: nothing is dropped silently).
    pub change_sets: Result<Vec<ha_types::ChangeSet>, String>,
}

#[cfg(test)]
mod tests {
    use super::OwnEntry;

    #[test]
    fn own_entries_are_read_off_message_ids() {
        let own_entry = OwnEntry::from_message_id;
        let entry = own_entry(7, "n.1-19f.12", None).unwrap();
        assert_eq!(
            (
                entry.seq,
                entry.origin.as_str(),
                entry.first_id,
                entry.last_id
            ),
            (7, "n.1-19f", 12, 12)
        );
        let group = own_entry(8, "n1-19f.13-17", Some("5")).unwrap();
        assert_eq!((group.first_id, group.last_id), (13, 17));
        // A group that left one out, a count without a range, a part of a split change set
        // (part 0 has no id 0; part 1 reads as origin "n1-19f.18"), ids of another shape:
        // read the message instead.
        assert!(own_entry(9, "n1-19f.13-17", Some("4")).is_none());
        assert!(own_entry(9, "n1-19f.13", Some("2")).is_none());
        assert!(own_entry(9, "n1-19f.18.0", None).is_none());
        assert_eq!(
            own_entry(9, "n1-19f.18.1", None).unwrap().origin,
            "n1-19f.18"
        );
        for other in ["n1-19f", "n1-19f.x", "n1-19f.5-3", "n1-19f.0", "abc-def"] {
            assert!(own_entry(9, other, None).is_none(), "{other}");
        }
    }
}
