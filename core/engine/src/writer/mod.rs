//! The writer thread of one database: the only place that writes, and the owner of transaction
//! boundaries.
//!
//! Jobs that arrive while a transaction is being written are committed together (group commit,
//! `group.rs`): each job runs inside its own SAVEPOINT, so a failing job rolls back alone and the
//! others still commit, and every job's answer is sent only after the shared COMMIT. With
//! replication (`replicated.rs`), a job's captured change set is written to the outbox inside its
//! savepoint, and other nodes' change sets are applied here too, so local writes and applied
//! changes are serialized by this one thread.

mod group;
mod interactive;
mod replicated;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ha_types::{Statement, StatementResult};
use tokio::sync::{OwnedSemaphorePermit, oneshot};
use tracing::{debug, error};

pub(crate) use interactive::TransactionCommand;
pub(crate) use replicated::{ReplicationState, SharedOrigin};

use crate::CoreError;
use crate::open::Conn;
use crate::replication::{Done, LogEntry, OwnEntry, Published};

/// Most jobs committed in one transaction: bounds the latency a job can add to the others.
const MAX_GROUP: usize = 256;

/// How often an idle writer does its housekeeping (clearing published outbox rows).
const IDLE_TICK: Duration = Duration::from_millis(200);

/// What a committed job produced.
pub(crate) struct JobOutput {
    pub results: Vec<StatementResult>,
    /// Resolves when the job's change set is stored in the log (replication only, and only
    /// when the job changed something).
    pub published: Option<Published>,
    /// The job's change set went to the log with the job's own `stored` sender.
    pub logged: bool,
    /// When its group committed: a wait for the log is measured from here.
    pub committed_at: Instant,
}

pub(crate) type JobResult = Result<JobOutput, CoreError>;

/// Answers when an interactive transaction holds the writer (or could not begin).
pub(crate) type Started = oneshot::Receiver<Result<(), CoreError>>;

pub(crate) struct WriteJob {
    pub statements: Vec<Statement>,
    pub reply: oneshot::Sender<JobResult>,
    /// Given by a caller that waits for the log before anything else: the job's change set
    /// resolves it when stored, and dropping it unused says the job logged nothing.
    pub stored: Option<Done>,
    /// The caller's query slot, held until the job is dropped once its group committed (or
    /// failed): a write waiting for the broker holds none.
    pub _slot: Option<OwnedSemaphorePermit>,
}

/// A batch of log entries for one consumer, applied in one transaction.
pub(crate) struct ApplyJob {
    pub consumer: String,
    /// Shared with the consumer, which keeps them to try again should this attempt fail.
    pub entries: Arc<[LogEntry]>,
    /// An entry the operator chose to skip (its sequence and the error it failed with): it goes
    /// to `_ha_dead_letters` instead of being applied.
    pub skip: Option<(u64, String)>,
    /// The highest sequence applied (or already applied before).
    pub reply: oneshot::Sender<Result<u64, CoreError>>,
}

/// Log entries known to be this database's own change sets coming back (by their message
/// ids): consumed without reading them when they are all in turn, else `None`.
pub(crate) struct ConsumeOwnJob {
    pub consumer: String,
    pub entries: Vec<OwnEntry>,
    pub reply: oneshot::Sender<Result<Option<u64>, CoreError>>,
}

pub(crate) enum Message {
    Job(WriteJob),
    Apply(ApplyJob),
    Interactive(interactive::InteractiveJob),
    /// Writes the positions kept in memory (before a snapshot copies the file).
    RecordPositions(oneshot::Sender<()>),
    /// Someone waits for what was left for the writer to take when it passes by
    /// ([`Writer::consume_own`]): taken now.
    Wake,
    /// The log moved on with nothing for this database up to `seq`: its position follows.
    AdvancePosition {
        consumer: String,
        seq: u64,
        done: oneshot::Sender<u64>,
    },
    Stop,
}

impl Message {
    /// Whether handling it runs a client's statements on the writer's connection, which needs
    /// its triggers and foreign-key actions (the others run ha's own statements, or apply).
    fn runs_client_statements(&self) -> bool {
        match self {
            Message::Job(_) | Message::Interactive(_) => true,
            Message::Apply(_)
            | Message::RecordPositions(_)
            | Message::AdvancePosition { .. }
            | Message::Wake
            | Message::Stop => false,
        }
    }
}

pub(crate) struct Writer {
    database: String,
    sender: mpsc::Sender<Message>,
    passing: Arc<PassingBy>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub(crate) fn spawn(
        database: &str,
        conn: Conn,
        replication: Option<ReplicationState>,
    ) -> Result<Writer, CoreError> {
        let (sender, receiver) = mpsc::channel();
        let passing = Arc::new(PassingBy::default());
        let name: String = format!("ha-w-{database}").chars().take(15).collect();
        let taken = Arc::clone(&passing);
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || run_loop(&conn, replication, &receiver, &taken))
            .map_err(|source| CoreError::Io {
                context: "starting the writer thread".into(),
                source,
            })?;
        Ok(Writer {
            database: database.to_string(),
            sender,
            passing,
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    /// Queues a job; the answer arrives on the returned channel after the commit.
    pub(crate) fn submit(
        &self,
        statements: Vec<Statement>,
    ) -> Result<oneshot::Receiver<JobResult>, CoreError> {
        self.queue_job(statements, None, None)
    }

    /// Queues a job whose caller waits for the log first: the second receiver resolves once
    /// the job's change set is stored (or closes when it logged nothing, or failed), and the
    /// answer is waiting by then. `slot` is given back at the commit.
    pub(crate) fn submit_logged(
        &self,
        statements: Vec<Statement>,
        slot: OwnedSemaphorePermit,
    ) -> Result<(oneshot::Receiver<JobResult>, Published), CoreError> {
        let (stored, published) = oneshot::channel();
        let answer = self.queue_job(statements, Some(stored), Some(slot))?;
        Ok((answer, published))
    }

    fn queue_job(
        &self,
        statements: Vec<Statement>,
        stored: Option<Done>,
        slot: Option<OwnedSemaphorePermit>,
    ) -> Result<oneshot::Receiver<JobResult>, CoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Message::Job(WriteJob {
            statements,
            reply,
            stored,
            _slot: slot,
        }))?;
        Ok(answer)
    }

    /// Queues an interactive transaction: once the writer takes it, it runs only the commands
    /// sent on the returned channel until COMMIT, ROLLBACK, the channel's end, or
    /// `idle_timeout` without a command. The receiver answers when the writer took it.
    pub(crate) fn begin(
        &self,
        idle_timeout: Duration,
    ) -> Result<(mpsc::Sender<TransactionCommand>, Started), CoreError> {
        let (commands, receiver) = mpsc::channel();
        let (started, answer) = oneshot::channel();
        self.send(Message::Interactive(interactive::InteractiveJob {
            commands: receiver,
            started,
            idle_timeout,
        }))?;
        Ok((commands, answer))
    }

    /// Queues log entries to apply.
    pub(crate) fn apply(
        &self,
        consumer: String,
        entries: Arc<[LogEntry]>,
        skip: Option<(u64, String)>,
    ) -> Result<oneshot::Receiver<Result<u64, CoreError>>, CoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Message::Apply(ApplyJob {
            consumer,
            entries,
            skip,
            reply,
        }))?;
        Ok(answer)
    }

    /// Leaves own entries to consume without reading them ([`ConsumeOwnJob`]) for the writer
    /// to take when it next passes by, without waking it: on a busy node a writer woken for
    /// this microsecond of bookkeeping slept again at once, and was woken again by the next
    /// write (two thread switches per log message). Whoever needs the answer before the writer
    /// passes by wakes it ([`Writer::wake`]).
    pub(crate) fn consume_own(
        &self,
        consumer: String,
        entries: Vec<OwnEntry>,
    ) -> Result<oneshot::Receiver<Result<Option<u64>, CoreError>>, CoreError> {
        let (reply, answer) = oneshot::channel();
        let job = ConsumeOwnJob {
            consumer,
            entries,
            reply,
        };
        if !self.passing.leave(job) {
            return Err(CoreError::Closed(self.database.clone()));
        }
        Ok(answer)
    }

    /// Makes the writer take what was left for it ([`Writer::consume_own`]) now.
    pub(crate) fn wake(&self) -> Result<(), CoreError> {
        if !self.passing.waiting.load(Ordering::Acquire) {
            return Ok(());
        }
        self.send(Message::Wake)
    }

    /// Writes the log positions the writer keeps in memory (own change sets consumed back), so
    /// that a copy made next holds the exact position.
    pub(crate) fn record_positions(&self) -> Result<oneshot::Receiver<()>, CoreError> {
        let (done, answer) = oneshot::channel();
        self.send(Message::RecordPositions(done))?;
        Ok(answer)
    }

    /// Moves `consumer`'s position to `seq` (when further), written at once.
    pub(crate) fn advance_position(
        &self,
        consumer: String,
        seq: u64,
    ) -> Result<oneshot::Receiver<u64>, CoreError> {
        let (done, answer) = oneshot::channel();
        self.send(Message::AdvancePosition {
            consumer,
            seq,
            done,
        })?;
        Ok(answer)
    }

    fn send(&self, message: Message) -> Result<(), CoreError> {
        self.sender
            .send(message)
            .map_err(|_| CoreError::Closed(self.database.clone()))
    }

    /// Finishes the queued work, then stops the thread and closes the connection. Blocking.
    pub(crate) fn stop(&self) {
        let _ = self.sender.send(Message::Stop);
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            error!(database = %self.database, "writer thread panicked");
        }
    }
}

/// Work left for the writer to take between its jobs without waking it.
#[derive(Default)]
struct PassingBy {
    left: std::sync::Mutex<Left>,
    /// Something is left: read without the lock on every turn of the writer's loop.
    waiting: AtomicBool,
}

#[derive(Default)]
struct Left {
    own: Vec<ConsumeOwnJob>,
    /// The writer stopped: nothing left now would be taken.
    closed: bool,
}

impl PassingBy {
    fn lock(&self) -> std::sync::MutexGuard<'_, Left> {
        self.left.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// False when the writer has stopped.
    fn leave(&self, job: ConsumeOwnJob) -> bool {
        let mut left = self.lock();
        if left.closed {
            return false;
        }
        left.own.push(job);
        self.waiting.store(true, Ordering::Release);
        true
    }

    fn take(&self, closing: bool) -> Vec<ConsumeOwnJob> {
        if !closing && !self.waiting.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut left = self.lock();
        left.closed |= closing;
        self.waiting.store(false, Ordering::Release);
        std::mem::take(&mut left.own)
    }
}

/// Takes what was left for the writer (`closing`: for the last time).
fn take_passing(
    conn: &Conn,
    replication: &mut Option<ReplicationState>,
    passing: &PassingBy,
    closing: bool,
) {
    for job in passing.take(closing) {
        let consumed = match replication.as_mut() {
            Some(state) => state.consume_own(conn, &job.consumer, &job.entries),
            None => Ok(None),
        };
        let _ = job.reply.send(consumed);
    }
}

fn run_loop(
    conn: &Conn,
    mut replication: Option<ReplicationState>,
    receiver: &mpsc::Receiver<Message>,
    passing: &PassingBy,
) {
    let mut backlog: VecDeque<Message> = VecDeque::new();
    loop {
        take_passing(conn, &mut replication, passing, false);
        let message = match backlog.pop_front() {
            Some(message) => message,
            None => match receiver.recv_timeout(IDLE_TICK) {
                Ok(message) => {
                    take_passing(conn, &mut replication, passing, false);
                    message
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(state) = replication.as_mut() {
                        state.clear_consumed_outbox(conn, true);
                        state.settle_refusals(conn);
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            },
        };
        if let Some(state) = replication.as_mut() {
            state.settle_refusals(conn);
            if message.runs_client_statements() {
                state.leave_apply_mode(conn);
            }
        }
        match message {
            Message::Job(first) => {
                let mut group = VecDeque::from([first]);
                while group.len() < MAX_GROUP {
                    match receiver.try_recv() {
                        Ok(Message::Job(job)) => group.push_back(job),
                        Ok(other) => {
                            backlog.push_back(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                group::commit_group(conn, replication.as_mut(), group);
            }
            Message::Interactive(job) => {
                interactive::run(conn, replication.as_mut(), job, receiver, &mut backlog);
            }
            Message::Apply(job) => match replication.as_mut() {
                Some(state) => state.apply(conn, job),
                None => {
                    let _ = job.reply.send(Err(CoreError::BadRequest(
                        "replication is not enabled for this database".into(),
                    )));
                }
            },
            Message::Wake => {}
            Message::RecordPositions(done) => {
                if let Some(state) = replication.as_mut() {
                    state.persist_positions(conn);
                }
                let _ = done.send(());
            }
            Message::AdvancePosition {
                consumer,
                seq,
                done,
            } => {
                let at = replication
                    .as_mut()
                    .map_or(0, |state| state.advance_position(conn, &consumer, seq));
                let _ = done.send(at);
            }
            Message::Stop => break,
        }
    }
    take_passing(conn, &mut replication, passing, true);
    if let Some(state) = replication.as_mut() {
        state.clear_consumed_outbox(conn, true);
        state.uninstall(conn);
    }
    // A no-op outside WAL mode.
    if let Err(e) = conn
        .conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
    {
        debug!(error = %e, "final checkpoint failed");
    }
    debug!("writer stopped");
}
