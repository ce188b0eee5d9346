//! Publishing change sets: the engine's [`ChangeLog`] on JetStream.

use std::sync::Arc;

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::{self, message::PublishMessage};
use bytes::Bytes;
use ha_core::{AckFuture, ChangeLog, HistoryFuture, PublishError, PublishFuture};
use ha_types::CHANGE_SETS_HEADER;

use super::subject_for;
use crate::fence::Fence;

pub struct JetStreamLog {
    client: async_nats::Client,
    context: jetstream::Context,
    stream: String,
    /// Leader mode: change sets with a term are stored only while their term is the last one
    /// marked in the log.
    fence: Arc<Fence>,
}

impl JetStreamLog {
    pub fn new(client: async_nats::Client, stream: impl Into<String>, node: &str) -> JetStreamLog {
        let stream = stream.into();
        let context = jetstream::new(client.clone());
        JetStreamLog {
            fence: Arc::new(Fence::new(context.clone(), &stream, node)),
            context,
            client,
            stream,
        }
    }

    /// The fence leader mode marks each new term with.
    pub fn fence(&self) -> Arc<Fence> {
        Arc::clone(&self.fence)
    }
}

impl ChangeLog for JetStreamLog {
    fn publish<'a>(
        &'a self,
        database: &'a str,
        msg_id: &'a str,
        payload: Bytes,
        change_sets: usize,
        term: Option<u64>,
    ) -> PublishFuture<'a> {
        Box::pin(async move {
            let subject = subject_for(&self.stream, database);
            let mut message = PublishMessage::build().payload(payload).message_id(msg_id);
            if change_sets > 1 {
                message = message.header(CHANGE_SETS_HEADER, change_sets.to_string().as_str());
            }
            if let Some(term) = term {
                message = self.fence.guard(term, message).await?;
            }
            let ack = self
                .context
                .send_publish(subject, message)
                .await
                .map_err(|e| PublishError::Failed(format!("publishing to the stream: {e}")))?;
            let fence = Arc::clone(&self.fence);
            let ack: AckFuture = Box::pin(async move {
                match ack.await {
                    Ok(ack) => Ok(ack.sequence),
                    Err(e) => match term {
                        Some(term) if e.kind() == PublishErrorKind::WrongLastSequence => {
                            Err(fence.refused(term).await)
                        }
                        _ => Err(PublishError::Failed(format!(
                            "the stream did not store the change set: {e}"
                        ))),
                    },
                }
            });
            Ok(ack)
        })
    }

    fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }

    fn history<'a>(&'a self, database: &'a str, since: ha_types::Since) -> HistoryFuture<'a> {
        Box::pin(super::history::read(
            &self.context,
            &self.stream,
            database,
            since,
        ))
    }
}
