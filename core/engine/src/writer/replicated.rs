//! The writer's replication duties: capture each job's changes into the outbox inside its
//! savepoint, give each committed change set its place in this file's origin order, hand it to
//! the publisher, clear the outbox rows that came back from the log, and apply other nodes'
//! change sets exactly once, in each origin's order.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use ha_types::{Change, ChangeSet};
use tokio::sync::oneshot;
use tracing::{debug, warn};

mod apply_mode;
mod fencing;
mod own;

pub(crate) use own::SharedOrigin;

use self::apply_mode::ApplyMode;
use super::ApplyJob;
use crate::CoreError;
use crate::capture::Capture;
use crate::database::AppliedSeq;
use crate::open::Conn;
use crate::readers::ReaderPool;
use crate::replication::{
    Done, Identity, OriginOrder, Outbox, OutboxReader, Outgoing, PendingRows, Published, Publisher,
    QUEUE_BUDGET, Refusal, Refusals, ReplicationOptions, apply_change_set, build_change_set,
    join_parts, message_ids, split_into_messages, stored_messages,
};

/// Consumed outbox rows deleted together under load (about twenty leaves of one-row change sets).
const OUTBOX_CLEAR_BATCH: u64 = 256;

/// A job's change set, written to the outbox, waiting for the group's COMMIT.
pub(crate) struct Prepared {
    id: u64,
    messages: Vec<(String, Bytes)>,
    change_set: ChangeSet,
}

pub(crate) struct ReplicationState {
    options: ReplicationOptions,
    database: String,
    capture: Capture,
    pending: PendingRows,
    publisher: Publisher,
    /// Change sets of the group being committed, for the publisher.
    committed: Vec<Outgoing>,
    /// This file's origin and the last id of its committed change sets.
    identity: Identity,
    /// `identity.origin`, for the log's consumer ([`crate::Database::own_origin`]).
    shared_origin: SharedOrigin,
    /// The last id handed out, committed or not yet (reset when a transaction is lost).
    assigned: u64,
    /// The last own id consumed back from the log.
    consumed: u64,
    /// Outbox rows deleted through this id (and `consumed` recorded in `_ha_origins`).
    cleared_through: u64,
    order: OriginOrder,
    /// Consumers' positions, ahead of `_ha_replication` after batches of own change sets.
    positions: HashMap<String, u64>,
    /// Triggers and foreign-key actions, off while applying and until a client's statements run.
    apply_mode: ApplyMode,
    max_payload: usize,
    /// What [`OriginOrder`] holds, for the status.
    held: Arc<AtomicUsize>,
    /// The database's applied position, moved here at each commit of applied entries: the
    /// consumer hears the writer's answer only before it hands the next batch (or when idle),
    /// and read-your-writes must not wait for that.
    applied: Arc<AppliedSeq>,
    /// Leader mode: the lease term of the transaction being built.
    term: Option<u64>,
    /// Leader mode: the term of each own change set (by id) not known to be consumed back.
    own_terms: BTreeMap<u64, u64>,
    /// The lowest term of an own change set not consumed back yet (0: none), for a node about
    /// to lead: it writes only once no change set of an older term is unsettled.
    unsettled_term: Arc<AtomicU64>,
    /// Where the publisher reports change sets the log refused, and the refusal waiting for
    /// the change sets stored before it to come back.
    refusals: Refusals,
    refused: Option<Refusal>,
    /// Own change sets the log refused could not be undone (a schema change): replication
    /// stops here, visibly, until the database is restored from a snapshot.
    diverged: Option<String>,
    /// The highest lease term of another node's change set applied here (a cache of the
    /// file's record; `None`: read it again).
    max_term: Option<u64>,
}

impl ReplicationState {
    /// Prepares `conn` (the writer's) for replication: the `_ha_*` tables, the file's identity,
    /// the capture hook, the publisher, and the change sets a previous run left unpublished.
    pub(crate) fn new(
        conn: &Conn,
        database: &str,
        options: ReplicationOptions,
        runtime: &tokio::runtime::Handle,
        held: Arc<AtomicUsize>,
        applied: Arc<AppliedSeq>,
        readers: Arc<ReaderPool>,
    ) -> Result<ReplicationState, CoreError> {
        let db = &conn.conn;
        let storage = |context: &'static str| CoreError::storage(context);
        Outbox::create_tables(db).map_err(storage("creating the _ha_ tables"))?;
        conn.control("BEGIN IMMEDIATE").map_err(CoreError::from)?;
        let identity = match Identity::load_or_create(db, &options.node) {
            Ok(identity) => identity,
            Err(e) => {
                let _ = db.execute_batch("ROLLBACK");
                return Err(storage("reading the database's identity")(e));
            }
        };
        conn.control("COMMIT").map_err(CoreError::from)?;
        let consumed = Outbox::origin_last_id(db, &identity.origin)
            .map_err(storage("reading the replication position"))?;
        let capture = Capture::default();
        capture.install(db);
        capture.set_enabled(true);
        conn.set_schema_recorder(Some(capture.clone()));
        let refusals = Refusals::default();
        let publisher = Publisher::spawn(
            runtime,
            database.to_string(),
            options.log.clone(),
            outbox_reader(readers),
            QUEUE_BUDGET,
            Arc::clone(&refusals),
            options.most_per_message,
        );
        // What a previous run left: pending again, and published again (read back from the
        // outbox when their turn comes, so a long outage's backlog is never all in memory).
        let mut pending = PendingRows::default();
        let mut own_terms = BTreeMap::new();
        let mut left = 0usize;
        Outbox::for_each_unpublished(db, |row| {
            let id = row.id.max(0) as u64;
            if id <= consumed {
                return;
            }
            left += 1;
            let mut term = None;
            for (_, payload) in stored_messages(&row.msg_id, row.payload) {
                if let Ok(set) = ChangeSet::decode(&payload)
                    && set.origin.as_deref() == Some(identity.origin.as_str())
                {
                    term = term.or(set.term);
                    pending.add(set, id);
                }
            }
            if let Some(term) = term {
                own_terms.insert(id, term);
            }
            publisher.send(vec![Outgoing {
                outbox_id: id,
                messages: None,
                done: None,
                term,
            }]);
        })
        .map_err(storage("reading the outbox"))?;
        if left > 0 {
            warn!(
                database,
                count = left,
                "publishing change sets left in the outbox"
            );
        }
        let foreign_keys: bool = db
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap_or(false);
        let max_payload = options.log.max_payload();
        let unsettled_term = Arc::new(AtomicU64::new(
            own_terms.values().next().copied().unwrap_or(0),
        ));
        Ok(ReplicationState {
            assigned: identity.last_id,
            term: None,
            own_terms,
            unsettled_term,
            refusals,
            refused: None,
            diverged: None,
            max_term: None,
            shared_origin: Arc::new(std::sync::RwLock::new(Arc::from(identity.origin.as_str()))),
            identity,
            options,
            database: database.to_string(),
            capture,
            pending,
            publisher,
            committed: Vec::new(),
            consumed,
            cleared_through: 0,
            order: OriginOrder::default(),
            positions: HashMap::new(),
            apply_mode: ApplyMode::new(foreign_keys),
            max_payload,
            held,
            applied,
        })
    }

    pub(crate) fn mark(&self) -> usize {
        self.capture.mark()
    }

    pub(crate) fn forget_since(&self, mark: usize) {
        self.capture.truncate(mark);
    }

    /// At the start of a group's transaction. Consumed outbox rows are cleared in bulk: deleting
    /// a group's few rows at every commit rewrote the outbox's oldest leaf and `_ha_origins`
    /// (often its interior page too) in every commit's WAL frames; whole leaves at a time cost
    /// those pages once per hundreds of writes. An idle writer clears the rest.
    pub(crate) fn begin_group(&mut self, conn: &Conn) {
        self.capture.truncate(0);
        if self.consumed >= self.cleared_through + OUTBOX_CLEAR_BATCH {
            self.clear_consumed_outbox(conn, false);
        }
    }

    /// Leader mode: the lease term the transaction being built commits under (`Ok(None)`
    /// leaderless), or the leader's address (if known) when this node may not write. Asked when
    /// the transaction begins and again just before its COMMIT.
    pub(crate) fn leader_term(&self) -> Result<Option<u64>, Option<String>> {
        let Some(gate) = &self.options.write_gate else {
            return Ok(None);
        };
        match gate.term() {
            Ok(term) => Ok(Some(term)),
            Err(CoreError::NotLeader { leader }) => Err(leader),
            Err(_) => Err(None),
        }
    }

    /// The term written into the change sets built from now on.
    pub(crate) fn set_term(&mut self, term: Option<u64>) {
        self.term = term;
    }

    pub(crate) fn term(&self) -> Option<u64> {
        self.term
    }

    pub(crate) fn transaction_lost(&mut self) {
        self.capture.truncate(0);
        // Its schema statements are undone too.
        self.capture.invalidate_schema();
        self.assigned = self.identity.last_id;
        // Rows deleted inside the lost transaction are back.
        self.cleared_through = 0;
    }

    /// After a job's statements succeeded, inside its savepoint: writes its change set (if it
    /// changed anything) to the outbox, with the next id of this file's origin.
    pub(crate) fn prepare(
        &mut self,
        conn: &Conn,
        mark: usize,
    ) -> Result<Option<Prepared>, CoreError> {
        let mut changes = self
            .capture
            .take_since(&conn.conn, mark)
            .map_err(CoreError::storage("describing the change set"))?;
        if self.options.disable_ddl_sync {
            changes.retain(|c| !matches!(c, Change::Sql { .. }));
        }
        if changes.is_empty() {
            return Ok(None);
        }
        let id = self.assigned + 1;
        let change_set = build_change_set(
            &self.options.node,
            &self.database,
            &self.identity.origin,
            id,
            self.term,
            changes,
        );
        let encoded = split_into_messages(&change_set, self.max_payload, self.options.format)
            .map_err(CoreError::BadRequest)?;
        let msg_id = format!("{}.{id}", self.identity.origin);
        let stored = if encoded.len() == 1 {
            encoded[0].clone()
        } else {
            join_parts(&encoded)
        };
        Outbox::append(&conn.conn, id as i64, &msg_id, &stored).map_err(CoreError::from)?;
        self.assigned = id;
        let messages = message_ids(&msg_id, encoded.len())
            .into_iter()
            .zip(encoded.into_iter().map(Bytes::from))
            .collect();
        Ok(Some(Prepared {
            id,
            messages,
            change_set,
        }))
    }

    /// The job whose change set was prepared last did not keep it (its savepoint was undone).
    pub(crate) fn unprepare(&mut self, prepared: &Prepared) {
        self.assigned = self.assigned.min(prepared.id - 1);
        self.capture.invalidate_schema();
    }

    /// After the group's COMMIT: the change set is pending until consumed back, and published
    /// with the rest of its group ([`ReplicationState::publish_committed`]).
    pub(crate) fn committed(&mut self, prepared: Prepared) -> Published {
        let (done, published) = oneshot::channel();
        self.committed_to(prepared, done);
        published
    }

    /// [`ReplicationState::committed`], resolving `done` once the log stored the change set.
    pub(crate) fn committed_to(&mut self, prepared: Prepared, done: Done) {
        self.identity.last_id = self.identity.last_id.max(prepared.id);
        let term = prepared.change_set.term;
        self.pending.add(prepared.change_set, prepared.id);
        if let Some(term) = term {
            self.own_terms.insert(prepared.id, term);
            self.publish_unsettled_term();
        }
        self.committed.push(Outgoing {
            outbox_id: prepared.id,
            messages: Some(prepared.messages),
            done: Some(done),
            term,
        });
    }

    /// Hands the change sets of the group just committed to the publisher together, so that
    /// it can send them as one message.
    pub(crate) fn publish_committed(&mut self) {
        if self.committed.is_empty() {
            return;
        }
        if !self.publisher.send(std::mem::take(&mut self.committed)) {
            warn!(database = %self.database, "the publisher is gone; the change sets stay in the outbox");
        }
    }

    /// Deletes the outbox rows of the change sets consumed back, and records how far they
    /// came back (together, so a restart knows the highest id given and what is pending).
    /// Outside a transaction when `own_transaction`.
    pub(crate) fn clear_consumed_outbox(&mut self, conn: &Conn, own_transaction: bool) {
        let consumed = self.consumed;
        if consumed <= self.cleared_through {
            return;
        }
        let db = &conn.conn;
        let clear = || {
            Outbox::delete_through(db, consumed as i64)?;
            Outbox::set_origin_last_id(db, &self.identity.origin, consumed)
        };
        let result = if own_transaction {
            conn.control("BEGIN IMMEDIATE")
                .and_then(|()| clear())
                .and_then(|()| conn.control("COMMIT"))
        } else {
            clear()
        };
        match result {
            Ok(()) => {
                self.cleared_through = consumed;
                self.own_terms = self.own_terms.split_off(&(consumed + 1));
            }
            Err(e) => {
                if own_transaction && !db.is_autocommit() {
                    let _ = db.execute_batch("ROLLBACK");
                }
                debug!(error = %e, "clearing the outbox failed; retrying later");
            }
        }
    }

    /// Applies a batch of log entries in one transaction that also records the position.
    pub(crate) fn apply(&mut self, conn: &Conn, job: ApplyJob) {
        let batch = Batch {
            consumer: &job.consumer,
            entries: &job.entries,
            skip: job.skip.as_ref(),
        };
        let result = self.apply_fenced(conn, batch);
        self.publish_unsettled_term();
        if let Ok(seq) = result {
            self.applied.advance(seq);
        }
        let _ = job.reply.send(result);
    }

    fn apply_batch(&mut self, conn: &Conn, job: &Batch<'_>) -> Result<u64, CoreError> {
        if let Some(seq) = self.consume_own_only(conn, job)? {
            return Ok(seq);
        }
        self.capture.set_enabled(false);
        let outcome = self
            .apply_mode
            .enter(&conn.conn)
            .and_then(|()| self.apply_in_transaction(conn, job));
        self.capture.set_enabled(true);
        if let Ok(seq) = outcome {
            self.positions.insert(job.consumer.to_string(), seq);
        }
        self.held.store(self.order.held_count(), Ordering::Relaxed);
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

    /// Whether `set` is this file's own and already in it.
    fn is_own(&self, set: &ChangeSet) -> bool {
        match (&set.origin, set.id) {
            (Some(origin), Some(id)) => {
                *origin == self.identity.origin && id <= self.identity.last_id
            }
            // Older formats: by node name.
            _ => set.node == self.options.node,
        }
    }

    /// Most batches on a busy node are its own change sets coming back, whole and in order:
    /// they change no row here, so they only end the rows' pending state and move the position
    /// in memory. The position is written with the next transaction that applies something (or
    /// at stop); after a crash the node reads those entries again, which is harmless. Each
    /// entry is described as a run of own ids and judged by [`Self::consume_in_turn`], as
    /// entries known only by their message ids are.
    fn consume_own_only(&mut self, conn: &Conn, job: &Batch<'_>) -> Result<Option<u64>, CoreError> {
        if job.skip.is_some() {
            return Ok(None);
        }
        let applied = self.position(conn, job.consumer)?;
        let mut runs = Vec::with_capacity(job.entries.len());
        for entry in job.entries.iter().filter(|e| e.seq > applied) {
            let Some(run) = entry
                .change_sets
                .as_ref()
                .ok()
                .and_then(|sets| own::run_of(entry.seq, sets))
            else {
                return Ok(None);
            };
            runs.push(run);
        }
        self.consume_in_turn(conn, job.consumer, &runs)
    }

    /// Writes the positions kept in memory, with the outbox rows consumed back cleared, in
    /// one transaction (before a snapshot copies the file).
    pub(crate) fn persist_positions(&mut self, conn: &Conn) {
        self.clear_consumed_outbox(conn, true);
        if conn.control("BEGIN IMMEDIATE").is_ok() {
            self.record_positions(conn);
            if conn.control("COMMIT").is_err() {
                let _ = conn.conn.execute_batch("ROLLBACK");
            }
        }
    }

    /// The log moved on to `seq` with nothing for this database (its consumer was told nothing
    /// is pending): the position follows and is written, so that when the log ages past an
    /// idle database's last change it is not taken for one that missed changes. Returns the
    /// position.
    pub(crate) fn advance_position(&mut self, conn: &Conn, consumer: &str, seq: u64) -> u64 {
        let current = self.position(conn, consumer).unwrap_or(0);
        if seq <= current {
            return current;
        }
        self.positions.insert(consumer.to_string(), seq);
        self.persist_positions(conn);
        seq
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
        if self.consumed > 0
            && let Err(e) =
                Outbox::set_origin_last_id(&conn.conn, &self.identity.origin, self.consumed)
        {
            debug!(error = %e, "recording the own origin's position failed");
        }
    }

    /// Applies what is due of each entry, each entry in its own savepoint: the entries before a
    /// failing one are committed with the position, so the failing entry is exact.
    fn apply_in_transaction(&mut self, conn: &Conn, job: &Batch<'_>) -> Result<u64, CoreError> {
        let known_position = self.position(conn, job.consumer)?;
        let consumed_before = self.consumed;
        let db = &conn.conn;
        conn.control("BEGIN IMMEDIATE").map_err(CoreError::from)?;
        let mut own: Vec<(u64, ChangeSet)> = Vec::new();
        let mut failure = None;
        let outcome = (|| -> Result<u64, CoreError> {
            if self.consumed > 0 {
                Outbox::set_origin_last_id(db, &self.identity.origin, self.consumed)?;
            }
            let mut applied = Outbox::applied_seq(db, job.consumer)?.max(known_position);
            for entry in job.entries {
                if entry.seq <= applied {
                    continue;
                }
                let skip = job
                    .skip
                    .filter(|(seq, _)| *seq == entry.seq)
                    .map(|(_, error)| error.as_str());
                let sets = match &entry.change_sets {
                    Ok(sets) => sets,
                    Err(unreadable) if skip.is_some() => {
                        // Its origin and id are unknown: if it had later change sets, they wait
                        // for it (shown as held).
                        Outbox::dead_letter(
                            db,
                            job.consumer,
                            entry.seq,
                            unreadable,
                            skip.unwrap_or_default(),
                        )?;
                        warn!(consumer = %job.consumer, seq = entry.seq, "unreadable log entry skipped into _ha_dead_letters");
                        applied = entry.seq;
                        continue;
                    }
                    Err(unreadable) => {
                        failure = Some(CoreError::Apply {
                            seq: entry.seq,
                            message: format!("unreadable change set: {unreadable}"),
                        });
                        break;
                    }
                };
                conn.control("SAVEPOINT ha_apply")?;
                let own_mark = own.len();
                let consumed_mark = self.consumed;
                let target = Target {
                    seq: entry.seq,
                    consumer: job.consumer,
                    skip,
                };
                // A message's change sets are applied together, as they were committed.
                let applied_all = sets
                    .iter()
                    .try_for_each(|set| self.admit_and_apply(conn, &target, set, &mut own))
                    .and_then(|()| self.order.write_admitted(db));
                if let Err(e) = applied_all {
                    let _ = db.execute_batch("ROLLBACK TO ha_apply; RELEASE ha_apply");
                    self.undo_own(own.split_off(own_mark), consumed_mark);
                    self.order
                        .reset(Some((&self.identity.origin, self.consumed)));
                    self.max_term = None;
                    failure = Some(CoreError::Apply {
                        seq: entry.seq,
                        message: e.to_string(),
                    });
                    break;
                }
                conn.control("RELEASE ha_apply")?;
                applied = entry.seq;
            }
            Outbox::set_applied_seq(db, job.consumer, applied)?;
            Ok(applied)
        })();
        let outcome = outcome.and_then(|seq| {
            conn.control("COMMIT").map_err(CoreError::from)?;
            Ok(seq)
        });
        match outcome {
            Ok(seq) => failure.map_or(Ok(seq), Err),
            Err(e) => {
                let _ = db.execute_batch("ROLLBACK");
                self.undo_own(own, consumed_before);
                self.order
                    .reset(Some((&self.identity.origin, self.consumed)));
                self.max_term = None;
                Err(e)
            }
        }
    }

    /// Runs the order rule on one entry and applies (or, for own ones, consumes) what is due.
    /// With `skip`, the first due change set that fails goes to `_ha_dead_letters` instead (it
    /// still counts as its origin's, so the ones after it are not held for it).
    fn admit_and_apply(
        &mut self,
        conn: &Conn,
        target: &Target<'_>,
        set: &ChangeSet,
        own: &mut Vec<(u64, ChangeSet)>,
    ) -> rusqlite::Result<()> {
        let db = &conn.conn;
        let mut skip = target.skip;
        let from_anywhere = !self.options.from_log_start;
        for due in self.order.admit(db, target.seq, set, from_anywhere)? {
            if self.is_own(&due) {
                if let Some(id) = due.id.filter(|_| due.origin.is_some()) {
                    self.consumed = self.consumed.max(id);
                    self.pending.consumed_through(id);
                    own.push((id, due.into_owned()));
                }
                continue;
            }
            if self.is_stale(db, target, &due)? {
                continue;
            }
            if due.changes.iter().any(|c| matches!(c, Change::Sql { .. })) {
                self.capture.invalidate_schema();
            }
            match skip {
                None => apply_change_set(db, &due, &self.pending, self.options.row_identify)?,
                Some(error) => {
                    conn.control("SAVEPOINT ha_skip")?;
                    match apply_change_set(db, &due, &self.pending, self.options.row_identify) {
                        Ok(()) => conn.control("RELEASE ha_skip")?,
                        Err(_) => {
                            db.execute_batch("ROLLBACK TO ha_skip; RELEASE ha_skip")?;
                            let text = String::from_utf8(due.to_json().unwrap_or_default())
                                .unwrap_or_default();
                            Outbox::dead_letter(db, target.consumer, target.seq, &text, error)?;
                            warn!(consumer = %target.consumer, seq = target.seq, origin = ?due.origin,
                                id = ?due.id, "change set skipped into _ha_dead_letters");
                            skip = None;
                        }
                    }
                }
            }
            if due.origin.as_deref() == Some(self.identity.origin.as_str())
                && let Some(id) = due.id
            {
                // This file's origin wrote more than the file holds: an older copy of the file
                // was put back by hand. Its next change sets must not reuse the ids in the log.
                warn!(origin = %self.identity.origin, id, "the log holds later change sets of \
                    this database than its file: restore from /download or a snapshot instead");
                self.identity.last_id = self.identity.last_id.max(id);
                self.assigned = self.assigned.max(id);
                self.consumed = self.consumed.max(id);
            }
        }
        Ok(())
    }

    /// Own change sets whose consumption was rolled back are pending again.
    fn undo_own(&mut self, own: Vec<(u64, ChangeSet)>, consumed: u64) {
        for (id, set) in own {
            self.pending.add(set, id);
        }
        self.consumed = consumed;
    }

    /// Before a client's statements run on the connection: triggers and foreign-key actions
    /// on again, if a batch applied before left them off.
    pub(crate) fn leave_apply_mode(&mut self, conn: &Conn) {
        self.apply_mode.leave(&conn.conn);
    }

    pub(crate) fn uninstall(&mut self, conn: &Conn) {
        self.apply_mode.leave(&conn.conn);
        self.record_positions(conn);
        conn.set_schema_recorder(None);
        self.capture.uninstall(&conn.conn);
    }
}

/// Log entries of one consumer to apply together.
#[derive(Clone, Copy)]
struct Batch<'a> {
    consumer: &'a str,
    entries: &'a [crate::replication::LogEntry],
    /// An entry the operator chose to skip, and why.
    skip: Option<&'a (u64, String)>,
}

/// The log entry being applied, for the order rule and the dead letters.
struct Target<'a> {
    seq: u64,
    consumer: &'a str,
    /// The operator's reason to skip this entry's failing change set, if so.
    skip: Option<&'a str>,
}

/// Reads change sets back from the outbox on a reader connection (for the publisher).
fn outbox_reader(readers: Arc<ReaderPool>) -> OutboxReader {
    Arc::new(move |id| {
        let conn = readers.take().map_err(|e| e.to_string())?;
        let row = Outbox::row(&conn.conn, id);
        readers.give_back(conn);
        match row {
            Ok((msg_id, payload)) => Ok(Some(stored_messages(&msg_id, payload))),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    })
}
