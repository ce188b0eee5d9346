//! Leader mode's forwarding (SPEC §7): a follower sends its clients' writes, and their whole
//! transactions, to the leader over gRPC (with the node's `--token`), through the same client
//! the SDKs use, and answers with the leader's answer. Reads stay local.

use std::collections::HashMap;
use std::sync::Arc;

use ha_client::{Client, ClientError, ClientOptions, Session};
use ha_server_api::{ApiError, QueryOutcome};
use ha_types::{ErrorCode, Statement};
use tokio::sync::Mutex;

/// One gRPC client per leader address and database, kept while it works.
pub(crate) struct Forwarder {
    token: Option<String>,
    clients: Mutex<HashMap<(String, String), Arc<Client>>>,
}

impl Forwarder {
    pub(crate) fn new(token: Option<String>) -> Forwarder {
        Forwarder {
            token,
            clients: Mutex::new(HashMap::new()),
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
                    self.forget(leader, database).await;
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
                self.forget(leader, database).await;
                Err(from_leader(leader, error))
            }
        }
    }

    async fn client(&self, leader: &str, database: &str) -> Result<Arc<Client>, ApiError> {
        let key = (leader.to_string(), database.to_string());
        if let Some(client) = self.clients.lock().await.get(&key) {
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
        self.clients.lock().await.insert(key, Arc::clone(&client));
        Ok(client)
    }

    async fn forget(&self, leader: &str, database: &str) {
        self.clients
            .lock()
            .await
            .remove(&(leader.to_string(), database.to_string()));
    }
}

/// The leader's answer as this node's: its own errors unchanged; not reaching it is a
/// retryable `unavailable` that names it.
pub(crate) fn from_leader(leader: &str, error: ClientError) -> ApiError {
    match error {
        ClientError::Failed {
            code,
            message,
            statement_index,
        } => ApiError {
            code,
            message,
            statement_index,
        },
        other => {
            tracing::warn!(leader, error = %other, "the leader cannot be reached");
            ApiError::new(
                ErrorCode::Unavailable,
                format!("the leader at {leader} cannot be reached ({other}); retry"),
            )
        }
    }
}
