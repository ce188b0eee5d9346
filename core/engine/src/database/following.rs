//! Following the log: applying other nodes' change sets (and this node's own coming back),
//! the consumer's position, lag and failing entry, and waiting for a sequence to be applied
//! (read-your-writes).

use std::sync::Arc;
use std::time::Duration;

use super::{ApplyStatus, Database, blocking};
use crate::CoreError;
use crate::replication::{LogEntry, OwnEntry};

impl Database {
    /// Applies entries of the log (another node's change sets, or this node's own coming back)
    /// in one transaction that also records `consumer`'s position; returns that position.
    pub async fn apply(
        &self,
        consumer: &str,
        entries: impl Into<Arc<[LogEntry]>>,
    ) -> Result<u64, CoreError> {
        let pending = self.start_apply(consumer, entries)?;
        self.finish_apply(pending).await
    }

    /// Hands entries to the writer, as [`Database::apply`] does, without waiting: the answer
    /// is heard later ([`Database::finish_apply`]). A consumer looks at it just before it hands the next
    /// batch, so the writer's answer does not wake it between messages (on a busy node that
    /// wake was a thread switch per message); read-your-writes does not wait for that, as the
    /// writer moves the applied position at its commit.
    pub fn start_apply(
        &self,
        consumer: &str,
        entries: impl Into<Arc<[LogEntry]>>,
    ) -> Result<Pending<u64>, CoreError> {
        let skip = self.take_skip();
        let answer = self
            .writer
            .apply(consumer.to_string(), entries.into(), skip)?;
        Ok(Pending { answer })
    }

    /// The answer of [`Database::start_apply`]: the position now applied.
    pub async fn finish_apply(&self, pending: Pending<u64>) -> Result<u64, CoreError> {
        let applied = self.hear(pending).await?;
        self.committed();
        Ok(applied)
    }

    /// The answer of [`Database::start_consume_own`] (the writer is woken if it has not
    /// passed by yet).
    pub async fn finish_consume_own(
        &self,
        mut pending: Pending<Option<u64>>,
    ) -> Result<Option<u64>, CoreError> {
        let consumed = match pending.answer.try_recv() {
            Ok(answer) => answer?,
            // Left for the writer to take when it passes by, and needed now.
            Err(_) => {
                self.writer.wake()?;
                self.hear(pending).await?
            }
        };
        if consumed.is_some() {
            self.committed();
        }
        Ok(consumed)
    }

    async fn hear<T>(&self, pending: Pending<T>) -> Result<T, CoreError> {
        pending
            .answer
            .await
            .map_err(|_| CoreError::Closed(self.spec.id.clone()))?
    }

    /// The origin this file's change sets carry now (`None` without replication): the
    /// consumer recognises its own change sets coming back by it.
    pub fn own_origin(&self) -> Option<Arc<str>> {
        self.own_origin.as_ref().map(|origin| {
            Arc::clone(
                &origin
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
        })
    }

    /// Consumes log entries known, by their message ids, to be this database's own change
    /// sets coming back, without their bodies: `Some(position)` when they were all in turn,
    /// `None` when the writer declined (then they are to be read and [`Database::apply`]'d).
    pub async fn consume_own(
        &self,
        consumer: &str,
        entries: Vec<OwnEntry>,
    ) -> Result<Option<u64>, CoreError> {
        match self.start_consume_own(consumer, entries)? {
            Some(pending) => self.finish_consume_own(pending).await,
            None => Ok(None),
        }
    }

    /// [`Database::consume_own`] handed to the writer without waiting (see
    /// [`Database::start_apply`]), and without waking it: left for it to take when it next
    /// passes by; `None`: declined at once (an entry is to be skipped).
    pub fn start_consume_own(
        &self,
        consumer: &str,
        entries: Vec<OwnEntry>,
    ) -> Result<Option<Pending<Option<u64>>>, CoreError> {
        let skip_pending = self
            .skip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some();
        if skip_pending {
            return Ok(None);
        }
        let answer = self.writer.consume_own(consumer.to_string(), entries)?;
        // A read waiting for this position is not kept waiting for the writer to pass by.
        // The fence pairs with `wait_applied`'s: either this sees its subscription, or it
        // sees what was left here.
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        if self.applied.receiver_count() > 0 {
            self.writer.wake()?;
        }
        Ok(Some(Pending { answer }))
    }

    /// The log moved on to `seq` and `consumer` was told nothing of this database is pending
    /// up to there: its position follows (written), and it counts as applied.
    pub async fn advance_position(&self, consumer: &str, seq: u64) -> Result<u64, CoreError> {
        let at = self
            .writer
            .advance_position(consumer.to_string(), seq)?
            .await
            .map_err(|_| CoreError::Closed(self.spec.id.clone()))?;
        let failing = self.apply_status().failing;
        self.set_apply_status(ApplyStatus {
            applied_seq: at,
            failing,
        });
        Ok(at)
    }

    /// How many log entries of this database its consumer has not received yet (reported by
    /// the consumer after each batch and when idle).
    pub fn lag(&self) -> u64 {
        self.lag.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_lag(&self, entries: u64) {
        self.lag
            .store(entries, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many change sets (or parts of split ones) arrived before their turn and wait for
    /// the ones before them (SPEC §6.3); normally 0 or briefly a few.
    pub fn held_change_sets(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Leader mode: the lowest lease term of a change set this node committed that has not
    /// come back from the log yet (`None`: every one has). A node about to lead writes only
    /// once none of an older term is left: the log may refuse those, and they are undone then.
    pub fn unsettled_term(&self) -> Option<u64> {
        match self
            .unsettled_term
            .load(std::sync::atomic::Ordering::Acquire)
        {
            0 => None,
            term => Some(term),
        }
    }

    pub fn apply_status(&self) -> ApplyStatus {
        self.apply_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The operator's request to skip the entry that fails to apply: it goes to
    /// `_ha_dead_letters` at the next attempt. Returns its sequence, or `None` when nothing
    /// fails.
    pub fn skip_failing(&self) -> Option<u64> {
        let failing = self.apply_status().failing?;
        *self
            .skip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(failing.clone());
        Some(failing.0)
    }

    fn take_skip(&self) -> Option<(u64, String)> {
        self.skip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// Waits (at most `timeout`) until this node has applied log sequence `seq`: a client that
    /// wrote on another node reads its write here (SPEC §4.2 `X-Ha-Min-Seq`, §7).
    pub async fn wait_applied(&self, seq: u64, timeout: Duration) -> Result<(), CoreError> {
        let mut applied = self.applied.subscribe();
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
        if *applied.borrow() < seq {
            // Own change sets come back to a writer that takes them when it passes by.
            self.writer.wake()?;
        }
        let reached = tokio::time::timeout(timeout, applied.wait_for(|applied| *applied >= seq));
        match reached.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(CoreError::Closed(self.spec.id.clone())),
            Err(_) => Err(CoreError::NotCaughtUp {
                seq,
                applied: *self.applied.borrow(),
            }),
        }
    }

    /// Called by the consumer after each attempt.
    pub fn set_apply_status(&self, status: ApplyStatus) {
        self.applied.advance(status.applied_seq);
        *self
            .apply_status
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = status;
    }

    /// The last log sequence applied for `consumer` (0: none).
    pub async fn applied_seq(&self, consumer: &str) -> Result<u64, CoreError> {
        let consumer = consumer.to_string();
        let readers = Arc::clone(&self.readers);
        blocking(move || {
            let conn = readers.take()?;
            let seq = crate::replication::Outbox::applied_seq(&conn.conn, &consumer);
            readers.give_back(conn);
            seq.map_err(CoreError::from)
        })
        .await
    }
}

/// A batch of log entries handed to the writer, its answer still to be heard
/// ([`Database::finish_apply`], [`Database::finish_consume_own`]). Dropped unheard, the batch
/// is still applied.
pub struct Pending<T> {
    answer: tokio::sync::oneshot::Receiver<Result<T, CoreError>>,
}

/// The last log sequence this node has applied, which read-your-writes waits on. Moved by the
/// writer at each commit of applied entries and by the consumer's status; never backwards.
#[derive(Debug)]
pub(crate) struct AppliedSeq(tokio::sync::watch::Sender<u64>);

impl Default for AppliedSeq {
    fn default() -> Self {
        AppliedSeq(tokio::sync::watch::Sender::new(0))
    }
}

impl AppliedSeq {
    pub(crate) fn advance(&self, seq: u64) {
        self.0.send_if_modified(|applied| {
            let moved = seq > *applied;
            *applied = (*applied).max(seq);
            moved
        });
    }
}

impl std::ops::Deref for AppliedSeq {
    type Target = tokio::sync::watch::Sender<u64>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
