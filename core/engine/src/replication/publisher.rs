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
//! Leader mode: a change set the log refuses because a later lease term fenced it
//! ([`PublishError::Fenced`]) is never sent again. Its writer's client is told it was not
//! written, and the writer is told ([`Refusal`]) to undo it and the ones after it of that term.
//!
//! Memory is bounded: at most [`MAX_IN_FLIGHT_BYTES`] await the broker, and at most the queue
//! budget waits to be sent. Past that (a long broker outage), committed change sets are queued
//! without their payload and read back from the outbox, where they are anyway, when their turn
//! comes.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio::sync::{mpsc, oneshot};
use tracing::warn;

use super::{ChangeLog, PublishError};

/// Most publishes awaiting the broker's answer at once.
const MAX_IN_FLIGHT: usize = 1024;
/// Most bytes awaiting the broker's answer at once.
const MAX_IN_FLIGHT_BYTES: usize = 64 << 20;

/// Resolves with the log sequence once the change set is stored.
pub(crate) type Published = oneshot::Receiver<Result<u64, PublishError>>;

type Done = oneshot::Sender<Result<u64, PublishError>>;

/// The log refused change sets of lease `term` (term `newer` fenced it): every own change set
/// of that term after outbox id `stored_through` is not in the log and never will be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub term: u64,
    pub newer: u64,
    pub stored_through: u64,
}

impl Refusal {
    /// Two reports as one: the later term's covers the earlier's change sets; of one term, the
    /// undo waits for every change set either saw stored.
    pub(crate) fn merge(self, other: Refusal) -> Refusal {
        match self.term.cmp(&other.term) {
            std::cmp::Ordering::Greater => self,
            std::cmp::Ordering::Less => other,
            std::cmp::Ordering::Equal => Refusal {
                stored_through: self.stored_through.max(other.stored_through),
                ..other
            },
        }
    }
}

/// Where the publisher leaves a refusal for the writer (which looks at it between jobs).
pub(crate) type Refusals = Arc<Mutex<Option<Refusal>>>;

/// Most payload bytes queued for the publisher beyond those in flight.
pub(crate) const QUEUE_BUDGET: usize = 64 << 20;

/// One committed change set: its messages (several when it was split) in order, or `None` when
/// they are to be read back from the outbox row `outbox_id`.
pub(crate) struct Outgoing {
    pub outbox_id: u64,
    pub messages: Option<Vec<(String, Bytes)>>,
    pub done: Option<Done>,
    /// Leader mode: the lease term it was committed under.
    pub term: Option<u64>,
}

/// Reads a change set's messages back from its outbox row (`None`: the row is gone, undone
/// because the log refused it). Blocking.
pub(crate) type OutboxReader =
    Arc<dyn Fn(u64) -> Result<Option<Vec<(String, Bytes)>>, String> + Send + Sync>;

/// One message of the log, kept until the broker acknowledged it.
struct Unacked {
    outbox_id: u64,
    msg_id: String,
    payload: Bytes,
    term: Option<u64>,
    /// Set on a change set's last message.
    done: Option<Done>,
}

pub(crate) struct Publisher {
    sender: mpsc::UnboundedSender<Outgoing>,
    /// Payload bytes in the queue.
    queued: Arc<AtomicUsize>,
    budget: usize,
}

type Ack = Pin<Box<dyn Future<Output = Result<u64, PublishError>> + Send>>;

impl Publisher {
    pub(crate) fn spawn(
        runtime: &tokio::runtime::Handle,
        database: String,
        log: Arc<dyn ChangeLog>,
        reader: OutboxReader,
        budget: usize,
        refusals: Refusals,
    ) -> Publisher {
        let (sender, receiver) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let source = Source {
            receiver,
            queued: Arc::clone(&queued),
            reader,
        };
        runtime.spawn(run(source, database, log, refusals));
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
    /// the row stays until the change set is consumed back, so it is there, unless it was
    /// undone: `None`).
    async fn messages(
        &self,
        outgoing: &mut Outgoing,
        database: &str,
    ) -> Option<Vec<(String, Bytes)>> {
        if let Some(messages) = outgoing.messages.take() {
            self.queued
                .fetch_sub(payload_size(&messages), Ordering::Relaxed);
            return Some(messages);
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
async fn send(
    log: &Arc<dyn ChangeLog>,
    database: &str,
    msg_id: &str,
    payload: Bytes,
    term: Option<u64>,
) -> Ack {
    match log.publish(database, msg_id, payload, term).await {
        Ok(ack) => ack,
        Err(e) => Box::pin(async move { Err(e) }),
    }
}

async fn run(mut source: Source, database: String, log: Arc<dyn ChangeLog>, refusals: Refusals) {
    let mut unacked: VecDeque<Unacked> = VecDeque::new();
    let mut acks: FuturesOrdered<Ack> = FuturesOrdered::new();
    let mut bytes_in_flight = 0usize;
    let mut open = true;
    let mut failures = 0u32;
    let mut effective_seq = 0u64;
    // The highest lease term the log was fenced against, and the term that fenced it: change
    // sets of it or older are not sent any more.
    let mut fenced = (0u64, 0u64);
    loop {
        let room = unacked.len() < MAX_IN_FLIGHT && bytes_in_flight < MAX_IN_FLIGHT_BYTES;
        tokio::select! {
            next = source.receiver.recv(), if open && room => match next {
                Some(mut outgoing) => {
                    if let Some(term) = outgoing.term.filter(|term| *term <= fenced.0) {
                        if let Some(done) = outgoing.done.take() {
                            let _ = done.send(Err(PublishError::Fenced { term, newer: fenced.1 }));
                        }
                        continue;
                    }
                    let Some(messages) = source.messages(&mut outgoing, &database).await else {
                        if let Some(done) = outgoing.done.take() {
                            let _ = done.send(Err(PublishError::Failed("the change set was undone".into())));
                        }
                        continue;
                    };
                    let last = messages.len().saturating_sub(1);
                    let mut done = outgoing.done;
                    for (i, (msg_id, payload)) in messages.into_iter().enumerate() {
                        acks.push_back(send(&log, &database, &msg_id, payload.clone(), outgoing.term).await);
                        bytes_in_flight += payload.len();
                        let done = if i == last { done.take() } else { None };
                        unacked.push_back(Unacked {
                            outbox_id: outgoing.outbox_id,
                            msg_id,
                            payload,
                            term: outgoing.term,
                            done,
                        });
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
                Err(PublishError::Fenced { term, newer }) => {
                    fenced = fenced.max((term, newer));
                    let stored_through = unacked.front().map_or(0, |m| m.outbox_id.saturating_sub(1));
                    warn!(database = %database, term, newer, "the log refused this node's change sets of an ended lease term: they are undone here and answered as not written");
                    // Acknowledgements come in order: everything before the refused one is
                    // stored; it and the ones after it of that term never will be.
                    let (refused, kept): (VecDeque<Unacked>, VecDeque<Unacked>) =
                        std::mem::take(&mut unacked).into_iter().partition(|m| m.term.is_some_and(|t| t <= term));
                    for mut message in refused {
                        bytes_in_flight -= message.payload.len();
                        if let Some(done) = message.done.take() {
                            let _ = done.send(Err(PublishError::Fenced { term, newer }));
                        }
                    }
                    report(&refusals, Refusal { term, newer, stored_through });
                    unacked = kept;
                    acks = send_again(&log, &database, &unacked).await;
                }
                Err(error) => {
                    if failures == 0 {
                        warn!(database = %database, %error, "publishing a change set failed; sending again from it, in order");
                    }
                    failures += 1;
                    // The writers' clients keep waiting, up to their replication timeout; the
                    // answers still due are not waited for.
                    drop(std::mem::take(&mut acks));
                    let backoff = Duration::from_millis(50u64 << failures.min(7)).min(Duration::from_secs(5));
                    tokio::time::sleep(backoff).await;
                    acks = send_again(&log, &database, &unacked).await;
                }
            },
            else => break,
        }
    }
}

/// Sends every unacknowledged message again, in order; returns the waits for their answers.
async fn send_again(
    log: &Arc<dyn ChangeLog>,
    database: &str,
    unacked: &VecDeque<Unacked>,
) -> FuturesOrdered<Ack> {
    let mut acks = FuturesOrdered::new();
    for message in unacked {
        let payload = message.payload.clone();
        acks.push_back(send(log, database, &message.msg_id, payload, message.term).await);
    }
    acks
}

/// Leaves a refusal for the writer, merged with one it has not read yet.
fn report(refusals: &Refusals, refusal: Refusal) {
    let mut slot = refusals.lock().unwrap_or_else(PoisonError::into_inner);
    *slot = Some(slot.map_or(refusal, |unread| unread.merge(refusal)));
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
        fn publish<'a>(
            &'a self,
            _: &'a str,
            msg_id: &'a str,
            _: Bytes,
            _: Option<u64>,
        ) -> PublishFuture<'a> {
            Box::pin(async move {
                let mut failed = self.failed_once.lock().unwrap();
                if msg_id == "2" && !*failed {
                    *failed = true;
                    let fourth_stored = Arc::clone(&self.fourth_stored);
                    let ack: Ack = Box::pin(async move {
                        fourth_stored.notified().await;
                        Err(PublishError::Failed("lost".to_string()))
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
            Arc::new(|id| Ok(Some(vec![(id.to_string(), Bytes::from_static(b"x"))])));
        let publisher = Publisher::spawn(
            &tokio::runtime::Handle::current(),
            "d".into(),
            log.clone(),
            reader,
            1,
            Refusals::default(),
        );
        let mut answers = Vec::new();
        for id in 1..=4 {
            let (done, answer) = oneshot::channel();
            publisher.send(Outgoing {
                outbox_id: id,
                messages: Some(vec![(id.to_string(), Bytes::from_static(b"x"))]),
                done: Some(done),
                term: None,
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

    /// A log fenced for term 2: it stores term-1 messages up to "2" and refuses the rest.
    #[derive(Default)]
    struct FencedLog {
        stored: Mutex<Vec<String>>,
    }

    impl ChangeLog for FencedLog {
        fn publish<'a>(
            &'a self,
            _: &'a str,
            msg_id: &'a str,
            _: Bytes,
            term: Option<u64>,
        ) -> PublishFuture<'a> {
            Box::pin(async move {
                let mut stored = self.stored.lock().unwrap();
                let ack: Ack = if term == Some(1) && stored.len() >= 2 {
                    Box::pin(async { Err(PublishError::Fenced { term: 1, newer: 2 }) })
                } else {
                    // A message sent again is a duplicate the log drops.
                    if !stored.contains(&msg_id.to_string()) {
                        stored.push(msg_id.to_string());
                    }
                    let seq = stored.iter().position(|m| m == msg_id).unwrap() as u64 + 1;
                    Box::pin(async move { Ok(seq) })
                };
                Ok(ack)
            })
        }
    }

    #[tokio::test]
    async fn change_sets_of_a_fenced_term_are_refused_reported_and_never_sent_again() {
        let log = Arc::new(FencedLog::default());
        let refusals = Refusals::default();
        let reader: OutboxReader = Arc::new(|_| Ok(None));
        let publisher = Publisher::spawn(
            &tokio::runtime::Handle::current(),
            "d".into(),
            log.clone(),
            reader,
            1 << 20,
            Arc::clone(&refusals),
        );
        let mut answers = Vec::new();
        for (id, term) in [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2)] {
            let (done, answer) = oneshot::channel();
            publisher.send(Outgoing {
                outbox_id: id,
                messages: Some(vec![(id.to_string(), Bytes::from_static(b"x"))]),
                done: Some(done),
                term: Some(term),
            });
            answers.push(answer);
        }
        let mut outcomes = Vec::new();
        for answer in answers {
            outcomes.push(answer.await.unwrap());
        }
        let fenced = Err(PublishError::Fenced { term: 1, newer: 2 });
        assert_eq!(outcomes, [Ok(1), Ok(2), fenced.clone(), fenced, Ok(3)]);
        assert_eq!(*log.stored.lock().unwrap(), ["1", "2", "5"]);
        let refusal = refusals.lock().unwrap().take().unwrap();
        assert_eq!(
            refusal,
            Refusal {
                term: 1,
                newer: 2,
                stored_through: 2
            }
        );
    }
}
