//! The consumer of one database on this node: reads the stream in order from the position the
//! database recorded (in the same transaction as the applied changes) and applies it in batches.
//! The database is the source of truth for the position, so the durable consumer is recreated at
//! that position when the node starts.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull};
use futures::{FutureExt, StreamExt};
use ha_core::{ApplyStatus, CoreError, Database, LogEntry, OwnEntry, Pending, Registry};
use ha_types::{CHANGE_SETS_HEADER, ChangeSet};
use tokio::sync::watch;
use tracing::{error, info, warn};

use super::catch_up::{self, CatchUp};
use super::subject_for;
use crate::NatsError;
use crate::snapshot::Snapshots;

/// How long a consumer waits for messages before checking that none were lost.
const IDLE_CHECK: Duration = Duration::from_secs(2);

/// How long the answer of the batch handed to the writer waits to be heard with the next
/// message before it is heard alone (see [`InFlight`]).
const SETTLE_WITHIN: Duration = Duration::from_millis(20);

/// Most log entries applied in one transaction.
const MAX_BATCH: usize = 512;
/// Most payload bytes applied in one transaction (and fetched from the broker at once), so a
/// batch of large change sets stays within memory. Above NATS's largest message (64 MiB): a
/// pull request smaller than a message would never be given it.
const MAX_BATCH_BYTES: usize = 80 << 20;
/// A batch with more payload than this is read on the blocking pool (about 2 ms of parsing).
const READ_INLINE_BYTES: usize = 256 << 10;

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

/// What a consumer does when its database cannot catch up from the log (SPEC §8): restore it
/// from the latest snapshot, or else refuse to serve it until one appears.
#[derive(Clone)]
pub struct Healing {
    pub snapshots: Arc<Snapshots>,
    pub registry: Arc<Registry>,
}

/// Applies the stream to `database` until `stop` turns true. Errors are logged and retried with
/// backoff; the loop never gives up while the node runs.
pub async fn run_consumer(
    context: jetstream::Context,
    stream_name: String,
    node: String,
    mut database: Arc<Database>,
    start: ConsumerStart,
    healing: Option<Healing>,
    mut stop: watch::Receiver<bool>,
) {
    let name = consumer_name(&node, database.id());
    let mut backoff = Duration::from_millis(100);
    // A new database on a log that lost its beginning was offered the latest snapshot and
    // there was none: it starts from the log's first kept entry.
    let mut bootstrapped = false;
    while !*stop.borrow() {
        let result = tokio::select! {
            result = consume(&context, &stream_name, &name, &database, &start, bootstrapped) => result,
            _ = stop.changed() => break,
            () = database.wait_closed() => Err(NatsError::DatabaseClosed),
        };
        if let Err(NatsError::DatabaseClosed) = result {
            info!(consumer = %name, "database closed; consumer stopped");
            break;
        }
        let result = match (result, &healing) {
            (Err(NatsError::Bootstrap(reason)), None) => {
                warn!(consumer = %name, "{reason}: starting from its first kept entry");
                bootstrapped = true;
                continue;
            }
            (Err(e @ (NatsError::Gap(_) | NatsError::Bootstrap(_))), Some(healing)) => {
                let bootstrap = matches!(e, NatsError::Bootstrap(_));
                let reason = e.to_string();
                let healed = tokio::select! {
                    healed = healing.snapshots.heal(&healing.registry, &database, &reason) => healed,
                    _ = stop.changed() => break,
                };
                match healed {
                    Ok(restored) => {
                        database = restored;
                        backoff = Duration::from_millis(100);
                        continue;
                    }
                    Err(NatsError::NoSnapshot(_)) if bootstrap => {
                        warn!(consumer = %name, "{reason}, and there is no usable snapshot: starting from its first kept entry");
                        bootstrapped = true;
                        continue;
                    }
                    Err(e) => {
                        // A failed restore reopens the old file: follow whichever is current.
                        match healing.registry.get(Some(database.id())) {
                            Ok(current) => database = current,
                            Err(_) => break,
                        }
                        // A gap stays a gap (the database is refused); a bootstrap whose
                        // store could not be reached is retried.
                        if bootstrap {
                            Err(e)
                        } else {
                            Err(NatsError::Gap(e.to_string()))
                        }
                    }
                }
            }
            (result, _) => result,
        };
        if let Err(NatsError::Gap(reason)) = &result {
            // Visible in /replications and /readyz, and served no more: never a silent skip,
            // never a stale database served as if it were current.
            let applied_seq = database.apply_status().applied_seq;
            database.set_apply_status(ApplyStatus {
                applied_seq,
                failing: Some((applied_seq + 1, reason.clone())),
            });
            database.refuse(Some(reason.clone()));
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
    bootstrapped: bool,
) -> Result<(), NatsError> {
    let log = |e: &dyn std::fmt::Display| NatsError::Log(e.to_string());
    let mut stream = context.get_stream(stream_name).await.map_err(|e| log(&e))?;
    let applied = database.applied_seq(name).await.map_err(|e| log(&e))?;
    let from_start = !bootstrapped && *start == ConsumerStart::All;
    let subject = subject_for(stream_name, database.id());
    match catch_up::check(&mut stream, &subject, applied, from_start).await? {
        CatchUp::Fine => {}
        CatchUp::Gap(reason) => return Err(NatsError::Gap(reason)),
        CatchUp::Bootstrap(reason) => return Err(NatsError::Bootstrap(reason)),
    }
    // It can catch up from the log: served again if it was refused.
    database.refuse(None);
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
            filter_subject: subject,
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
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(MAX_BATCH)
        .max_bytes_per_batch(MAX_BATCH_BYTES)
        .messages()
        .await
        .map_err(|e| log(&e))?;
    // Consumer sequences count deliveries to this consumer one by one: a jump means messages
    // the broker sent were lost on the way (a connection to a dying server). Nothing would
    // send them again, so the consumer is recreated at the last applied position instead.
    let mut received = 0u64;
    let mut in_flight: Option<InFlight> = None;
    loop {
        let wait = if in_flight.is_some() {
            SETTLE_WITHIN
        } else {
            IDLE_CHECK
        };
        let first = match tokio::time::timeout(wait, messages.next()).await {
            Ok(Some(first)) => first.map_err(|e| log(&e))?,
            Ok(None) => break,
            Err(_) if in_flight.is_some() => {
                // No next message to hear it with: a failed batch is retried, and shown
                // failing, this long after it failed at most.
                settle(database, name, in_flight.take()).await?;
                continue;
            }
            Err(_) => {
                // Idle: the last messages sent may be the ones lost, with none after them.
                // The stream's end is read first: if then nothing of this database is pending,
                // nothing of it came before that end either, and the position follows it.
                let end = stream
                    .info()
                    .await
                    .map_err(|e| log(&e))?
                    .state
                    .last_sequence;
                let info = consumer.get_info().await.map_err(|e| log(&e))?;
                database.set_lag(info.num_pending);
                let delivered = info.delivered.consumer_sequence;
                if delivered == received
                    && info.num_pending == 0
                    && end > database.apply_status().applied_seq
                {
                    database
                        .advance_position(name, end)
                        .await
                        .map_err(|e| log(&e))?;
                }
                if delivered > received {
                    return Err(NatsError::Log(format!(
                        "{} messages delivered to {name} never arrived; reading again from the \
                         last applied position",
                        delivered - received
                    )));
                }
                continue;
            }
        };
        // The previous batch's answer is in by now (the writer took microseconds, the next
        // message a round trip): heard here, it woke nobody. Heard before the rest of this
        // batch is gathered, so what arrived while a busy writer finished joins it.
        settle(database, name, in_flight.take()).await?;
        let mut bytes = first.payload.len();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            match messages.next().now_or_never() {
                Some(Some(Ok(message))) => {
                    bytes += message.payload.len();
                    batch.push(message);
                }
                Some(Some(Err(e))) => return Err(log(&e)),
                _ => break,
            }
        }
        let mut delivered = Vec::with_capacity(batch.len());
        let mut lost = None;
        let mut behind = None;
        for message in batch {
            let info = message.info().map_err(|e| log(&e))?;
            behind = Some(info.pending);
            if info.consumer_sequence != received + 1 {
                lost = Some(info.consumer_sequence);
                break;
            }
            received = info.consumer_sequence;
            delivered.push((info.stream_sequence, message));
        }
        if !delivered.is_empty() {
            in_flight = Some(hand_over(database, name, delivered, bytes).await?);
        }
        if let Some(behind) = behind {
            database.set_lag(behind);
        }
        if let Some(next) = lost {
            settle(database, name, in_flight.take()).await?;
            return Err(NatsError::Log(format!(
                "delivery {next} to {name} came after {received}: messages were lost on the \
                 way; reading again from the last applied position"
            )));
        }
    }
    settle(database, name, in_flight.take()).await?;
    Err(NatsError::Log("the message stream ended".into()))
}

/// The last batch handed to the writer, its answer heard before the next batch goes (or when
/// the consumer is idle), so that batches are applied one after the other, each retried until
/// it applies, as when every answer was awaited at once.
enum InFlight {
    /// Own change sets consumed by their message ids; if the writer declines, the messages
    /// are read and applied.
    Own {
        pending: Pending<Option<u64>>,
        delivered: Vec<(u64, jetstream::Message)>,
        bytes: usize,
    },
    Apply {
        pending: Pending<u64>,
        entries: Arc<[LogEntry]>,
    },
}

/// Hands `delivered` to the writer: as own change sets known by their ids when they all are,
/// else read.
async fn hand_over(
    database: &Database,
    name: &str,
    delivered: Vec<(u64, jetstream::Message)>,
    bytes: usize,
) -> Result<InFlight, NatsError> {
    if let Some(own) = own_entries(database, &delivered) {
        match database.start_consume_own(name, own) {
            Ok(Some(pending)) => {
                return Ok(InFlight::Own {
                    pending,
                    delivered,
                    bytes,
                });
            }
            Ok(None) => {}
            Err(e) => return Err(closed_or_log(e)),
        }
    }
    let entries: Arc<[LogEntry]> = read_entries(name, &delivered, bytes).await?.into();
    let pending = database
        .start_apply(name, Arc::clone(&entries))
        .map_err(closed_or_log)?;
    Ok(InFlight::Apply { pending, entries })
}

/// Hears the answer of the batch in flight; one that failed is retried until it applies.
async fn settle(
    database: &Database,
    name: &str,
    in_flight: Option<InFlight>,
) -> Result<(), NatsError> {
    match in_flight {
        None => Ok(()),
        Some(InFlight::Own {
            pending,
            delivered,
            bytes,
        }) => {
            match database.finish_consume_own(pending).await {
                Ok(Some(applied_seq)) => {
                    database.set_apply_status(ApplyStatus {
                        applied_seq,
                        failing: None,
                    });
                    return Ok(());
                }
                Ok(None) => {}
                Err(CoreError::Closed(_)) => return Err(NatsError::DatabaseClosed),
                Err(e) => {
                    warn!(consumer = %name, error = %e, "consuming own change sets by their ids failed; reading them");
                }
            }
            let entries = read_entries(name, &delivered, bytes).await?;
            apply_with_retry(database, name, entries.into(), None).await
        }
        Some(InFlight::Apply { pending, entries }) => {
            let first = database.finish_apply(pending).await;
            apply_with_retry(database, name, entries, Some(first)).await
        }
    }
}

fn closed_or_log(e: CoreError) -> NatsError {
    match e {
        CoreError::Closed(_) => NatsError::DatabaseClosed,
        other => NatsError::Log(other.to_string()),
    }
}

/// The change sets of `delivered` (`bytes` of payload) as log entries. A large batch (a
/// catch-up, a big transaction's parts) is read on the blocking pool: tens of megabytes of JSON
/// would hold a runtime worker, and every connection queued behind it, for a good part of a
/// second. A small one is read here, where it costs less than the hop.
async fn read_entries(
    name: &str,
    delivered: &[(u64, jetstream::Message)],
    bytes: usize,
) -> Result<Vec<LogEntry>, NatsError> {
    if bytes <= READ_INLINE_BYTES {
        return Ok(delivered
            .iter()
            .map(|(seq, message)| log_entry(name, *seq, read_change_sets(message)))
            .collect());
    }
    let raw: Vec<(u64, bytes::Bytes, Option<String>)> = delivered
        .iter()
        .map(|(seq, message)| {
            let count = change_sets_header(message).map(str::to_string);
            (*seq, message.payload.clone(), count)
        })
        .collect();
    let name = name.to_string();
    tokio::task::spawn_blocking(move || {
        raw.into_iter()
            .map(|(seq, payload, count)| {
                log_entry(
                    &name,
                    seq,
                    ChangeSet::read_message(&payload, count.as_deref()),
                )
            })
            .collect()
    })
    .await
    .map_err(|e| NatsError::Log(format!("reading change sets: {e}")))
}

fn log_entry(name: &str, seq: u64, change_sets: Result<Vec<ChangeSet>, String>) -> LogEntry {
    if let Err(e) = &change_sets {
        error!(consumer = %name, seq, error = %e, "unreadable change set: replication of this database stops at it until it is skipped");
    }
    LogEntry { seq, change_sets }
}

/// `delivered` as this database's own change sets known by their message ids, when every one
/// of them is.
fn own_entries(
    database: &Database,
    delivered: &[(u64, jetstream::Message)],
) -> Option<Vec<OwnEntry>> {
    let origin = database.own_origin()?;
    delivered
        .iter()
        .map(|(seq, message)| {
            let headers = message.headers.as_ref()?;
            let msg_id = headers.get(async_nats::header::NATS_MESSAGE_ID)?.as_str();
            let count = headers.get(CHANGE_SETS_HEADER).map(|v| v.as_str());
            OwnEntry::from_message_id(*seq, msg_id, count).filter(|entry| *entry.origin == *origin)
        })
        .collect()
}

/// An apply error never stalls silently: it is logged and retried with backoff. Ends only when
/// the database is closed (dropped, or the node stops). `first` is the outcome of an attempt
/// already made, if any.
async fn apply_with_retry(
    database: &Database,
    name: &str,
    entries: Arc<[LogEntry]>,
    mut first: Option<Result<u64, CoreError>>,
) -> Result<(), NatsError> {
    let mut backoff = Duration::from_millis(50);
    loop {
        let outcome = match first.take() {
            Some(outcome) => outcome,
            None => database.apply(name, Arc::clone(&entries)).await,
        };
        match outcome {
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

/// A message's change sets, or why this build cannot apply them.
pub(crate) fn read_change_sets(message: &async_nats::Message) -> Result<Vec<ChangeSet>, String> {
    ChangeSet::read_message(&message.payload, change_sets_header(message))
}

fn change_sets_header(message: &async_nats::Message) -> Option<&str> {
    message
        .headers
        .as_ref()
        .and_then(|headers| headers.get(CHANGE_SETS_HEADER))
        .map(|value| value.as_str())
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
