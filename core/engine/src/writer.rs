//! The writer thread of one database: the only place that writes, and the owner of transaction
//! boundaries.
//!
//! Jobs that arrive while a transaction is being written are committed together (group commit):
//! each job runs inside its own SAVEPOINT, so a failing job rolls back alone and the others still
//! commit, and every job's answer is sent only after the shared COMMIT succeeded. This is also
//! where a job's change set will be captured and written to the outbox, inside the same
//! transaction (replication).

use std::collections::VecDeque;
use std::sync::mpsc;
use std::thread::JoinHandle;

use ha_types::{Statement, StatementResult};
use tokio::sync::oneshot;
use tracing::{debug, error};

use crate::CoreError;
use crate::exec::{self, Access, RunError};
use crate::open::Conn;

/// Most jobs committed in one transaction: bounds the latency a job can add to the others.
const MAX_GROUP: usize = 256;

pub(crate) type JobResult = Result<Vec<StatementResult>, CoreError>;

pub(crate) struct WriteJob {
    pub statements: Vec<Statement>,
    pub reply: oneshot::Sender<JobResult>,
}

enum Message {
    Job(WriteJob),
    Stop,
}

pub(crate) struct Writer {
    database: String,
    sender: mpsc::Sender<Message>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub(crate) fn spawn(database: &str, conn: Conn) -> Result<Writer, CoreError> {
        let (sender, receiver) = mpsc::channel();
        let name = format!("ha-writer-{database}");
        let thread = std::thread::Builder::new()
            .name(name.chars().take(15).collect())
            .spawn(move || run_loop(&conn, &receiver))
            .map_err(|source| CoreError::Io {
                context: "starting the writer thread".into(),
                source,
            })?;
        Ok(Writer {
            database: database.to_string(),
            sender,
            thread: std::sync::Mutex::new(Some(thread)),
        })
    }

    /// Queues a job; the answer arrives on the returned channel after the commit.
    pub(crate) fn submit(
        &self,
        statements: Vec<Statement>,
    ) -> Result<oneshot::Receiver<JobResult>, CoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Message::Job(WriteJob { statements, reply }))
            .map_err(|_| CoreError::Closed(self.database.clone()))?;
        Ok(answer)
    }

    /// Finishes the queued jobs, then stops the thread and closes the connection. Blocking.
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

fn run_loop(conn: &Conn, receiver: &mpsc::Receiver<Message>) {
    while let Ok(Message::Job(first)) = receiver.recv() {
        let mut group = VecDeque::from([first]);
        let mut stop = false;
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(Message::Job(job)) => group.push_back(job),
                Ok(Message::Stop) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        commit_group(conn, group);
        if stop {
            break;
        }
    }
    debug!("writer stopped");
}

fn commit_group(conn: &Conn, mut pending: VecDeque<WriteJob>) {
    while !pending.is_empty() {
        if let Err(e) = conn.conn.execute_batch("BEGIN IMMEDIATE") {
            error!(error = %e, "BEGIN failed");
            let message = format!("starting a transaction failed: {e}");
            let code = CoreError::from(e).code();
            for job in pending.drain(..) {
                let _ = job.reply.send(Err(CoreError::Sql {
                    code,
                    message: message.clone(),
                }));
            }
            return;
        }
        let mut succeeded = Vec::new();
        let mut transaction_lost = false;
        while let Some(job) = pending.pop_front() {
            match run_in_savepoint(conn, &job.statements) {
                Ok(results) => succeeded.push((job, results)),
                Err(e) if conn.conn.is_autocommit() => {
                    // SQLite rolled back the whole transaction (e.g. INSERT OR ROLLBACK): the
                    // jobs that had succeeded lost their work, so they run again.
                    let _ = job.reply.send(Err(e));
                    transaction_lost = true;
                    break;
                }
                Err(e) => {
                    let _ = job.reply.send(Err(e));
                }
            }
        }
        if transaction_lost {
            for (job, _) in succeeded.into_iter().rev() {
                pending.push_front(job);
            }
            continue;
        }
        match conn.conn.execute_batch("COMMIT") {
            Ok(()) => {
                for (job, results) in succeeded {
                    let _ = job.reply.send(Ok(results));
                }
            }
            Err(source) => {
                error!(error = %source, "COMMIT failed; the group is rolled back");
                let _ = conn.conn.execute_batch("ROLLBACK");
                let message = source.to_string();
                for (job, _) in succeeded {
                    let _ = job.reply.send(Err(CoreError::Sql {
                        code: ha_types::ErrorCode::Internal,
                        message: format!("commit failed: {message}"),
                    }));
                }
            }
        }
    }
}

fn run_in_savepoint(conn: &Conn, statements: &[Statement]) -> JobResult {
    conn.conn
        .execute_batch("SAVEPOINT ha_job")
        .map_err(CoreError::storage("SAVEPOINT"))?;
    let mut results = Vec::with_capacity(statements.len());
    for (index, statement) in statements.iter().enumerate() {
        match exec::run(conn, statement, Access::ReadWrite) {
            Ok(result) => results.push(result),
            Err(failure) => {
                let error = match failure {
                    RunError::Failed(e) => e,
                    RunError::NeedsWriter => {
                        CoreError::Conflict("unexpected read-only routing".into())
                    }
                };
                if !conn.conn.is_autocommit() {
                    let _ = conn
                        .conn
                        .execute_batch("ROLLBACK TO ha_job; RELEASE ha_job");
                }
                return Err(if statements.len() > 1 {
                    error.in_statement(index)
                } else {
                    error
                });
            }
        }
    }
    conn.conn
        .execute_batch("RELEASE ha_job")
        .map_err(CoreError::storage("RELEASE"))?;
    Ok(results)
}
