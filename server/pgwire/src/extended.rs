//! The extended protocol's message handling with one write per round trip: every answer is
//! queued (`feed`) and the socket is flushed only at Sync (or Flush), as PostgreSQL does.
//! (pgwire's defaults flush after each of ParseComplete, BindComplete, the descriptions and
//! CommandComplete: four writes, and four wake-ups of the client, per execution.)

use std::fmt::Debug;
use std::sync::Arc;

use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::portal::{FetchResult, Portal, PortalExecutionState};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{DescribeResponse, FieldInfo, QueryResponse, Tag};
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::{Entry, PortalStore};
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::data::{NoData, ParameterDescription, RowDescription};
use pgwire::messages::extendedquery::{
    Bind, BindComplete, Describe, Execute, Parse, ParseComplete, PortalSuspended,
    TARGET_TYPE_BYTE_PORTAL, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, TransactionStatus};

use crate::deferred;
use crate::error::user_error;
use crate::handler::{Handler, opened, status};
use crate::portal::{self, Ran};
use crate::statement::Statement;

pub(crate) async fn parse<C>(handler: &Handler, client: &mut C, message: Parse) -> PgWireResult<()>
where
    C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::PortalStore: PortalStore<Statement = Statement>,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let name = message
        .name
        .clone()
        .unwrap_or_else(|| DEFAULT_NAME.to_owned());
    match StoredStatement::parse(client, &message, handler.query_parser()).await? {
        Some(statement) => client.portal_store().put_statement(Arc::new(statement)),
        None => client.portal_store().put_empty_statement(&name),
    }
    client
        .feed(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
        .await?;
    Ok(())
}

pub(crate) async fn bind<C>(handler: &Handler, client: &mut C, message: Bind) -> PgWireResult<()>
where
    C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::PortalStore: PortalStore<Statement = Statement>,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let statement_name = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
    let portal_name = message.portal_name.as_deref().unwrap_or(DEFAULT_NAME);
    {
        let mut guard = handler.lock(client).await?;
        let connection = opened(&mut guard)?;
        deferred::send_pending(connection, client).await?;
        // A portal bound again is a new one: what its former self ran or was told is gone.
        connection.ran_early.remove(portal_name);
        connection.portal_types.remove(portal_name);
    }
    match client.portal_store().get_statement(statement_name) {
        Some(Entry::Value(statement)) => {
            let portal = Portal::try_new(&message, statement)?;
            client.portal_store().put_portal(Arc::new(portal));
        }
        Some(Entry::Empty) => {
            if !message.parameters.is_empty() {
                return Err(user_error(
                    "08P01",
                    format!(
                        "bind message supplies {} parameters, but prepared statement \"{statement_name}\" requires 0",
                        message.parameters.len()
                    ),
                ));
            }
            client.portal_store().put_empty_portal(portal_name);
        }
        None => return Err(PgWireError::StatementNotFound(statement_name.to_owned())),
    }
    client
        .feed(PgWireBackendMessage::BindComplete(BindComplete::new()))
        .await?;
    Ok(())
}

pub(crate) async fn describe<C>(
    handler: &Handler,
    client: &mut C,
    message: Describe,
) -> PgWireResult<()>
where
    C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::PortalStore: PortalStore<Statement = Statement>,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
    let mut guard = handler.lock(client).await?;
    let connection = opened(&mut guard)?;
    deferred::send_pending(connection, client).await?;
    match message.target_type {
        TARGET_TYPE_BYTE_STATEMENT => match client.portal_store().get_statement(name) {
            Some(Entry::Value(statement)) => {
                drop(guard);
                let response = handler.do_describe_statement(client, &statement).await?;
                feed_description(client, &response).await
            }
            Some(Entry::Empty) => {
                client
                    .feed(PgWireBackendMessage::ParameterDescription(
                        ParameterDescription::new(vec![]),
                    ))
                    .await?;
                client
                    .feed(PgWireBackendMessage::NoData(NoData::new()))
                    .await?;
                Ok(())
            }
            None => Err(PgWireError::StatementNotFound(name.to_owned())),
        },
        TARGET_TYPE_BYTE_PORTAL => match client.portal_store().get_portal(name) {
            Some(Entry::Value(portal)) => {
                if deferred::defer(connection, &portal).await? {
                    return Ok(());
                }
                let fields = portal::describe(connection, &portal).await?;
                drop(guard);
                feed_fields(client, &fields).await
            }
            Some(Entry::Empty) => {
                client
                    .feed(PgWireBackendMessage::NoData(NoData::new()))
                    .await?;
                Ok(())
            }
            None => Err(PgWireError::PortalNotFound(name.to_owned())),
        },
        other => Err(PgWireError::InvalidTargetType(other)),
    }
}

/// A portal's description: RowDescription, or NoData when it returns no rows.
pub(crate) async fn feed_fields<C>(client: &mut C, fields: &[FieldInfo]) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let message = if fields.is_empty() {
        PgWireBackendMessage::NoData(NoData::new())
    } else {
        PgWireBackendMessage::RowDescription(RowDescription::new(
            fields.iter().map(Into::into).collect(),
        ))
    };
    client.feed(message).await?;
    Ok(())
}

/// The answer to a Describe: ParameterDescription (of a statement), then RowDescription or
/// NoData.
pub(crate) async fn feed_description<C, D>(client: &mut C, response: &D) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    D: DescribeResponse,
{
    if let Some(parameters) = response.parameters() {
        client
            .feed(PgWireBackendMessage::ParameterDescription(
                ParameterDescription::new(parameters.iter().map(|t| t.oid()).collect()),
            ))
            .await?;
    }
    if response.is_no_data() || response.fields().is_empty() {
        client
            .feed(PgWireBackendMessage::NoData(NoData::new()))
            .await?;
    } else {
        client
            .feed(PgWireBackendMessage::RowDescription(RowDescription::new(
                response.fields().iter().map(Into::into).collect(),
            )))
            .await?;
    }
    Ok(())
}

/// Execute: runs the portal (or goes on fetching a suspended one, `max_rows` at a time).
/// Answers the transaction status it leaves.
pub(crate) async fn execute<C>(
    handler: &Handler,
    client: &mut C,
    message: Execute,
) -> PgWireResult<TransactionStatus>
where
    C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::PortalStore: PortalStore<Statement = Statement>,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
        return Err(PgWireError::NotReadyForQuery);
    }
    client.set_state(PgWireConnectionState::QueryInProgress);
    let portal_name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
    let max_rows = message.max_rows.max(0) as usize;
    let portal = match client.portal_store().get_portal(portal_name) {
        Some(Entry::Value(portal)) => portal,
        Some(Entry::Empty) => {
            client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
            client.set_state(PgWireConnectionState::ReadyForQuery);
            return handler.transaction_status(client).await;
        }
        None => return Err(PgWireError::PortalNotFound(portal_name.to_owned())),
    };
    let state = portal.state();
    let mut state = state.lock().await;
    let mut guard = handler.lock(client).await?;
    let connection = opened(&mut guard)?;
    if !matches!(*state, PortalExecutionState::Initial) {
        // A suspended portal: its next rows.
        deferred::send_pending(connection, client).await?;
        let transaction = status(connection.session.transaction_status());
        drop(guard);
        drop(state);
        let result = portal.fetch(max_rows).await?;
        send_fetched(client, result).await?;
        client.set_state(PgWireConnectionState::ReadyForQuery);
        return Ok(transaction);
    }
    let described_here = deferred::take_for(connection, portal_name);
    if !described_here {
        deferred::send_pending(connection, client).await?;
    }
    let mut cancel = crate::handler::cancel_signal(client).await;
    let ran = crate::handler::cancellable(portal::run(connection, &portal), &mut cancel).await?;
    let transaction = status(connection.session.transaction_status());
    drop(guard);
    match ran {
        Ran::Rows {
            fields,
            rows,
            command,
        } => {
            if described_here {
                feed_fields(client, &fields).await?;
            }
            if max_rows == 0 || rows.len() <= max_rows {
                let count = rows.len();
                for row in rows {
                    client.feed(PgWireBackendMessage::DataRow(row)).await?;
                }
                let tag = Tag::new(&command).with_rows(count);
                client
                    .feed(PgWireBackendMessage::CommandComplete(tag.into()))
                    .await?;
                *state = PortalExecutionState::Finished;
            } else {
                let mut response =
                    QueryResponse::new(fields, futures::stream::iter(rows.into_iter().map(Ok)));
                response.set_command_tag(&command);
                *state = PortalExecutionState::Suspended(response);
                drop(state);
                let result = portal.fetch(max_rows).await?;
                send_fetched(client, result).await?;
            }
        }
        Ran::Command(tag) => {
            if described_here {
                feed_fields(client, &[]).await?;
            }
            client
                .feed(PgWireBackendMessage::CommandComplete(tag.into()))
                .await?;
        }
    }
    client.set_state(PgWireConnectionState::ReadyForQuery);
    Ok(transaction)
}

/// Sends rows fetched from a suspended portal, then PortalSuspended or CommandComplete.
async fn send_fetched<C>(client: &mut C, result: FetchResult) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let mut response = result.response;
    let command = response.command_tag().to_owned();
    let mut rows = 0;
    while let Some(row) = response.data_rows().next().await {
        client.feed(PgWireBackendMessage::DataRow(row?)).await?;
        rows += 1;
    }
    let message = if result.suspended {
        PgWireBackendMessage::PortalSuspended(PortalSuspended::new())
    } else {
        PgWireBackendMessage::CommandComplete(Tag::new(&command).with_rows(rows).into())
    };
    client.feed(message).await?;
    Ok(())
}
