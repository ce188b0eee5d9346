//! pgwire's handler traits over [`QueryService`]: simple queries, the extended protocol
//! (Parse/Bind/Describe/Execute/Sync) and the transaction status every ReadyForQuery carries.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use ha_server_api::{QueryService, SessionOptions, TransactionStatus as SessionStatus};
use ha_types::sql_text::split_statements;
use pgwire::api::portal::Portal;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{DescribePortalResponse, DescribeStatementResponse, Response};
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, METADATA_DATABASE, METADATA_USER, PgWireConnectionState,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::extendedquery::{
    Bind, Close, CloseComplete, Describe, Execute, Flush, Parse, Sync as PgSync,
    TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery, TransactionStatus};
use pgwire::messages::simplequery::Query;

use crate::connection::{Connection, LockedConnection, Outcome, SharedConnection};
use crate::deferred;
use crate::error::{api_error, user_error};
use crate::execute::{self, batchable};
use crate::extended;
use crate::portal::{self, Ran};
use crate::statement::{Parser, PgStatement, Statement};
use crate::types;

/// One connection's handler: pgwire asks for the handlers once per connection, so the
/// connection's state lives here rather than in pgwire's per-session type map, which every
/// message would otherwise look it up in.
pub(crate) struct Handler {
    pub service: Arc<dyn QueryService>,
    pub parser: Arc<Parser>,
    pub connection: SharedConnection,
}

pub(crate) fn status(session: SessionStatus) -> TransactionStatus {
    match session {
        SessionStatus::Idle => TransactionStatus::Idle,
        SessionStatus::Open => TransactionStatus::Transaction,
        SessionStatus::Failed => TransactionStatus::Error,
    }
}

impl Handler {
    /// Any error inside a transaction block aborts it, as in PostgreSQL (statement errors do
    /// so in the engine; this covers protocol, parameter and describe errors).
    async fn failed_if_error<C: ClientInfo, T>(&self, client: &C, result: &PgWireResult<T>) {
        if result.as_ref().is_err_and(|e| !types::is_changed_type(e))
            && let Ok(mut guard) = self.lock(client).await
            && let Some(connection) = guard.as_mut()
        {
            connection.session.fail_transaction();
        }
    }

    /// The connection's state, locked; its session opened on first use on the database the
    /// startup message named (its id, or its id without `.db`), else the default one.
    pub(crate) async fn lock<C: ClientInfo>(&self, client: &C) -> PgWireResult<LockedConnection> {
        let mut guard = Arc::clone(&self.connection).lock_owned().await;
        if guard.is_none() {
            let wanted = client.metadata().get(METADATA_DATABASE).cloned();
            let ids = self.service.list_databases();
            let database = wanted.and_then(|name| {
                ids.iter()
                    .find(|id| **id == name || id.strip_suffix(".db") == Some(name.as_str()))
                    .cloned()
            });
            let session = self
                .service
                .open_session(SessionOptions {
                    database,
                    abort_on_error: true,
                })
                .map_err(|e| api_error(&e))?;
            *guard = Some(Connection {
                session,
                user: client
                    .metadata()
                    .get(METADATA_USER)
                    .cloned()
                    .unwrap_or_default(),
                settings: Default::default(),
                ran_early: Default::default(),
                portal_types: Default::default(),
                text_only: Default::default(),
                deferred: None,
                described_by_values: None,
            });
        }
        Ok(guard)
    }

    /// The transaction status to tell in ReadyForQuery.
    pub(crate) async fn transaction_status<C: ClientInfo>(
        &self,
        client: &C,
    ) -> PgWireResult<TransactionStatus> {
        let guard = self.lock(client).await?;
        Ok(guard.as_ref().map_or(TransactionStatus::Idle, |c| {
            status(c.session.transaction_status())
        }))
    }
}

/// The connection of a locked state (its session is opened by [`Handler::connection`]).
pub(crate) fn opened(state: &mut Option<Connection>) -> PgWireResult<&mut Connection> {
    state
        .as_mut()
        .ok_or_else(|| user_error("XX000", "the connection has no session"))
}

/// Sends an outcome of the simple protocol: RowDescription, DataRows, CommandComplete.
async fn send_outcome<C>(client: &mut C, outcome: Outcome) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let types = execute::resolved_types(&outcome, None);
    match Ran::encode(outcome, &types, None)? {
        Ran::Command(tag) => {
            client
                .feed(PgWireBackendMessage::CommandComplete(tag.into()))
                .await?;
        }
        Ran::Rows {
            fields,
            rows,
            command,
        } => {
            let response = portal::query_response(fields, rows, &command);
            pgwire::api::query::send_query_response(client, response, true).await?;
        }
    }
    Ok(())
}

#[async_trait]
impl SimpleQueryHandler for Handler {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(execute::not_ready());
        }
        let mut guard = self.lock(client).await?;
        let connection = opened(&mut guard)?;
        deferred::send_pending(connection, client).await?;
        client.set_state(PgWireConnectionState::QueryInProgress);
        let mut cancel = cancel_signal(client).await;
        let statements: Vec<PgStatement> = split_statements(&query.query)
            .into_iter()
            .map(PgStatement::new)
            .collect();
        if statements.is_empty() {
            client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
        } else if statements.len() > 1
            && connection.session.transaction_status() == SessionStatus::Idle
            && statements.iter().all(batchable)
        {
            // Several statements in one Query run as one transaction, as in PostgreSQL.
            match cancellable(execute::run_batch(connection, &statements), &mut cancel).await {
                Ok(outcomes) => {
                    for outcome in outcomes {
                        send_outcome(client, outcome).await?;
                    }
                }
                Err(e) => send_error(client, e).await?,
            }
        } else {
            for statement in &statements {
                match cancellable(execute::run(connection, statement, Vec::new()), &mut cancel)
                    .await
                {
                    Ok(outcome) => send_outcome(client, outcome).await?,
                    Err(e) => {
                        connection.session.fail_transaction();
                        send_error(client, e).await?;
                        break;
                    }
                }
            }
        }
        let transaction = status(connection.session.transaction_status());
        drop(guard);
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(transaction);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                transaction,
            )))
            .await?;
        Ok(())
    }

    async fn do_query<C>(&self, _client: &mut C, _query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_query` above answers simple queries itself.
        Err(user_error("XX000", "unexpected simple query path"))
    }
}

/// The signal of a CancelRequest for this connection's next statement (none before the
/// connection is registered, at the end of authentication).
pub(crate) async fn cancel_signal<C: ClientInfo>(
    client: &C,
) -> Option<futures::channel::oneshot::Receiver<()>> {
    let handle = client
        .session_extensions()
        .get::<Arc<pgwire::api::ConnectionHandle>>()?;
    Some(handle.start_query().await)
}

/// Runs `work` unless a CancelRequest arrives first; dropping it interrupts a running read.
pub(crate) async fn cancellable<T>(
    work: impl std::future::Future<Output = PgWireResult<T>>,
    cancel: &mut Option<futures::channel::oneshot::Receiver<()>>,
) -> PgWireResult<T> {
    let Some(signal) = cancel.as_mut() else {
        return work.await;
    };
    let cancelled = async {
        // A dropped sender (a later statement took its place) is no cancel.
        if signal.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = work => result,
        () = cancelled => Err(PgWireError::QueryCanceled),
    }
}

async fn send_error<C>(client: &mut C, error: PgWireError) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let info: ErrorInfo = error.into();
    client
        .feed(PgWireBackendMessage::ErrorResponse(info.into()))
        .await?;
    Ok(())
}

#[async_trait]
impl ExtendedQueryHandler for Handler {
    type Statement = Statement;
    type QueryParser = Parser;

    fn query_parser(&self) -> Arc<Parser> {
        Arc::clone(&self.parser)
    }

    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        deferred::release(self, client).await?;
        let result = extended::parse(self, client, message).await;
        self.failed_if_error(client, &result).await;
        result
    }

    async fn on_bind<C>(&self, client: &mut C, message: Bind) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let result = extended::bind(self, client, message).await;
        self.failed_if_error(client, &result).await;
        result
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let result = extended::describe(self, client, message).await;
        self.failed_if_error(client, &result).await;
        result
    }

    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // The session knows where its transaction stands (pgwire's own guess can't see
        // ROLLBACK TO recovering a failed transaction).
        match extended::execute(self, client, message).await {
            Ok(transaction) => {
                client.set_transaction_status(transaction);
                Ok(())
            }
            Err(e) => {
                let result = Err(e);
                self.failed_if_error(client, &result).await;
                client.set_transaction_status(self.transaction_status(client).await?);
                result
            }
        }
    }

    async fn on_flush<C>(&self, client: &mut C, _message: Flush) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        deferred::release(self, client).await?;
        client.flush().await?;
        Ok(())
    }

    async fn on_close<C>(&self, client: &mut C, message: Close) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        deferred::release(self, client).await?;
        let name = message.name.as_deref().unwrap_or(pgwire::api::DEFAULT_NAME);
        match message.target_type {
            TARGET_TYPE_BYTE_STATEMENT => client.portal_store().rm_statement(name),
            TARGET_TYPE_BYTE_PORTAL => client.portal_store().rm_portal(name),
            _ => {}
        }
        client
            .feed(PgWireBackendMessage::CloseComplete(CloseComplete::new()))
            .await?;
        Ok(())
    }

    async fn on_sync<C>(&self, client: &mut C, _message: PgSync) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut guard = self.lock(client).await?;
        let connection = opened(&mut guard)?;
        deferred::send_pending(connection, client).await?;
        connection.ran_early.clear();
        connection.portal_types.clear();
        let transaction = status(connection.session.transaction_status());
        drop(guard);
        client.portal_store().rm_portal(pgwire::api::DEFAULT_NAME);
        client.set_transaction_status(transaction);
        client
            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                transaction,
            )))
            .await?;
        client.flush().await?;
        Ok(())
    }

    async fn do_describe_statement<C>(
        &self,
        client: &mut C,
        target: &StoredStatement<Statement>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let described = match target.statement.described.get() {
            Some(described) => described.clone(),
            None => {
                let mut guard = self.lock(client).await?;
                let connection = opened(&mut guard)?;
                let described = execute::describe_statement(
                    connection,
                    &target.statement,
                    &target.parameter_types,
                )
                .await?;
                target.statement.described.get_or_init(|| described).clone()
            }
        };
        let fields = described.fields(None).as_ref().clone();
        Ok(DescribeStatementResponse::new(described.parameters, fields))
    }

    async fn do_describe_portal<C>(
        &self,
        client: &mut C,
        portal: &Portal<Statement>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut guard = self.lock(client).await?;
        let fields = portal::describe(opened(&mut guard)?, portal).await?;
        Ok(DescribePortalResponse::new(fields.as_ref().clone()))
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Statement>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // `on_execute` above runs portals itself; this answers any other caller alike.
        let mut guard = self.lock(client).await?;
        Ok(portal::run(opened(&mut guard)?, portal)
            .await?
            .into_response())
    }
}
