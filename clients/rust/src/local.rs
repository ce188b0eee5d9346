//! An in-process replica: the core engine on a local file, following the cluster's stream
//! through the same [`ReplicationLink`] as a node.

use std::sync::Arc;

use ha_core::{DatabaseOptions, DatabaseSpec, Registry, RegistryOptions, RowIdentify, Storage};
use ha_nats::log::{ConsumerStart, StreamSettings};
use ha_nats::{Broker, LinkSettings, ReplicationLink};
use ha_types::Statement;
use tokio::sync::Mutex;

use crate::forward::{ForwardedTransaction, Forwarder};
use crate::url::LocalTarget;
use crate::{ClientError, Executed, Status};
use ha_core::WriteGate;
use ha_nats::leader::Leadership;
use ha_types::sql_text::TransactionCommand;

/// SQLite settings of a replica's file: those of a node's (WAL, normal sync).
const DB_PARAMS: &str = "journal_mode=WAL&busy_timeout=5000&synchronous=NORMAL";

pub(crate) struct Local {
    registry: Arc<Registry>,
    link: Mutex<Option<ReplicationLink>>,
    database: String,
    /// In a leader-mode cluster: who leads, and the way to send writes there.
    leader: Option<LeaderLink>,
}

/// A replica in a leader-mode cluster never writes itself: its engine's gate says "not
/// leader" and its writes, and whole transactions, go to the leader (SPEC §7, §11).
#[derive(Clone)]
struct LeaderLink {
    leadership: Arc<Leadership>,
    forwarder: Arc<Forwarder>,
}

impl LeaderLink {
    /// The leader's address, when one is known.
    fn leader(&self) -> Option<String> {
        match self.leadership.term() {
            Err(ha_core::CoreError::NotLeader { leader }) => leader,
            _ => None,
        }
    }
}

impl Local {
    pub(crate) async fn open(target: LocalTarget) -> Result<Local, ClientError> {
        let link = ReplicationLink::start(LinkSettings {
            node: target.node.clone(),
            broker: Broker::Url(target.replication_url.clone()),
            stream: StreamSettings {
                name: target.stream.clone(),
                replicas: 1,
                max_age: std::time::Duration::from_secs(24 * 3600),
            },
            policy: ConsumerStart::All,
            async_ack: false,
            most_per_message: ha_core::MOST_PER_MESSAGE,
            format: target.format,
            timeout: target.timeout,
            disable_ddl_sync: false,
            row_identify: RowIdentify::PrimaryKey,
        })
        .await?;
        let spec = DatabaseSpec {
            id: target.database.clone(),
            storage: Storage::File {
                path: target.path.clone(),
                params: DB_PARAMS.into(),
            },
        };
        // A new replica starts from the latest snapshot (faster than the whole log, and the
        // only way when the log no longer starts at its beginning).
        let (specs, restored) = if target.path.exists() {
            (vec![spec], Vec::new())
        } else {
            link.restore_before_open(vec![spec]).await
        };
        let handle = link.handle();
        let leader = ha_nats::leader::observe(
            handle.context.clone(),
            handle.stream.clone(),
            target.node.clone(),
            ha_nats::leader::LeaseTimes::default(),
            handle.stopping(),
        )
        .await?
        .map(|leadership| LeaderLink {
            leadership,
            forwarder: Arc::new(Forwarder::new(
                target.token.clone(),
                target.tls_ca_file.clone(),
            )),
        });
        let mut replication = link.options().clone();
        replication.write_gate = leader
            .as_ref()
            .map(|l| Arc::clone(&l.leadership) as Arc<dyn ha_core::WriteGate>);
        let options = RegistryOptions {
            memory: false,
            data_dir: target
                .path
                .parent()
                .map_or_else(|| ".".into(), std::path::Path::to_path_buf),
            db_params: DB_PARAMS.into(),
            database: DatabaseOptions {
                replication: Some(replication),
                read_only: target.read_only,
                ..DatabaseOptions::default()
            },
        };
        let registry = tokio::task::spawn_blocking(move || Registry::open(specs, options))
            .await
            .map_err(|e| ClientError::Unavailable(format!("opening the replica: {e}")))??;
        for restored in restored {
            restored.after_open(&registry)?;
        }
        let registry = Arc::new(registry);
        let mut link = link;
        link.start_consumers(&registry)?;
        Ok(Local {
            registry,
            link: Mutex::new(Some(link)),
            database: target.database,
            leader,
        })
    }

    pub(crate) async fn execute(
        &self,
        statements: Vec<Statement>,
    ) -> Result<Executed, ClientError> {
        let mut current = Some(self.database.clone());
        let kept = self.leader.as_ref().map(|_| statements.clone());
        match self.registry.execute(&mut current, statements).await {
            Err(ha_core::CoreError::NotLeader {
                leader: Some(leader),
            }) => match (&self.leader, kept) {
                (Some(link), Some(statements)) => {
                    link.forwarder
                        .execute(&leader, &self.database, statements)
                        .await
                }
                _ => Err(ClientError::Unavailable("no leader to write to".into())),
            },
            other => Ok(other?),
        }
    }

    pub(crate) async fn query(&self, statement: Statement) -> Result<crate::Rows, ClientError> {
        let rows = self
            .registry
            .stream(Some(&self.database), statement, crate::BATCH_ROWS)
            .await?;
        Ok(crate::Rows {
            columns: rows.columns.clone(),
            declared_types: rows.declared_types.clone(),
            source: crate::RowSource::Local(rows),
        })
    }

    pub(crate) fn read_on_this_thread(
        &self,
        statement: &Statement,
    ) -> Result<Option<ha_types::StatementResult>, ClientError> {
        Ok(self
            .registry
            .read_on_this_thread(Some(&self.database), statement)?)
    }

    pub(crate) fn session(&self) -> LocalSession {
        LocalSession {
            registry: Arc::clone(&self.registry),
            session: ha_core::Session::new(Some(self.database.clone()), false),
            database: self.database.clone(),
            leader: self.leader.clone(),
            remote: None,
        }
    }

    pub(crate) async fn wait_for(
        &self,
        seq: u64,
        timeout: std::time::Duration,
    ) -> Result<(), ClientError> {
        let database = self.registry.get(Some(&self.database))?;
        Ok(database.wait_applied(seq, timeout).await?)
    }

    pub(crate) fn status(&self) -> Status {
        let Ok(database) = self.registry.get(Some(&self.database)) else {
            return Status {
                error: Some("the replica is closed".into()),
                ..Status::default()
            };
        };
        let apply = database.apply_status();
        Status {
            applied_seq: apply.applied_seq,
            lag: database.lag(),
            held: database.held_change_sets() as u64,
            error: database.unavailable_reason().or(apply
                .failing
                .map(|(seq, error)| format!("log entry {seq}: {error}"))),
        }
    }

    pub(crate) async fn close(self) -> Result<(), ClientError> {
        if let Some(mut link) = self.link.lock().await.take() {
            link.stop_consumers().await;
            let registry = Arc::clone(&self.registry);
            tokio::task::spawn_blocking(move || registry.close_all())
                .await
                .map_err(|e| ClientError::Unavailable(format!("closing the replica: {e}")))?;
            link.stop_broker().await;
        }
        Ok(())
    }
}

pub(crate) struct LocalSession {
    registry: Arc<Registry>,
    session: ha_core::Session,
    database: String,
    leader: Option<LeaderLink>,
    /// Leader mode: the transaction running on the leader.
    remote: Option<ForwardedTransaction>,
}

impl LocalSession {
    pub(crate) async fn execute(&mut self, statement: Statement) -> Result<Executed, ClientError> {
        if let Some(remote) = self.remote.as_mut() {
            let answer = remote.execute(statement).await;
            if !remote.in_transaction() {
                self.remote = None;
            }
            return answer;
        }
        let begins = matches!(
            TransactionCommand::parse(&statement.sql),
            Some(TransactionCommand::Begin)
        );
        if begins
            && !self.in_transaction()
            && let Some(link) = &self.leader
            && let Some(leader) = link.leader()
        {
            let (transaction, executed) = link
                .forwarder
                .begin(&leader, &self.database, statement, false)
                .await?;
            self.remote = Some(transaction);
            return Ok(executed);
        }
        let kept = self.leader.as_ref().map(|_| statement.clone());
        match self
            .registry
            .execute_in(&mut self.session, vec![statement])
            .await
        {
            Err(ha_core::CoreError::NotLeader {
                leader: Some(leader),
            }) if !self.in_transaction() => match (&self.leader, kept) {
                (Some(link), Some(statement)) => {
                    link.forwarder
                        .execute(&leader, &self.database, vec![statement])
                        .await
                }
                _ => Err(ClientError::Unavailable("no leader to write to".into())),
            },
            other => Ok(other?),
        }
    }

    pub(crate) fn in_transaction(&self) -> bool {
        self.remote.is_some()
            || self.session.transaction_status() != ha_core::TransactionStatus::Idle
    }
}
