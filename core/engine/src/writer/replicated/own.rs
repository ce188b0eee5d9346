//! This database's own change sets coming back from the log, known by their message ids: on a
//! busy node most log entries are, and reading them back in full only to learn their origin
//! and ids is work thrown away. The consumer describes them ([`OwnEntry`]); when every one is
//! in turn they are consumed by the same rule as the change sets themselves
//! ([`ReplicationState::consume_in_turn`]). Anything else (a gap, another origin, an id past what this file
//! wrote, an entry held back, a diverged file) is declined, and the consumer reads and applies
//! the entries as usual.

use std::sync::{Arc, PoisonError, RwLock};

use ha_types::ChangeSet;

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

    /// Consumes `entries` (known by their message ids) when they are all own change sets in
    /// turn; `None` when declined.
    pub(crate) fn consume_own(
        &mut self,
        conn: &Conn,
        consumer: &str,
        entries: &[OwnEntry],
    ) -> Result<Option<u64>, CoreError> {
        if self.diverged.is_some() {
            return Ok(None);
        }
        let consumed = self.consume_in_turn(conn, consumer, entries)?;
        if let Some(seq) = consumed {
            self.publish_unsettled_term();
            self.applied.advance(seq);
        }
        Ok(consumed)
    }

    /// The rule for own change sets coming back: every entry after `consumer`'s position is a
    /// run of this file's own ids (none past what it wrote) that starts where the last one
    /// consumed ends, and nothing of its origin is held. Then they are consumed; else `None`.
    pub(super) fn consume_in_turn(
        &mut self,
        conn: &Conn,
        consumer: &str,
        entries: &[OwnEntry],
    ) -> Result<Option<u64>, CoreError> {
        if self.order.holds(&self.identity.origin) {
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
        Ok(Some(seq))
    }

    /// Own change sets consumed through `self.consumed` at log position `seq`: their rows end
    /// their pending state and the position moves, in memory (written with the next
    /// transaction that applies something, or at stop).
    fn settle_consumed(&mut self, consumer: &str, seq: u64) {
        self.pending.consumed_through(self.consumed);
        self.order
            .advance_in_memory(&self.identity.origin, self.consumed);
        self.positions.insert(consumer.to_string(), seq);
    }
}

/// A log entry's change sets as one run of ids: whole change sets of one origin with
/// consecutive ids (`None` for anything else: such an entry is applied in full).
pub(super) fn run_of(seq: u64, sets: &[ChangeSet]) -> Option<OwnEntry> {
    let first = sets.first()?;
    let origin = first.origin.as_deref()?;
    let first_id = first.id?;
    for (offset, set) in (0_u64..).zip(sets) {
        let whole_and_next = set.chunk.is_none() && set.id == Some(first_id + offset);
        if !whole_and_next || set.origin.as_deref() != Some(origin) {
            return None;
        }
    }
    Some(OwnEntry {
        seq,
        origin: origin.to_string(),
        first_id,
        last_id: first_id + sets.len() as u64 - 1,
    })
}
