//! The writer's replication duties: capture each job's changes into the outbox inside its
//! savepoint, hand committed change sets to the publisher, clear the outbox rows the log has
//! stored, and apply other nodes' change sets.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use bytes::Bytes;
use ha_types::{Change, ChangeSet};
use rusqlite::config::DbConfig;
use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::ApplyJob;
use crate::CoreError;
use crate::capture::Capture;
use crate::open::Conn;
use crate::replication::publisher_outgoing;
use crate::replication::{
    Outbox, PendingRows, Published, Publisher, ReplicationOptions, SchemaCache, apply_change_set,
    build_change_set,
};

/// A job's change set, written to the outbox, waiting for the group's COMMIT.
pub(crate) struct Prepared {
    outbox_id: i64,
    msg_id: String,
    payload: Bytes,
    change_set: ChangeSet,
}

pub(crate) struct ReplicationState {
    options: ReplicationOptions,
    database: String,
    capture: Capture,
    schema: SchemaCache,
    pending: PendingRows,
    publisher: Publisher,
    /// Highest outbox id the log has stored (set by the publisher).
    stored_through: Arc<AtomicI64>,
    cleared_through: i64,
    /// Makes message ids unique across restarts: ids are `<node>.<database>.<epoch>.<n>`.
    epoch: String,
    /// The last outbox id given out; only grows while the writer runs.
    last_outbox_id: i64,
    /// Consumers' positions, ahead of `_ha_replication` after batches of own change sets.
    positions: std::collections::HashMap<String, u64>,
    /// `PRAGMA foreign_keys` of the connection (clients cannot change it: connection settings
    /// are denied), switched off while applying.
    foreign_keys: bool,
}

impl ReplicationState {
    /// Prepares `conn` (the writer's) for replication: the `_ha_*` tables, the capture hook, the
    /// publisher, and the change sets a previous run left unpublished.
    pub(crate) fn new(
        conn: &Conn,
        database: &str,
        options: ReplicationOptions,
        runtime: &tokio::runtime::Handle,
    ) -> Result<ReplicationState, CoreError> {
        Outbox::create_tables(&conn.conn)
            .map_err(CoreError::storage("creating the _ha_ tables"))?;
        let capture = Capture::default();
        capture.install(&conn.conn);
        capture.set_enabled(true);
        conn.set_schema_recorder(Some(capture.clone()));
        let stored_through = Arc::new(AtomicI64::new(0));
        let stored = Arc::clone(&stored_through);
        let publisher = Publisher::spawn(
            runtime,
            database.to_string(),
            Arc::clone(&options.log),
            move |id| {
                stored.fetch_max(id, Ordering::Relaxed);
            },
        );
        let mut pending = PendingRows::default();
        let leftovers =
            Outbox::unpublished(&conn.conn).map_err(CoreError::storage("reading the outbox"))?;
        if !leftovers.is_empty() {
            warn!(
                database,
                count = leftovers.len(),
                "publishing change sets left in the outbox"
            );
        }
        for row in leftovers {
            if let Ok(set) = ChangeSet::from_json(&row.payload) {
                pending.add(&set);
            }
            publisher.send(publisher_outgoing(
                row.id,
                row.msg_id,
                Bytes::from(row.payload),
                None,
            ));
        }
        let foreign_keys: bool = conn
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap_or(false);
        let last_outbox_id =
            Outbox::last_id(&conn.conn).map_err(CoreError::storage("reading the outbox"))?;
        let epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(ReplicationState {
            epoch: format!("{}.{}.{epoch:x}", options.node, database),
            options,
            database: database.to_string(),
            capture,
            schema: SchemaCache::default(),
            pending,
            publisher,
            stored_through,
            cleared_through: 0,
            last_outbox_id,
            positions: std::collections::HashMap::new(),
            foreign_keys,
        })
    }

    pub(crate) fn mark(&self) -> usize {
        self.capture.mark()
    }

    pub(crate) fn forget_since(&self, mark: usize) {
        self.capture.truncate(mark);
    }

    /// At the start of a group's transaction.
    pub(crate) fn begin_group(&mut self, conn: &Conn) {
        self.capture.truncate(0);
        self.clear_published_outbox(conn, false);
    }

    pub(crate) fn transaction_lost(&mut self) {
        self.capture.truncate(0);
        // Rows deleted inside the lost transaction are back.
        self.cleared_through = 0;
    }

    /// After a job's statements succeeded, inside its savepoint: writes its change set (if it
    /// changed anything) to the outbox.
    pub(crate) fn prepare(
        &mut self,
        conn: &Conn,
        mark: usize,
    ) -> Result<Option<Prepared>, CoreError> {
        let mut captured = self.capture.take_since(mark);
        if captured
            .iter()
            .any(|c| matches!(c, crate::capture::Captured::Sql(_)))
        {
            self.schema.invalidate();
            if self.options.disable_ddl_sync {
                captured.retain(|c| !matches!(c, crate::capture::Captured::Sql(_)));
            }
        }
        if captured.is_empty() {
            return Ok(None);
        }
        let change_set = build_change_set(
            &conn.conn,
            &mut self.schema,
            &self.options.node,
            &self.database,
            captured,
        )
        .map_err(CoreError::storage("describing the change set"))?;
        let payload = change_set.to_json().map_err(|e| CoreError::Io {
            context: "encoding a change set".into(),
            source: std::io::Error::other(e),
        })?;
        self.last_outbox_id += 1;
        let outbox_id = self.last_outbox_id;
        let msg_id = format!("{}.{}", self.epoch, outbox_id);
        Outbox::append(&conn.conn, outbox_id, &msg_id, &payload).map_err(CoreError::from)?;
        Ok(Some(Prepared {
            outbox_id,
            msg_id,
            payload: Bytes::from(payload),
            change_set,
        }))
    }

    /// After the group's COMMIT: the change set is pending until consumed back, and published.
    pub(crate) fn committed(&mut self, prepared: Prepared) -> Published {
        self.pending.add(&prepared.change_set);
        let (done, published) = oneshot::channel();
        let outgoing = publisher_outgoing(
            prepared.outbox_id,
            prepared.msg_id,
            prepared.payload,
            Some(done),
        );
        if !self.publisher.send(outgoing) {
            warn!(database = %self.database, "the publisher is gone; the change set stays in the outbox");
        }
        published
    }

    /// Deletes the outbox rows the log has stored. Outside a transaction when `own_transaction`.
    pub(crate) fn clear_published_outbox(&mut self, conn: &Conn, own_transaction: bool) {
        let stored = self.stored_through.load(Ordering::Relaxed);
        if stored <= self.cleared_through {
            return;
        }
        let result = if own_transaction {
            conn.control("BEGIN IMMEDIATE")
                .and_then(|()| Outbox::delete_through(&conn.conn, stored))
                .and_then(|()| conn.control("COMMIT"))
        } else {
            Outbox::delete_through(&conn.conn, stored)
        };
        match result {
            Ok(()) => self.cleared_through = stored,
            Err(e) => {
                if own_transaction && !conn.conn.is_autocommit() {
                    let _ = conn.conn.execute_batch("ROLLBACK");
                }
                debug!(error = %e, "clearing the outbox failed; retrying later");
            }
        }
    }

    /// Applies a batch of log entries in one transaction that also records the position.
    pub(crate) fn apply(&mut self, conn: &Conn, job: ApplyJob) {
        let result = self.apply_batch(conn, &job);
        let _ = job.reply.send(result);
    }

    fn apply_batch(&mut self, conn: &Conn, job: &ApplyJob) -> Result<u64, CoreError> {
        if let Some(seq) = self.consume_own_only(conn, job)? {
            return Ok(seq);
        }
        let db = &conn.conn;
        self.capture.set_enabled(false);
        if self.foreign_keys {
            let _ = db.execute_batch("PRAGMA foreign_keys = OFF");
        }
        let _ = db.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false);
        let outcome = self.apply_in_transaction(conn, job);
        let _ = db.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, true);
        if self.foreign_keys {
            let _ = db.execute_batch("PRAGMA foreign_keys = ON");
        }
        self.capture.set_enabled(true);
        if let Ok(seq) = outcome {
            self.positions.insert(job.consumer.clone(), seq);
        }
        outcome
    }

    /// The position of `consumer`: the recorded one, or a later one not written yet.
    fn position(&mut self, conn: &Conn, consumer: &str) -> Result<u64, CoreError> {
        if let Some(seq) = self.positions.get(consumer) {
            return Ok(*seq);
        }
        let seq = Outbox::applied_seq(&conn.conn, consumer).map_err(CoreError::from)?;
        self.positions.insert(consumer.to_string(), seq);
        Ok(seq)
    }

    /// Most batches on a busy node are its own change sets coming back: they change no row
    /// here, so they only end the rows' pending state and move the position in memory. The
    /// position is written with the next transaction that applies something (or at stop);
    /// after a crash the node reads those entries again, which is harmless.
    fn consume_own_only(&mut self, conn: &Conn, job: &ApplyJob) -> Result<Option<u64>, CoreError> {
        let applied = self.position(conn, &job.consumer)?;
        let fresh = || job.entries.iter().filter(|e| e.seq > applied);
        if job.skip.is_some() || fresh().any(|e| e.change_set.node != self.options.node) {
            return Ok(None);
        }
        let mut seq = applied;
        for entry in fresh() {
            self.pending.consumed(&entry.change_set);
            seq = entry.seq;
        }
        self.positions.insert(job.consumer.clone(), seq);
        Ok(Some(seq))
    }

    /// Writes the positions kept in memory (at stop).
    pub(crate) fn record_positions(&mut self, conn: &Conn) {
        let positions: Vec<(String, u64)> = self
            .positions
            .iter()
            .map(|(c, s)| (c.clone(), *s))
            .collect();
        for (consumer, seq) in positions {
            if let Err(e) = Outbox::set_applied_seq(&conn.conn, &consumer, seq) {
                debug!(error = %e, "recording the replication position failed");
            }
        }
    }

    /// Own change sets coming back stop being pending as they are met in log order, so a later
    /// change of another node in the same batch applies; if the batch fails, they are pending
    /// again.
    fn apply_in_transaction(&mut self, conn: &Conn, job: &ApplyJob) -> Result<u64, CoreError> {
        let known_position = self.position(conn, &job.consumer)?;
        let db = &conn.conn;
        conn.control("BEGIN IMMEDIATE").map_err(CoreError::from)?;
        let mut own = Vec::new();
        let mut failure = None;
        let mut run = || -> Result<u64, CoreError> {
            let mut applied = Outbox::applied_seq(db, &job.consumer)
                .map_err(CoreError::from)?
                .max(known_position);
            for entry in &job.entries {
                if entry.seq <= applied {
                    continue;
                }
                let set = &entry.change_set;
                if let Some((_, error)) = job.skip.as_ref().filter(|(seq, _)| *seq == entry.seq) {
                    let text =
                        String::from_utf8(set.to_json().unwrap_or_default()).unwrap_or_default();
                    Outbox::dead_letter(db, &job.consumer, entry.seq, &text, error)
                        .map_err(CoreError::from)?;
                    warn!(consumer = %job.consumer, seq = entry.seq, "log entry skipped into _ha_dead_letters");
                } else if set.node == self.options.node {
                    self.pending.consumed(set);
                    own.push(set);
                } else {
                    if set.changes.iter().any(|c| matches!(c, Change::Sql { .. })) {
                        self.schema.invalidate();
                    }
                    // Each entry in its own savepoint: the entries before a failing one are
                    // kept, so the position is exact and the failing entry is the one reported.
                    conn.control("SAVEPOINT ha_apply")
                        .map_err(CoreError::from)?;
                    if let Err(e) =
                        apply_change_set(db, set, &self.pending, self.options.row_identify)
                    {
                        let _ = db.execute_batch("ROLLBACK TO ha_apply; RELEASE ha_apply");
                        failure = Some(CoreError::Apply {
                            seq: entry.seq,
                            message: e.to_string(),
                        });
                        break;
                    }
                    conn.control("RELEASE ha_apply").map_err(CoreError::from)?;
                }
                applied = entry.seq;
            }
            Outbox::set_applied_seq(db, &job.consumer, applied).map_err(CoreError::from)?;
            Ok(applied)
        };
        let outcome = run();
        match outcome {
            Ok(seq) => match conn.control("COMMIT") {
                Ok(()) => failure.map_or(Ok(seq), Err),
                Err(e) => {
                    let _ = db.execute_batch("ROLLBACK");
                    own.iter().for_each(|set| self.pending.add(set));
                    Err(CoreError::from(e))
                }
            },
            Err(e) => {
                let _ = db.execute_batch("ROLLBACK");
                own.iter().for_each(|set| self.pending.add(set));
                Err(e)
            }
        }
    }

    pub(crate) fn uninstall(&mut self, conn: &Conn) {
        self.record_positions(conn);
        conn.set_schema_recorder(None);
        self.capture.uninstall(&conn.conn);
    }
}
