//! The async handle of an interactive transaction that holds a database's writer
//! (`writer/interactive.rs` runs it). Dropping the handle rolls the transaction back.

use std::sync::mpsc;
use std::time::Duration;

use ha_types::{ErrorCode, Statement, StatementResult};
use tokio::sync::oneshot;

use crate::CoreError;
use crate::readers::{CancelOnDrop, Canceller};
use crate::writer::{JobResult, TransactionCommand};

pub(crate) struct WriteTransaction {
    commands: mpsc::Sender<TransactionCommand>,
    idle_timeout: Duration,
}

impl WriteTransaction {
    pub(crate) fn new(
        commands: mpsc::Sender<TransactionCommand>,
        idle_timeout: Duration,
    ) -> WriteTransaction {
        WriteTransaction {
            commands,
            idle_timeout,
        }
    }

    /// Runs one statement; dropping the future before its answer (the client went away, or
    /// cancelled) interrupts it on the writer.
    pub(crate) async fn run(&self, statement: Statement) -> Result<StatementResult, CoreError> {
        let canceller = Canceller::default();
        let guard = CancelOnDrop::new(canceller.clone());
        let answer = self
            .ask(|reply| TransactionCommand::Run {
                statement,
                canceller,
                reply,
            })
            .await;
        guard.finish();
        answer?
    }

    pub(crate) async fn describe(
        &self,
        sql: String,
    ) -> Result<ha_types::StatementDescription, CoreError> {
        self.ask(|reply| TransactionCommand::Describe { sql, reply })
            .await?
    }

    pub(crate) async fn savepoint(&self, name: String) -> Result<(), CoreError> {
        self.ask(|reply| TransactionCommand::Savepoint { name, reply })
            .await?
    }

    pub(crate) async fn release(&self, name: String) -> Result<(), CoreError> {
        self.ask(|reply| TransactionCommand::Release { name, reply })
            .await?
    }

    pub(crate) async fn rollback_to(&self, name: String) -> Result<(), CoreError> {
        self.ask(|reply| TransactionCommand::RollbackTo { name, reply })
            .await?
    }

    pub(crate) async fn commit(self) -> JobResult {
        self.ask(|reply| TransactionCommand::Commit { reply })
            .await?
    }

    pub(crate) async fn rollback(self) {
        let _ = self
            .ask(|reply| TransactionCommand::Rollback { reply })
            .await;
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> TransactionCommand,
    ) -> Result<T, CoreError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| self.ended())?;
        answer.await.map_err(|_| self.ended())
    }

    /// The writer no longer runs this transaction: it was rolled back while idle, or the
    /// database closed.
    fn ended(&self) -> CoreError {
        CoreError::Sql {
            code: ErrorCode::TransactionState,
            message: format!(
                "the transaction was rolled back by the server (idle for more than {} s, or the \
                 database closed)",
                self.idle_timeout.as_secs()
            ),
        }
    }
}
