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

use ha_types::{ChangeSet, ChangeSetFormat};

use super::chunks::message_limit;
use super::{ChangeLog, PublishError};

/// Most publishes awaiting the broker's answer at once.
const MAX_IN_FLIGHT: usize = 1024;
/// When change sets are grouped: most messages awaiting the broker's answer at once. What is
/// committed meanwhile waits and goes out as one message: the batch grows with the load by
/// itself, and a lone write still leaves at once. Four, not two: with two, writers' clients
/// waited behind a full window and came back in fewer, smaller groups (CPU per write +3–7%
/// on every process at 16 connections, docs/benchmarks.md); 8 and 16 measured as 4.
const MAX_GROUPS_IN_FLIGHT: usize = 4;
/// Most bytes awaiting the broker's answer at once.
const MAX_IN_FLIGHT_BYTES: usize = 64 << 20;

/// Resolves with the log sequence once the change set is stored.
pub(crate) type Published = oneshot::Receiver<Result<u64, PublishError>>;

/// Resolves a [`Published`]: the log sequence once stored, or why not.
pub(crate) type Done = oneshot::Sender<Result<u64, PublishError>>;

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
    /// The outbox id of its (first) change set.
    outbox_id: u64,
    msg_id: String,
    payload: Bytes,
    /// How many change sets it holds (one per line when more than one).
    change_sets: usize,
    term: Option<u64>,
    /// The writers waiting for it: set on a change set's last message.
    done: Vec<Done>,
}

pub(crate) struct Publisher {
    /// Change sets committed together arrive together.
    sender: mpsc::UnboundedSender<Vec<Outgoing>>,
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
        most_per_message: usize,
    ) -> Publisher {
        let (sender, receiver) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let source = Source {
            receiver,
            ready: VecDeque::new(),
            queued: Arc::clone(&queued),
            reader,
        };
        runtime.spawn(run(source, database, log, refusals, most_per_message));
        Publisher {
            sender,
            queued,
            budget,
        }
    }

    /// Queues change sets committed together; returns whether the publisher is still running.
    /// Over the queue's budget one goes without its payload, to be read back from the outbox.
    pub(crate) fn send(&self, mut committed: Vec<Outgoing>) -> bool {
        for outgoing in &mut committed {
            if let Some(messages) = &outgoing.messages {
                let size = payload_size(messages);
                if self.queued.load(Ordering::Relaxed) + size > self.budget {
                    outgoing.messages = None;
                } else {
                    self.queued.fetch_add(size, Ordering::Relaxed);
                }
            }
        }
        self.sender.send(committed).is_ok()
    }
}

fn payload_size(messages: &[(String, Bytes)]) -> usize {
    messages.iter().map(|(_, payload)| payload.len()).sum()
}

/// Where the publisher takes committed change sets from.
struct Source {
    receiver: mpsc::UnboundedReceiver<Vec<Outgoing>>,
    /// Received, not taken yet.
    ready: VecDeque<Outgoing>,
    queued: Arc<AtomicUsize>,
    reader: OutboxReader,
}

impl Source {
    /// The next queued change set, waiting for one. Cancel-safe.
    async fn next(&mut self) -> Option<Outgoing> {
        if self.ready.is_empty() {
            self.ready.extend(self.receiver.recv().await?);
        }
        self.ready.pop_front()
    }

    /// The next queued change set, if one is there already.
    fn next_ready(&mut self) -> Option<Outgoing> {
        if self.ready.is_empty()
            && let Ok(committed) = self.receiver.try_recv()
        {
            self.ready.extend(committed);
        }
        self.ready.pop_front()
    }

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
async fn send(log: &Arc<dyn ChangeLog>, database: &str, message: &Unacked) -> Ack {
    let payload = message.payload.clone();
    match log
        .publish(
            database,
            &message.msg_id,
            payload,
            message.change_sets,
            message.term,
        )
        .await
    {
        Ok(ack) => ack,
        Err(e) => Box::pin(async move { Err(e) }),
    }
}

/// Change sets queued together go out as one message (one per line) while they are whole
/// (not split), of one lease term, and fit in one message: the broker and every consumer pay
/// per message, and a busy writer commits many small transactions at once.
struct Grouper {
    /// Most payload bytes of one message.
    limit: usize,
    /// Most change sets of one message.
    most: usize,
}

impl Grouper {
    /// `first`'s messages, with the change sets queued right behind it joined to its one
    /// message when they can be.
    async fn messages(
        &self,
        source: &mut Source,
        database: &str,
        first: &mut Outgoing,
    ) -> Option<Vec<Unacked>> {
        let messages = source.messages(first, database).await?;
        let done: Vec<Done> = first.done.take().into_iter().collect();
        let whole = messages.len() == 1;
        let mut unacked: Vec<Unacked> = messages
            .into_iter()
            .map(|(msg_id, payload)| Unacked {
                outbox_id: first.outbox_id,
                msg_id,
                payload,
                change_sets: 1,
                term: first.term,
                done: Vec::new(),
            })
            .collect();
        if let Some(last) = unacked.last_mut() {
            last.done = done;
        }
        if !whole {
            return Some(unacked);
        }
        let mut lines = vec![unacked[0].payload.clone()];
        let mut size = lines[0].len();
        let mut last_id = first.outbox_id;
        while lines.len() < self.most {
            let Some(mut next) = source.next_ready() else {
                break;
            };
            let fits = next.term == first.term
                && next.messages.as_ref().is_some_and(|messages| {
                    messages.len() == 1
                        && size + ChangeSet::JOIN_OVERHEAD + messages[0].1.len() <= self.limit
                        // After a change of --replication-format, one format per message.
                        && ChangeSetFormat::of(&messages[0].1) == ChangeSetFormat::of(&lines[0])
                });
            if !fits {
                // It starts the next message.
                source.ready.push_front(next);
                break;
            }
            let Some(mut messages) = source.messages(&mut next, database).await else {
                continue;
            };
            let Some((_, payload)) = messages.pop() else {
                continue;
            };
            size += ChangeSet::JOIN_OVERHEAD + payload.len();
            lines.push(payload);
            last_id = next.outbox_id;
            unacked[0].done.extend(next.done.take());
        }
        if lines.len() > 1 {
            let group = &mut unacked[0];
            group.msg_id = format!("{}-{last_id}", group.msg_id);
            group.change_sets = lines.len();
            group.payload = Bytes::from(ChangeSet::join(&lines));
        }
        Some(unacked)
    }
}

async fn run(
    mut source: Source,
    database: String,
    log: Arc<dyn ChangeLog>,
    refusals: Refusals,
    most_per_message: usize,
) {
    let mut unacked: VecDeque<Unacked> = VecDeque::new();
    let mut acks: FuturesOrdered<Ack> = FuturesOrdered::new();
    let mut bytes_in_flight = 0usize;
    let mut open = true;
    let mut failures = 0u32;
    let mut effective_seq = 0u64;
    let window = if most_per_message > 1 {
        MAX_GROUPS_IN_FLIGHT
    } else {
        MAX_IN_FLIGHT
    };
    let grouper = Grouper {
        limit: message_limit(log.max_payload()),
        most: most_per_message.max(1),
    };
    // The highest lease term the log was fenced against, and the term that fenced it: change
    // sets of it or older are not sent any more.
    let mut fenced = (0u64, 0u64);
    loop {
        let room = unacked.len() < window && bytes_in_flight < MAX_IN_FLIGHT_BYTES;
        tokio::select! {
            next = source.next(), if open && room => match next {
                Some(mut outgoing) => {
                    if let Some(term) = outgoing.term.filter(|term| *term <= fenced.0) {
                        if let Some(done) = outgoing.done.take() {
                            let _ = done.send(Err(PublishError::Fenced { term, newer: fenced.1 }));
                        }
                        continue;
                    }
                    let Some(messages) = grouper.messages(&mut source, &database, &mut outgoing).await else {
                        if let Some(done) = outgoing.done.take() {
                            let _ = done.send(Err(PublishError::Failed("the change set was undone".into())));
                        }
                        continue;
                    };
                    for message in messages {
                        acks.push_back(send(&log, &database, &message).await);
                        bytes_in_flight += message.payload.len();
                        unacked.push_back(message);
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
                    if let Some(message) = unacked.pop_front() {
                        bytes_in_flight -= message.payload.len();
                        for done in message.done {
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
                    for message in refused {
                        bytes_in_flight -= message.payload.len();
                        for done in message.done {
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
        acks.push_back(send(log, database, message).await);
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
            _: usize,
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
            1,
        );
        let mut answers = Vec::new();
        for id in 1..=4 {
            let (done, answer) = oneshot::channel();
            publisher.send(vec![Outgoing {
                outbox_id: id,
                messages: Some(vec![(id.to_string(), Bytes::from_static(b"x"))]),
                done: Some(done),
                term: None,
            }]);
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
            _: usize,
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
            1,
        );
        let mut answers = Vec::new();
        for (id, term) in [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2)] {
            let (done, answer) = oneshot::channel();
            publisher.send(vec![Outgoing {
                outbox_id: id,
                messages: Some(vec![(id.to_string(), Bytes::from_static(b"x"))]),
                done: Some(done),
                term: Some(term),
            }]);
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

#[cfg(test)]
mod grouping_tests {
    use super::*;
    use crate::replication::PublishFuture;
    use std::sync::Mutex;

    /// Stores every message with how many change sets it holds.
    #[derive(Default)]
    struct RecordingLog {
        stored: Mutex<Vec<(String, usize, Bytes)>>,
    }

    impl ChangeLog for RecordingLog {
        fn publish<'a>(
            &'a self,
            _: &'a str,
            msg_id: &'a str,
            payload: Bytes,
            change_sets: usize,
            _: Option<u64>,
        ) -> PublishFuture<'a> {
            Box::pin(async move {
                let mut stored = self.stored.lock().unwrap();
                stored.push((msg_id.to_string(), change_sets, payload));
                let seq = stored.len() as u64;
                let ack: Ack = Box::pin(async move { Ok(seq) });
                Ok(ack)
            })
        }
    }

    /// A publisher that groups up to 256 change sets per message, with every payload queued.
    fn grouping(log: &Arc<RecordingLog>) -> Publisher {
        Publisher::spawn(
            &tokio::runtime::Handle::current(),
            "d".into(),
            log.clone(),
            Arc::new(|_| Ok(None)),
            1 << 20,
            Refusals::default(),
            256,
        )
    }

    fn outgoing(id: u64, term: Option<u64>) -> (Outgoing, Published) {
        let (done, answer) = oneshot::channel();
        let payload = Bytes::from(format!("{{\"id\":{id}}}"));
        let outgoing = Outgoing {
            outbox_id: id,
            messages: Some(vec![(format!("o.{id}"), payload)]),
            done: Some(done),
            term,
        };
        (outgoing, answer)
    }

    #[tokio::test]
    async fn change_sets_committed_together_go_out_as_one_message_per_term() {
        let log = Arc::new(RecordingLog::default());
        let publisher = grouping(&log);
        let (committed, answers): (Vec<_>, Vec<_>) =
            [(1, Some(1)), (2, Some(1)), (3, Some(1)), (4, Some(2))]
                .into_iter()
                .map(|(id, term)| outgoing(id, term))
                .unzip();
        publisher.send(committed);
        let mut seqs = Vec::new();
        for answer in answers {
            seqs.push(answer.await.unwrap().unwrap());
        }
        let stored = log.stored.lock().unwrap();
        let shape: Vec<(&str, usize)> = stored.iter().map(|(id, n, _)| (id.as_str(), *n)).collect();
        assert_eq!(shape, [("o.1-3", 3), ("o.4", 1)]);
        assert_eq!(&stored[0].2[..], b"{\"id\":1}\n{\"id\":2}\n{\"id\":3}");
        assert_eq!(seqs, [1, 1, 1, 2]);
    }

    /// After a change of `--replication-format`, JSON change sets still queued and the new
    /// protobuf ones never share a message: a reader tells a message's format by its first byte.
    #[tokio::test]
    async fn a_message_holds_change_sets_of_one_format() {
        let log = Arc::new(RecordingLog::default());
        let publisher = grouping(&log);
        let protobuf = |id: u8| Bytes::from(vec![0x08, 0x02, 0x28, id]);
        let (mut committed, answers): (Vec<_>, Vec<_>) =
            (1..=4).map(|id| outgoing(id, None)).unzip();
        for (id, outgoing) in committed.iter_mut().enumerate().skip(2) {
            outgoing.messages = Some(vec![(format!("o.{}", id + 1), protobuf(id as u8 + 1))]);
        }
        publisher.send(committed);
        for answer in answers {
            answer.await.unwrap().unwrap();
        }
        let stored = log.stored.lock().unwrap();
        let shape: Vec<(&str, usize)> = stored.iter().map(|(id, n, _)| (id.as_str(), *n)).collect();
        assert_eq!(shape, [("o.1-2", 2), ("o.3-4", 2)]);
        assert_eq!(&stored[0].2[..], b"{\"id\":1}\n{\"id\":2}");
        assert_eq!(stored[1].2, ChangeSet::join(&[protobuf(3), protobuf(4)]));
    }
}
