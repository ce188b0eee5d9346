//! Reading a database's messages back from the log, from a sequence or a time on (history and
//! undo, SPEC §10): an ephemeral consumer on the database's subject, read up to the messages
//! pending when it was made. The log's `--replication-max-age` bounds how far back it goes.

use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull};
use futures::StreamExt;
use ha_core::{CoreError, LogEntry};
use ha_types::Since;

use super::consumer::read_change_sets;
use super::subject_for;

/// How long the broker keeps the reading consumer after it goes quiet (a reader that failed
/// half-way leaves nothing behind for long).
const INACTIVE: Duration = Duration::from_secs(30);

/// The most log messages one history or undo reads: every one is held in memory, and a
/// `HISTORY 1` on a long log must not exhaust the node's.
const MOST_ENTRIES: u64 = 100_000;

/// The messages of `database` from `since` to the end of the log as it was when asked.
pub(crate) async fn read(
    context: &jetstream::Context,
    stream: &str,
    database: &str,
    since: Since,
) -> Result<Vec<LogEntry>, CoreError> {
    let failed =
        |what: &str, e: &dyn std::fmt::Display| CoreError::Unavailable(format!("{what}: {e}"));
    let stream_name = stream;
    let stream = context
        .get_stream(stream)
        .await
        .map_err(|e| failed("reading the log", &e))?;
    let deliver_policy = match since {
        Since::Seq(start_sequence) => DeliverPolicy::ByStartSequence {
            start_sequence: start_sequence.max(1),
        },
        Since::Ago(ago) => {
            let start_time = time::OffsetDateTime::now_utc() - ago;
            DeliverPolicy::ByStartTime { start_time }
        }
    };
    let mut consumer: jetstream::consumer::Consumer<pull::Config> = stream
        .create_consumer(pull::Config {
            filter_subject: subject_for(stream_name, database),
            deliver_policy,
            ack_policy: jetstream::consumer::AckPolicy::None,
            inactive_threshold: INACTIVE,
            ..Default::default()
        })
        .await
        .map_err(|e| failed("reading the log", &e))?;
    let pending = consumer
        .info()
        .await
        .map_err(|e| failed("reading the log", &e))?
        .num_pending;
    if pending > MOST_ENTRIES {
        let name = consumer.cached_info().name.clone();
        let _ = stream.delete_consumer(&name).await;
        return Err(CoreError::BadRequest(format!(
            "{pending} log entries of {database} from there on: more than the {MOST_ENTRIES} one \
             history or undo reads; start from a later sequence or a shorter span"
        )));
    }
    let mut entries = Vec::new();
    if pending > 0 {
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| failed("reading the log", &e))?;
        while (entries.len() as u64) < pending {
            let Some(message) = messages.next().await else {
                break;
            };
            let message = message.map_err(|e| failed("reading the log", &e))?;
            let info = message
                .info()
                .map_err(|e| failed("reading a log message", &e))?;
            entries.push(LogEntry {
                seq: info.stream_sequence,
                change_sets: read_change_sets(&message),
            });
        }
    }
    let name = consumer.cached_info().name.clone();
    let _ = stream.delete_consumer(&name).await;
    Ok(entries)
}
