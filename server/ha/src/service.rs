//! The node's [`QueryService`]: the engine's registry seen by the front ends, with the engine's
//! errors translated to [`ApiError`] (internal details go to the log, not to clients).

use std::sync::Arc;

use async_trait::async_trait;
use ha_core::{CoreError, Registry};
use ha_nats::log::admin;
use ha_nats::log::consumer_name;
use ha_server_api::{
    ApiError, Backup, ClientSession, LeaderStatus, QueryOutcome, QueryService, Readiness,
    ReplicationInfo, Session, SessionOptions, SnapshotTaken, StreamedRows, TransactionStatus,
};

use ha_core::WriteGate;
use ha_nats::LinkHandle;
use ha_nats::leader::Leadership;
use ha_types::sql_text::TransactionCommand;
use ha_types::{ErrorCode, Statement, StatementDescription};

use ha_client::forward::{ForwardedTransaction, Forwarder};

pub(crate) struct NodeService {
    registry: Arc<Registry>,
    replication: Option<LinkHandle>,
    /// How long a read waits for `X-Ha-Min-Seq` (`--replication-timeout`).
    min_seq_wait: std::time::Duration,
    /// Leader mode: who leads, and the way to it.
    leader: Option<LeaderMode>,
}

/// What a node in leader mode needs to forward (SPEC §7).
#[derive(Clone)]
pub(crate) struct LeaderMode {
    pub(crate) leadership: Arc<Leadership>,
    pub(crate) forwarder: Arc<Forwarder>,
}

impl LeaderMode {
    /// The leader's address while this node follows one (`None`: it leads, or nobody does).
    fn follows(&self) -> Option<String> {
        match self.leadership.term() {
            Ok(_) => None,
            Err(CoreError::NotLeader { leader }) => leader,
            Err(_) => None,
        }
    }
}

impl NodeService {
    pub(crate) fn new(
        registry: Arc<Registry>,
        replication: Option<LinkHandle>,
        min_seq_wait: std::time::Duration,
        leader: Option<LeaderMode>,
    ) -> Self {
        NodeService {
            registry,
            replication,
            min_seq_wait,
            leader,
        }
    }
}

/// The id of `database` (`None`: the default), for naming it to the leader.
fn database_id(registry: &Registry, database: Option<&str>) -> Result<String, ApiError> {
    Ok(registry.get(database).map_err(to_api)?.id().to_string())
}

#[async_trait]
impl QueryService for NodeService {
    async fn execute(
        &self,
        session: &mut Session,
        statements: Vec<Statement>,
    ) -> Result<QueryOutcome, ApiError> {
        read_your_writes(
            &self.registry,
            session.database.as_deref(),
            session.min_seq,
            self.min_seq_wait,
        )
        .await?;
        // Leader mode: a write refused here (before it ran) goes to the leader.
        let kept = self.leader.as_ref().map(|_| statements.clone());
        match self
            .registry
            .execute(&mut session.database, statements)
            .await
        {
            Ok(executed) => Ok(outcome(executed)),
            Err(CoreError::NotLeader {
                leader: Some(leader),
            }) if kept.is_some() => {
                let (Some(mode), Some(statements)) = (&self.leader, kept) else {
                    return Err(ApiError::new(ErrorCode::Internal, "internal error"));
                };
                let database = database_id(&self.registry, session.database.as_deref())?;
                let executed = mode
                    .forwarder
                    .execute(&leader, &database, statements)
                    .await
                    .map_err(from_client)?;
                Ok(outcome(executed))
            }
            Err(e) => Err(to_api(e)),
        }
    }

    fn open_session(&self, options: SessionOptions) -> Result<Box<dyn ClientSession>, ApiError> {
        if let Some(database) = &options.database {
            self.registry.get(Some(database)).map_err(to_api)?;
        }
        Ok(Box::new(NodeSession {
            registry: Arc::clone(&self.registry),
            session: ha_core::Session::new(options.database, options.abort_on_error),
            min_seq: None,
            min_seq_wait: self.min_seq_wait,
            leader: self.leader.clone(),
            remote: None,
            abort_on_error: options.abort_on_error,
        }))
    }

    fn list_databases(&self) -> Vec<String> {
        self.registry.ids()
    }

    async fn stream_rows(
        &self,
        session: &Session,
        statement: Statement,
        batch_rows: usize,
    ) -> Result<StreamedRows, ApiError> {
        read_your_writes(
            &self.registry,
            session.database.as_deref(),
            session.min_seq,
            self.min_seq_wait,
        )
        .await?;
        let rows = self
            .registry
            .stream(session.database.as_deref(), statement, batch_rows)
            .await
            .map_err(to_api)?;
        let columns = rows.columns.clone();
        let declared_types = rows.declared_types.clone();
        let batches = futures::stream::unfold(rows, |mut rows| async move {
            let batch = rows.next_batch().await?;
            Some((batch.map_err(to_api), rows))
        });
        Ok(StreamedRows {
            columns,
            declared_types,
            batches: Box::pin(batches),
        })
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
            seq: None,
        })
    }

    async fn take_snapshot(&self, database: Option<&str>) -> Result<SnapshotTaken, ApiError> {
        let db = self.registry.get(database).map_err(to_api)?;
        let replication = self.snapshots_enabled()?;
        let taken = replication
            .snapshots
            .take(&db)
            .await
            .map_err(snapshot_error)?;
        Ok(SnapshotTaken {
            database: db.id().to_string(),
            seq: taken.info.seq,
            size: taken.info.size,
            stored: taken.stored,
            reason: taken.reason,
            node: taken.info.node,
        })
    }

    async fn latest_snapshot(&self, database: Option<&str>) -> Result<Backup, ApiError> {
        let db = self.registry.get(database).map_err(to_api)?;
        let replication = self.snapshots_enabled()?;
        let downloaded = replication
            .snapshots
            .store()
            .download(db.id(), &std::env::temp_dir())
            .await
            .map_err(snapshot_error)?;
        let Some((info, temp)) = downloaded else {
            return Err(ApiError::new(
                ErrorCode::NoSnapshot,
                format!(
                    "no snapshot of {} has been taken (POST /databases/{}/snapshot takes one)",
                    db.id(),
                    db.id()
                ),
            ));
        };
        // Streamed from the open file; its name is removed at once.
        let file = temp.reopen().map_err(|e| {
            tracing::error!(error = %e, "reopening a downloaded snapshot");
            ApiError::new(ErrorCode::Internal, "internal error; see the node's log")
        })?;
        drop(temp);
        Ok(Backup {
            database: db.id().to_string(),
            file,
            len: info.size,
            seq: Some(info.seq),
        })
    }

    fn leader(&self) -> Result<Option<LeaderStatus>, ApiError> {
        let Some(mode) = &self.leader else {
            return Ok(None);
        };
        let Some(info) = mode.leadership.leader() else {
            return Err(ApiError::new(
                ErrorCode::Unavailable,
                "no leader is elected right now; retry in a moment",
            ));
        };
        let since_ms = info
            .since
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Ok(Some(LeaderStatus {
            this_node: mode.leadership.holds_lease() == Some(info.term) && info.term > 0,
            node: info.node,
            addr: info.addr,
            term: info.term,
            since_ms,
        }))
    }

    fn readiness(&self) -> Readiness {
        let not_ready = |reason: String| Readiness {
            ready: false,
            reason: Some(reason),
        };
        if let Some(replication) = &self.replication {
            let state = replication.client.connection_state();
            if state != async_nats::connection::State::Connected {
                return not_ready(format!("the broker is not connected ({state})"));
            }
            for id in self.registry.ids() {
                let Ok(database) = self.registry.get(Some(&id)) else {
                    continue;
                };
                if let Some(reason) = database.unavailable_reason() {
                    return not_ready(reason);
                }
                if let Some((seq, error)) = database.apply_status().failing {
                    return not_ready(format!(
                        "database {id}: log entry {seq} fails to apply (retrying): {error}"
                    ));
                }
            }
        }
        Readiness {
            ready: true,
            reason: None,
        }
    }

    async fn replications(&self, database: Option<&str>) -> Result<Vec<ReplicationInfo>, ApiError> {
        let db = self.registry.get(database).map_err(to_api)?;
        let Some(replication) = &self.replication else {
            return Ok(Vec::new());
        };
        let reports = admin::consumers(&replication.context, &replication.stream, db.id())
            .await
            .map_err(internal)?;
        let own = consumer_name(&replication.node, db.id());
        let status = db.apply_status();
        Ok(reports
            .into_iter()
            .map(|report| {
                let mine = report.name == own;
                let failing = if mine { status.failing.clone() } else { None };
                ReplicationInfo {
                    applied_seq: mine.then_some(status.applied_seq),
                    failing_seq: failing.as_ref().map(|(seq, _)| *seq),
                    error: failing.map(|(_, e)| e),
                    held: mine.then_some(db.held_change_sets() as u64),
                    name: report.name,
                    delivered_seq: report.delivered_seq,
                    pending: report.pending,
                    last_active: report.last_active,
                }
            })
            .collect())
    }

    async fn skip_failing(&self, database: Option<&str>, name: &str) -> Result<u64, ApiError> {
        let db = self.registry.get(database).map_err(to_api)?;
        let Some(replication) = &self.replication else {
            return Err(ApiError::new(
                ErrorCode::UnknownReplication,
                format!("no replication named {name}"),
            ));
        };
        let own = consumer_name(&replication.node, db.id());
        if name != own {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("{name} is not this node's consumer ({own}): ask the node it belongs to"),
            ));
        }
        db.skip_failing().ok_or_else(|| {
            ApiError::new(
                ErrorCode::Conflict,
                format!("{name} has no failing log entry to skip"),
            )
        })
    }

    async fn delete_replication(&self, database: Option<&str>, name: &str) -> Result<(), ApiError> {
        let db = self.registry.get(database).map_err(to_api)?;
        let not_found = || {
            ApiError::new(
                ErrorCode::UnknownReplication,
                format!("no replication named {name}"),
            )
        };
        let Some(replication) = &self.replication else {
            return Err(not_found());
        };
        let listed = admin::consumers(&replication.context, &replication.stream, db.id())
            .await
            .map_err(internal)?;
        if !listed.iter().any(|r| r.name == name) {
            return Err(not_found());
        }
        match admin::delete_consumer(&replication.context, &replication.stream, name).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(not_found()),
            Err(e) => Err(internal(e)),
        }
    }
}

impl NodeService {
    fn snapshots_enabled(&self) -> Result<&LinkHandle, ApiError> {
        self.replication.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::Conflict,
                "snapshots are stored in the broker: this node runs without replication",
            )
        })
    }
}

/// A snapshot failure as clients see it: the store's outage and a missing snapshot say so;
/// internal faults are logged.
fn snapshot_error(error: ha_nats::NatsError) -> ApiError {
    match error {
        ha_nats::NatsError::Database(e) => to_api(e),
        e if e.code() == ErrorCode::Internal => internal(e),
        e => {
            tracing::warn!(error = %e, "snapshot request failed");
            ApiError::new(e.code(), e.to_string())
        }
    }
}

fn internal(error: ha_nats::NatsError) -> ApiError {
    tracing::error!(error = %error, "replication request failed");
    ApiError::new(ErrorCode::Internal, "internal error; see the node's log")
}

/// The leader's answer (or failure) as this node's.
fn from_client(error: ha_client::ClientError) -> ApiError {
    let statement_index = match &error {
        ha_client::ClientError::Failed {
            statement_index, ..
        } => *statement_index,
        _ => None,
    };
    ApiError {
        code: error.code(),
        message: error.to_string(),
        statement_index,
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

/// Waits (at most `wait`) until the database has applied `min_seq`, when one is asked for.
async fn read_your_writes(
    registry: &Registry,
    database: Option<&str>,
    min_seq: Option<u64>,
    wait: std::time::Duration,
) -> Result<(), ApiError> {
    if let Some(seq) = min_seq {
        let db = registry.get(database).map_err(to_api)?;
        db.wait_applied(seq, wait).await.map_err(to_api)?;
    }
    Ok(())
}

fn outcome(executed: ha_core::Executed) -> QueryOutcome {
    QueryOutcome {
        results: executed.results,
        seq: executed.seq,
    }
}

/// A wire-protocol connection's session over the engine's.
struct NodeSession {
    registry: Arc<Registry>,
    session: ha_core::Session,
    min_seq: Option<u64>,
    min_seq_wait: std::time::Duration,
    leader: Option<LeaderMode>,
    /// Leader mode, on a follower: the transaction open on the leader, which every statement
    /// goes to until it ends.
    remote: Option<ForwardedTransaction>,
    abort_on_error: bool,
}

impl NodeSession {
    /// Leader mode, on a follower: `BEGIN` opens the transaction on the leader.
    async fn begin_on_leader(
        &mut self,
        statement: Statement,
    ) -> Option<Result<QueryOutcome, ApiError>> {
        let mode = self.leader.clone()?;
        if !matches!(
            TransactionCommand::parse(&statement.sql),
            Some(TransactionCommand::Begin)
        ) || (self.session.transaction_status() != ha_core::TransactionStatus::Idle)
        {
            return None;
        }
        let leader = mode.follows()?;
        Some(
            async {
                let database = database_id(&self.registry, self.session.database.as_deref())?;
                let (transaction, executed) = mode
                    .forwarder
                    .begin(&leader, &database, statement, self.abort_on_error)
                    .await
                    .map_err(from_client)?;
                self.remote = Some(transaction);
                Ok(outcome(executed))
            }
            .await,
        )
    }

    /// A statement of the transaction open on the leader.
    async fn on_leader(&mut self, statements: Vec<Statement>) -> Result<QueryOutcome, ApiError> {
        let Some(remote) = self.remote.as_mut() else {
            return Err(ApiError::new(ErrorCode::Internal, "internal error"));
        };
        let [statement] = <[Statement; 1]>::try_from(statements).map_err(|_| {
            ApiError::new(
                ErrorCode::BadRequest,
                "inside a transaction, send statements one at a time",
            )
        })?;
        let answer = remote.execute(statement).await;
        if !remote.in_transaction() {
            self.remote = None;
        }
        let executed = answer.map_err(from_client)?;
        // Read-your-writes: later reads here wait until this node has the commit.
        if let Some(seq) = executed.seq {
            self.min_seq = Some(self.min_seq.unwrap_or(0).max(seq));
        }
        Ok(outcome(executed))
    }
}

#[async_trait]
impl ClientSession for NodeSession {
    async fn execute(&mut self, statements: Vec<Statement>) -> Result<QueryOutcome, ApiError> {
        if self.remote.is_some() {
            return self.on_leader(statements).await;
        }
        if let [statement] = statements.as_slice()
            && let Some(answer) = self.begin_on_leader(statement.clone()).await
        {
            return answer;
        }
        read_your_writes(
            &self.registry,
            self.session.database.as_deref(),
            self.min_seq,
            self.min_seq_wait,
        )
        .await?;
        let kept = self.leader.as_ref().map(|_| statements.clone());
        match self
            .registry
            .execute_in(&mut self.session, statements)
            .await
        {
            Ok(executed) => Ok(outcome(executed)),
            // Leader mode: a write outside a transaction, refused here before it ran.
            Err(CoreError::NotLeader {
                leader: Some(leader),
            }) if !(self.session.transaction_status() != ha_core::TransactionStatus::Idle) => {
                let (Some(mode), Some(statements)) = (&self.leader, kept) else {
                    return Err(ApiError::new(ErrorCode::Internal, "internal error"));
                };
                let database = database_id(&self.registry, self.session.database.as_deref())?;
                let forwarded = mode
                    .forwarder
                    .execute(&leader, &database, statements)
                    .await
                    .map_err(from_client)?;
                if let Some(seq) = forwarded.seq {
                    self.min_seq = Some(self.min_seq.unwrap_or(0).max(seq));
                }
                Ok(outcome(forwarded))
            }
            Err(e) => Err(to_api(e)),
        }
    }

    async fn describe(&mut self, sql: &str) -> Result<StatementDescription, ApiError> {
        self.registry
            .describe(&self.session, sql)
            .await
            .map_err(to_api)
    }

    fn transaction_status(&self) -> TransactionStatus {
        if let Some(remote) = &self.remote {
            return if remote.failed() {
                TransactionStatus::Failed
            } else {
                TransactionStatus::Open
            };
        }
        match self.session.transaction_status() {
            ha_core::TransactionStatus::Idle => TransactionStatus::Idle,
            ha_core::TransactionStatus::Open => TransactionStatus::Open,
            ha_core::TransactionStatus::Failed => TransactionStatus::Failed,
        }
    }

    fn fail_transaction(&mut self) {
        match self.remote.as_mut() {
            Some(remote) => remote.fail(),
            None => self.session.fail_transaction(),
        }
    }

    fn database(&self) -> Option<String> {
        self.session
            .database
            .clone()
            .or_else(|| self.registry.ids().into_iter().next())
    }

    fn set_min_seq(&mut self, seq: Option<u64>) {
        self.min_seq = seq;
    }
}
