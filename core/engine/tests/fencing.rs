//! Leader mode's fence, through the engine with an in-memory log that fences like JetStream
//! does with the term marker (SPEC §7): change sets a deposed leader committed in time but
//! that reach the log after the next term's marker are refused, answered as not written, and
//! undone in the deposed leader's file, so every node ends with the same rows. (The real broker
//! and nodes are tested end to end in `tests/it/cluster/leader.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ha_core::{
    ChangeLog, CoreError, Database, DatabaseOptions, DatabaseSpec, LogEntry, PublishError,
    PublishFuture, ReplicationOptions, RowIdentify, Storage, WriteGate,
};
use ha_types::{ErrorCode, Statement, Value};

mod common;
use common::{change_sets, rows};

/// A log with a term marker: a change set of a term older than the last marked is refused.
/// While `stalled`, publishes of `stalled_term` are neither stored nor answered (a publish sat
/// in a partitioned socket); released, they are judged against the marker as it is then.
#[derive(Default)]
struct FencedLog(Arc<Shared>);

struct Shared {
    entries: Mutex<Vec<(String, Vec<u8>, usize)>>,
    marked: AtomicU64,
    stalled: AtomicBool,
    stalled_term: AtomicU64,
    released: tokio::sync::watch::Sender<bool>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            entries: Mutex::default(),
            marked: AtomicU64::new(0),
            stalled: AtomicBool::new(false),
            stalled_term: AtomicU64::new(0),
            released: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl std::ops::Deref for FencedLog {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    fn store(
        &self,
        msg_id: &str,
        payload: &[u8],
        count: usize,
        term: Option<u64>,
    ) -> Result<u64, PublishError> {
        let marked = self.marked.load(Ordering::SeqCst);
        if let Some(term) = term.filter(|term| *term < marked) {
            return Err(PublishError::Fenced {
                term,
                newer: marked,
            });
        }
        let mut entries = self.entries.lock().unwrap();
        if let Some(i) = entries.iter().position(|(id, _, _)| id == msg_id) {
            return Ok(i as u64 + 1);
        }
        entries.push((msg_id.to_string(), payload.to_vec(), count));
        Ok(entries.len() as u64)
    }

    fn entries(&self, from: u64) -> Vec<LogEntry> {
        let entries = self.entries.lock().unwrap();
        entries
            .iter()
            .enumerate()
            .skip(from as usize)
            .map(|(i, (_, payload, count))| LogEntry {
                seq: i as u64 + 1,
                change_sets: Ok(change_sets(payload, *count)),
            })
            .collect()
    }
}

impl ChangeLog for FencedLog {
    fn publish<'a>(
        &'a self,
        _database: &'a str,
        msg_id: &'a str,
        payload: bytes::Bytes,
        count: usize,
        term: Option<u64>,
    ) -> PublishFuture<'a> {
        Box::pin(async move {
            let stalled = self.stalled.load(Ordering::SeqCst)
                && term == Some(self.stalled_term.load(Ordering::SeqCst));
            if !stalled {
                let stored = self.store(msg_id, &payload, count, term);
                return Ok(Box::pin(async move { stored }) as ha_core::AckFuture);
            }
            // Sent into a partition: judged only once it is released.
            let log = Arc::clone(&self.0);
            let msg_id = msg_id.to_string();
            Ok(Box::pin(async move {
                let mut released = log.released.subscribe();
                let _ = released.wait_for(|released| *released).await;
                log.store(&msg_id, &payload, count, term)
            }) as ha_core::AckFuture)
        })
    }
}

/// A lease this test sets by hand.
struct Gate(AtomicU64);

impl WriteGate for Gate {
    fn term(&self) -> Result<u64, CoreError> {
        match self.0.load(Ordering::SeqCst) {
            0 => Err(CoreError::NotLeader { leader: None }),
            term => Ok(term),
        }
    }
}

fn node(name: &str, log: &Arc<FencedLog>, gate: &Arc<Gate>) -> Database {
    let options = DatabaseOptions {
        replication: Some(ReplicationOptions {
            node: name.into(),
            async_ack: false,
            timeout: Duration::from_secs(30),
            disable_ddl_sync: false,
            row_identify: RowIdentify::PrimaryKey,
            from_log_start: true,
            log: Arc::clone(log) as Arc<dyn ChangeLog>,
            runtime: tokio::runtime::Handle::current(),
            write_gate: Some(Arc::clone(gate) as Arc<dyn WriteGate>),
            most_per_message: ha_core::MOST_PER_MESSAGE,
            format: ha_types::ChangeSetFormat::default(),
        }),
        ..DatabaseOptions::default()
    };
    let spec = DatabaseSpec {
        id: "app.db".into(),
        storage: Storage::Memory { load_from: None },
    };
    Database::open(spec, options).unwrap()
}

async fn run(db: &Database, sql: &str) -> Result<Option<u64>, CoreError> {
    db.execute(vec![Statement::new(sql)]).await.map(|e| e.seq)
}

async fn catch_up(db: &Database, consumer: &str, log: &FencedLog) {
    let from = db.applied_seq(consumer).await.unwrap();
    let entries = log.entries(from);
    if !entries.is_empty() {
        db.apply(consumer, entries).await.unwrap();
    }
}

/// Waits until `db` answers `want` to `sql` (the writer undoes refused change sets between
/// its jobs).
async fn until(db: &Database, sql: &str, want: Vec<Vec<Value>>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = rows(db, sql).await;
        if got == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{sql}: {got:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ints(values: &[i64]) -> Vec<Vec<Value>> {
    values.iter().map(|v| vec![Value::Integer(*v)]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_write_is_answered_as_not_written_and_undone_on_the_deposed_leader() {
    let log = Arc::new(FencedLog::default());
    let (gate_a, gate_b) = (
        Arc::new(Gate(AtomicU64::new(1))),
        Arc::new(Gate(AtomicU64::new(0))),
    );
    log.marked.store(1, Ordering::SeqCst);
    let a = node("a", &log, &gate_a);
    let b = node("b", &log, &gate_b);
    run(&a, "CREATE TABLE c(id INTEGER PRIMARY KEY, n INTEGER)")
        .await
        .unwrap();
    run(&a, "INSERT INTO c VALUES (1, 0)").await.unwrap();
    // Term 2 is marked while a still commits under term 1 (its publish was late): refused.
    log.marked.store(2, Ordering::SeqCst);
    let refused = run(&a, "UPDATE c SET n = n + 1 WHERE id = 1")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Unavailable, "{refused}");
    assert!(refused.to_string().contains("not written"), "{refused}");
    gate_a.0.store(0, Ordering::SeqCst);
    // a gets its stored change sets back, then undoes the refused one.
    catch_up(&a, "a", &log).await;
    until(&a, "SELECT n FROM c", ints(&[0])).await;
    // b leads term 2 on the same state.
    gate_b.0.store(2, Ordering::SeqCst);
    catch_up(&b, "b", &log).await;
    run(&b, "UPDATE c SET n = n + 10 WHERE id = 1")
        .await
        .unwrap();
    catch_up(&a, "a", &log).await;
    catch_up(&b, "b", &log).await;
    assert_eq!(rows(&a, "SELECT n FROM c").await, ints(&[10]));
    assert_eq!(rows(&b, "SELECT n FROM c").await, ints(&[10]));
    // a writes again under a later term of its own: ids of its new origin start over, and b
    // applies them (nothing waits for the refused id).
    gate_b.0.store(0, Ordering::SeqCst);
    log.marked.store(3, Ordering::SeqCst);
    gate_a.0.store(3, Ordering::SeqCst);
    run(&a, "UPDATE c SET n = n + 100 WHERE id = 1")
        .await
        .unwrap();
    catch_up(&b, "b", &log).await;
    catch_up(&a, "a", &log).await;
    assert_eq!(rows(&b, "SELECT n FROM c").await, ints(&[110]));
    assert_eq!(rows(&a, "SELECT n FROM c").await, ints(&[110]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_term_in_the_log_undoes_a_stalled_write_before_it_is_applied() {
    let log = Arc::new(FencedLog::default());
    let (gate_a, gate_b) = (
        Arc::new(Gate(AtomicU64::new(1))),
        Arc::new(Gate(AtomicU64::new(0))),
    );
    log.marked.store(1, Ordering::SeqCst);
    let a = Arc::new(node("a", &log, &gate_a));
    let b = node("b", &log, &gate_b);
    run(&a, "CREATE TABLE c(id INTEGER PRIMARY KEY, n INTEGER)")
        .await
        .unwrap();
    run(&a, "INSERT INTO c VALUES (1, 0), (2, 0)")
        .await
        .unwrap();
    catch_up(&a, "a", &log).await;
    // a's next publishes sit in a partition; it commits two increments meanwhile.
    log.stalled_term.store(1, Ordering::SeqCst);
    log.stalled.store(true, Ordering::SeqCst);
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let a = Arc::clone(&a);
        stalled.push(tokio::spawn(async move {
            run(&a, "UPDATE c SET n = n + 1").await
        }));
    }
    until(&a, "SELECT n FROM c ORDER BY id", ints(&[2, 2])).await;
    // Its lease ends; b leads term 2 and writes to the same rows.
    gate_a.0.store(0, Ordering::SeqCst);
    log.marked.store(2, Ordering::SeqCst);
    gate_b.0.store(2, Ordering::SeqCst);
    catch_up(&b, "b", &log).await;
    run(&b, "UPDATE c SET n = n + 10 WHERE id = 1")
        .await
        .unwrap();
    // a meets term 2 in the log before its publisher hears anything: the increments it has
    // are undone first (else its pending rows would make it skip b's change).
    catch_up(&a, "a", &log).await;
    assert_eq!(
        rows(&a, "SELECT n FROM c ORDER BY id").await,
        ints(&[10, 0])
    );
    // Released, the stalled publishes are refused: their clients hear "not written".
    log.stalled.store(false, Ordering::SeqCst);
    log.released.send_replace(true);
    for write in stalled {
        let error = write.await.unwrap().unwrap_err();
        assert_eq!(error.code(), ErrorCode::Unavailable, "{error}");
    }
    catch_up(&b, "b", &log).await;
    catch_up(&a, "a", &log).await;
    assert_eq!(
        rows(&b, "SELECT n FROM c ORDER BY id").await,
        ints(&[10, 0])
    );
    assert_eq!(
        rows(&a, "SELECT n FROM c ORDER BY id").await,
        ints(&[10, 0])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applier_sets_aside_a_change_set_of_an_older_term_than_one_it_applied() {
    // No fence in this log (`marked` stays 0): what the fence would have refused gets in.
    let log = Arc::new(FencedLog::default());
    let gate_new = Arc::new(Gate(AtomicU64::new(2)));
    let gate_old = Arc::new(Gate(AtomicU64::new(1)));
    let new_leader = node("new", &log, &gate_new);
    let old_leader = node("old", &log, &gate_old);
    let follower = node("follower", &log, &Arc::new(Gate(AtomicU64::new(0))));
    run(
        &new_leader,
        "CREATE TABLE c(id INTEGER PRIMARY KEY, n INTEGER)",
    )
    .await
    .unwrap();
    catch_up(&old_leader, "old", &log).await;
    run(&new_leader, "INSERT INTO c VALUES (1, 10)")
        .await
        .unwrap();
    run(&old_leader, "INSERT OR REPLACE INTO c VALUES (1, 1)")
        .await
        .unwrap();
    catch_up(&follower, "follower", &log).await;
    assert_eq!(rows(&follower, "SELECT n FROM c").await, ints(&[10]));
    let set_aside = rows(
        &follower,
        "SELECT count(*) FROM _ha_dead_letters WHERE error LIKE '%lease term 1 is older than term 2%'",
    )
    .await;
    assert_eq!(set_aside, ints(&[1]));
}
