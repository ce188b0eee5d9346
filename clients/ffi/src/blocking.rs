//! [`ha_client::Client`] for host threads: every call blocks on the process's runtime, except
//! a replica's single reads, which run on the calling thread.

use std::sync::Arc;

use ha_client::{Client, ClientError, ClientOptions, Executed, Session, Statement, Status};
use tokio::runtime::Runtime;

use crate::{CancelToken, runtime};

pub struct BlockingClient {
    client: Option<Client>,
    runtime: Arc<Runtime>,
}

fn runtime_error(e: std::io::Error) -> ClientError {
    ClientError::Unavailable(format!("starting the client's runtime: {e}"))
}

fn closed() -> ClientError {
    ClientError::BadUrl("the client is closed".into())
}

impl BlockingClient {
    /// Opens a remote or local connection (see [`ha_client::Client::open`]).
    pub fn open(url: &str, options: ClientOptions) -> Result<BlockingClient, ClientError> {
        let runtime = runtime().map_err(runtime_error)?;
        let client = runtime.block_on(Client::open(url, options))?;
        Ok(BlockingClient {
            client: Some(client),
            runtime,
        })
    }

    fn client(&self) -> Result<&Client, ClientError> {
        self.client.as_ref().ok_or_else(closed)
    }

    /// One statement, or several in one transaction.
    pub fn execute(&self, statements: Vec<Statement>) -> Result<Executed, ClientError> {
        let client = self.client()?;
        if let [statement] = statements.as_slice()
            && let Some(result) = client.read_on_this_thread(statement)?
        {
            return Ok(Executed {
                results: vec![result],
                seq: None,
            });
        }
        self.runtime.block_on(client.execute(statements))
    }

    /// One read whose rows come batch by batch (see [`ha_client::Client::query`]).
    pub fn query(&self, statement: Statement) -> Result<BlockingRows, ClientError> {
        let rows = self.runtime.block_on(self.client()?.query(statement))?;
        Ok(BlockingRows {
            rows,
            runtime: Arc::clone(&self.runtime),
        })
    }

    /// [`BlockingClient::execute`], stopped early (with the `cancelled` code) when `cancel` is
    /// cancelled from another thread: the request is dropped, which cancels it on a node and
    /// interrupts a read on a replica. A write that was already committed stays committed.
    pub fn execute_cancellable(
        &self,
        statements: Vec<Statement>,
        cancel: &CancelToken,
    ) -> Result<Executed, ClientError> {
        let client = self.client()?;
        self.runtime.block_on(async {
            tokio::select! {
                executed = client.execute(statements) => executed,
                () = cancel.cancelled() => Err(ClientError::Failed {
                    code: ha_client::ErrorCode::Cancelled,
                    message: "the call was cancelled".into(),
                    statement_index: None,
                }),
            }
        })
    }

    pub fn session(&self) -> Result<BlockingSession, ClientError> {
        let session = self.runtime.block_on(self.client()?.session())?;
        Ok(BlockingSession {
            session,
            runtime: Arc::clone(&self.runtime),
        })
    }

    pub fn status(&self) -> Result<Status, ClientError> {
        Ok(self.client()?.status())
    }

    /// Closes the connection (a replica stops following and closes its file). Later calls
    /// fail with a clear error.
    pub fn close(&mut self) -> Result<(), ClientError> {
        match self.client.take() {
            Some(client) => self.runtime.block_on(client.close()),
            None => Ok(()),
        }
    }
}

impl Drop for BlockingClient {
    fn drop(&mut self) {
        // Blocking inside an async task would panic: there, the runtime closes it as it ends.
        if tokio::runtime::Handle::try_current().is_err() {
            let _ = self.close();
        }
    }
}

/// The rows of [`BlockingClient::query`].
pub struct BlockingRows {
    rows: ha_client::Rows,
    runtime: Arc<Runtime>,
}

impl BlockingRows {
    pub fn columns(&self) -> &[String] {
        &self.rows.columns
    }

    pub fn declared_types(&self) -> &[Option<String>] {
        &self.rows.declared_types
    }

    /// The next batch; `None` once every row was read.
    pub fn next_batch(&mut self) -> Option<Result<Vec<Vec<ha_client::Value>>, ClientError>> {
        self.runtime.block_on(self.rows.next_batch())
    }
}

/// A session (interactive transactions) of a [`BlockingClient`].
pub struct BlockingSession {
    session: Session,
    runtime: Arc<Runtime>,
}

impl BlockingSession {
    pub fn execute(&mut self, statement: Statement) -> Result<Executed, ClientError> {
        self.runtime.block_on(self.session.execute(statement))
    }

    pub fn in_transaction(&self) -> bool {
        self.session.in_transaction()
    }
}
