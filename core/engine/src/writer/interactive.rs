//! A client's interactive transaction (`BEGIN` ... `COMMIT` over a wire protocol) on the writer
//! thread: from its first write until it ends, the writer runs only this transaction's
//! commands, so its reads see its own writes and nobody else's half-done work. Other jobs wait
//! in the queue, as they would wait for SQLite's write lock.
//!
//! Capture works as for a group of jobs: the change set of the whole transaction is written to
//! the outbox just before COMMIT and published after it. A failed statement's captured rows are
//! dropped (SQLite undid the statement), and so are those undone by `ROLLBACK TO`.

use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use ha_types::{ErrorCode, Statement, StatementResult};
use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::replicated::ReplicationState;
use super::{JobOutput, JobResult, Message};
use crate::CoreError;
use crate::exec::{self, Access, RunError};
use crate::open::Conn;
use crate::readers::Canceller;

/// How often the writer looks at its main queue while a transaction is open (for `Stop`).
const TICK: Duration = Duration::from_millis(100);

pub(crate) enum TransactionCommand {
    Run {
        statement: Statement,
        /// Armed while the statement runs: a client that goes away interrupts it, so a
        /// forgotten endless query cannot hold the writer (and the node's stop) for ever.
        canceller: Canceller,
        reply: oneshot::Sender<Result<StatementResult, CoreError>>,
    },
    Savepoint {
        name: String,
        reply: oneshot::Sender<Result<(), CoreError>>,
    },
    Release {
        name: String,
        reply: oneshot::Sender<Result<(), CoreError>>,
    },
    RollbackTo {
        name: String,
        reply: oneshot::Sender<Result<(), CoreError>>,
    },
    /// Describes a statement on the transaction's connection (it sees the transaction's own
    /// schema changes, and needs no other lock).
    Describe {
        sql: String,
        reply: oneshot::Sender<Result<ha_types::StatementDescription, CoreError>>,
    },
    Commit {
        reply: oneshot::Sender<JobResult>,
    },
    Rollback {
        reply: oneshot::Sender<()>,
    },
}

pub(crate) struct InteractiveJob {
    pub commands: mpsc::Receiver<TransactionCommand>,
    /// Answered once the transaction holds the writer (or could not begin).
    pub started: oneshot::Sender<Result<(), CoreError>>,
    /// A transaction that waits longer than this for its client's next command is rolled back.
    pub idle_timeout: Duration,
}

/// Runs one interactive transaction to its end. Messages for the writer that arrive meanwhile
/// go to `backlog`; a `Stop` among them rolls the transaction back.
pub(super) fn run(
    conn: &Conn,
    mut replication: Option<&mut ReplicationState>,
    job: InteractiveJob,
    receiver: &mpsc::Receiver<Message>,
    backlog: &mut VecDeque<Message>,
) {
    if let Err(e) = conn.control("BEGIN IMMEDIATE") {
        let _ = job.started.send(Err(CoreError::from(e)));
        return;
    }
    if let Some(state) = replication.as_deref_mut() {
        state.begin_group(conn);
        match state.leader_term() {
            Ok(term) => state.set_term(term),
            Err(leader) => {
                rollback(conn, replication);
                let _ = job.started.send(Err(CoreError::NotLeader { leader }));
                return;
            }
        }
    }
    if job.started.send(Ok(())).is_err() {
        // The client went away while it waited for the writer.
        rollback(conn, replication);
        return;
    }
    let mut savepoints: Vec<(String, usize)> = Vec::new();
    let mut last_command = Instant::now();
    loop {
        let command = match job.commands.recv_timeout(TICK) {
            Ok(command) => command,
            Err(RecvTimeoutError::Timeout) => {
                if stop_requested(receiver, backlog) {
                    debug!("the database is closing: an open transaction is rolled back");
                    rollback(conn, replication);
                    return;
                }
                if last_command.elapsed() >= job.idle_timeout {
                    warn!(
                        idle_ms = job.idle_timeout.as_millis(),
                        "a transaction stayed idle too long and is rolled back"
                    );
                    rollback(conn, replication);
                    return;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                // The client's session ended without COMMIT.
                rollback(conn, replication);
                return;
            }
        };
        last_command = Instant::now();
        match command {
            TransactionCommand::Run {
                statement,
                canceller,
                reply,
            } => {
                let mark = replication.as_deref().map_or(0, ReplicationState::mark);
                canceller.arm(conn.conn.get_interrupt_handle());
                let ran = exec::run(conn, &statement, Access::ReadWrite);
                // Disarmed before the answer: an interrupt never reaches a later statement.
                canceller.disarm();
                match ran {
                    Ok(result) => {
                        let _ = reply.send(Ok(result));
                    }
                    Err(failure) => {
                        if let Some(state) = replication.as_deref() {
                            state.forget_since(mark);
                        }
                        let error = match failure {
                            RunError::Failed(e) => e,
                            RunError::NeedsWriter => {
                                CoreError::Conflict("unexpected read-only routing".into())
                            }
                        };
                        if conn.conn.is_autocommit() {
                            // SQLite ended the transaction itself (e.g. INSERT OR ROLLBACK).
                            if let Some(state) = replication.as_deref_mut() {
                                state.transaction_lost();
                            }
                            let _ = reply.send(Err(CoreError::Sql {
                                code: ErrorCode::TransactionState,
                                message: format!("{error}; the transaction was rolled back"),
                            }));
                            return;
                        }
                        let _ = reply.send(Err(error));
                    }
                }
            }
            TransactionCommand::Savepoint { name, reply } => {
                let result = conn
                    .conn
                    .execute_batch(&format!("SAVEPOINT {}", quote(&name)))
                    .map_err(CoreError::from)
                    .map(|()| {
                        let mark = replication.as_deref().map_or(0, ReplicationState::mark);
                        savepoints.push((name, mark));
                    });
                let _ = reply.send(result);
            }
            TransactionCommand::RollbackTo { name, reply } => {
                let result = find(&savepoints, &name).and_then(|index| {
                    conn.conn
                        .execute_batch(&format!("ROLLBACK TO {}", quote(&name)))
                        .map_err(CoreError::from)?;
                    if let Some(state) = replication.as_deref() {
                        state.forget_since(savepoints[index].1);
                    }
                    // The savepoint itself stays, as in SQL.
                    savepoints.truncate(index + 1);
                    Ok(())
                });
                let _ = reply.send(result);
            }
            TransactionCommand::Release { name, reply } => {
                let result = find(&savepoints, &name).and_then(|index| {
                    conn.conn
                        .execute_batch(&format!("RELEASE {}", quote(&name)))
                        .map_err(CoreError::from)?;
                    savepoints.truncate(index);
                    Ok(())
                });
                let _ = reply.send(result);
            }
            TransactionCommand::Describe { sql, reply } => {
                let _ = reply.send(crate::describe::describe(conn, &sql));
            }
            TransactionCommand::Commit { reply } => {
                let _ = reply.send(commit(conn, replication));
                return;
            }
            TransactionCommand::Rollback { reply } => {
                rollback(conn, replication);
                let _ = reply.send(());
                return;
            }
        }
    }
}

fn commit(conn: &Conn, mut replication: Option<&mut ReplicationState>) -> JobResult {
    // Fencing: nothing commits under a lease that ran out while the transaction was open.
    if let Some(state) = replication.as_deref()
        && let Err(leader) = super::group::still_leading(state)
    {
        rollback(conn, replication);
        return Err(CoreError::NotLeader { leader });
    }
    let prepared = match replication.as_deref_mut() {
        Some(state) => match state.prepare(conn, 0) {
            Ok(prepared) => prepared,
            Err(e) => {
                rollback(conn, replication);
                return Err(e);
            }
        },
        None => None,
    };
    if let Err(e) = conn.control("COMMIT") {
        let error = CoreError::Sql {
            code: ErrorCode::Internal,
            message: format!("commit failed: {e}"),
        };
        rollback(conn, replication);
        return Err(error);
    }
    let published = match (replication, prepared) {
        (Some(state), Some(prepared)) => {
            let published = state.committed(prepared);
            state.publish_committed();
            Some(published)
        }
        _ => None,
    };
    Ok(JobOutput {
        results: Vec::new(),
        published,
        logged: false,
        committed_at: Instant::now(),
    })
}

fn rollback(conn: &Conn, replication: Option<&mut ReplicationState>) {
    if !conn.conn.is_autocommit()
        && let Err(e) = conn.conn.execute_batch("ROLLBACK")
    {
        warn!(error = %e, "ROLLBACK failed");
    }
    if let Some(state) = replication {
        state.transaction_lost();
    }
}

/// The newest savepoint named `name` (names compare case-insensitively, as SQLite does).
fn find(savepoints: &[(String, usize)], name: &str) -> Result<usize, CoreError> {
    savepoints
        .iter()
        .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| CoreError::Sql {
            code: ErrorCode::TransactionState,
            message: format!("savepoint \"{name}\" does not exist"),
        })
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Moves what waits in the writer's queue to `backlog`; true when a `Stop` is among it.
fn stop_requested(receiver: &mpsc::Receiver<Message>, backlog: &mut VecDeque<Message>) -> bool {
    while let Ok(message) = receiver.try_recv() {
        backlog.push_back(message);
    }
    backlog.iter().any(|m| matches!(m, Message::Stop))
}
