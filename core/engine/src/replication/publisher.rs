//! Drains the outbox into the log with many publishes in flight (SPEC §6.4): write throughput is
//! bounded by SQLite and the broker, not by one round trip per write. Acknowledgements are taken
//! in publish order; a failed publish is retried (same message id, so the log stores it once)
//! with backoff, ahead of everything after it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio::sync::{mpsc, oneshot};
use tracing::warn;

use super::ChangeLog;

/// Most publishes awaiting the broker's answer at once.
const MAX_IN_FLIGHT: usize = 1024;

/// Resolves with the log sequence once the change set is stored.
pub(crate) type Published = oneshot::Receiver<Result<u64, String>>;

pub(crate) struct Outgoing {
    pub outbox_id: i64,
    pub msg_id: String,
    pub payload: Bytes,
    pub done: Option<oneshot::Sender<Result<u64, String>>>,
}

pub(crate) fn publisher_outgoing(
    outbox_id: i64,
    msg_id: String,
    payload: Bytes,
    done: Option<oneshot::Sender<Result<u64, String>>>,
) -> Outgoing {
    Outgoing {
        outbox_id,
        msg_id,
        payload,
        done,
    }
}

pub(crate) struct Publisher {
    sender: mpsc::UnboundedSender<Outgoing>,
}

type Attempt = Pin<Box<dyn Future<Output = (Outgoing, u32, Result<u64, String>)> + Send>>;

impl Publisher {
    /// Starts the publishing task. `on_stored(id)` is called with the highest outbox id whose
    /// change set (and all before it) the log has stored.
    pub(crate) fn spawn(
        runtime: &tokio::runtime::Handle,
        database: String,
        log: Arc<dyn ChangeLog>,
        on_stored: impl Fn(i64) + Send + 'static,
    ) -> Publisher {
        let (sender, receiver) = mpsc::unbounded_channel();
        runtime.spawn(run(receiver, database, log, on_stored));
        Publisher { sender }
    }

    /// Queues a committed change set; returns whether the publisher is still running.
    pub(crate) fn send(&self, outgoing: Outgoing) -> bool {
        self.sender.send(outgoing).is_ok()
    }
}

/// Sends now (so messages leave in commit order) and returns the wait for the acknowledgement.
async fn first_attempt(log: &Arc<dyn ChangeLog>, database: &str, outgoing: Outgoing) -> Attempt {
    let sent = log
        .publish(database, &outgoing.msg_id, outgoing.payload.clone())
        .await;
    Box::pin(async move {
        let result = match sent {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        (outgoing, 0, result)
    })
}

/// A retry after a failure, after a backoff: sent and acknowledged inside the future.
fn retry(log: &Arc<dyn ChangeLog>, database: &str, outgoing: Outgoing, tries: u32) -> Attempt {
    let log = Arc::clone(log);
    let database = database.to_string();
    Box::pin(async move {
        let backoff = Duration::from_millis(50u64 << tries.min(7)).min(Duration::from_secs(5));
        tokio::time::sleep(backoff).await;
        let sent = log
            .publish(&database, &outgoing.msg_id, outgoing.payload.clone())
            .await;
        let result = match sent {
            Ok(ack) => ack.await,
            Err(e) => Err(e),
        };
        (outgoing, tries, result)
    })
}

async fn run(
    mut receiver: mpsc::UnboundedReceiver<Outgoing>,
    database: String,
    log: Arc<dyn ChangeLog>,
    on_stored: impl Fn(i64),
) {
    let mut in_flight: FuturesOrdered<Attempt> = FuturesOrdered::new();
    let mut open = true;
    loop {
        tokio::select! {
            next = receiver.recv(), if open && in_flight.len() < MAX_IN_FLIGHT => match next {
                Some(outgoing) => in_flight.push_back(first_attempt(&log, &database, outgoing).await),
                None => open = false,
            },
            Some((mut outgoing, tries, result)) = in_flight.next(), if !in_flight.is_empty() => {
                match result {
                    Ok(seq) => {
                        if let Some(done) = outgoing.done.take() {
                            let _ = done.send(Ok(seq));
                        }
                        on_stored(outgoing.outbox_id);
                    }
                    Err(error) => {
                        if tries == 0 {
                            warn!(database = %database, %error, "publishing a change set failed; retrying");
                        }
                        // The writer's client keeps waiting, up to its replication timeout.
                        in_flight.push_front(retry(&log, &database, outgoing, tries + 1));
                    }
                }
            },
            else => break,
        }
    }
}
