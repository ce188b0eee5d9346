//! A client connection's state for the wire protocols: its current database and its open
//! transaction (`BEGIN` ... `COMMIT`).
//!
//! A transaction reads on the pooled readers (each statement sees what is committed when it
//! starts: READ COMMITTED) until its first write; from then on it holds the database's writer
//! (`transaction.rs`) and every statement runs there, seeing the transaction's own writes.
//! With `abort_on_error` (PostgreSQL), a failed statement aborts the transaction: only
//! `ROLLBACK` or `ROLLBACK TO` a savepoint is accepted until it ends. Without it (MySQL), only
//! the failed statement is undone.

use std::sync::Arc;

use ha_types::sql_text::TransactionCommand;
use ha_types::{ErrorCode, Statement, StatementResult};

use crate::transaction::WriteTransaction;
use crate::{CoreError, Database, Executed};

/// Where a session's transaction stands (PostgreSQL's ReadyForQuery status byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    Idle,
    Open,
    /// A statement failed: the transaction must be rolled back.
    Failed,
}

pub struct Session {
    /// The database statements go to; `None` is the node's default database.
    pub database: Option<String>,
    abort_on_error: bool,
    transaction: Option<OpenTransaction>,
}

struct OpenTransaction {
    database: Arc<Database>,
    /// Taken at the first write (or savepoint).
    writer: Option<WriteTransaction>,
    failed: bool,
}

impl Session {
    pub fn new(database: Option<String>, abort_on_error: bool) -> Session {
        Session {
            database,
            abort_on_error,
            transaction: None,
        }
    }

    pub fn transaction_status(&self) -> TransactionStatus {
        match &self.transaction {
            None => TransactionStatus::Idle,
            Some(open) if open.failed => TransactionStatus::Failed,
            Some(_) => TransactionStatus::Open,
        }
    }

    pub(crate) fn in_transaction(&self) -> bool {
        self.transaction.is_some()
    }

    /// An error outside a statement's execution (a protocol or parameter error) still aborts
    /// an open transaction, as every error does in PostgreSQL.
    pub fn fail_transaction(&mut self) {
        if self.abort_on_error
            && let Some(open) = self.transaction.as_mut()
        {
            open.failed = true;
        }
    }

    /// Describes `sql` on the transaction's writer when it holds one; `None` otherwise.
    pub(crate) async fn describe_in_transaction(
        &self,
        sql: &str,
    ) -> Option<Result<ha_types::StatementDescription, CoreError>> {
        let writer = self.transaction.as_ref()?.writer.as_ref()?;
        Some(writer.describe(sql.to_string()).await)
    }

    /// Runs a transaction command for the session.
    pub(crate) async fn transaction_command(
        &mut self,
        database: impl FnOnce() -> Result<Arc<Database>, CoreError>,
        command: TransactionCommand,
    ) -> Result<Executed, CoreError> {
        let mut seq = None;
        match command {
            TransactionCommand::Begin => {
                if self.transaction.is_none() {
                    self.transaction = Some(OpenTransaction {
                        database: database()?,
                        writer: None,
                        failed: false,
                    });
                }
            }
            TransactionCommand::Commit => {
                if let Some(open) = self.transaction.take() {
                    match (open.writer, open.failed) {
                        (Some(writer), false) => seq = open.database.commit(writer).await?.seq,
                        (Some(writer), true) => writer.rollback().await,
                        (None, _) => {}
                    }
                }
            }
            TransactionCommand::Rollback => {
                if let Some(OpenTransaction {
                    writer: Some(writer),
                    ..
                }) = self.transaction.take()
                {
                    writer.rollback().await;
                }
            }
            TransactionCommand::Savepoint(name) => {
                let open = self.open_transaction("SAVEPOINT")?;
                if open.failed {
                    return Err(aborted());
                }
                open.writer().await?.savepoint(name).await?;
            }
            TransactionCommand::Release(name) => {
                let open = self.open_transaction("RELEASE SAVEPOINT")?;
                if open.failed {
                    return Err(aborted());
                }
                match &open.writer {
                    Some(writer) => writer.release(name).await?,
                    None => return Err(no_savepoint(&name)),
                }
            }
            TransactionCommand::RollbackTo(name) => {
                let open = self.open_transaction("ROLLBACK TO SAVEPOINT")?;
                match &open.writer {
                    Some(writer) => writer.rollback_to(name).await?,
                    None => return Err(no_savepoint(&name)),
                }
                open.failed = false;
            }
        }
        Ok(Executed {
            results: vec![StatementResult::Exec {
                rows_affected: 0,
                last_insert_id: 0,
            }],
            seq,
        })
    }

    /// Runs one statement inside the open transaction.
    pub(crate) async fn run_in_transaction(
        &mut self,
        statement: Statement,
    ) -> Result<StatementResult, CoreError> {
        let abort_on_error = self.abort_on_error;
        let open = self.open_transaction("a statement")?;
        if open.failed {
            return Err(aborted());
        }
        let result = match &open.writer {
            Some(writer) => writer.run(statement).await,
            None => match open.database.read_in_transaction(statement.clone()).await {
                Ok(Some(result)) => Ok(result),
                Ok(None) => open.writer().await?.run(statement).await,
                Err(e) => Err(e),
            },
        };
        if let Err(e) = &result {
            if e.code() == ErrorCode::TransactionState {
                // The writer ended the transaction (idle too long, or SQLite rolled it back).
                open.writer = None;
                open.failed = true;
            } else if abort_on_error {
                open.failed = true;
            }
        }
        result
    }

    fn open_transaction(&mut self, what: &str) -> Result<&mut OpenTransaction, CoreError> {
        self.transaction.as_mut().ok_or_else(|| CoreError::Sql {
            code: ErrorCode::TransactionState,
            message: format!("{what} can only be used in a transaction block"),
        })
    }
}

impl OpenTransaction {
    async fn writer(&mut self) -> Result<&WriteTransaction, CoreError> {
        if self.writer.is_none() {
            self.writer = Some(self.database.begin_write().await?);
        }
        self.writer.as_ref().ok_or_else(|| CoreError::Sql {
            code: ErrorCode::Internal,
            message: "the transaction has no writer".into(),
        })
    }
}

fn aborted() -> CoreError {
    CoreError::Sql {
        code: ErrorCode::TransactionAborted,
        message: "current transaction is aborted, commands ignored until end of transaction block"
            .into(),
    }
}

fn no_savepoint(name: &str) -> CoreError {
    CoreError::Sql {
        code: ErrorCode::TransactionState,
        message: format!("savepoint \"{name}\" does not exist"),
    }
}
