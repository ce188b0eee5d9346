//! Leader mode's lease (SPEC §7): one node of the cluster writes; the others forward to it.
//!
//! The lease is one key of a JetStream key-value bucket, `<stream>_LEADER`, whose entries live
//! for [`LeaseTimes::ttl`] (the bucket's `max_age`). A node that finds the key absent creates
//! it (compare-and-set: one node wins) and leads; the create's revision is its **term**. It
//! renews the key (update with the expected revision) every [`LeaseTimes::renew_every`]; a
//! renewal that fails means someone else took the key, and it stops leading at once.
//!
//! Fencing: a leader only accepts writes until [`LeaseTimes::ttl`] minus a margin after it
//! *sent* its last successful renewal (a monotonic clock, which keeps counting while the
//! process is stopped): the key cannot expire, and nobody else can lead, before that. A paused
//! leader that wakes up past it writes nothing, even before it learns that it lost the key.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use async_nats::jetstream::{self, kv};
use ha_core::{CoreError, Registry, WriteGate};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::NatsError;
use crate::fence::Fence;
use crate::log::subject_for;

/// The bucket's one key.
const KEY: &str = "leader";

/// How long a lease lasts and how it is kept.
#[derive(Debug, Clone, Copy)]
pub struct LeaseTimes {
    /// How long the key lives after its last renewal.
    pub ttl: Duration,
    /// How often the leader renews it, and followers look at it.
    pub renew_every: Duration,
    /// How long before the key could expire the leader stops writing.
    pub margin: Duration,
}

impl Default for LeaseTimes {
    fn default() -> Self {
        LeaseTimes {
            ttl: Duration::from_secs(3),
            renew_every: Duration::from_millis(500),
            margin: Duration::from_secs(1),
        }
    }
}

/// Who leads, as this node knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderInfo {
    /// The leader's node name.
    pub node: String,
    /// Its gRPC address, where followers forward writes.
    pub addr: String,
    pub term: u64,
    /// When this node learned of this term.
    pub since: SystemTime,
}

#[derive(Debug, Default)]
struct State {
    leader: Option<LeaderInfo>,
    /// This node's own lease: its term, the key's revision to renew, and until when it may
    /// write.
    own: Option<Own>,
}

#[derive(Debug, Clone, Copy)]
struct Own {
    term: u64,
    revision: u64,
    valid_until: Instant,
}

/// This node's view of the lease, shared by the renewing task, the engine (as its
/// [`WriteGate`]) and the doors (who to forward to).
pub struct Leadership {
    node: String,
    state: Mutex<State>,
    /// `--leader-static`: this node never leads; it forwards here.
    fixed: Option<String>,
    /// The term under which this node has caught up with the log (every database has applied
    /// what earlier terms wrote): a new leader writes only then, so that no write of its own
    /// works on a state older than what the previous leader acknowledged.
    ready_term: AtomicU64,
    /// The node's databases, to catch up (set once they are open).
    registry: OnceLock<Weak<Registry>>,
    /// The lease could not be read at the last look: said once, not every 500 ms.
    unreadable: AtomicBool,
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("node", &self.node)
            .field("fixed", &self.fixed)
            .finish_non_exhaustive()
    }
}

impl Leadership {
    /// This node's view, knowing `state`; `fixed` for a static follower.
    fn new(node: &str, state: State, fixed: Option<String>) -> Arc<Leadership> {
        Arc::new(Leadership {
            node: node.to_string(),
            state: Mutex::new(state),
            fixed,
            ready_term: AtomicU64::new(0),
            registry: OnceLock::new(),
            unreadable: AtomicBool::new(false),
        })
    }

    /// A follower of a fixed leader (`--leader-static ADDR`).
    pub fn fixed(node: &str, leader_addr: &str) -> Arc<Leadership> {
        let state = State {
            leader: Some(LeaderInfo {
                node: String::new(),
                addr: leader_addr.to_string(),
                term: 0,
                since: SystemTime::now(),
            }),
            own: None,
        };
        Leadership::new(node, state, Some(leader_addr.to_string()))
    }

    /// The databases a new leader catches up before it writes.
    pub fn track(&self, registry: &Arc<Registry>) {
        let _ = self.registry.set(Arc::downgrade(registry));
    }

    /// The current leader as this node knows it (itself included).
    pub fn leader(&self) -> Option<LeaderInfo> {
        self.lock().leader.clone()
    }

    /// The term of the lease this node holds now, if it holds one.
    pub fn holds_lease(&self) -> Option<u64> {
        let state = self.lock();
        state
            .own
            .filter(|own| Instant::now() < own.valid_until)
            .map(|own| own.term)
    }

    /// Whether this node may write now (it holds the lease and has caught up), and under
    /// which term.
    pub fn leading(&self) -> Option<u64> {
        self.holds_lease()
            .filter(|term| self.ready_term.load(Ordering::Acquire) == *term)
    }

    pub fn is_static(&self) -> bool {
        self.fixed.is_some()
    }

    /// A failed look at the lease: a warning the first time, then quiet until it works again
    /// (a broker outage would otherwise log twice a second).
    fn unreadable(&self, error: &dyn std::fmt::Display) {
        if !self.unreadable.swap(true, Ordering::AcqRel) {
            warn!(error = %error, "the leader lease cannot be read; retrying every look");
        } else {
            tracing::debug!(error = %error, "the leader lease still cannot be read");
        }
    }

    fn readable(&self) {
        if self.unreadable.swap(false, Ordering::AcqRel) {
            info!("the leader lease can be read again");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl WriteGate for Leadership {
    fn term(&self) -> Result<u64, CoreError> {
        if let Some(term) = self.leading() {
            return Ok(term);
        }
        let leader = self
            .lock()
            .leader
            .as_ref()
            .filter(|l| l.node != self.node || self.fixed.is_some())
            .map(|l| l.addr.clone());
        Err(CoreError::NotLeader { leader })
    }
}

/// Where a node campaigns: the stream's context and name, and the fence its terms mark.
pub struct Ballot {
    pub context: jetstream::Context,
    pub stream: String,
    pub fence: Arc<Fence>,
}

/// Runs the election for this node until `stop`: campaigns while nobody leads, renews while it
/// leads, and gives the lease up (deletes the key) when it stops, so another node leads at
/// once instead of after the lease runs out.
pub async fn campaign(
    ballot: Ballot,
    replicas: usize,
    node: String,
    addr: String,
    times: LeaseTimes,
    mut stop: watch::Receiver<bool>,
) -> Result<Arc<Leadership>, NatsError> {
    let Ballot {
        context,
        stream,
        fence,
    } = ballot;
    let kv = open_bucket(&context, &stream, replicas, times.ttl).await?;
    let leadership = Leadership::new(&node, State::default(), None);
    let weak = Arc::downgrade(&leadership);
    fence.set_holds(move || weak.upgrade().and_then(|l| l.holds_lease()));
    let log = Log {
        context,
        stream,
        fence,
    };
    let shared = Arc::clone(&leadership);
    tokio::spawn(async move {
        loop {
            if let Some(term) = tick(&kv, &shared, &addr, times).await {
                tokio::spawn(catch_up(Arc::clone(&shared), term, log.clone()));
            }
            tokio::select! {
                _ = tokio::time::sleep(times.renew_every) => {}
                _ = stop.wait_for(|stopped| *stopped) => break,
            }
        }
        let own = shared.lock().own.take();
        if let Some(own) = own {
            // Handing over: the next node leads as soon as it looks.
            let _ = kv.delete_expect_revision(KEY, Some(own.revision)).await;
            info!(term = own.term, "leadership given up");
        }
    });
    Ok(leadership)
}

/// Follows the lease of a leader-mode cluster without ever campaigning (an in-process
/// replica: it never leads, it forwards its writes). `Ok(None)` when the cluster runs
/// leaderless (no lease bucket exists: no node was ever started with `--leader-addr`).
pub async fn observe(
    context: jetstream::Context,
    stream: String,
    node: String,
    times: LeaseTimes,
    mut stop: watch::Receiver<bool>,
) -> Result<Option<Arc<Leadership>>, NatsError> {
    let Ok(kv) = context.get_key_value(format!("{stream}_LEADER")).await else {
        return Ok(None);
    };
    let leadership = Leadership::new(&node, State::default(), None);
    learn_leader(&kv, &leadership).await;
    let shared = Arc::clone(&leadership);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(times.renew_every) => {}
                _ = stop.wait_for(|stopped| *stopped) => break,
            }
            learn_leader(&kv, &shared).await;
        }
    });
    Ok(Some(leadership))
}

/// One round: renew the own lease, or try to take a free one, and learn who leads. Returns
/// the term of a lease just taken.
async fn tick(
    kv: &kv::Store,
    leadership: &Leadership,
    addr: &str,
    times: LeaseTimes,
) -> Option<u64> {
    let own = leadership.lock().own;
    let sent = Instant::now();
    if let Some(own) = own {
        let value = lease_value(&leadership.node, addr, Some(own.term));
        match kv.update(KEY, value.into(), own.revision).await {
            Ok(revision) => {
                let mut state = leadership.lock();
                state.own = Some(Own {
                    revision,
                    valid_until: sent + times.ttl.saturating_sub(times.margin),
                    ..own
                });
                return None;
            }
            Err(e) => {
                warn!(term = own.term, error = %e, "the lease could not be renewed: no longer leading");
                leadership.lock().own = None;
            }
        }
    }
    let value = lease_value(&leadership.node, addr, None);
    match kv.create(KEY, value.into()).await {
        Ok(revision) => {
            let mut state = leadership.lock();
            state.own = Some(Own {
                term: revision,
                revision,
                valid_until: sent + times.ttl.saturating_sub(times.margin),
            });
            state.leader = Some(LeaderInfo {
                node: leadership.node.clone(),
                addr: addr.to_string(),
                term: revision,
                since: SystemTime::now(),
            });
            info!(
                term = revision,
                "this node holds the lease; catching up before it writes"
            );
            return Some(revision);
        }
        Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
            learn_leader(kv, leadership).await;
        }
        Err(e) => leadership.unreadable(&e),
    }
    None
}

/// The log a leader fences and catches up with.
#[derive(Clone)]
struct Log {
    context: jetstream::Context,
    stream: String,
    fence: Arc<Fence>,
}

/// Makes this node, which just took the lease for `term`, ready to write: it fences the log
/// for `term` (from there on the log refuses what earlier terms send), then every database
/// applies the log up to its last entry (what earlier leaders wrote) and has no own change set
/// of an earlier term left unsettled. Gives up when the lease is lost meanwhile.
async fn catch_up(leadership: Arc<Leadership>, term: u64, log: Log) {
    let started = Instant::now();
    loop {
        if leadership.holds_lease() != Some(term) {
            return;
        }
        match log.fence.mark(term).await {
            Ok(_) => break,
            Err(ha_core::PublishError::Fenced { newer, .. }) => {
                warn!(
                    term,
                    newer, "a later term is marked in the log: not leading"
                );
                leadership.lock().own = None;
                return;
            }
            Err(e) => warn!(term, error = %e, "fencing the log before leading; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    loop {
        if leadership.holds_lease() != Some(term) {
            return;
        }
        match caught_up(&leadership, term, &log.context, &log.stream).await {
            Ok(true) => {
                leadership.ready_term.store(term, Ordering::Release);
                info!(
                    term,
                    caught_up_ms = started.elapsed().as_millis() as u64,
                    "this node leads"
                );
                return;
            }
            Ok(false) => {}
            Err(e) => warn!(term, error = %e, "catching up before leading; retrying"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether every database has applied its subject's last log entry, and has no own change set
/// of an earlier term than `term` waiting to be stored or undone.
async fn caught_up(
    leadership: &Leadership,
    term: u64,
    context: &jetstream::Context,
    stream_name: &str,
) -> Result<bool, String> {
    let Some(registry) = leadership.registry.get().and_then(Weak::upgrade) else {
        // The databases are not open yet.
        return Ok(false);
    };
    let stream = context
        .get_stream_no_info(stream_name)
        .await
        .map_err(|e| e.to_string())?;
    for id in registry.ids() {
        let Ok(database) = registry.get(Some(&id)) else {
            continue;
        };
        let last = match stream
            .get_last_raw_message_by_subject(&subject_for(stream_name, &id))
            .await
        {
            Ok(message) => message.sequence,
            Err(e)
                if matches!(
                    e.kind(),
                    async_nats::jetstream::stream::LastRawMessageErrorKind::NoMessageFound
                ) =>
            {
                0
            }
            Err(e) => return Err(e.to_string()),
        };
        if database.apply_status().applied_seq < last
            || database.unsettled_term().is_some_and(|older| older < term)
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Reads who holds the key now.
async fn learn_leader(kv: &kv::Store, leadership: &Leadership) {
    let entry = match kv.entry(KEY).await {
        Ok(Some(entry)) if entry.operation == kv::Operation::Put => entry,
        Ok(_) => return,
        Err(e) => {
            leadership.unreadable(&e);
            return;
        }
    };
    leadership.readable();
    let value: Option<serde_json::Value> = serde_json::from_slice(&entry.value).ok();
    let field = |name: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(name))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let term = value
        .as_ref()
        .and_then(|v| v.get("term"))
        .and_then(|v| v.as_u64())
        .unwrap_or(entry.revision);
    let mut state = leadership.lock();
    if state.leader.as_ref().map(|l| l.term) != Some(term) {
        let leader = LeaderInfo {
            node: field("node"),
            addr: field("addr"),
            term,
            since: SystemTime::now(),
        };
        info!(leader = %leader.node, addr = %leader.addr, term, "leader elected");
        state.leader = Some(leader);
    }
}

fn lease_value(node: &str, addr: &str, term: Option<u64>) -> Vec<u8> {
    let mut value = serde_json::json!({ "node": node, "addr": addr });
    if let Some(term) = term {
        value["term"] = term.into();
    }
    value.to_string().into_bytes()
}

async fn open_bucket(
    context: &jetstream::Context,
    stream: &str,
    replicas: usize,
    ttl: Duration,
) -> Result<kv::Store, NatsError> {
    let bucket = format!("{stream}_LEADER");
    let config = kv::Config {
        bucket: bucket.clone(),
        description: "ha: the leader's lease (leader mode)".into(),
        history: 1,
        max_age: ttl,
        num_replicas: replicas,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    };
    match context.create_key_value(config).await {
        Ok(kv) => Ok(kv),
        Err(create) => context.get_key_value(&bucket).await.map_err(|get| {
            NatsError::Log(format!(
                "the leader bucket {bucket} cannot be reached: {create}; {get}"
            ))
        }),
    }
}
