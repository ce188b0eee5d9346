//! The extended protocol's message handling with one write per round trip: every answer is
//! queued (`feed`) and the socket is flushed only at Sync (or Flush), as PostgreSQL does.
//! (pgwire's defaults flush after each of ParseComplete, BindComplete, the descriptions and
//! CommandComplete: four writes, and four wake-ups of the client, per execution.)

use std::fmt::Debug;
use std::ops::Deref;
use std::sync::Arc;

use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::portal::{Portal, PortalExecutionState};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{DescribePortalResponse, DescribeResponse, Response, Tag};
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
use pgwire::messages::response::EmptyQueryResponse;

use crate::error::user_error;
use crate::handler::Handler;
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

pub(crate) async fn bind<C>(client: &mut C, message: Bind) -> PgWireResult<()>
where
    C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::PortalStore: PortalStore<Statement = Statement>,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let statement_name = message.statement_name.as_deref().unwrap_or(DEFAULT_NAME);
    let portal_name = message.portal_name.as_deref().unwrap_or(DEFAULT_NAME);
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
    match message.target_type {
        TARGET_TYPE_BYTE_STATEMENT => match client.portal_store().get_statement(name) {
            Some(Entry::Value(statement)) => {
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
                if crate::deferred::defer(handler, client, &portal).await? {
                    return Ok(());
                }
                let response = handler.do_describe_portal(client, &portal).await?;
                feed_description(client, &response).await
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
pub(crate) async fn execute<C>(
    handler: &Handler,
    client: &mut C,
    message: Execute,
) -> PgWireResult<()>
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
            return Ok(());
        }
        None => return Err(PgWireError::PortalNotFound(portal_name.to_owned())),
    };
    let fresh = matches!(
        portal.state().lock().await.deref(),
        PortalExecutionState::Initial
    );
    let described_here = fresh && crate::deferred::take_for(handler, client, portal_name).await?;
    if !described_here {
        crate::deferred::release(handler, client).await?;
    }
    let fetch = if fresh {
        let mut cancel = crate::handler::cancel_signal(client).await;
        let response = crate::handler::cancellable(
            handler.do_query(client, portal.as_ref(), max_rows),
            &mut cancel,
        )
        .await?;
        match response {
            Response::Query(results) => {
                if described_here {
                    let fields = results.row_schema().as_ref().clone();
                    feed_description(client, &DescribePortalResponse::new(fields)).await?;
                }
                portal.start(results).await;
                true
            }
            Response::Execution(tag)
            | Response::TransactionStart(tag)
            | Response::TransactionEnd(tag) => {
                if described_here {
                    feed_description(client, &DescribePortalResponse::no_data()).await?;
                }
                client
                    .feed(PgWireBackendMessage::CommandComplete(tag.into()))
                    .await?;
                false
            }
            Response::EmptyQuery => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
                false
            }
            _ => return Err(user_error("0A000", "COPY is not supported")),
        }
    } else {
        true
    };
    if fetch {
        let result = portal.fetch(max_rows).await?;
        let mut response = result.response;
        let command = response.command_tag().to_owned();
        let mut rows = 0;
        while let Some(row) = response.data_rows().next().await {
            client.feed(PgWireBackendMessage::DataRow(row?)).await?;
            rows += 1;
        }
        if result.suspended {
            client
                .feed(PgWireBackendMessage::PortalSuspended(PortalSuspended::new()))
                .await?;
        } else {
            let tag = Tag::new(&command).with_rows(rows);
            client
                .feed(PgWireBackendMessage::CommandComplete(tag.into()))
                .await?;
        }
    }
    client.set_state(PgWireConnectionState::ReadyForQuery);
    Ok(())
}
