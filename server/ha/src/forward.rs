//! Leader mode's forwarding (SPEC §7): a follower sends its clients' writes, and their whole
//! transactions, to the leader over gRPC (with the node's `--token`), through the same client
//! the SDKs use, and answers with the leader's answer. Reads stay local.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use ha_client::{Client, ClientError, ClientOptions, Session};
use ha_server_api::{ApiError, QueryOutcome};
use ha_types::{ErrorCode, Statement};

/// One gRPC client per leader address and database, kept while it works.
pub(crate) struct Forwarder {
    token: Option<String>,
    /// By leader address, then database: looked up by `&str` on every forwarded request,
    /// without allocating or waiting.
    clients: RwLock<Clients>,
}

type Clients = HashMap<String, HashMap<String, Arc<Client>>>;

impl Forwarder {
    pub(crate) fn new(token: Option<String>) -> Forwarder {
        Forwarder {
            token,
            clients: RwLock::new(HashMap::new()),
        }
    }

    /// Runs `statements` on the leader at `leader`, on `database`.
    pub(crate) async fn execute(
        &self,
        leader: &str,
        database: &str,
        statements: Vec<Statement>,
    ) -> Result<QueryOutcome, ApiError> {
        let client = self.client(leader, database).await?;
        match client.forward(statements).await {
            Ok(executed) => Ok(QueryOutcome {
                results: executed.results,
                seq: executed.seq,
            }),
            Err(error) => {
                if matches!(error, ClientError::Unavailable(_)) {
                    self.forget(leader, database);
                }
                Err(from_leader(leader, error))
            }
        }
    }

    /// A session on the leader, for a transaction begun on this node.
    pub(crate) async fn session(&self, leader: &str, database: &str) -> Result<Session, ApiError> {
        let client = self.client(leader, database).await?;
        match client.session().await {
            Ok(session) => Ok(session),
            Err(error) => {
                self.forget(leader, database);
                Err(from_leader(leader, error))
            }
        }
    }

    async fn client(&self, leader: &str, database: &str) -> Result<Arc<Client>, ApiError> {
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
            ..ClientOptions::default()
        };
        let client = Client::open(&url, options)
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

/// The leader's answer as this node's: its own errors unchanged. Not reaching it (no
/// connection could be made: the request was never sent) is a retryable `unavailable`; losing
/// it while it ran the request leaves the outcome unknown, and says so with the code a write
/// whose outcome is unknown has everywhere (`replication_pending`, SQLSTATE HA001): retrying
/// blindly could apply it twice.
pub(crate) fn from_leader(leader: &str, error: ClientError) -> ApiError {
    match error {
        // The client's own token was good here; the leader refusing this node's is a
        // misconfigured cluster, not the client's fault.
        ClientError::Failed {
            code: ErrorCode::Unauthorized,
            message,
            ..
        } => {
            tracing::error!(leader, error = %message, "the leader refused this node's --token");
            ApiError::new(
                ErrorCode::Unavailable,
                format!(
                    "the leader at {leader} refused this node's token: every node of a \
                     leader-mode cluster needs the same --token"
                ),
            )
        }
        ClientError::Failed {
            code,
            message,
            statement_index,
        } => ApiError {
            code,
            message,
            statement_index,
        },
        ClientError::Unavailable(reason) if !never_sent(&reason) => {
            tracing::warn!(leader, error = %reason, "the leader was lost during a request");
            ApiError::new(
                ErrorCode::ReplicationPending,
                format!(
                    "the leader at {leader} was lost while it ran this request ({reason}): it \
                     may or may not have committed; check before retrying"
                ),
            )
        }
        other => {
            tracing::warn!(leader, error = %other, "the leader cannot be reached");
            ApiError::new(
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
