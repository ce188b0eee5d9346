//! The replication log on JetStream (SPEC §6.3): one stream with subjects `<stream>.>`, change
//! sets published with a message id (a retried publish is stored once), and one durable consumer
//! per node and database that applies the stream in order.

pub mod admin;
mod catch_up;
mod consumer;
mod history;
mod publish;

use std::time::Duration;

use async_nats::jetstream;

pub use consumer::{ConsumerStart, Healing, consumer_name, run_consumer};
pub use publish::JetStreamLog;

use crate::NatsError;

/// Settings of the replication stream.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// Stream name and subject prefix (`--replication-stream`).
    pub name: String,
    /// JetStream replicas (`--replicas`).
    pub replicas: usize,
    /// How long changes are kept (`--replication-max-age`).
    pub max_age: Duration,
}

/// The subject of a database's change sets: characters NATS gives a meaning to become `_`.
pub fn subject_for(stream: &str, database: &str) -> String {
    format!("{stream}.{}", ha_types::log_name(database))
}

/// Creates the stream, or updates its settings when it exists.
pub async fn ensure_stream(
    context: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<jetstream::stream::Stream, NatsError> {
    let config = jetstream::stream::Config {
        name: settings.name.clone(),
        subjects: vec![format!("{}.>", settings.name)],
        storage: jetstream::stream::StorageType::File,
        num_replicas: settings.replicas,
        max_age: settings.max_age,
        ..Default::default()
    };
    match context.get_or_create_stream(config.clone()).await {
        Ok(stream) => Ok(stream),
        Err(e) => Err(NatsError::Log(format!(
            "creating stream {}: {e}",
            settings.name
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subjects_replace_special_characters() {
        assert_eq!(
            super::subject_for("ha_replication", "users_1.db"),
            "ha_replication.users_1_db"
        );
        assert_eq!(super::subject_for("s", "a b*c>d/e"), "s.a_b_c_d_e");
    }
}
