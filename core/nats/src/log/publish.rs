//! Publishing change sets: the engine's [`ChangeLog`] on JetStream.

use async_nats::jetstream::{self, message::PublishMessage};
use bytes::Bytes;
use ha_core::{AckFuture, ChangeLog, HistoryFuture, PublishFuture};

use super::subject_for;

pub struct JetStreamLog {
    client: async_nats::Client,
    context: jetstream::Context,
    stream: String,
}

impl JetStreamLog {
    pub fn new(client: async_nats::Client, stream: impl Into<String>) -> JetStreamLog {
        JetStreamLog {
            context: jetstream::new(client.clone()),
            client,
            stream: stream.into(),
        }
    }
}

impl ChangeLog for JetStreamLog {
    fn publish<'a>(
        &'a self,
        database: &'a str,
        msg_id: &'a str,
        payload: Bytes,
    ) -> PublishFuture<'a> {
        Box::pin(async move {
            let subject = subject_for(&self.stream, database);
            let message = PublishMessage::build().payload(payload).message_id(msg_id);
            let ack = self
                .context
                .send_publish(subject, message)
                .await
                .map_err(|e| format!("publishing to the stream: {e}"))?;
            let ack: AckFuture = Box::pin(async move {
                ack.await
                    .map(|ack| ack.sequence)
                    .map_err(|e| format!("the stream did not store the change set: {e}"))
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
