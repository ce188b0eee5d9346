//! Leader mode's fence in the log (SPEC §7): the log itself refuses a change set of a lease term
//! that has ended.
//!
//! Local fencing (a leader writes only while its lease is surely valid) keeps two nodes from
//! *committing* under overlapping leases, but a change set committed in time may reach the log
//! late: its publish sat in a socket through a partition, or was sent again after the broker
//! came back. Stored after the next leader's writes, it would be applied on top of them on every
//! node and undo acknowledged writes. So each new leader first writes a **marker** (its term) on
//! the stream's subject `<stream>._ha.term`, and every change set is published with
//! `Nats-Expected-Last-Subject-Sequence` (the marker of its term's sequence) checked against
//! that subject (`Nats-Expected-Last-Subject-Sequence-Subject`, NATS 2.11+): once a later
//! term's marker is stored, JetStream refuses every change set of an earlier term, atomically
//! with its ordering. Whatever an earlier term stored comes before the new marker, and the new
//! leader catches up to the log's end only after writing it.

use std::sync::{Mutex, OnceLock, PoisonError};

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::LastRawMessageErrorKind;
use async_nats::jetstream::{self};
use ha_core::PublishError;
use serde::{Deserialize, Serialize};
use tracing::info;

/// The header naming the subject whose last sequence a publish expects.
const EXPECTED_SUBJECT: &str = "Nats-Expected-Last-Subject-Sequence-Subject";

/// A marker: the term that leads from its place in the log on.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    term: u64,
    node: String,
}

/// Whether this node holds the lease of a term now (to mark that term again).
type Holds = Box<dyn Fn() -> Option<u64> + Send + Sync>;

pub struct Fence {
    context: jetstream::Context,
    stream: String,
    /// This node, named in the markers it writes.
    node: String,
    subject: String,
    /// The last marker this node saw or wrote: its term and sequence.
    known: Mutex<Option<(u64, u64)>>,
    /// Set by the campaign: a leader whose marker aged out of the log marks its term again.
    holds: OnceLock<Holds>,
}

impl std::fmt::Debug for Fence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fence")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Fence {
    pub fn new(context: jetstream::Context, stream: &str, node: &str) -> Fence {
        Fence {
            context,
            stream: stream.to_string(),
            node: node.to_string(),
            subject: marker_subject(stream),
            known: Mutex::new(None),
            holds: OnceLock::new(),
        }
    }

    /// Tells the fence how to learn whether this node holds a term's lease now.
    pub fn set_holds(&self, holds: impl Fn() -> Option<u64> + Send + Sync + 'static) {
        let _ = self.holds.set(Box::new(holds));
    }

    /// Writes the marker of `term` (this node just took its lease), unless the log already
    /// has it. Fails when a later term is marked (this node's lease is over already).
    pub async fn mark(&self, term: u64) -> Result<u64, PublishError> {
        loop {
            let last = self.last_marker().await?;
            match last {
                Some((marked, seq)) if marked == term => return Ok(seq),
                Some((marked, _)) if marked > term => {
                    return Err(PublishError::Fenced {
                        term,
                        newer: marked,
                    });
                }
                _ => {}
            }
            let payload = serde_json::to_vec(&Marker {
                term,
                node: self.node.clone(),
            })
            .map_err(|e| PublishError::Failed(e.to_string()))?;
            let message = PublishMessage::build()
                .payload(payload.into())
                .expected_last_subject_sequence(last.map_or(0, |(_, seq)| seq));
            let sent = self
                .context
                .send_publish(self.subject.clone(), message)
                .await
                .map_err(|e| PublishError::Failed(format!("writing the term marker: {e}")))?;
            match sent.await {
                Ok(ack) => {
                    self.remember(term, ack.sequence);
                    info!(term, seq = ack.sequence, "the log is fenced for this term");
                    return Ok(ack.sequence);
                }
                // Someone else marked in between: look again.
                Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {}
                Err(e) => {
                    return Err(PublishError::Failed(format!(
                        "writing the term marker: {e}"
                    )));
                }
            }
        }
    }

    /// The headers that make the log store a change set of `term` only while `term` is the
    /// last one marked.
    pub(crate) async fn guard(
        &self,
        term: u64,
        message: PublishMessage,
    ) -> Result<PublishMessage, PublishError> {
        let seq = self.expected(term).await?;
        Ok(message
            .expected_last_subject_sequence(seq)
            .header(EXPECTED_SUBJECT, self.subject.as_str()))
    }

    /// A publish of `term` failed with "wrong last sequence": refused for good when a later
    /// term is marked; otherwise (this term marked again) it may be sent again.
    pub(crate) async fn refused(&self, term: u64) -> PublishError {
        self.forget();
        match self.last_marker().await {
            Ok(Some((marked, _))) if marked > term => PublishError::Fenced {
                term,
                newer: marked,
            },
            Ok(_) => PublishError::Failed(format!(
                "the log's marker of term {term} moved; sending again"
            )),
            Err(e) => e,
        }
    }

    /// The sequence of `term`'s marker: known, or read from the log; a leader of `term` whose
    /// marker is gone (aged out) marks again.
    async fn expected(&self, term: u64) -> Result<u64, PublishError> {
        if let Some((known, seq)) = *self.lock() {
            if known == term {
                return Ok(seq);
            }
            if known > term {
                return Err(PublishError::Fenced { term, newer: known });
            }
        }
        match self.last_marker().await? {
            Some((marked, seq)) if marked == term => Ok(seq),
            Some((marked, _)) if marked > term => Err(PublishError::Fenced {
                term,
                newer: marked,
            }),
            _ if self.holds.get().and_then(|holds| holds()) == Some(term) => self.mark(term).await,
            _ => Err(PublishError::Failed(format!(
                "the log holds no marker of term {term} yet"
            ))),
        }
    }

    /// The last marker in the log, remembered.
    async fn last_marker(&self) -> Result<Option<(u64, u64)>, PublishError> {
        let failed = |e: &dyn std::fmt::Display| {
            PublishError::Failed(format!("reading the log's term marker: {e}"))
        };
        let stream = self
            .context
            .get_stream_no_info(&self.stream)
            .await
            .map_err(|e| failed(&e))?;
        match stream.get_last_raw_message_by_subject(&self.subject).await {
            Ok(message) => {
                let marker: Marker =
                    serde_json::from_slice(&message.payload).map_err(|e| failed(&e))?;
                self.remember(marker.term, message.sequence);
                Ok(Some((marker.term, message.sequence)))
            }
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(failed(&e)),
        }
    }

    fn remember(&self, term: u64, seq: u64) {
        let mut known = self.lock();
        if known.is_none_or(|(t, s)| (term, seq) > (t, s)) {
            *known = Some((term, seq));
        }
    }

    fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(u64, u64)>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The subject of the term markers: two tokens after the stream's name, so no database's
/// subject (one token) is ever it.
pub fn marker_subject(stream: &str) -> String {
    format!("{stream}._ha.term")
}
