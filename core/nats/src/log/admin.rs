//! What `GET/DELETE /replications` show and do: the durable consumers of a database's subject,
//! every node's, as JetStream knows them.

use async_nats::jetstream;
use futures::StreamExt;

use super::subject_for;
use crate::NatsError;

/// One consumer of a database's changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerReport {
    /// `<node>_<database>`.
    pub name: String,
    /// The last stream sequence delivered to it.
    pub delivered_seq: u64,
    /// Messages of the subject it has not been delivered yet.
    pub pending: u64,
    /// When it last received a message (RFC 3339), if ever.
    pub last_active: Option<String>,
}

pub async fn consumers(
    context: &jetstream::Context,
    stream_name: &str,
    database: &str,
) -> Result<Vec<ConsumerReport>, NatsError> {
    let subject = subject_for(stream_name, database);
    let stream = context
        .get_stream(stream_name)
        .await
        .map_err(|e| NatsError::Log(format!("reading stream {stream_name}: {e}")))?;
    let mut list = stream.consumers();
    let mut reports = Vec::new();
    while let Some(info) = list.next().await {
        let info = info.map_err(|e| NatsError::Log(format!("listing consumers: {e}")))?;
        if info.config.filter_subject != subject {
            continue;
        }
        reports.push(ConsumerReport {
            name: info.name.clone(),
            delivered_seq: info.delivered.stream_sequence,
            pending: info.num_pending,
            last_active: info.delivered.last_active.and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        });
    }
    reports.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(reports)
}

/// Removes a consumer (e.g. of a node that is gone for good). `false` when there was none.
pub async fn delete_consumer(
    context: &jetstream::Context,
    stream_name: &str,
    name: &str,
) -> Result<bool, NatsError> {
    let stream = context
        .get_stream(stream_name)
        .await
        .map_err(|e| NatsError::Log(format!("reading stream {stream_name}: {e}")))?;
    match stream.delete_consumer(name).await {
        Ok(_) => Ok(true),
        Err(e) if e.to_string().contains("not found") => Ok(false),
        Err(e) => Err(NatsError::Log(format!("deleting consumer {name}: {e}"))),
    }
}
