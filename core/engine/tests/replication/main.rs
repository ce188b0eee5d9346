//! Replication through the engine with an in-memory log standing in for JetStream: capture,
//! outbox, publish order, apply, the pending-row rule. (The real broker is tested end to end
//! in `tests/it`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ha_core::{
    ChangeLog, Database, DatabaseOptions, DatabaseSpec, LogEntry, PublishFuture, Registry,
    RegistryOptions, ReplicationOptions, RowIdentify, Session, Storage,
};
use ha_types::{Statement, Value};

#[path = "../common/mod.rs"]
mod common;
mod own;

use common::{change_sets, rows};

#[derive(Default)]
struct MemoryLog(Mutex<Vec<Stored>>);

/// A message in the log: database, message id, payload, how many change sets it holds.
type Stored = (String, String, Vec<u8>, usize);

impl ChangeLog for MemoryLog {
    fn publish<'a>(
        &'a self,
        database: &'a str,
        msg_id: &'a str,
        payload: bytes::Bytes,
        change_sets: usize,
        _term: Option<u64>,
    ) -> PublishFuture<'a> {
        let mut log = self.0.lock().unwrap();
        let seq = if let Some(i) = log.iter().position(|(_, id, _, _)| id == msg_id) {
            i as u64 + 1
        } else {
            log.push((
                database.to_string(),
                msg_id.to_string(),
                payload.to_vec(),
                change_sets,
            ));
            log.len() as u64
        };
        Box::pin(async move { Ok(Box::pin(async move { Ok(seq) }) as ha_core::AckFuture) })
    }
}

impl MemoryLog {
    fn entries(&self, from: u64) -> Vec<LogEntry> {
        let log = self.0.lock().unwrap();
        log.iter()
            .enumerate()
            .skip(from as usize)
            .map(|(i, (_, _, payload, count))| LogEntry {
                seq: i as u64 + 1,
                change_sets: Ok(change_sets(payload, *count)),
            })
            .collect()
    }
}

fn node(name: &str, log: &Arc<MemoryLog>) -> Database {
    node_on(name, log, Storage::Memory { load_from: None })
}

fn node_on(name: &str, log: &Arc<MemoryLog>, storage: Storage) -> Database {
    node_with(name, log, storage, RowIdentify::PrimaryKey)
}

fn node_with(
    name: &str,
    log: &Arc<MemoryLog>,
    storage: Storage,
    row_identify: RowIdentify,
) -> Database {
    let spec = DatabaseSpec {
        id: "app.db".into(),
        storage,
    };
    let options = replicated(name, log, row_identify, Duration::from_secs(5));
    Database::open(spec, options).unwrap()
}

/// A database's options with replication to `log`, acknowledged within `timeout`.
fn replicated(
    name: &str,
    log: &Arc<MemoryLog>,
    row_identify: RowIdentify,
    timeout: Duration,
) -> DatabaseOptions {
    DatabaseOptions {
        replication: Some(ReplicationOptions {
            node: name.into(),
            async_ack: false,
            timeout,
            disable_ddl_sync: false,
            row_identify,
            from_log_start: true,
            log: Arc::clone(log) as Arc<dyn ChangeLog>,
            runtime: tokio::runtime::Handle::current(),
            write_gate: None,
            most_per_message: ha_core::MOST_PER_MESSAGE,
            format: ha_types::ChangeSetFormat::default(),
        }),
        ..DatabaseOptions::default()
    }
}

async fn run(db: &Database, sql: &str) -> Option<u64> {
    db.execute(vec![Statement::new(sql)]).await.unwrap().seq
}

async fn catch_up(db: &Database, consumer: &str, log: &MemoryLog) {
    let from = db.applied_seq(consumer).await.unwrap();
    let entries = log.entries(from);
    if !entries.is_empty() {
        db.apply(consumer, entries).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_one_node_appear_on_the_other() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    assert_eq!(
        run(
            &a,
            "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, b BLOB)"
        )
        .await,
        Some(1)
    );
    run(&a, "CREATE TABLE log(x)").await;
    run(
        &a,
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id); END",
    )
    .await;
    let seq = run(&a, "INSERT INTO t VALUES (1, 9223372036854775807, 0.1, 'x', x'00ff'), (2, NULL, -1e300, '', x'')").await;
    assert!(seq.is_some());
    run(&a, "UPDATE t SET s = 'y' WHERE id = 2").await;
    run(&a, "DELETE FROM t WHERE id = 1").await;
    run(&a, "CREATE TABLE nokey(v)").await;
    run(&a, "INSERT INTO nokey(rowid, v) VALUES (7, 'seven')").await;
    catch_up(&b, "b_app.db", &log).await;
    catch_up(&a, "a_app.db", &log).await;
    let want = rows(&a, "SELECT * FROM t ORDER BY id").await;
    assert_eq!(rows(&b, "SELECT * FROM t ORDER BY id").await, want);
    assert_eq!(want.len(), 1);
    // The trigger's row arrived as a row of its own, not from running the trigger again.
    assert_eq!(
        rows(&b, "SELECT x FROM log ORDER BY x").await,
        vec![vec![Value::Integer(1)], vec![Value::Integer(2)]]
    );
    assert_eq!(
        rows(&b, "SELECT rowid, v FROM nokey").await,
        vec![vec![Value::Integer(7), Value::Text("seven".into())]]
    );
    // Redelivery is harmless.
    b.apply("b_app.db", log.entries(0)).await.unwrap();
    assert_eq!(rows(&b, "SELECT * FROM t ORDER BY id").await, want);
}

/// Applying switches triggers and foreign-key actions off on the writer's connection and leaves
/// them off until a client's statements come: those, and every statement prepared before,
/// still run with them (the cached INSERT here was compiled before the node applied anything).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_applied_runs_its_clients_triggers_and_foreign_key_actions() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(MemoryLog::default());
    let with_foreign_keys = |name: &str| Storage::File {
        path: dir.path().join(name),
        params: "_fk=1".into(),
    };
    let a = node_on("a", &log, with_foreign_keys("a.db"));
    // b through a registry too, for a wire session's interactive transaction.
    let b_node = Registry::open(
        vec![DatabaseSpec {
            id: "app.db".into(),
            storage: with_foreign_keys("b.db"),
        }],
        RegistryOptions {
            memory: false,
            data_dir: dir.path().to_path_buf(),
            db_params: String::new(),
            database: replicated("b", &log, RowIdentify::PrimaryKey, Duration::from_secs(5)),
        },
    )
    .unwrap();
    let b = b_node.get(None).unwrap();
    for sql in [
        "CREATE TABLE parent(id INTEGER PRIMARY KEY)",
        "CREATE TABLE child(id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) ON DELETE CASCADE)",
        "CREATE TABLE audit(what TEXT PRIMARY KEY)",
        "CREATE TRIGGER on_parent AFTER INSERT ON parent BEGIN INSERT INTO audit VALUES ('parent ' || new.id); END",
    ] {
        run(&a, sql).await;
    }
    catch_up(&b, "b_app.db", &log).await;
    for round in 1..=3_i64 {
        // A client's write on b, then one of a's applied on b.
        let local = 100 + round;
        run(&b, &format!("INSERT INTO parent VALUES ({local})")).await;
        run(&b, &format!("INSERT INTO child VALUES ({local}, {local})")).await;
        run(&a, &format!("INSERT INTO parent VALUES ({round})")).await;
        catch_up(&b, "b_app.db", &log).await;
        // Deleting b's parent cascades on b, as a client there expects.
        run(&b, &format!("DELETE FROM parent WHERE id = {local}")).await;
        assert_eq!(
            rows(
                &b,
                &format!("SELECT count(*) FROM child WHERE id = {local}")
            )
            .await,
            vec![vec![Value::Integer(0)]],
            "round {round}: the cascade ran"
        );
    }
    // An interactive transaction right after an apply runs them too.
    run(&a, "INSERT INTO parent VALUES (4)").await;
    catch_up(&b, "b_app.db", &log).await;
    let mut session = Session::new(None, true);
    for sql in [
        "BEGIN",
        "INSERT INTO parent VALUES (104)",
        "INSERT INTO child VALUES (104, 104)",
        "DELETE FROM parent WHERE id = 104",
        "COMMIT",
    ] {
        b_node
            .execute_in(&mut session, vec![Statement::new(sql)])
            .await
            .unwrap();
    }
    assert_eq!(
        rows(&b, "SELECT count(*) FROM child WHERE id = 104").await,
        vec![vec![Value::Integer(0)]],
        "the cascade ran in the transaction"
    );
    let mut want: Vec<String> = (1..=4_i64)
        .flat_map(|round| [format!("parent {}", 100 + round), format!("parent {round}")])
        .collect();
    want.sort();
    let want: Vec<Vec<Value>> = want.into_iter().map(|w| vec![Value::Text(w)]).collect();
    // On b: its own inserts ran the trigger; a's arrived as rows of a's trigger, not run twice.
    assert_eq!(rows(&b, "SELECT what FROM audit ORDER BY what").await, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_later_change_in_the_log_wins_on_every_node() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    run(&a, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    catch_up(&b, "b", &log).await;
    catch_up(&a, "a", &log).await;
    // Both write k=1 before seeing the other's change: b's write is later in the log.
    run(&a, "INSERT INTO kv VALUES (1, 'from a')").await;
    run(&b, "INSERT INTO kv VALUES (1, 'from b')").await;
    // a applies b's later change; b skips a's older one (its own is pending).
    catch_up(&b, "b", &log).await;
    catch_up(&a, "a", &log).await;
    let want = vec![vec![Value::Integer(1), Value::Text("from b".into())]];
    assert_eq!(rows(&a, "SELECT * FROM kv").await, want);
    assert_eq!(rows(&b, "SELECT * FROM kv").await, want);
}

impl MemoryLog {
    /// The broker stores message `index` (0-based) again at the end, as a republish after its
    /// duplicate window would.
    fn store_again(&self, index: usize) {
        let mut log = self.0.lock().unwrap();
        let copy = log[index].clone();
        log.push(copy);
    }

    /// Messages `i` and `j` were stored in the other order (a retried publish).
    fn swap(&self, i: usize, j: usize) {
        self.0.lock().unwrap().swap(i, j);
    }
}

fn kv_rows(value: &str) -> Vec<Vec<Value>> {
    vec![vec![Value::Integer(1), Value::Text(value.into())]]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_set_stored_twice_is_applied_once() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    run(&a, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    run(&a, "INSERT INTO kv VALUES (1, 'old')").await;
    run(&a, "UPDATE kv SET v = 'new' WHERE k = 1").await;
    log.store_again(1);
    catch_up(&b, "b", &log).await;
    catch_up(&a, "a", &log).await;
    assert_eq!(rows(&b, "SELECT * FROM kv").await, kv_rows("new"));
    assert_eq!(rows(&a, "SELECT * FROM kv").await, kv_rows("new"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_set_stored_before_its_predecessor_waits_for_it() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    run(&a, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    run(&a, "INSERT INTO kv VALUES (1, 'first')").await;
    run(&a, "UPDATE kv SET v = 'second' WHERE k = 1").await;
    log.swap(1, 2);
    // b sees the later one first: it must wait, not apply it and then the older one.
    b.apply("b", log.entries(0)[..2].to_vec()).await.unwrap();
    assert!(rows(&b, "SELECT * FROM kv").await.is_empty());
    assert_eq!(b.held_change_sets(), 1);
    catch_up(&b, "b", &log).await;
    assert_eq!(b.held_change_sets(), 0);
    catch_up(&a, "a", &log).await;
    assert_eq!(rows(&b, "SELECT * FROM kv").await, kv_rows("second"));
    assert_eq!(rows(&a, "SELECT * FROM kv").await, kv_rows("second"));
    // a's row is no longer pending: a later change of b's applies on a.
    run(&b, "UPDATE kv SET v = 'from b' WHERE k = 1").await;
    catch_up(&a, "a", &log).await;
    assert_eq!(rows(&a, "SELECT * FROM kv").await, kv_rows("from b"));
}

/// A node restarted on a fresh (memory) database is a new instance: what the old one wrote is
/// applied to it, although the node's name is the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_instance_of_a_node_applies_what_the_old_one_wrote() {
    let log = Arc::new(MemoryLog::default());
    let old = node("a", &log);
    run(&old, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    run(&old, "INSERT INTO kv VALUES (1, 'kept')").await;
    drop(old);
    let fresh = node("a", &log);
    catch_up(&fresh, "a", &log).await;
    assert_eq!(rows(&fresh, "SELECT * FROM kv").await, kv_rows("kept"));
}

impl MemoryLog {
    /// The `id` of every change set in the log, in log order.
    fn ids(&self) -> Vec<u64> {
        let log = self.0.lock().unwrap();
        log.iter()
            .flat_map(|(_, _, payload, count)| change_sets(payload, *count))
            .filter_map(|set| set.id)
            .collect()
    }
}

/// The database file at `path`.
fn file(path: &std::path::Path) -> Storage {
    Storage::File {
        path: path.to_path_buf(),
        params: String::new(),
    }
}

/// An older copy of a node's file put back by hand: the change sets of its origin the log
/// holds beyond it are applied, and its next ones do not reuse their ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_copy_put_back_catches_up_and_does_not_reuse_ids() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let storage = || file(&path);
    let log = Arc::new(MemoryLog::default());
    let a = node_on("a", &log, storage());
    run(&a, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    catch_up(&a, "a", &log).await;
    drop(a);
    std::fs::copy(&path, dir.path().join("old.db")).unwrap();
    let a = node_on("a", &log, storage());
    run(&a, "INSERT INTO kv VALUES (1, 'after the copy')").await;
    drop(a);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::copy(dir.path().join("old.db"), &path).unwrap();
    let a = node_on("a", &log, storage());
    catch_up(&a, "a", &log).await;
    assert_eq!(
        rows(&a, "SELECT * FROM kv").await,
        kv_rows("after the copy")
    );
    run(&a, "INSERT INTO kv VALUES (2, 'new')").await;
    assert_eq!(log.ids(), [1, 2, 3]);
}

/// What an applier applied is recorded with it: restarted and fed the log again from its start
/// (a new consumer), it applies nothing a second time, even where that would undo a later
/// change of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_applier_fed_the_log_again_applies_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let storage = || file(&path);
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node_on("b", &log, storage());
    run(&a, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)").await;
    run(&a, "INSERT INTO kv VALUES (1, 'from a')").await;
    // The two change sets of a in one log entry, as a node publishes a group commit.
    let entries = log.entries(0);
    let together = LogEntry {
        seq: 2,
        change_sets: Ok(entries
            .into_iter()
            .flat_map(|entry| entry.change_sets.unwrap())
            .collect()),
    };
    b.apply("b", vec![together.clone()]).await.unwrap();
    run(&b, "UPDATE kv SET v = 'from b' WHERE k = 1").await;
    let from = b.applied_seq("b").await.unwrap();
    b.apply("b", log.entries(from)).await.unwrap();
    drop(b);
    let b = node_on("b", &log, storage());
    b.apply("again", vec![together]).await.unwrap();
    assert_eq!(rows(&b, "SELECT * FROM kv").await, kv_rows("from b"));
}

/// The operator skips a change set that cannot apply: the ones after it from the same origin
/// are not held back for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skipped_change_set_does_not_hold_back_its_origins_later_ones() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    run(&a, "CREATE TABLE t(id INTEGER PRIMARY KEY)").await;
    run(&a, "CREATE TABLE u(id INTEGER PRIMARY KEY)").await;
    catch_up(&b, "b", &log).await;
    // b drops t; a has not seen that when it writes to t.
    run(&b, "DROP TABLE t").await;
    run(&a, "INSERT INTO t VALUES (1)").await;
    run(&a, "INSERT INTO u VALUES (1)").await;
    let from = b.applied_seq("b").await.unwrap();
    let failure = b.apply("b", log.entries(from)).await.unwrap_err();
    let ha_core::CoreError::Apply { seq, message } = failure else {
        panic!("{failure:?}")
    };
    assert!(message.contains("no such table"), "{message}");
    b.set_apply_status(ha_core::ApplyStatus {
        applied_seq: seq - 1,
        failing: Some((seq, message)),
    });
    assert_eq!(b.skip_failing(), Some(seq));
    catch_up(&b, "b", &log).await;
    assert_eq!(
        rows(&b, "SELECT id FROM u").await,
        vec![vec![Value::Integer(1)]]
    );
    assert_eq!(b.held_change_sets(), 0);
    assert_eq!(
        rows(&b, "SELECT count(*) FROM _ha_dead_letters").await,
        vec![vec![Value::Integer(1)]]
    );
}

/// Two nodes that both hold `kv` (with a UNIQUE column) and the rows of `insert`.
async fn two_nodes_with_kv(log: &Arc<MemoryLog>, insert: &str) -> (Database, Database) {
    let a = node("a", log);
    let b = node("b", log);
    run(
        &a,
        "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT, u INTEGER UNIQUE)",
    )
    .await;
    run(&a, insert).await;
    catch_up(&b, "b", log).await;
    catch_up(&a, "a", log).await;
    (a, b)
}

/// Both nodes end with exactly `want` in kv.
async fn assert_kv(nodes: [&Database; 2], want: (i64, &str, i64)) {
    let want = vec![vec![
        Value::Integer(want.0),
        Value::Text(want.1.into()),
        Value::Integer(want.2),
    ]];
    for node in nodes {
        assert_eq!(rows(node, "SELECT * FROM kv ORDER BY k").await, want);
    }
}

/// An older change whose new image takes a UNIQUE value that a pending local row holds: on the
/// other nodes it is written and then displaced by the local change, so here its row goes too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_change_displaced_by_a_pending_row_is_gone_everywhere() {
    let log = Arc::new(MemoryLog::default());
    let (a, b) = two_nodes_with_kv(
        &log,
        "INSERT INTO kv VALUES (12, 'twelve', 20), (9, 'nine', 7)",
    )
    .await;
    run(&a, "UPDATE kv SET u = 3 WHERE k = 12").await;
    run(&b, "UPDATE kv SET u = 3 WHERE k = 9").await;
    catch_up(&b, "b", &log).await;
    catch_up(&a, "a", &log).await;
    assert_kv([&a, &b], (9, "nine", 3)).await;
}

/// The UNIQUE value an older change takes is written by a pending local change set to another
/// row, although the local row has moved on since: elsewhere that change set displaces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_change_taking_a_value_a_pending_change_set_writes_is_gone_everywhere() {
    let log = Arc::new(MemoryLog::default());
    let (a, b) = two_nodes_with_kv(&log, "INSERT INTO kv VALUES (14, 'fourteen', 21)").await;
    run(
        &a,
        "DELETE FROM kv WHERE k = 14; INSERT INTO kv VALUES (12, 'a', 21)",
    )
    .await;
    run(&b, "UPDATE kv SET v = 'b' WHERE k = 14").await;
    run(&b, "UPDATE kv SET u = 11 WHERE k = 14").await;
    catch_up(&b, "b", &log).await;
    catch_up(&a, "a", &log).await;
    assert_kv([&a, &b], (14, "b", 11)).await;
}

/// `--row-identify rowid` on a table whose key is not its rowid: each node numbers such rows
/// itself, so the key finds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rowid_identification_uses_the_key_where_rowids_differ() {
    let log = Arc::new(MemoryLog::default());
    let memory = || Storage::Memory { load_from: None };
    let a = node_with("a", &log, memory(), RowIdentify::Rowid);
    let b = node_with("b", &log, memory(), RowIdentify::Rowid);
    run(&a, "CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER)").await;
    catch_up(&b, "b", &log).await;
    run(&b, "INSERT INTO t VALUES ('z', 0)").await;
    run(&a, "INSERT INTO t VALUES ('x', 1)").await;
    catch_up(&b, "b", &log).await;
    catch_up(&a, "a", &log).await;
    // 'x' is rowid 1 on a and rowid 2 on b, where rowid 1 is 'z'.
    run(&a, "UPDATE t SET v = 10 WHERE k = 'x'").await;
    catch_up(&b, "b", &log).await;
    let want = vec![
        vec![Value::Text("x".into()), Value::Integer(10)],
        vec![Value::Text("z".into()), Value::Integer(0)],
    ];
    assert_eq!(rows(&b, "SELECT * FROM t ORDER BY k").await, want);
}

/// Replicated DDL that fails for a reason other than "that column was added (or dropped)
/// already" is an apply error: schema drift shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_drift_is_an_apply_error() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    run(&a, "CREATE TABLE t(x, c)").await;
    catch_up(&b, "b", &log).await;
    run(&b, "ALTER TABLE t DROP COLUMN c").await;
    run(&a, "ALTER TABLE t ADD COLUMN w").await;
    run(&a, "CREATE INDEX i ON t(c)").await;
    let from = b.applied_seq("b").await.unwrap();
    let failure = b.apply("b", log.entries(from)).await.unwrap_err();
    assert!(failure.to_string().contains("no such column"), "{failure}");
    // The column added before it did apply.
    assert_eq!(
        rows(
            &b,
            "SELECT count(*) FROM pragma_table_info('t') WHERE name = 'w'"
        )
        .await,
        vec![vec![Value::Integer(1)]]
    );
}

/// A batch of one entry that fails part way leaves nothing of it applied and its position
/// unmoved, and applies whole once it can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_entry_that_fails_part_way_leaves_nothing_applied() {
    let log = Arc::new(MemoryLog::default());
    let a = node("a", &log);
    let b = node("b", &log);
    run(&a, "CREATE TABLE t(x, c)").await;
    run(&a, "CREATE TABLE u(y)").await;
    catch_up(&b, "b", &log).await;
    run(&b, "ALTER TABLE t DROP COLUMN c").await;
    catch_up(&b, "b", &log).await;
    run(
        &a,
        "INSERT INTO u VALUES (1); INSERT INTO t(x, c) VALUES (1, 2)",
    )
    .await;
    // a's transaction, the log's last entry (b's own ALTER before it is consumed).
    let entries: Vec<LogEntry> = log.entries(0).into_iter().last().into_iter().collect();
    let failure = b.apply("b", entries.clone()).await.unwrap_err();
    assert!(
        failure.to_string().contains("no column named c"),
        "{failure}"
    );
    assert_eq!(
        rows(&b, "SELECT count(*) FROM u").await,
        vec![vec![Value::Integer(0)]]
    );
    // The position did not move past it: applied again once it can be, it applies whole.
    run(&b, "ALTER TABLE t ADD COLUMN c").await;
    b.apply("b", entries).await.unwrap();
    assert_eq!(
        rows(
            &b,
            "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM t)"
        )
        .await,
        vec![vec![Value::Integer(1), Value::Integer(1)]]
    );
}

/// A write queued behind a transaction that outlasts the replication timeout still has the
/// whole timeout to be acknowledged once it commits: the wait for the log starts at the commit,
/// not when the write was sent (a write is woken once, by the log's answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_queued_behind_a_long_transaction_waits_for_the_log_from_its_commit() {
    let log = Arc::new(MemoryLog::default());
    let timeout = Duration::from_millis(200);
    let registry = Arc::new(
        Registry::open(
            vec![DatabaseSpec {
                id: "app.db".into(),
                storage: Storage::Memory { load_from: None },
            }],
            RegistryOptions {
                memory: true,
                data_dir: std::env::temp_dir(),
                db_params: String::new(),
                database: replicated("n1", &log, RowIdentify::PrimaryKey, timeout),
            },
        )
        .unwrap(),
    );
    let sql = |sql: &str| vec![Statement::new(sql)];
    let mut holder = Session::new(None, true);
    registry
        .execute_in(&mut holder, sql("CREATE TABLE t(id INTEGER PRIMARY KEY)"))
        .await
        .unwrap();
    registry
        .execute_in(&mut holder, sql("BEGIN"))
        .await
        .unwrap();
    registry
        .execute_in(&mut holder, sql("INSERT INTO t VALUES (1)"))
        .await
        .unwrap();
    let queued = tokio::spawn({
        let registry = Arc::clone(&registry);
        async move {
            let mut session = Session::new(None, true);
            registry
                .execute_in(
                    &mut session,
                    vec![Statement::new("INSERT INTO t VALUES (2)")],
                )
                .await
        }
    });
    // The scenario itself, not a wait for a condition: the writer stays held for longer than
    // the replication timeout while the second write is queued.
    tokio::time::sleep(timeout * 3).await;
    assert!(
        !queued.is_finished(),
        "the write ran while the transaction held the writer"
    );
    registry
        .execute_in(&mut holder, sql("COMMIT"))
        .await
        .unwrap();
    let written = queued.await.unwrap().expect("acknowledged once committed");
    assert!(written.seq.is_some(), "the log's sequence is answered");
}
