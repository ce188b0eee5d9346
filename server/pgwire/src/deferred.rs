//! A write's result columns described by the values it returns: the Describe of a write's
//! portal (`INSERT ... RETURNING`) is answered when its Execute runs, just before its rows.
//!
//! A write may not run before its Execute, and its values are what the core's rule for result
//! types needs (docs/postgresql.md "Types"). Answers go out only at Sync or Flush, so waiting
//! changes nothing the client can see: it reads RowDescription, DataRows, CommandComplete in
//! the order PostgreSQL sends them. Should anything but that Execute come first (a Flush, a
//! Sync, another message), the description is sent then, typed without the values as a
//! statement's Describe is, and the Execute runs under those types. (Execute sends the
//! description it waited for: `extended::execute`.)

use std::fmt::Debug;
use std::sync::Arc;

use futures::Sink;
use pgwire::api::ClientInfo;
use pgwire::api::Type;
use pgwire::api::portal::{Format, Portal};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;

use crate::connection::Connection;
use crate::execute;
use crate::handler::Handler;
use crate::statement::Statement;
use crate::types;

/// A write portal whose description waits for its Execute.
#[derive(Debug)]
pub(crate) struct Deferred {
    pub portal: String,
    statement: Statement,
    names: Vec<String>,
    /// The types to tell if it has to be sent before the values are known.
    types: Vec<Type>,
    format: Format,
}

/// Defers the description of `portal` when it is a write with result columns; false when it
/// is to be described now.
pub(crate) async fn defer(
    connection: &mut Connection,
    portal: &Portal<Statement>,
) -> PgWireResult<bool> {
    let statement = &portal.statement.statement;
    if statement.compat.is_some() || statement.described.get().is_some() {
        return Ok(false);
    }
    let analysis =
        execute::analyze(connection, statement, &portal.statement.parameter_types).await?;
    if analysis.read_only
        || analysis.names.is_empty()
        || connection.text_only.contains(&statement.sql)
    {
        return Ok(false);
    }
    connection.deferred = Some(Deferred {
        portal: portal.name.clone(),
        statement: Arc::clone(statement),
        types: analysis
            .types
            .iter()
            .map(|t| t.clone().unwrap_or(Type::TEXT))
            .collect(),
        names: analysis.names.clone(),
        format: portal.result_column_format.clone(),
    });
    Ok(true)
}

/// Takes the deferred description when it is `portal`'s: its Execute describes the rows it
/// returns by their values.
pub(crate) fn take_for(connection: &mut Connection, portal: &str) -> bool {
    if connection
        .deferred
        .as_ref()
        .is_none_or(|d| d.portal != portal)
    {
        return false;
    }
    connection.deferred = None;
    connection.described_by_values = Some(portal.to_string());
    true
}

/// Sends a deferred description now, typed without the values, and has its Execute keep to
/// those types. A no-op when nothing waits.
pub(crate) async fn send_pending<C>(connection: &mut Connection, client: &mut C) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let Some(deferred) = connection.deferred.take() else {
        return Ok(());
    };
    connection
        .portal_types
        .insert(deferred.portal.clone(), deferred.types.clone());
    deferred.statement.remember_told(&deferred.types);
    let fields = types::fields(
        &deferred.names,
        &deferred.types,
        Some(&deferred.format),
        &[],
    );
    crate::extended::feed_fields(client, &fields).await
}

/// [`send_pending`] for a message that has no other use for the connection's state.
pub(crate) async fn release<C>(handler: &Handler, client: &mut C) -> PgWireResult<()>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let mut guard = handler.lock(client).await?;
    match guard.as_mut() {
        Some(connection) => send_pending(connection, client).await,
        None => Ok(()),
    }
}
