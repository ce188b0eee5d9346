//! The consumer of one database on this node: reads the stream in order from the position the
//! database recorded (in the same transaction as the applied changes) and applies it in batches.
//! The database is the source of truth for the position, so the durable consumer is recreated at
//! that position when the node starts.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull};
use futures::{FutureExt, StreamExt};
use ha_core::{ApplyStatus, CoreError, Database, LogEntry};
use ha_types::ChangeSet;
use tokio::sync::watch;
use tracing::{error, info, warn};

use super::subject_for;
use crate::NatsError;

/// Most log entries applied in one transaction.
const MAX_BATCH: usize = 512;

/// Where a consumer without a recorded position starts (`--replication-policy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ConsumerStart {
    #[default]
    All,
    Last,
    New,
    Sequence(u64),
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    Time(String),
}

/// Applies the stream to `database` until `stop` turns true. Errors are logged and retried with
/// backoff; the loop never gives up while the node runs.
pub async fn run_consumer(
    context: jetstream::Context,
    stream_name: String,
    node: String,
    database: Arc<Database>,
    start: ConsumerStart,
    mut stop: watch::Receiver<bool>,
) {
    let name = consumer_name(&node, database.id());
    let mut backoff = Duration::from_millis(100);
    while !*stop.borrow() {
        let result = tokio::select! {
            result = consume(&context, &stream_name, &name, &database, &start) => result,
            _ = stop.changed() => break,
            () = database.wait_closed() => Err(NatsError::DatabaseClosed),
        };
        if let Err(NatsError::DatabaseClosed) = result {
            info!(consumer = %name, "database closed; consumer stopped");
            break;
        }
        if let Err(e) = result {
            warn!(consumer = %name, error = %e, "replication consumer failed; restarting");
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => break,
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}

/// `<node>_<database>` with characters consumer names may not hold replaced.
pub fn consumer_name(node: &str, database: &str) -> String {
    format!("{node}_{database}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

async fn consume(
    context: &jetstream::Context,
    stream_name: &str,
    name: &str,
    database: &Arc<Database>,
    start: &ConsumerStart,
) -> Result<(), NatsError> {
    let log = |e: &dyn std::fmt::Display| NatsError::Log(e.to_string());
    let stream = context.get_stream(stream_name).await.map_err(|e| log(&e))?;
    let applied = database.applied_seq(name).await.map_err(|e| log(&e))?;
    let deliver_policy = if applied > 0 {
        DeliverPolicy::ByStartSequence {
            start_sequence: applied + 1,
        }
    } else {
        policy_for(start)?
    };
    // The database holds the position: a durable left from an earlier run is replaced.
    let _ = stream.delete_consumer(name).await;
    let consumer: jetstream::consumer::Consumer<pull::Config> = stream
        .create_consumer(pull::Config {
            durable_name: Some(name.to_string()),
            filter_subject: subject_for(stream_name, database.id()),
            deliver_policy,
            ack_policy: jetstream::consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .map_err(|e| log(&e))?;
    info!(consumer = %name, from = applied + 1, "replication consumer started");
    let failing = database.apply_status().failing;
    database.set_apply_status(ApplyStatus {
        applied_seq: applied,
        failing,
    });
    let mut messages = consumer.messages().await.map_err(|e| log(&e))?;
    while let Some(first) = messages.next().await {
        let mut batch = vec![first.map_err(|e| log(&e))?];
        while batch.len() < MAX_BATCH {
            match messages.next().now_or_never() {
                Some(Some(Ok(message))) => batch.push(message),
                Some(Some(Err(e))) => return Err(log(&e)),
                _ => break,
            }
        }
        let mut entries = Vec::with_capacity(batch.len());
        for message in &batch {
            let seq = message.info().map_err(|e| log(&e))?.stream_sequence;
            match ChangeSet::from_json(&message.payload) {
                Ok(change_set) => entries.push(LogEntry { seq, change_set }),
                Err(e) => {
                    error!(consumer = %name, seq, error = %e, "skipping an unreadable change set")
                }
            }
        }
        apply_with_retry(database, name, entries).await?;
    }
    Err(NatsError::Log("the message stream ended".into()))
}

/// An apply error never stalls silently: it is logged and retried with backoff. Ends only when
/// the database is closed (dropped, or the node stops).
async fn apply_with_retry(
    database: &Database,
    name: &str,
    entries: Vec<LogEntry>,
) -> Result<(), NatsError> {
    let mut backoff = Duration::from_millis(50);
    loop {
        match database.apply(name, entries.clone()).await {
            Ok(applied_seq) => {
                database.set_apply_status(ApplyStatus {
                    applied_seq,
                    failing: None,
                });
                return Ok(());
            }
            Err(CoreError::Closed(_)) => return Err(NatsError::DatabaseClosed),
            Err(e) => {
                let failing_seq = match &e {
                    CoreError::Apply { seq, .. } => *seq,
                    _ => entries.first().map_or(0, |entry| entry.seq),
                };
                error!(consumer = %name, seq = failing_seq, error = %e, "applying change sets failed; retrying");
                let applied_seq = database.apply_status().applied_seq;
                database.set_apply_status(ApplyStatus {
                    applied_seq,
                    failing: Some((failing_seq, e.to_string())),
                });
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

fn policy_for(start: &ConsumerStart) -> Result<DeliverPolicy, NatsError> {
    Ok(match start {
        ConsumerStart::All => DeliverPolicy::All,
        ConsumerStart::Last => DeliverPolicy::Last,
        ConsumerStart::New => DeliverPolicy::New,
        ConsumerStart::Sequence(start_sequence) => DeliverPolicy::ByStartSequence {
            start_sequence: *start_sequence,
        },
        ConsumerStart::Time(text) => {
            let format =
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
            let start_time = time::PrimitiveDateTime::parse(text, &format)
                .map_err(|e| {
                    NatsError::Log(format!("--replication-policy by_start_time={text}: {e}"))
                })?
                .assume_utc();
            DeliverPolicy::ByStartTime { start_time }
        }
    })
}
