//! [`ha_client::Client`] for host threads: every call blocks on the process's runtime, except
//! a replica's single reads, which run on the calling thread.
//!
//! Every blocking call takes an [`Interrupted`] question, asked every [`INTERRUPT_POLL`] while it
//! waits: `true` gives the call up with the `cancelled` code (its
//! future is dropped, which cancels a remote request and interrupts a local read). Hosts answer
//! it from their own signals: Python's pending Ctrl-C, Java's interrupted thread, a cancelled
//! statement.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ha_client::{Client, ClientError, ClientOptions, Executed, Session, Statement, Status};
use tokio::runtime::Runtime;

use crate::{CancelToken, runtime};

/// Asked while a call blocks whether the host wants to give it up; `&mut || false` when
/// nothing can interrupt it.
pub type Interrupted<'a> = &'a mut dyn FnMut() -> bool;

/// How often a blocked call asks [`Interrupted`]: short enough that Ctrl-C feels immediate.
pub const INTERRUPT_POLL: Duration = Duration::from_millis(25);

pub struct BlockingClient {
    client: Option<Client>,
    runtime: Arc<Runtime>,
}

fn runtime_error(e: std::io::Error) -> ClientError {
    ClientError::Unavailable(format!("starting the client's runtime: {e}"))
}

fn closed() -> ClientError {
    ClientError::Closed
}

fn cancelled() -> ClientError {
    ClientError::Failed {
        code: ha_client::ErrorCode::Cancelled,
        message: "the call was interrupted".into(),
        statement_index: None,
    }
}

/// Blocks on `work`, asking `interrupted` every [`INTERRUPT_POLL`] while it is not done.
fn wait<T>(
    runtime: &Runtime,
    work: impl Future<Output = Result<T, ClientError>>,
    interrupted: Interrupted<'_>,
) -> Result<T, ClientError> {
    runtime.block_on(async {
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                biased;
                done = &mut work => return done,
                () = tokio::time::sleep(INTERRUPT_POLL) => {
                    if interrupted() {
                        return Err(cancelled());
                    }
                }
            }
        }
    })
}

impl BlockingClient {
    /// Opens a remote or local connection (see [`ha_client::Client::open`]); a replica that
    /// starts from a snapshot may take a while.
    pub fn open(
        url: &str,
        options: ClientOptions,
        interrupted: Interrupted<'_>,
    ) -> Result<BlockingClient, ClientError> {
        let runtime = runtime().map_err(runtime_error)?;
        let client = wait(&runtime, Client::open(url, options), interrupted)?;
        Ok(BlockingClient {
            client: Some(client),
            runtime,
        })
    }

    fn client(&self) -> Result<&Client, ClientError> {
        self.client.as_ref().ok_or_else(closed)
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_none()
    }

    /// One statement, or several in one transaction.
    pub fn execute(
        &self,
        statements: Vec<Statement>,
        interrupted: Interrupted<'_>,
    ) -> Result<Executed, ClientError> {
        let client = self.client()?;
        if let [statement] = statements.as_slice()
            && let Some(result) = client.read_on_this_thread(statement)?
        {
            return Ok(Executed {
                results: vec![result],
                seq: None,
            });
        }
        wait(&self.runtime, client.execute(statements), interrupted)
    }

    /// A replica's read of one statement, run here and now if it is short (see
    /// [`ha_client::Client::read_on_this_thread`]); `Ok(None)`: take [`BlockingClient::execute`]
    /// (a write, a remote client, a long read, a busy replica). For hosts whose calling thread
    /// is an event loop: a short read answers at once, anything else goes to a worker.
    pub fn read_now(
        &self,
        statement: &Statement,
    ) -> Result<Option<ha_client::StatementResult>, ClientError> {
        self.client()?.read_on_this_thread(statement)
    }

    /// [`BlockingClient::execute`], given up when `cancel` is cancelled from another thread
    /// (a statement's cancel). A write that was already committed stays committed.
    pub fn execute_cancellable(
        &self,
        statements: Vec<Statement>,
        cancel: &CancelToken,
    ) -> Result<Executed, ClientError> {
        self.execute(statements, &mut || cancel.is_cancelled())
    }

    /// One read whose rows come batch by batch (see [`ha_client::Client::query`]).
    pub fn query(
        &self,
        statement: Statement,
        interrupted: Interrupted<'_>,
    ) -> Result<BlockingRows, ClientError> {
        let rows = wait(&self.runtime, self.client()?.query(statement), interrupted)?;
        Ok(BlockingRows {
            rows,
            runtime: Arc::clone(&self.runtime),
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

    /// Waits until this client has applied the log up to `seq` (a write's sequence, from this
    /// or another connection): read-your-writes across nodes. A remote client's next request
    /// carries it instead, so there it returns at once.
    pub fn wait_for(
        &self,
        seq: u64,
        timeout: Duration,
        interrupted: Interrupted<'_>,
    ) -> Result<(), ClientError> {
        wait(
            &self.runtime,
            self.client()?.wait_for(seq, timeout),
            interrupted,
        )
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
    pub fn next_batch(
        &mut self,
        interrupted: Interrupted<'_>,
    ) -> Option<Result<Vec<Vec<ha_client::Value>>, ClientError>> {
        let rows = &mut self.rows;
        wait(
            &self.runtime,
            async { rows.next_batch().await.transpose() },
            interrupted,
        )
        .transpose()
    }
}

/// A session (interactive transactions) of a [`BlockingClient`].
pub struct BlockingSession {
    session: Session,
    runtime: Arc<Runtime>,
}

impl BlockingSession {
    pub fn execute(
        &mut self,
        statement: Statement,
        interrupted: Interrupted<'_>,
    ) -> Result<Executed, ClientError> {
        wait(&self.runtime, self.session.execute(statement), interrupted)
    }

    pub fn in_transaction(&self) -> bool {
        self.session.in_transaction()
    }
}
