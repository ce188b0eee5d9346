//! The node's [`QueryService`]: the engine's registry seen by the front ends, with the engine's
//! errors translated to [`ApiError`] (internal details go to the log, not to clients).

use std::sync::Arc;

use async_trait::async_trait;
use ha_core::{CoreError, Registry};
use ha_server_api::{ApiError, Backup, QueryOutcome, QueryService, Readiness, Session};
use ha_types::{ErrorCode, Statement};

pub(crate) struct NodeService {
    registry: Arc<Registry>,
}

impl NodeService {
    pub(crate) fn new(registry: Arc<Registry>) -> NodeService {
        NodeService { registry }
    }
}

#[async_trait]
impl QueryService for NodeService {
    async fn execute(
        &self,
        session: &mut Session,
        statements: Vec<Statement>,
    ) -> Result<QueryOutcome, ApiError> {
        let executed = self
            .registry
            .execute(&mut session.database, statements)
            .await
            .map_err(to_api)?;
        Ok(QueryOutcome {
            results: executed.results,
            seq: executed.seq,
        })
    }

    fn list_databases(&self) -> Vec<String> {
        self.registry.ids()
    }

    async fn create_database(&self, dsn: &str) -> Result<String, ApiError> {
        self.registry.create(dsn).await.map_err(to_api)
    }

    async fn drop_database(&self, id: &str) -> Result<(), ApiError> {
        self.registry.drop_database(id).await.map_err(to_api)
    }

    async fn backup(&self, database: Option<&str>) -> Result<Backup, ApiError> {
        let db = self.registry.get(database).map_err(to_api)?;
        let (file, len) = db.backup().await.map_err(to_api)?;
        Ok(Backup {
            database: db.id().to_string(),
            file,
            len,
        })
    }

    fn readiness(&self) -> Readiness {
        Readiness {
            ready: true,
            reason: None,
        }
    }
}

fn to_api(error: CoreError) -> ApiError {
    let code = error.code();
    let message = if code == ErrorCode::Internal {
        tracing::error!(error = ?error, "internal error");
        "internal error; see the node's log".to_string()
    } else {
        error.root_message()
    };
    ApiError {
        code,
        message,
        statement_index: error.statement_index(),
    }
}
