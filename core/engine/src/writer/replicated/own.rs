//! This database's own change sets coming back from the log, known by their message ids: on a
//! busy node most log entries are, and reading them back in full only to learn their origin
//! and ids is work thrown away. The consumer describes them ([`OwnEntry`]); when every one is
//! in turn they are consumed as [`ReplicationState::consume_own_only`] would consume the
//! change sets themselves. Anything else (a gap, another origin, an id past what this file
//! wrote, an entry held back, a diverged file) is declined, and the consumer reads and applies
//! the entries as usual.

use std::sync::{Arc, PoisonError, RwLock};

use super::ReplicationState;
use crate::CoreError;
use crate::open::Conn;
use crate::replication::OwnEntry;

/// A database's current origin, shared with its consumer.
pub(crate) type SharedOrigin = Arc<RwLock<Arc<str>>>;

impl ReplicationState {
    pub(crate) fn shared_origin(&self) -> SharedOrigin {
        Arc::clone(&self.shared_origin)
    }

    /// Tells the consumer the origin changed (a new identity).
    pub(super) fn share_origin(&mut self) {
        *self
            .shared_origin
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::from(self.identity.origin.as_str());
    }

    /// Consumes `entries` when they are all own change sets in turn; `None` when declined.
    pub(crate) fn consume_own(
        &mut self,
        conn: &Conn,
        consumer: &str,
        entries: &[OwnEntry],
    ) -> Result<Option<u64>, CoreError> {
        if self.diverged.is_some() || self.order.holds(&self.identity.origin) {
            return Ok(None);
        }
        let applied = self.position(conn, consumer)?;
        let fresh = || entries.iter().filter(|e| e.seq > applied);
        let mut expected = self.consumed + 1;
        for entry in fresh() {
            let own =
                entry.origin == self.identity.origin && entry.last_id <= self.identity.last_id;
            if !own || entry.first_id != expected || entry.last_id < entry.first_id {
                return Ok(None);
            }
            expected = entry.last_id + 1;
        }
        let seq = fresh().next_back().map_or(applied, |entry| entry.seq);
        self.consumed = expected - 1;
        self.settle_consumed(consumer, seq);
        self.publish_unsettled_term();
        Ok(Some(seq))
    }
}
