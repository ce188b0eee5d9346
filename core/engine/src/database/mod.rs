//! One database: its writer, its readers, and the slots that bound how many queries run at once.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ha_types::{Statement, StatementResult, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{debug, info};

use crate::backup::{self, CopyKind};
use crate::exec::{self, Access, RunError};
use crate::open::{Conn, Opener};
use crate::readers::{CancelOnDrop, Canceller, ReaderPool};
use crate::replication::ReplicationOptions;
use crate::snapshot::SnapshotFile;
use crate::writer::{ReplicationState, Writer};
use crate::{CoreError, DatabaseSpec, Storage};

mod following;
mod writing;

pub(crate) use following::AppliedSeq;
pub use following::Pending;

/// Limits of one database, and its replication.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Most queries running at once (`--concurrent-queries`).
    pub concurrent_queries: usize,
    /// How long a query waits for a free slot before the busy error.
    pub queue_wait: Duration,
    /// `None`: a standalone database (nothing captured, no `_ha_*` tables).
    pub replication: Option<ReplicationOptions>,
    /// An interactive transaction idle longer than this is rolled back: while it is open it
    /// holds the database's one writer.
    pub transaction_idle_timeout: Duration,
    /// Clients may only read (a read-only replica); the log is still applied.
    pub read_only: bool,
    /// A read first runs on the async worker that received it, for at most this long; past it
    /// the read moves to the blocking pool (`--inline-read-budget`; zero: always move).
    pub inline_read_budget: Duration,
    /// The process keeps the database's file to itself while it is open (a node; not an
    /// in-process replica, whose host may read the file with its own SQLite): see
    /// `Opener::exclusive`.
    pub exclusive_file: bool,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        DatabaseOptions {
            concurrent_queries: 50,
            queue_wait: Duration::from_secs(5),
            replication: None,
            transaction_idle_timeout: Duration::from_secs(30),
            read_only: false,
            inline_read_budget: DEFAULT_INLINE_READ_BUDGET,
            exclusive_file: false,
        }
    }
}

/// Long enough for point reads and small range scans (a few to a few tens of microseconds),
/// short enough that a worker is never held from its other connections for long.
pub const DEFAULT_INLINE_READ_BUDGET: Duration = Duration::from_micros(250);

/// The results of a request, and the log sequence of its change set when it changed something
/// (replication only).
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub results: Vec<StatementResult>,
    pub seq: Option<u64>,
}

/// The rows of a streamed read (see [`Database::stream`]).
#[derive(Debug)]
pub struct RowStream {
    pub columns: Vec<String>,
    /// Each column's declared type (`None` for an expression).
    pub declared_types: Vec<Option<String>>,
    batches: tokio::sync::mpsc::Receiver<Result<Vec<Vec<Value>>, CoreError>>,
}

impl RowStream {
    /// The next batch of rows; `None` when all were read.
    pub async fn next_batch(&mut self) -> Option<Result<Vec<Vec<Value>>, CoreError>> {
        self.batches.recv().await
    }

    /// An answer already in memory (a cross-database query's merged rows), handed out in
    /// batches of `batch_rows` like a read's.
    pub(crate) fn of_result(result: StatementResult, batch_rows: usize) -> RowStream {
        let (columns, declared_types, rows) = match result {
            StatementResult::Rows {
                columns,
                rows,
                declared_types,
                ..
            } => (columns, declared_types, rows),
            exec @ StatementResult::Exec { .. } => (exec.columns(), Vec::new(), Vec::new()),
        };
        let chunks: Vec<Vec<Vec<Value>>> = rows
            .chunks(batch_rows.max(1))
            .map(<[Vec<Value>]>::to_vec)
            .collect();
        let (sender, batches) = tokio::sync::mpsc::channel(chunks.len().max(1));
        for chunk in chunks {
            // The channel holds every batch: sending cannot fail.
            let _ = sender.try_send(Ok(chunk));
        }
        RowStream {
            columns,
            declared_types,
            batches,
        }
    }
}

/// Where this node's consumer of the database stands (SPEC §6.5: apply errors are visible).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyStatus {
    /// The last log sequence applied.
    pub applied_seq: u64,
    /// The entry that fails to apply, and why (retried with backoff until it applies).
    pub failing: Option<(u64, String)>,
}

pub struct Database {
    spec: DatabaseSpec,
    apply_status: std::sync::Mutex<ApplyStatus>,
    skip: std::sync::Mutex<Option<(u64, String)>>,
    /// Turns true when the database is closed (dropped, or the node stops).
    closed: tokio::sync::watch::Sender<bool>,
    /// The last log sequence this node has applied (read-your-writes waits on it).
    applied: Arc<AppliedSeq>,
    writer: Writer,
    readers: Arc<ReaderPool>,
    slots: Arc<Semaphore>,
    /// Change sets (or parts) applied later than they arrived, waiting for their turn (set by
    /// the writer after each applied batch).
    held: Arc<std::sync::atomic::AtomicUsize>,
    /// Leader mode: the lowest lease term of an own change set not yet back from the log
    /// (0: none), kept by the writer.
    unsettled_term: Arc<std::sync::atomic::AtomicU64>,
    /// This file's origin as its writer knows it (`None` without replication).
    own_origin: Option<crate::writer::SharedOrigin>,
    commits: std::sync::atomic::AtomicU64,
    /// Log entries of this database not yet delivered to its consumer, as last reported.
    lag: std::sync::atomic::AtomicU64,
    pages_file: PathBuf,
    refusal: std::sync::Mutex<Option<String>>,
    /// After a restore: requests wait for the log to be applied up to here (see
    /// [`Database::catch_up_before_serving`]).
    catch_up_to: std::sync::Mutex<Option<u64>>,
    /// Whether `refusal` or `catch_up_to` is set: every request asks, almost always for
    /// nothing, so it asks this first rather than take two locks.
    gated: std::sync::atomic::AtomicBool,
    options: DatabaseOptions,
}

impl Database {
    /// Opens (or creates) the database. Blocking: call it at start or from `spawn_blocking`.
    pub fn open(spec: DatabaseSpec, options: DatabaseOptions) -> Result<Database, CoreError> {
        let opener = Opener::new(&spec)?.exclusive(options.exclusive_file);
        let conn = opener.open_writer()?;
        let held = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let applied = Arc::new(AppliedSeq::default());
        let readers = Arc::new(ReaderPool::new(opener.clone()));
        let replication = match &options.replication {
            Some(replication) => Some(ReplicationState::new(
                &conn,
                &spec.id,
                replication.clone(),
                &replication.runtime,
                Arc::clone(&held),
                Arc::clone(&applied),
                Arc::clone(&readers),
            )?),
            None => None,
        };
        let unsettled_term = replication
            .as_ref()
            .map(ReplicationState::unsettled_term)
            .unwrap_or_default();
        let own_origin = replication.as_ref().map(ReplicationState::shared_origin);
        let writer = Writer::spawn(&spec.id, conn, replication)?;
        info!(database = %spec.id, storage = ?spec.storage, "database opened");
        Ok(Database {
            apply_status: std::sync::Mutex::new(ApplyStatus::default()),
            skip: std::sync::Mutex::new(None),
            closed: tokio::sync::watch::Sender::new(false),
            applied,
            writer,
            readers,
            slots: Arc::new(Semaphore::new(options.concurrent_queries.max(1))),
            held,
            unsettled_term,
            own_origin,
            commits: std::sync::atomic::AtomicU64::new(0),
            lag: std::sync::atomic::AtomicU64::new(0),
            pages_file: opener.pages_file().to_path_buf(),
            refusal: std::sync::Mutex::new(None),
            catch_up_to: std::sync::Mutex::new(None),
            gated: std::sync::atomic::AtomicBool::new(false),
            spec,
            options,
        })
    }

    /// The replicated log this database publishes to, when it replicates.
    pub(crate) fn replication_log(&self) -> Option<&Arc<dyn crate::ChangeLog>> {
        self.options.replication.as_ref().map(|r| &r.log)
    }

    pub fn id(&self) -> &str {
        &self.spec.id
    }

    pub fn spec(&self) -> &DatabaseSpec {
        &self.spec
    }

    /// Runs a request: one statement, or several in one transaction. A single statement that
    /// SQLite reports read-only runs on a reader; everything else goes to the writer.
    pub async fn execute(&self, statements: Vec<Statement>) -> Result<Executed, CoreError> {
        if statements.is_empty() {
            return Err(CoreError::BadRequest("no statements given".into()));
        }
        self.refused()?;
        // SQLite stops reading SQL text at a NUL: what follows would be dropped silently.
        if let Some(index) = statements.iter().position(|s| s.sql.contains('\0')) {
            let error = CoreError::BadRequest("SQL text must not contain a NUL character".into());
            return Err(if statements.len() > 1 {
                error.in_statement(index)
            } else {
                error
            });
        }
        let permit = self.slot().await?;
        if let [statement] = statements.as_slice()
            && !exec::likely_writes(&statement.sql)
        {
            match self.read(statement.clone(), permit).await {
                Ok(result) => {
                    return Ok(Executed {
                        results: vec![result],
                        seq: None,
                    });
                }
                Err(RunError::Failed(e)) => return Err(e),
                Err(RunError::NeedsWriter) => {}
            }
            let permit = self.slot().await?;
            return self.write(statements, permit).await;
        }
        self.write(statements, permit).await
    }

    /// Runs one read on the calling thread, for callers that are not async workers (the
    /// language bindings' threads): no hand-off to a blocking thread, which is most of a point
    /// read's cost in-process. `Ok(None)` when the statement writes, no query slot is free at
    /// once, or the read overran the inline budget (it was interrupted): then take
    /// [`Database::execute`], whose wait the caller can interrupt (a host's Ctrl-C).
    pub fn read_on_this_thread(
        &self,
        statement: &Statement,
    ) -> Result<Option<StatementResult>, CoreError> {
        self.refused()?;
        if statement.sql.contains('\0') || exec::likely_writes(&statement.sql) {
            return Ok(None);
        }
        let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() else {
            return Ok(None);
        };
        let conn = self.readers.take()?;
        let result = self.run_within_budget(conn, statement);
        drop(permit);
        match result {
            None => Ok(None),
            Some(Ok(result)) => Ok(Some(result)),
            Some(Err(RunError::NeedsWriter)) => Ok(None),
            Some(Err(RunError::Failed(e))) => Err(e),
        }
    }

    /// Runs one read and hands its rows out in batches of `batch_rows` as they are read (a
    /// large result is never all in memory). The reader and a query slot are held until the
    /// rows are all taken or the [`RowStream`] is dropped. A statement that writes is refused.
    pub async fn stream(
        &self,
        statement: Statement,
        batch_rows: usize,
    ) -> Result<RowStream, CoreError> {
        self.refused()?;
        let permit = self.slot().await?;
        let readers = Arc::clone(&self.readers);
        let (columns_sender, columns) = tokio::sync::oneshot::channel();
        // Two batches ahead at most: a slow reader holds the producer back.
        let (batches_sender, batches) = tokio::sync::mpsc::channel(2);
        let id = self.spec.id.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = match readers.take() {
                Ok(conn) => conn,
                Err(e) => {
                    let _ = columns_sender.send(Err(e));
                    return;
                }
            };
            let mut columns_sender = Some(columns_sender);
            let outcome = exec::stream(&conn, &statement, batch_rows, |streamed| match streamed {
                exec::Streamed::Columns {
                    columns,
                    declared_types,
                } => columns_sender
                    .take()
                    .is_some_and(|s| s.send(Ok((columns, declared_types))).is_ok()),
                exec::Streamed::Rows(rows) => batches_sender.blocking_send(Ok(rows)).is_ok(),
            });
            readers.give_back(conn);
            let error = match outcome {
                Ok(()) => return,
                Err(RunError::NeedsWriter) => CoreError::BadRequest(format!(
                    "only reads can be streamed from {id}: run writes with execute"
                )),
                Err(RunError::Failed(e)) => e,
            };
            match columns_sender.take() {
                Some(sender) => {
                    let _ = sender.send(Err(error));
                }
                None => {
                    let _ = batches_sender.blocking_send(Err(error));
                }
            }
        });
        let (columns, declared_types) = columns
            .await
            .map_err(|_| CoreError::Closed(self.spec.id.clone()))??;
        Ok(RowStream {
            columns,
            declared_types,
            batches,
        })
    }

    /// What `sql` takes and returns, without running it.
    pub async fn describe(&self, sql: String) -> Result<ha_types::StatementDescription, CoreError> {
        self.refused()?;
        let permit = self.slot().await?;
        let readers = Arc::clone(&self.readers);
        blocking(move || {
            let _permit = permit;
            let conn = readers.take()?;
            let description = crate::describe::describe(&conn, &sql);
            readers.give_back(conn);
            description
        })
        .await
    }

    /// A consistent copy of the database as an unlinked temporary file, and its length.
    pub async fn backup(&self) -> Result<(File, u64), CoreError> {
        self.refused()?;
        let (file, len, _) = self.copy(CopyKind::Download).await?;
        Ok((file, len))
    }

    /// A snapshot of the database (SPEC §8): a consistent copy that records the log position
    /// `consumer` (this node's consumer of it) had applied, without identity or outbox.
    pub async fn snapshot(&self, consumer: &str) -> Result<SnapshotFile, CoreError> {
        self.refused()?;
        let started = std::time::Instant::now();
        info!(database = %self.spec.id, "copying the database for a snapshot");
        // The copy then holds this node's exact position (own change sets consumed back are
        // recorded lazily otherwise).
        // Bounded: an interactive transaction holding the writer delays it, and the file's own
        // (older) position is correct too, only less far along.
        let recorded = self.writer.record_positions()?;
        let _ = tokio::time::timeout(Duration::from_secs(1), recorded).await;
        let identify = self
            .options
            .replication
            .as_ref()
            .map(|r| r.row_identify)
            .unwrap_or_default();
        let (file, len, seq) = self.copy(CopyKind::Snapshot { consumer, identify }).await?;
        info!(database = %self.spec.id, bytes = len, seq, elapsed_ms = started.elapsed().as_millis() as u64, "snapshot copy made");
        Ok(SnapshotFile {
            file,
            len,
            seq: seq.unwrap_or(0),
        })
    }

    async fn copy(&self, kind: CopyKind<'_>) -> Result<(File, u64, Option<u64>), CoreError> {
        let permit = self.slot().await?;
        let readers = Arc::clone(&self.readers);
        let consumer = match kind {
            CopyKind::Download => None,
            CopyKind::Snapshot { consumer, identify } => Some((consumer.to_string(), identify)),
        };
        blocking(move || {
            let _permit = permit;
            let conn = readers.take()?;
            let kind = match &consumer {
                None => CopyKind::Download,
                Some((consumer, identify)) => CopyKind::Snapshot {
                    consumer,
                    identify: *identify,
                },
            };
            let copy = backup::backup_to_temp_file(&conn, kind);
            readers.give_back(conn);
            copy
        })
        .await
    }

    /// How many transactions were committed here since the database was opened (writes and
    /// applied log entries): unchanged means there is nothing new to snapshot.
    pub fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The file that holds the database's pages while it is open (a memory database's too);
    /// after [`Database::close`] it can be read, e.g. for its outbox.
    pub fn pages_file(&self) -> PathBuf {
        self.pages_file.clone()
    }

    /// Stops serving the database: every request gets `reason` (SPEC §8: a database that cannot
    /// catch up and has no usable snapshot is refused rather than served stale).
    pub fn refuse(&self, reason: Option<String>) {
        *self
            .refusal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = reason;
        self.regate();
    }

    /// Sets [`Database::gated`] from what it stands for, under both locks (in this order), so
    /// that of two at once the later one stores what both changed.
    fn regate(&self) {
        let refusal = self
            .refusal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let catch_up_to = self
            .catch_up_to
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.gated.store(
            refusal.is_some() || catch_up_to.is_some(),
            std::sync::atomic::Ordering::Release,
        );
    }

    fn writable(&self) -> Result<(), CoreError> {
        if let Some(gate) = self
            .options
            .replication
            .as_ref()
            .and_then(|r| r.write_gate.as_ref())
        {
            gate.term()?;
        }
        if self.options.read_only {
            return Err(CoreError::ReadOnly(format!(
                "database {} is read-only here (a read-only replica): write through a node or a \
                 read/write replica",
                self.spec.id
            )));
        }
        Ok(())
    }

    /// Why the database serves no request now (refused, or catching up after a restore).
    pub fn unavailable_reason(&self) -> Option<String> {
        self.refused().err().map(|e| e.to_string())
    }

    /// A database restored from a snapshot is older than what clients may have written
    /// through this node before: it serves nothing until its consumer has applied the log up to
    /// `seq` (the last entry of its database when it was restored), so no client reads its own
    /// write gone, or writes over a state older than its own.
    pub fn catch_up_before_serving(&self, seq: u64) {
        if *self.applied.borrow() < seq {
            *self
                .catch_up_to
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(seq);
            self.regate();
        }
    }

    fn refused(&self) -> Result<(), CoreError> {
        if !self.gated.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(());
        }
        if let Some(reason) = self
            .refusal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            return Err(CoreError::Unavailable(format!(
                "database {} is not served: {reason}",
                self.spec.id
            )));
        }
        let mut catch_up_to = self
            .catch_up_to
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(target) = *catch_up_to {
            let applied = *self.applied.borrow();
            if applied < target {
                return Err(CoreError::Unavailable(format!(
                    "database {} was restored from a snapshot and is catching up with the log \
                     (applied {applied} of {target}); retry shortly",
                    self.spec.id
                )));
            }
            *catch_up_to = None;
            drop(catch_up_to);
            self.regate();
        }
        Ok(())
    }

    /// Resolves once the database is closed.
    pub async fn wait_closed(&self) {
        let mut closed = self.closed.subscribe();
        let _ = closed.wait_for(|closed| *closed).await;
    }

    /// Finishes queued writes and closes every connection. Blocking.
    pub fn close(&self) {
        self.closed.send_replace(true);
        // Readers first: the writer, closing last, checkpoints the WAL into the database file,
        // so the file alone holds every committed row.
        self.readers.close();
        self.writer.stop();
    }

    /// The files that hold the database on disk (none for a memory database).
    pub fn files(&self) -> Vec<PathBuf> {
        match &self.spec.storage {
            Storage::File { path, .. } => ["", "-wal", "-shm", "-journal"]
                .iter()
                .map(|suffix| {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    PathBuf::from(name)
                })
                .collect(),
            Storage::Memory { .. } => Vec::new(),
        }
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, CoreError> {
        if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            return Ok(permit);
        }
        let acquire = Arc::clone(&self.slots).acquire_owned();
        match tokio::time::timeout(self.options.queue_wait, acquire).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(CoreError::Closed(self.spec.id.clone())),
            Err(_) => Err(CoreError::Busy {
                database: self.spec.id.clone(),
            }),
        }
    }

    async fn read(
        &self,
        statement: Statement,
        permit: OwnedSemaphorePermit,
    ) -> Result<StatementResult, RunError> {
        if let Some(result) = self.read_inline(&statement) {
            return result;
        }
        let readers = Arc::clone(&self.readers);
        let canceller = Canceller::default();
        let guard = CancelOnDrop::new(canceller.clone());
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = readers.take()?;
            canceller.arm(conn.conn.get_interrupt_handle());
            let result = exec::run(&conn, &statement, Access::ReadOnly);
            canceller.disarm();
            readers.give_back(conn);
            result
        });
        let result = task.await.map_err(|e| RunError::Failed(join_error(e)))?;
        guard.finish();
        result
    }

    /// Runs a read on the calling async worker under [`DatabaseOptions::inline_read_budget`]
    /// (ARCHITECTURE rule 3's one exception, bounded by that budget): most reads finish long
    /// before it, and skip the two thread hand-offs that cost more than the read itself.
    /// `None` when it cannot run here (no idle reader, budget off) or overran its budget and was
    /// interrupted: a read has no side effects, so the caller runs it again on the blocking pool.
    fn read_inline(&self, statement: &Statement) -> Option<Result<StatementResult, RunError>> {
        let budget = self.options.inline_read_budget;
        if budget.is_zero() {
            return None;
        }
        let conn = self.readers.take_idle()?;
        self.run_within_budget(conn, statement)
    }

    /// Runs a read on `conn` (then gives it back) under the inline budget (none when it is
    /// zero); `None` when it overran and was interrupted: run it again where time is no object.
    fn run_within_budget(
        &self,
        conn: Conn,
        statement: &Statement,
    ) -> Option<Result<StatementResult, RunError>> {
        let budget = self.options.inline_read_budget;
        if !budget.is_zero() {
            conn.budget.start(budget);
        }
        let result = exec::run(&conn, statement, Access::ReadOnly);
        let overran = conn.budget.stop();
        self.readers.give_back(conn);
        if overran {
            debug!(database = %self.spec.id, "a read overran its inline budget: run again off this thread");
            return None;
        }
        Some(result)
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        self.writer.stop();
    }
}

/// Runs SQLite work (or other blocking work) off the async workers (ARCHITECTURE rule 3).
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(join_error)?
}

fn join_error(e: tokio::task::JoinError) -> CoreError {
    CoreError::Io {
        context: "a database task failed".into(),
        source: std::io::Error::other(e.to_string()),
    }
}
