//! Leader mode in the writer (SPEC §7): the log refuses change sets of an ended lease term
//! (`ha-nats`'s fence), so own change sets of that term not yet back from the log are undone
//! here, once those stored before them came back or before a later term's change set is
//! applied; an older term's change set that reaches an applier anyway is set aside.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};

use ha_types::ChangeSet;
use tracing::{error, warn};

use super::{Batch, ReplicationState, Target};
use crate::CoreError;
use crate::open::Conn;
use crate::replication::{Identity, Outbox, PendingRows, undo_outbox_after};

impl ReplicationState {
    /// Leader mode: an entry of a later lease term than an own change set not consumed back
    /// proves that one never reached the log (the log is fenced for each new term before its
    /// leader writes, so whatever an older term stored comes before it): the own change sets
    /// are undone before that entry is applied, and the batch is applied in two parts.
    pub(super) fn apply_fenced(&mut self, conn: &Conn, batch: Batch<'_>) -> Result<u64, CoreError> {
        if let Some(diverged) = &self.diverged {
            return Err(CoreError::Apply {
                seq: batch.entries.first().map_or(0, |e| e.seq),
                message: diverged.clone(),
            });
        }
        let oldest = self.unsettled().next().map(|(_, term)| term);
        let newer = oldest.and_then(|oldest| {
            batch.entries.iter().position(|entry| {
                entry.change_sets.as_ref().is_ok_and(|sets| {
                    sets.iter()
                        .any(|set| set.term.is_some_and(|term| term > oldest) && !self.is_own(set))
                })
            })
        });
        let Some(at) = newer else {
            return self.apply_batch(conn, &batch);
        };
        if at > 0 {
            self.apply_batch(
                conn,
                &Batch {
                    entries: &batch.entries[..at],
                    ..batch
                },
            )?;
        }
        let newer = batch.entries[at]
            .change_sets
            .as_ref()
            .ok()
            .and_then(|sets| sets.iter().filter_map(|set| set.term).max())
            .unwrap_or_default();
        self.undo_refused(conn, newer);
        if let Some(diverged) = &self.diverged {
            return Err(CoreError::Apply {
                seq: batch.entries[at].seq,
                message: diverged.clone(),
            });
        }
        self.apply_batch(
            conn,
            &Batch {
                entries: &batch.entries[at..],
                ..batch
            },
        )
    }

    /// Own change sets not consumed back yet, with their lease terms.
    pub(super) fn unsettled(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.own_terms
            .range(self.consumed + 1..)
            .map(|(id, term)| (*id, *term))
    }

    pub(super) fn publish_unsettled_term(&self) {
        let oldest = self.unsettled().next().map_or(0, |(_, term)| term);
        self.unsettled_term.store(oldest, Ordering::Release);
    }

    /// The lowest lease term of an own change set not consumed back yet (0: none).
    pub(crate) fn unsettled_term(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.unsettled_term)
    }

    /// Between jobs: takes the publisher's report of change sets the log refused, and undoes
    /// them once every own change set stored before them has come back (so that none of the
    /// ones undone is in the log).
    pub(crate) fn settle_refusals(&mut self, conn: &Conn) {
        let reported = self
            .refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(new) = reported {
            self.refused = Some(self.refused.map_or(new, |old| old.merge(new)));
        }
        let Some(refused) = self.refused else {
            return;
        };
        if self.consumed >= refused.stored_through {
            self.undo_refused(conn, refused.newer);
        }
    }

    /// Undoes every own change set not consumed back (all of an ended lease term, which the
    /// log refused or will refuse), and gives the file a new origin: ids of the old one may
    /// sit in the log ahead of a refused one (held there forever), so they are not reused.
    pub(super) fn undo_refused(&mut self, conn: &Conn, newer: u64) {
        self.refused = None;
        let unsettled: Vec<(u64, u64)> = self.unsettled().collect();
        if unsettled.iter().any(|(_, term)| *term >= newer) {
            error!(database = %self.database, newer, ?unsettled, "own change sets of the leading term are unsettled; nothing is undone");
            return;
        }
        let db = &conn.conn;
        self.capture.set_enabled(false);
        let consumed = self.consumed;
        let identify = self.options.row_identify;
        let old_origin = self.identity.origin.clone();
        let outcome = self
            .apply_mode
            .enter(db)
            .and_then(|()| conn.control("BEGIN IMMEDIATE").map_err(CoreError::from))
            .and_then(|()| {
                let undone =
                    undo_outbox_after(db, consumed, identify).map_err(|e| CoreError::Apply {
                        seq: 0,
                        message: e.to_string(),
                    })?;
                // Consumed back, or undone: none of the old origin's rows is left to publish.
                Outbox::delete_through(db, consumed as i64)?;
                Outbox::set_origin_last_id(db, &old_origin, consumed)?;
                let identity = Identity::renew(db, &self.options.node)?;
                Ok((undone, identity))
            })
            .and_then(|done| {
                conn.control("COMMIT").map_err(CoreError::from)?;
                Ok(done)
            });
        self.apply_mode.leave(db);
        self.capture.set_enabled(true);
        match outcome {
            Ok((undone, identity)) => {
                warn!(database = %self.database, newer, undone = ?undone, old_origin = %old_origin,
                    origin = %identity.origin, "own change sets the log refused (another node leads) are undone");
                self.identity = identity;
                self.share_origin();
                self.assigned = 0;
                self.consumed = 0;
                self.cleared_through = 0;
                self.pending = PendingRows::default();
                self.own_terms.clear();
                self.order.reset(None);
                self.capture.invalidate_schema();
                self.publish_unsettled_term();
            }
            Err(e) => {
                if !db.is_autocommit() {
                    let _ = db.execute_batch("ROLLBACK");
                }
                let message = format!(
                    "this database holds change sets the log refused (this node lost its lease \
                     before they were stored) and they cannot be undone: {e}; restore it from a \
                     snapshot"
                );
                error!(database = %self.database, %message);
                self.diverged = Some(message);
            }
        }
    }

    /// Leader mode: a change set of an older lease term than one already applied is a deposed
    /// leader's. The log's fence refuses those, so none should arrive; if one does, it goes to
    /// `_ha_dead_letters` with a warning instead of being applied over a later leader's writes.
    pub(super) fn is_stale(
        &mut self,
        db: &rusqlite::Connection,
        target: &Target<'_>,
        due: &ChangeSet,
    ) -> rusqlite::Result<bool> {
        let Some(term) = due.term else {
            return Ok(false);
        };
        let highest = match self.max_term {
            Some(highest) => highest,
            None => Outbox::max_term(db)?,
        };
        self.max_term = Some(highest);
        if term < highest {
            let text = String::from_utf8(due.to_json().unwrap_or_default()).unwrap_or_default();
            let reason = format!(
                "lease term {term} is older than term {highest}, already applied: a deposed \
                 leader's change set"
            );
            Outbox::dead_letter(db, target.consumer, target.seq, &text, &reason)?;
            warn!(consumer = %target.consumer, seq = target.seq, origin = ?due.origin, id = ?due.id,
                term, highest, "a change set of an ended lease term went to _ha_dead_letters");
            return Ok(true);
        }
        if term > highest {
            Outbox::set_max_term(db, term)?;
            self.max_term = Some(term);
        }
        Ok(false)
    }
}
