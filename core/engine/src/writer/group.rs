//! Group commit: every queued job in one transaction, each in its own savepoint.

use std::collections::VecDeque;
use std::time::Instant;

use ha_types::{ErrorCode, Statement};
use tracing::error;

use super::replicated::{Prepared, ReplicationState};
use super::{JobOutput, WriteJob};
use crate::CoreError;
use crate::exec::{self, Access, RunError};
use crate::open::Conn;

pub(super) fn commit_group(
    conn: &Conn,
    mut replication: Option<&mut ReplicationState>,
    mut pending: VecDeque<WriteJob>,
) {
    while !pending.is_empty() {
        if let Err(e) = conn.control("BEGIN IMMEDIATE") {
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
        if let Some(state) = replication.as_deref_mut() {
            state.begin_group(conn);
            // Leader mode: jobs queued while this node led are refused, not run, once it no
            // longer does.
            match state.leader_term() {
                Ok(term) => state.set_term(term),
                Err(leader) => {
                    let _ = conn.conn.execute_batch("ROLLBACK");
                    for job in pending.drain(..) {
                        let _ = job.reply.send(Err(CoreError::NotLeader {
                            leader: leader.clone(),
                        }));
                    }
                    return;
                }
            }
        }
        let mut succeeded = Vec::new();
        let mut transaction_lost = false;
        while let Some(job) = pending.pop_front() {
            match run_in_savepoint(conn, replication.as_deref_mut(), &job.statements) {
                Ok(done) => succeeded.push((job, done)),
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
            if let Some(state) = replication.as_deref_mut() {
                state.transaction_lost();
            }
            for (job, _) in succeeded.into_iter().rev() {
                pending.push_front(job);
            }
            continue;
        }
        // Fencing: nothing commits under a lease that ran out while the group ran.
        if let Some(state) = replication.as_deref_mut()
            && let Err(leader) = still_leading(state)
        {
            let _ = conn.conn.execute_batch("ROLLBACK");
            state.transaction_lost();
            for (job, _) in succeeded {
                let _ = job.reply.send(Err(CoreError::NotLeader {
                    leader: leader.clone(),
                }));
            }
            continue;
        }
        match conn.control("COMMIT") {
            Ok(()) => {
                let committed_at = Instant::now();
                for (mut job, (results, prepared)) in succeeded {
                    let (published, logged) = match (replication.as_deref_mut(), prepared) {
                        (Some(state), Some(prepared)) => match job.stored.take() {
                            Some(stored) => {
                                state.committed_to(prepared, stored);
                                (None, true)
                            }
                            None => (Some(state.committed(prepared)), false),
                        },
                        _ => (None, false),
                    };
                    // A caller waiting for the log has not polled this: sending it wakes no
                    // one, and the log's answer will find it here.
                    let _ = job.reply.send(Ok(JobOutput {
                        results,
                        published,
                        logged,
                        committed_at,
                    }));
                }
                if let Some(state) = replication.as_deref_mut() {
                    state.publish_committed();
                }
            }
            Err(source) => {
                error!(error = %source, "COMMIT failed; the group is rolled back");
                let _ = conn.conn.execute_batch("ROLLBACK");
                if let Some(state) = replication.as_deref_mut() {
                    state.transaction_lost();
                }
                let message = source.to_string();
                for (job, _) in succeeded {
                    let _ = job.reply.send(Err(CoreError::Sql {
                        code: ErrorCode::Internal,
                        message: format!("commit failed: {message}"),
                    }));
                }
            }
        }
    }
}

type Done = (Vec<ha_types::StatementResult>, Option<Prepared>);

/// Whether this node still leads under the term its transaction began with (always, when
/// leaderless); otherwise the leader's address, if known.
pub(super) fn still_leading(state: &ReplicationState) -> Result<(), Option<String>> {
    let began = state.term();
    match state.leader_term() {
        Ok(now) if now == began => Ok(()),
        Ok(_) => Err(None),
        Err(leader) => Err(leader),
    }
}

fn run_in_savepoint(
    conn: &Conn,
    mut replication: Option<&mut ReplicationState>,
    statements: &[Statement],
) -> Result<Done, CoreError> {
    conn.control("SAVEPOINT ha_job")
        .map_err(CoreError::storage("SAVEPOINT"))?;
    let mark = replication.as_deref().map(ReplicationState::mark);
    let outcome = run_statements(conn, statements).and_then(|results| {
        let prepared = match replication.as_deref_mut() {
            Some(state) => state.prepare(conn, mark.unwrap_or(0))?,
            None => None,
        };
        Ok((results, prepared))
    });
    let outcome = outcome.and_then(|done| match conn.control("RELEASE ha_job") {
        Ok(()) => Ok(done),
        Err(e) => {
            if let (Some(state), (_, Some(prepared))) = (replication.as_deref_mut(), &done) {
                state.unprepare(prepared);
            }
            Err(CoreError::storage("RELEASE")(e))
        }
    });
    match outcome {
        Ok(done) => Ok(done),
        Err(error) => {
            if let (Some(state), Some(mark)) = (replication.as_deref(), mark) {
                state.forget_since(mark);
            }
            if !conn.conn.is_autocommit() {
                let _ = conn
                    .conn
                    .execute_batch("ROLLBACK TO ha_job; RELEASE ha_job");
            }
            Err(error)
        }
    }
}

fn run_statements(
    conn: &Conn,
    statements: &[Statement],
) -> Result<Vec<ha_types::StatementResult>, CoreError> {
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
                return Err(if statements.len() > 1 {
                    error.in_statement(index)
                } else {
                    error
                });
            }
        }
    }
    Ok(results)
}
