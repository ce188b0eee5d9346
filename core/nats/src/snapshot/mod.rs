//! Snapshots (SPEC §8): taking them into the object store, and restoring databases from them,
//! at start (`--from-latest-snapshot`) and whenever a database cannot catch up from the log
//! (its position aged out, or it is new and the log no longer starts at its beginning). The
//! in-process replicas bootstrap through this same code.

mod restore;
mod store;
mod take;

use std::sync::Arc;

use async_nats::jetstream;
use async_nats::jetstream::stream::LastRawMessageErrorKind;
use ha_core::ChangeLog;

pub use restore::Restored;
pub use store::{SNAPSHOT_FORMAT, SnapshotInfo, SnapshotStore};
pub use take::Taken;

use crate::NatsError;

/// A node's snapshots: its store, and what taking and restoring need of the log.
pub struct Snapshots {
    pub(crate) store: SnapshotStore,
    pub(crate) context: jetstream::Context,
    pub(crate) stream: String,
    pub(crate) node: String,
    /// Publishes what a replaced file had not published yet.
    pub(crate) log: Arc<dyn ChangeLog>,
}

/// What the log keeps now, as a snapshot is judged against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogState {
    /// When the stream was created (Unix nanoseconds, as text).
    pub created: String,
    pub first: u64,
    pub last: u64,
}

impl Snapshots {
    pub fn new(
        context: jetstream::Context,
        stream: &str,
        replicas: usize,
        node: &str,
        log: Arc<dyn ChangeLog>,
    ) -> Snapshots {
        Snapshots {
            store: SnapshotStore::new(context.clone(), stream, replicas),
            context,
            stream: stream.to_string(),
            node: node.to_string(),
            log,
        }
    }

    pub fn store(&self) -> &SnapshotStore {
        &self.store
    }

    fn unreachable(&self, e: &dyn std::fmt::Display) -> NatsError {
        NatsError::SnapshotStore(format!(
            "the broker cannot be reached (reading stream {}): {e}",
            self.stream
        ))
    }

    /// The sequence of the last entry of `database` in the log (0: none): what a database
    /// restored now must have applied before it serves again.
    pub(crate) async fn last_of(&self, database: &str) -> Result<u64, NatsError> {
        let stream = self
            .context
            .get_stream(&self.stream)
            .await
            .map_err(|e| self.unreachable(&e))?;
        let subject = crate::log::subject_for(&self.stream, database);
        match stream.get_last_raw_message_by_subject(&subject).await {
            Ok(message) => Ok(message.sequence),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(0),
            Err(e) => Err(self.unreachable(&e)),
        }
    }

    /// The log as snapshots are judged against it.
    pub(crate) async fn log_state(&self) -> Result<LogState, NatsError> {
        let mut stream = self
            .context
            .get_stream(&self.stream)
            .await
            .map_err(|e| self.unreachable(&e))?;
        let info = stream.info().await.map_err(|e| self.unreachable(&e))?;
        Ok(LogState {
            created: info.created.unix_timestamp_nanos().to_string(),
            first: info.state.first_sequence,
            last: info.state.last_sequence,
        })
    }
}

/// Why `snapshot` cannot be the start of a database on the log as it is now, if it cannot.
pub(crate) fn unusable(snapshot: &SnapshotInfo, log: &LogState) -> Option<String> {
    if snapshot.stream_created != log.created {
        return Some(format!(
            "the latest snapshot (log sequence {}) belongs to an earlier stream of this name \
             (the stream was created again since)",
            snapshot.seq
        ));
    }
    if snapshot.seq > log.last {
        return Some(format!(
            "the latest snapshot contains log sequence {}, but the log ends at {}",
            snapshot.seq, log.last
        ));
    }
    if snapshot.seq + 1 < log.first {
        return Some(format!(
            "the latest snapshot (log sequence {}) is older than the log's first kept entry \
             ({}): take a new snapshot on a node that is up to date",
            snapshot.seq, log.first
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_fits_only_the_stream_it_was_taken_from_and_the_kept_log() {
        let snapshot = SnapshotInfo {
            database: "a.db".into(),
            seq: 10,
            size: 1,
            sha256: String::new(),
            node: "n".into(),
            stream_created: "5".into(),
            taken_at: None,
        };
        let log = |created: &str, first, last| LogState {
            created: created.into(),
            first,
            last,
        };
        assert_eq!(unusable(&snapshot, &log("5", 1, 20)), None);
        assert_eq!(
            unusable(&snapshot, &log("5", 11, 20)),
            None,
            "next one kept"
        );
        assert_eq!(
            unusable(&snapshot, &log("5", 11, 10)),
            None,
            "all aged out, caught up"
        );
        assert!(
            unusable(&snapshot, &log("5", 12, 20))
                .unwrap()
                .contains("older")
        );
        assert!(
            unusable(&snapshot, &log("5", 1, 9))
                .unwrap()
                .contains("ends at")
        );
        assert!(
            unusable(&snapshot, &log("6", 1, 20))
                .unwrap()
                .contains("earlier stream")
        );
    }
}
