//! Writing: a statement list through the writer's group commit, an interactive transaction's
//! hold on the writer, and the wait for the log's acknowledgement of what they committed.

use std::time::Duration;

use ha_types::{Statement, StatementResult};
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use super::{Database, Executed};
use crate::CoreError;
use crate::exec::RunError;
use crate::replication::PublishError;
use crate::transaction::WriteTransaction;
use crate::writer::JobOutput;

impl Database {
    pub(super) async fn write(
        &self,
        statements: Vec<Statement>,
        permit: OwnedSemaphorePermit,
    ) -> Result<Executed, CoreError> {
        self.writable()?;
        if let Some(replication) = &self.options.replication
            && !replication.async_ack
        {
            return self
                .write_logged(statements, permit, replication.timeout)
                .await;
        }
        let answer = self.writer.submit(statements)?;
        let output = answer
            .await
            .map_err(|_| CoreError::Closed(self.spec.id.clone()))??;
        self.committed();
        // Committed: waiting for the broker holds no query slot, so writes waiting through a
        // broker outage never leave the readers "busy".
        drop(permit);
        self.acknowledged(output).await
    }

    /// A write acknowledged once the log stored it, woken once: the task waits for the log
    /// first, whose answer comes after the commit's, so the commit's answer is waiting then
    /// (waking it at the commit as well cost a wake-up per write: a futex and a context switch
    /// when the runtime's workers were parked).
    async fn write_logged(
        &self,
        statements: Vec<Statement>,
        permit: OwnedSemaphorePermit,
        timeout: Duration,
    ) -> Result<Executed, CoreError> {
        let closed = || CoreError::Closed(self.spec.id.clone());
        let (answer, stored) = self.writer.submit_logged(statements, permit)?;
        let mut stored = std::pin::pin!(stored);
        let first = tokio::time::timeout(timeout, &mut stored).await;
        let output = answer.await.map_err(|_| closed())??;
        self.committed();
        let stored = match first {
            Ok(stored) => stored,
            // The wait for the log is measured from the commit, as for any write: one that
            // queued behind a long transaction has its whole timeout once it committed.
            Err(_) => {
                let deadline = output.committed_at + timeout;
                match tokio::time::timeout_at(deadline.into(), &mut stored).await {
                    Ok(stored) => stored,
                    Err(_) => return Err(replication_pending(timeout)),
                }
            }
        };
        answer_from_log(output.results, stored, output.logged, timeout)
    }

    /// Runs one statement on a reader for a session's transaction that has not written yet;
    /// `Ok(None)` when the statement writes (the transaction must take the writer first).
    pub(crate) async fn read_in_transaction(
        &self,
        statement: Statement,
    ) -> Result<Option<StatementResult>, CoreError> {
        self.refused()?;
        let permit = self.slot().await?;
        match self.read(statement, permit).await {
            Ok(result) => Ok(Some(result)),
            Err(RunError::NeedsWriter) => Ok(None),
            Err(RunError::Failed(e)) => Err(e),
        }
    }

    /// Takes the writer for an interactive transaction; waits while another one holds it.
    pub(crate) async fn begin_write(&self) -> Result<WriteTransaction, CoreError> {
        self.refused()?;
        self.writable()?;
        let (commands, started) = self.writer.begin(self.options.transaction_idle_timeout)?;
        started
            .await
            .map_err(|_| CoreError::Closed(self.spec.id.clone()))??;
        Ok(WriteTransaction::new(
            commands,
            self.options.transaction_idle_timeout,
        ))
    }

    /// Commits an interactive transaction and waits for its change set like any write.
    pub(crate) async fn commit(
        &self,
        transaction: WriteTransaction,
    ) -> Result<Executed, CoreError> {
        let output = transaction.commit().await?;
        self.committed();
        self.acknowledged(output).await
    }

    /// What a committed write answers: at once without replication (or with async
    /// acknowledgement), else once the log stored its change set.
    async fn acknowledged(&self, output: JobOutput) -> Result<Executed, CoreError> {
        let waits_for_log = self.options.replication.as_ref().filter(|r| !r.async_ack);
        let (Some(published), Some(replication)) = (output.published, waits_for_log) else {
            return Ok(Executed {
                results: output.results,
                seq: None,
            });
        };
        match tokio::time::timeout(replication.timeout, published).await {
            Ok(stored) => answer_from_log(output.results, stored, true, replication.timeout),
            Err(_) => Err(replication_pending(replication.timeout)),
        }
    }

    pub(super) fn committed(&self) {
        self.commits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What a committed write answers once its wait for the log ended: `stored` is the log's
/// answer, or `Err` when its sender was dropped unused, which means nothing to wait for if the
/// job `logged` no change set, and a failure if it did.
fn answer_from_log(
    results: Vec<StatementResult>,
    stored: Result<Result<u64, PublishError>, oneshot::error::RecvError>,
    logged: bool,
    timeout: Duration,
) -> Result<Executed, CoreError> {
    match stored {
        Ok(Ok(seq)) => Ok(Executed {
            results,
            seq: Some(seq),
        }),
        Ok(Err(PublishError::Fenced { term, newer })) => Err(fenced(term, newer)),
        Err(_) if !logged => Ok(Executed { results, seq: None }),
        Ok(Err(_)) | Err(_) => Err(replication_pending(timeout)),
    }
}

fn replication_pending(timeout: Duration) -> CoreError {
    CoreError::ReplicationPending {
        timeout_ms: timeout.as_millis(),
    }
}

/// Definite: the log will never hold the write, and the writer undoes it here.
fn fenced(term: u64, newer: u64) -> CoreError {
    CoreError::Unavailable(format!(
        "not written: this node lost the leader lease (term {term}) before the log stored the \
         write, and term {newer} leads now; it is undone here: send it again"
    ))
}
