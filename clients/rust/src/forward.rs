//! Leader mode's forwarding (SPEC §7), shared by a node's doors and an in-process replica: a
//! follower sends writes, and whole transactions, to the leader over gRPC (with the cluster's
//! token) and answers with the leader's answer. Reads stay where they are.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use ha_types::sql_text::TransactionCommand;
use ha_types::{ErrorCode, Statement};

use crate::remote::{Remote, RemoteSession};
use crate::url::{Target, parse_url};
use crate::{ClientError, ClientOptions, Executed};

/// One gRPC client per leader address and database, kept while it works.
pub struct Forwarder {
    token: Option<String>,
    /// A certificate authority trusted, besides the system's, for a leader served over TLS.
    tls_ca_file: Option<std::path::PathBuf>,
    /// By leader address, then database: looked up by `&str` on every forwarded request,
    /// without allocating or waiting.
    clients: RwLock<Clients>,
}

/// Always gRPC clients of a node (`Remote`), never the generic [`crate::Client`]: a replica's
/// client forwards through this very code.
type Clients = HashMap<String, HashMap<String, Arc<Remote>>>;

impl Forwarder {
    pub fn new(token: Option<String>, tls_ca_file: Option<std::path::PathBuf>) -> Forwarder {
        Forwarder {
            token,
            tls_ca_file,
            clients: RwLock::new(HashMap::new()),
        }
    }

    /// Runs `statements` on the leader at `leader`, on `database`.
    pub async fn execute(
        &self,
        leader: &str,
        database: &str,
        statements: Vec<Statement>,
    ) -> Result<Executed, ClientError> {
        let client = self.client(leader, database).await?;
        client.forward(statements).await.map_err(|error| {
            if matches!(error, ClientError::Unavailable(_)) {
                self.forget(leader, database);
            }
            from_leader(leader, error)
        })
    }

    /// Begins a transaction on the leader with `begin` (the client's own `BEGIN`).
    pub async fn begin(
        &self,
        leader: &str,
        database: &str,
        begin: Statement,
        abort_on_error: bool,
    ) -> Result<(ForwardedTransaction, Executed), ClientError> {
        let client = self.client(leader, database).await?;
        let mut session = client.session().await.map_err(|error| {
            self.forget(leader, database);
            from_leader(leader, error)
        })?;
        let executed = session
            .execute(begin)
            .await
            .map_err(|e| from_leader(leader, e))?;
        let transaction = ForwardedTransaction {
            leader: leader.to_string(),
            session,
            failed: false,
            abort_on_error,
        };
        Ok((transaction, executed))
    }

    async fn client(&self, leader: &str, database: &str) -> Result<Arc<Remote>, ClientError> {
        if let Some(client) = self
            .read()
            .get(leader)
            .and_then(|by_database| by_database.get(database))
        {
            return Ok(Arc::clone(client));
        }
        let base = if leader.contains("://") {
            leader.to_string()
        } else {
            format!("http://{leader}")
        };
        let url = format!("{}/{database}", base.trim_end_matches('/'));
        let options = ClientOptions {
            token: self.token.clone(),
            tls_ca_file: self.tls_ca_file.clone(),
            ..ClientOptions::default()
        };
        let Target::Remote {
            endpoint,
            database: named,
        } = parse_url(&url, &options)?
        else {
            return Err(ClientError::BadUrl(format!(
                "not a node's address: {leader}"
            )));
        };
        let client = Remote::connect(endpoint, named, options)
            .await
            .map(Arc::new)
            .map_err(|e| from_leader(leader, e))?;
        self.write()
            .entry(leader.to_string())
            .or_default()
            .insert(database.to_string(), Arc::clone(&client));
        Ok(client)
    }

    fn forget(&self, leader: &str, database: &str) {
        if let Some(by_database) = self.write().get_mut(leader) {
            by_database.remove(database);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Clients> {
        self.clients.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Clients> {
        self.clients.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A transaction begun on a follower and running on the leader: every statement goes there
/// until it ends.
pub struct ForwardedTransaction {
    leader: String,
    session: RemoteSession,
    /// A statement failed and the protocol wants the transaction aborted (PostgreSQL): only
    /// ROLLBACK (or ROLLBACK TO a savepoint) goes on.
    failed: bool,
    abort_on_error: bool,
}

impl ForwardedTransaction {
    pub async fn execute(&mut self, statement: Statement) -> Result<Executed, ClientError> {
        let command = TransactionCommand::parse(&statement.sql);
        let rolls_back = matches!(
            command,
            Some(TransactionCommand::Rollback | TransactionCommand::RollbackTo(_))
        );
        if self.failed && !rolls_back {
            return Err(ClientError::Failed {
                code: ErrorCode::TransactionAborted,
                message: "current transaction is aborted, commands ignored until end of \
                          transaction block"
                    .into(),
                statement_index: None,
            });
        }
        match self.session.execute(statement).await {
            Ok(executed) => {
                if rolls_back {
                    self.failed = false;
                }
                Ok(executed)
            }
            Err(error) => {
                if self.abort_on_error {
                    self.failed = true;
                }
                Err(from_leader(&self.leader, error))
            }
        }
    }

    /// Whether the transaction is still open (false once it committed or rolled back).
    pub fn in_transaction(&self) -> bool {
        self.session.in_transaction()
    }

    /// Whether it is aborted (only ROLLBACK is accepted).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Aborts it (a protocol error on this side).
    pub fn fail(&mut self) {
        self.failed = true;
    }
}

/// The leader's answer as the follower's: its own errors unchanged. Not reaching it (no
/// connection could be made: the request was never sent) is a retryable `unavailable`; losing
/// it while it ran the request leaves the outcome unknown, and says so with the code a write
/// whose outcome is unknown has everywhere (`replication_pending`, SQLSTATE HA001): retrying
/// blindly could apply it twice. A leader refusing the follower's token is a misconfigured
/// cluster, not the client's fault.
fn from_leader(leader: &str, error: ClientError) -> ClientError {
    let failed = |code, message: String| ClientError::Failed {
        code,
        message,
        statement_index: None,
    };
    match error {
        ClientError::Failed {
            code: ErrorCode::Unauthorized,
            message,
            ..
        } => {
            tracing::error!(leader, error = %message, "the leader refused this node's --token");
            failed(
                ErrorCode::Unavailable,
                format!(
                    "the leader at {leader} refused this node's token: every node of a \
                     leader-mode cluster needs the same --token"
                ),
            )
        }
        failure @ ClientError::Failed { .. } => failure,
        ClientError::Unavailable(reason) if !never_sent(&reason) => {
            tracing::warn!(leader, error = %reason, "the leader was lost during a request");
            failed(
                ErrorCode::ReplicationPending,
                format!(
                    "the leader at {leader} was lost while it ran this request ({reason}): it \
                     may or may not have committed; check before retrying"
                ),
            )
        }
        other => {
            tracing::warn!(leader, error = %other, "the leader cannot be reached");
            failed(
                ErrorCode::Unavailable,
                format!("the leader at {leader} cannot be reached ({other}); retry"),
            )
        }
    }
}

/// Whether a transport failure happened before the request left: no connection was made.
fn never_sent(reason: &str) -> bool {
    reason.contains("tcp connect error") || reason.starts_with("cannot reach ")
}
