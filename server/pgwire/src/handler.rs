//! pgwire's handler traits over [`QueryService`]: simple queries, the extended protocol
//! (Parse/Bind/Describe/Execute/Sync) and the transaction status every ReadyForQuery carries.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt, stream};
use ha_server_api::{QueryService, SessionOptions, TransactionStatus as SessionStatus};
use ha_types::Value;
use ha_types::sql_text::split_statements;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{
    DataRowEncoder, DescribePortalResponse, DescribeStatementResponse, QueryResponse, Response,
};
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, METADATA_DATABASE, METADATA_USER, PgWireConnectionState, Type,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::extendedquery::{
    Bind, Close, CloseComplete, Describe, Execute, Flush, Parse, Sync as PgSync,
    TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, ReadyForQuery, TransactionStatus};
use pgwire::messages::simplequery::Query;

use crate::connection::{Connection, Outcome, SharedConnection};
use crate::deferred;
use crate::error::{api_error, user_error};
use crate::execute::{self, batchable};
use crate::extended;
use crate::params;
use crate::statement::{Parser, PgStatement, Statement};
use crate::types;

pub(crate) struct Handler {
    pub service: Arc<dyn QueryService>,
    pub parser: Arc<Parser>,
}

fn status(session: SessionStatus) -> TransactionStatus {
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
            && let Ok(shared) = self.connection(client).await
            && let Some(connection) = shared.lock().await.as_mut()
        {
            connection.session.fail_transaction();
        }
    }

    /// The connection's state, its session opened on first use on the database the startup
    /// message named (its id, or its id without `.db`), else the default one.
    pub(crate) async fn connection<C: ClientInfo>(
        &self,
        client: &C,
    ) -> PgWireResult<SharedConnection> {
        let shared = client
            .session_extensions()
            .get_or_insert_with(|| tokio::sync::Mutex::new(None::<Connection>));
        let mut guard = shared.lock().await;
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
        drop(guard);
        Ok(shared)
    }
}

/// The connection of a locked state (its session is opened by [`Handler::connection`]).
fn opened(state: &mut Option<Connection>) -> PgWireResult<&mut Connection> {
    state
        .as_mut()
        .ok_or_else(|| user_error("XX000", "the connection has no session"))
}

/// An outcome's rows as a QueryResponse: encoded in `types`, in the formats the client asked.
fn rows_response(
    names: &[String],
    rows: &[Vec<Value>],
    command: &str,
    types: &[Type],
    format: Option<&Format>,
    origins: &[Option<ha_types::ColumnOrigin>],
) -> PgWireResult<QueryResponse> {
    let fields = types::fields(names, types, format, origins);
    let mut encoder = DataRowEncoder::new(Arc::clone(&fields));
    let encoded: Vec<_> = rows
        .iter()
        .map(|row| types::encode_row(&mut encoder, &fields, row))
        .collect::<PgWireResult<_>>()?;
    let mut response = QueryResponse::new(fields, stream::iter(encoded.into_iter().map(Ok)));
    response.set_command_tag(command);
    Ok(response)
}

/// Sends an outcome of the simple protocol: RowDescription, DataRows, CommandComplete.
async fn send_outcome<C>(client: &mut C, outcome: Outcome) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let types = execute::resolved_types(&outcome, None);
    match outcome {
        Outcome::Command(tag) => {
            client
                .feed(PgWireBackendMessage::CommandComplete(tag.into()))
                .await?;
        }
        Outcome::Rows {
            names,
            rows,
            command,
            origins,
            ..
        } => {
            let response = rows_response(&names, &rows, &command, &types, None, &origins)?;
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
        deferred::release(self, client).await?;
        client.set_state(PgWireConnectionState::QueryInProgress);
        let shared = self.connection(client).await?;
        let mut cancel = cancel_signal(client).await;
        let mut guard = shared.lock().await;
        let connection = opened(&mut guard)?;
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

/// The type of parameter `index`: the client's (Parse), the statement's cast, the described
/// one, else text.
fn parameter_type(stored: &StoredStatement<Statement>, index: usize) -> Type {
    stored
        .parameter_types
        .get(index)
        .cloned()
        .flatten()
        .filter(|t| *t != Type::UNKNOWN)
        .or_else(|| {
            stored
                .statement
                .casts
                .get(&(index + 1))
                .and_then(|c| types::cast(c))
        })
        .or_else(|| {
            stored
                .statement
                .described
                .get()
                .and_then(|d| d.parameters.get(index).cloned())
        })
        .unwrap_or(Type::UNKNOWN)
}

fn bound_parameters(portal: &Portal<Statement>) -> PgWireResult<Vec<Value>> {
    (0..portal.parameters.len())
        .map(|i| {
            params::decode(
                portal.parameters[i].as_ref(),
                &parameter_type(&portal.statement, i),
                portal.parameter_format.is_binary(i),
            )
        })
        .collect()
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
        deferred::release(self, client).await?;
        let result = extended::bind(client, message).await;
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
        deferred::release(self, client).await?;
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
        let result = extended::execute(self, client, message).await;
        self.failed_if_error(client, &result).await;
        // The session knows where its transaction stands (pgwire's own guess can't see
        // ROLLBACK TO recovering a failed transaction).
        let shared = self.connection(client).await?;
        let transaction = shared
            .lock()
            .await
            .as_ref()
            .map(|c| status(c.session.transaction_status()));
        if let Some(transaction) = transaction {
            client.set_transaction_status(transaction);
        }
        result
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
        deferred::release(self, client).await?;
        client.portal_store().rm_portal(pgwire::api::DEFAULT_NAME);
        let shared = self.connection(client).await?;
        let transaction = {
            let mut guard = shared.lock().await;
            guard.as_mut().map_or(TransactionStatus::Idle, |c| {
                c.ran_early.clear();
                c.portal_types.clear();
                status(c.session.transaction_status())
            })
        };
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
                let shared = self.connection(client).await?;
                let mut guard = shared.lock().await;
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
        let format = Some(&portal.result_column_format);
        if let Some(described) = portal.statement.statement.described.get() {
            return Ok(DescribePortalResponse::new(
                described.fields(format).as_ref().clone(),
            ));
        }
        let shared = self.connection(client).await?;
        let mut guard = shared.lock().await;
        let connection = opened(&mut guard)?;
        let statement = &portal.statement.statement;
        let analysis =
            execute::analyze(connection, statement, &portal.statement.parameter_types).await?;
        if analysis.read_only && connection.session.transaction_status() != SessionStatus::Failed {
            // A read runs now, so that its columns are described by their values too (the
            // core's rule: a declared type only while every value fits it); Execute sends
            // these rows.
            let outcome = execute::run(connection, statement, bound_parameters(portal)?).await?;
            let types =
                connection.types_to_tell(&statement.sql, execute::resolved_types(&outcome, None));
            let (names, origins) = match &outcome {
                Outcome::Rows { names, origins, .. } => (names.clone(), origins.clone()),
                Outcome::Command(_) => Default::default(),
            };
            statement.remember_told(&types);
            connection.ran_early.insert(portal.name.clone(), outcome);
            return Ok(DescribePortalResponse::new(
                types::fields(&names, &types, format, &origins)
                    .as_ref()
                    .clone(),
            ));
        }
        let types = analysis
            .types
            .iter()
            .map(|t| t.clone().unwrap_or(Type::TEXT))
            .collect();
        let types = connection.types_to_tell(&statement.sql, types);
        statement.remember_told(&types);
        connection
            .portal_types
            .insert(portal.name.clone(), types.clone());
        Ok(DescribePortalResponse::new(
            types::fields(&analysis.names, &types, format, &[])
                .as_ref()
                .clone(),
        ))
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
        let shared = self.connection(client).await?;
        let mut guard = shared.lock().await;
        let connection = opened(&mut guard)?;
        let statement = &portal.statement.statement;
        let by_values = connection
            .described_by_values
            .take()
            .is_some_and(|p| p == portal.name);
        let told = if by_values {
            None
        } else {
            connection
                .portal_types
                .remove(&portal.name)
                .or_else(|| statement.described.get().map(|d| d.types.clone()))
                .or_else(|| statement.told())
        };
        let outcome = match connection.ran_early.remove(&portal.name) {
            Some(outcome) => outcome,
            None => {
                let params = bound_parameters(portal)?;
                let writes = statement.analysis.get().is_some_and(|a| !a.read_only);
                match &told {
                    Some(told) if writes && told.iter().any(|t| *t != Type::TEXT) => {
                        execute::run_told(connection, statement, params, told).await
                    }
                    _ => execute::run(connection, statement, params).await,
                }
                .inspect_err(|e| {
                    if types::is_changed_type(e) {
                        connection.text_only.insert(statement.sql.clone());
                    }
                })?
            }
        };
        let types = execute::resolved_types(&outcome, told.as_deref());
        if by_values {
            statement.remember_told(&types);
        }
        Ok(match outcome {
            Outcome::Command(tag) => Response::Execution(tag),
            Outcome::Rows {
                names,
                rows,
                command,
                origins,
                ..
            } => Response::Query(
                rows_response(
                    &names,
                    &rows,
                    &command,
                    &types,
                    Some(&portal.result_column_format),
                    &origins,
                )
                .inspect_err(|e| {
                    if types::is_changed_type(e) {
                        connection.text_only.insert(statement.sql.clone());
                    }
                })?,
            ),
        })
    }
}
