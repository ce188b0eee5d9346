//! Drains committed change sets into the log with many publishes in flight (SPEC §6.4): write
//! throughput is bounded by SQLite and the broker, not by one round trip per write.
//!
//! Order is kept per database (go-back-N): acknowledgements are taken in publish order, and when
//! one fails, nothing new is sent; after a backoff every unacknowledged message is sent again,
//! in order, from the failed one on. A message the log had stored already is a duplicate there
//! (same message id) or, past the broker's duplicate window, for the appliers, which drop a
//! change set whose origin id they have applied (`order.rs`); one stored ahead of a failed
//! predecessor is held by them until its turn.
//!
//! Memory is bounded: at most [`MAX_IN_FLIGHT_BYTES`] await the broker, and at most the queue
//! budget waits to be sent. Past that (a long broker outage), committed change sets are queued
//! without their payload and read back from the outbox, where they are anyway, when their turn
//! comes.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio::sync::{mpsc, oneshot};
use tracing::warn;

use super::ChangeLog;

/// Most publishes awaiting the broker's answer at once.
const MAX_IN_FLIGHT: usize = 1024;
/// Most bytes awaiting the broker's answer at once.
const MAX_IN_FLIGHT_BYTES: usize = 64 << 20;

/// Resolves with the log sequence once the change set is stored.
pub(crate) type Published = oneshot::Receiver<Result<u64, String>>;

/// Most payload bytes queued for the publisher beyond those in flight.
pub(crate) const QUEUE_BUDGET: usize = 64 << 20;

/// One committed change set: its messages (several when it was split) in order, or `None` when
/// they are to be read back from the outbox row `outbox_id`.
pub(crate) struct Outgoing {
    pub outbox_id: u64,
    pub messages: Option<Vec<(String, Bytes)>>,
    pub done: Option<oneshot::Sender<Result<u64, String>>>,
}

/// Reads a change set's messages back from its outbox row. Blocking.
pub(crate) type OutboxReader =
    Arc<dyn Fn(u64) -> Result<Vec<(String, Bytes)>, String> + Send + Sync>;

/// One message of the log, kept until the broker acknowledged it.
struct Unacked {
    msg_id: String,
    payload: Bytes,
    /// Set on a change set's last message.
    done: Option<oneshot::Sender<Result<u64, String>>>,
}

pub(crate) struct Publisher {
    sender: mpsc::UnboundedSender<Outgoing>,
    /// Payload bytes in the queue.
    queued: Arc<AtomicUsize>,
    budget: usize,
}

type Ack = Pin<Box<dyn Future<Output = Result<u64, String>> + Send>>;

impl Publisher {
    pub(crate) fn spawn(
        runtime: &tokio::runtime::Handle,
        database: String,
        log: Arc<dyn ChangeLog>,
        reader: OutboxReader,
        budget: usize,
    ) -> Publisher {
        let (sender, receiver) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let source = Source {
            receiver,
            queued: Arc::clone(&queued),
            reader,
        };
        runtime.spawn(run(source, database, log));
        Publisher {
            sender,
            queued,
            budget,
        }
    }

    /// Queues a committed change set; returns whether the publisher is still running. Over the
    /// queue's budget it goes without its payload, to be read back from the outbox.
    pub(crate) fn send(&self, mut outgoing: Outgoing) -> bool {
        if let Some(messages) = &outgoing.messages {
            let size = payload_size(messages);
            if self.queued.load(Ordering::Relaxed) + size > self.budget {
                outgoing.messages = None;
            } else {
                self.queued.fetch_add(size, Ordering::Relaxed);
            }
        }
        self.sender.send(outgoing).is_ok()
    }
}

fn payload_size(messages: &[(String, Bytes)]) -> usize {
    messages.iter().map(|(_, payload)| payload.len()).sum()
}

/// Where the publisher takes committed change sets from.
struct Source {
    receiver: mpsc::UnboundedReceiver<Outgoing>,
    queued: Arc<AtomicUsize>,
    reader: OutboxReader,
}

impl Source {
    /// The messages of a queued change set: as queued, or read back from the outbox (retried:
    /// the row stays until the change set is consumed back, so it is there).
    async fn messages(&self, outgoing: &mut Outgoing, database: &str) -> Vec<(String, Bytes)> {
        if let Some(messages) = outgoing.messages.take() {
            self.queued
                .fetch_sub(payload_size(&messages), Ordering::Relaxed);
            return messages;
        }
        let mut backoff = Duration::from_millis(50);
        loop {
            let reader = Arc::clone(&self.reader);
            let id = outgoing.outbox_id;
            match tokio::task::spawn_blocking(move || reader(id)).await {
                Ok(Ok(messages)) => return messages,
                Ok(Err(error)) => {
                    warn!(database, id, %error, "reading a change set back from the outbox failed; retrying");
                }
                Err(error) => warn!(database, id, %error, "reading the outbox failed; retrying"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}

/// Sends now (so messages leave in order) and returns the wait for the acknowledgement.
async fn send(log: &Arc<dyn ChangeLog>, database: &str, msg_id: &str, payload: Bytes) -> Ack {
    match log.publish(database, msg_id, payload).await {
        Ok(ack) => ack,
        Err(e) => Box::pin(async move { Err(e) }),
    }
}

async fn run(mut source: Source, database: String, log: Arc<dyn ChangeLog>) {
    let mut unacked: VecDeque<Unacked> = VecDeque::new();
    let mut acks: FuturesOrdered<Ack> = FuturesOrdered::new();
    let mut bytes_in_flight = 0usize;
    let mut open = true;
    let mut failures = 0u32;
    let mut effective_seq = 0u64;
    loop {
        let room = unacked.len() < MAX_IN_FLIGHT && bytes_in_flight < MAX_IN_FLIGHT_BYTES;
        tokio::select! {
            next = source.receiver.recv(), if open && room => match next {
                Some(mut outgoing) => {
                    let messages = source.messages(&mut outgoing, &database).await;
                    let last = messages.len().saturating_sub(1);
                    let mut done = outgoing.done;
                    for (i, (msg_id, payload)) in messages.into_iter().enumerate() {
                        acks.push_back(send(&log, &database, &msg_id, payload.clone()).await);
                        bytes_in_flight += payload.len();
                        let done = if i == last { done.take() } else { None };
                        unacked.push_back(Unacked { msg_id, payload, done });
                    }
                }
                None => open = false,
            },
            Some(result) = acks.next(), if !acks.is_empty() => match result {
                Ok(seq) => {
                    failures = 0;
                    // A message stored ahead of a failed predecessor takes effect where that
                    // one is stored (appliers hold it until then): the sequence a client is
                    // given, to read its write elsewhere, is the highest of its prefix.
                    effective_seq = effective_seq.max(seq);
                    if let Some(mut message) = unacked.pop_front() {
                        bytes_in_flight -= message.payload.len();
                        if let Some(done) = message.done.take() {
                            let _ = done.send(Ok(effective_seq));
                        }
                    }
                }
                Err(error) => {
                    if failures == 0 {
                        warn!(database = %database, %error, "publishing a change set failed; sending again from it, in order");
                    }
                    failures += 1;
                    // The writers' clients keep waiting, up to their replication timeout.
                    acks = FuturesOrdered::new();
                    let backoff = Duration::from_millis(50u64 << failures.min(7)).min(Duration::from_secs(5));
                    tokio::time::sleep(backoff).await;
                    for message in &unacked {
                        acks.push_back(send(&log, &database, &message.msg_id, message.payload.clone()).await);
                    }
                }
            },
            else => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replication::PublishFuture;
    use std::sync::Mutex;

    /// A log that fails the first publish of message "2" (its failure is reported once "4"
    /// was stored, as a lost acknowledgement would be) and records what it stored.
    #[derive(Default)]
    struct FlakyLog {
        stored: Mutex<Vec<String>>,
        failed_once: Mutex<bool>,
        fourth_stored: Arc<tokio::sync::Notify>,
    }

    impl ChangeLog for FlakyLog {
        fn publish<'a>(&'a self, _: &'a str, msg_id: &'a str, _: Bytes) -> PublishFuture<'a> {
            Box::pin(async move {
                let mut failed = self.failed_once.lock().unwrap();
                if msg_id == "2" && !*failed {
                    *failed = true;
                    let fourth_stored = Arc::clone(&self.fourth_stored);
                    let ack: Ack = Box::pin(async move {
                        fourth_stored.notified().await;
                        Err("lost".to_string())
                    });
                    return Ok(ack);
                }
                if msg_id == "4" {
                    self.fourth_stored.notify_one();
                }
                let mut stored = self.stored.lock().unwrap();
                if !stored.contains(&msg_id.to_string()) {
                    stored.push(msg_id.to_string());
                }
                let seq = stored.iter().position(|m| m == msg_id).unwrap() as u64 + 1;
                let ack: Ack = Box::pin(async move { Ok(seq) });
                Ok(ack)
            })
        }
    }

    #[tokio::test]
    async fn a_failed_publish_is_sent_again_before_the_ones_after_it_are_acknowledged() {
        let log = Arc::new(FlakyLog::default());
        // A queue budget of one payload: the others are read back as from the outbox.
        let reader: OutboxReader =
            Arc::new(|id| Ok(vec![(id.to_string(), Bytes::from_static(b"x"))]));
        let publisher = Publisher::spawn(
            &tokio::runtime::Handle::current(),
            "d".into(),
            log.clone(),
            reader,
            1,
        );
        let mut answers = Vec::new();
        for id in 1..=4 {
            let (done, answer) = oneshot::channel();
            publisher.send(Outgoing {
                outbox_id: id,
                messages: Some(vec![(id.to_string(), Bytes::from_static(b"x"))]),
                done: Some(done),
            });
            answers.push(answer);
        }
        let mut seqs = Vec::new();
        for answer in answers {
            seqs.push(answer.await.unwrap().unwrap());
        }
        // "3" and "4" reached the log before "2" was sent again: the log holds 1, 3, 4, 2.
        // Appliers hold 3 and 4 until 2 arrives at sequence 4, so all three answer 4 (a read
        // elsewhere that waits for it sees them).
        assert_eq!(*log.stored.lock().unwrap(), ["1", "3", "4", "2"]);
        assert_eq!(seqs, [1, 4, 4, 4]);
    }
}
