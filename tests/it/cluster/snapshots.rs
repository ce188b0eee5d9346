//! Snapshots (SPEC §8, issue 8) with real nodes and a real broker: taking and downloading one,
//! starting a node from the latest one, a node whose log aged out healing itself (or refusing
//! to serve until a snapshot exists), and the snapshot store being down.

use std::time::Duration;

use ha_test_harness::{NatsServer, NodeBuilder, TestNode, free_port};
use serde_json::{Value, json};

use super::{converged, get_json, post_snapshot, send};
use crate::support::{BIN, eventually};

async fn insert(node: &TestNode, from: i64, to: i64) {
    let rows: Vec<Value> = (from..=to)
        .map(|i| json!({"sql": "INSERT INTO t VALUES (?, ?)", "params": [i, format!("row {i}")]}))
        .collect();
    node.post("/query", &Value::Array(rows)).await.unwrap();
}

async fn count_is(node: &TestNode, rows: i64) -> Result<(), String> {
    let (status, body) =
        crate::support::query(node, "/query", "SELECT count(*) FROM t", json!([])).await;
    match (status, &body["rows"]) {
        (200, found) if *found == json!([[rows]]) => Ok(()),
        _ => Err(format!("{status} {body}")),
    }
}

fn log_has(node: &TestNode, text: &str) -> bool {
    node.logs().iter().any(|line| line.contains(text))
}

/// The seed's flow: node1 writes and snapshots; node2 starts with `--from-latest-snapshot`,
/// has the data, consumes the log from the snapshot's sequence on (none applied twice), and
/// keeps replicating.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_starts_from_the_latest_snapshot_and_keeps_replicating() {
    let port = free_port().unwrap();
    let node1 = NodeBuilder::new(BIN)
        .args(["-n", "node1"])
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    let (status, body) = get_json(&node1, "/snapshot").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("no_snapshot")),
        "{body}"
    );
    node1
        .post(
            "/query",
            &json!({"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"}),
        )
        .await
        .unwrap();
    insert(&node1, 1, 50).await;

    let (status, taken) = post_snapshot(&node1, "/snapshot").await;
    assert_eq!(status, 201, "{taken}");
    assert_eq!(taken["stored"], true);
    let seq = taken["seq"].as_u64().unwrap();
    assert!(
        seq >= 2,
        "the snapshot contains the log up to the writes: {taken}"
    );
    let (status, again) = post_snapshot(&node1, "/databases/ha.db/snapshot").await;
    assert_eq!((status, &again["stored"]), (200, &json!(false)), "{again}");
    assert_eq!(again["seq"], taken["seq"]);

    let response = send(&node1, reqwest::Method::GET, "/snapshot").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-ha-seq"].to_str().unwrap(),
        seq.to_string()
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("ha.db")
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, taken["size"].as_u64().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.db");
    std::fs::write(&file, &bytes).unwrap();
    {
        let db = rusqlite::Connection::open(&file).unwrap();
        let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM t"), 50);
        assert_eq!(count("SELECT count(*) FROM _ha_outbox"), 0);
        assert_eq!(count("SELECT count(*) FROM _ha_identity"), 0);
    }

    insert(&node1, 51, 60).await;
    let node2 = NodeBuilder::new(BIN)
        .args(["-n", "node2", "--nats-port", "0", "--from-latest-snapshot"])
        .replication_url(format!("nats://127.0.0.1:{port}"))
        .start()
        .await
        .unwrap();
    assert!(log_has(&node2, "restored from the latest snapshot"));
    let from = format!("\"from\":{}", seq + 1);
    eventually(Duration::from_secs(10), || async {
        match node2
            .logs()
            .iter()
            .find(|l| l.contains("replication consumer started"))
        {
            Some(line) if line.contains(&from) => Ok(()),
            Some(line) => Err(format!(
                "node2 consumes from the snapshot's sequence + 1 ({from}): {line}"
            )),
            None => Err("node2's consumer has not started".into()),
        }
    })
    .await;
    // It serves once it has caught up with what the log held when it was restored.
    eventually(Duration::from_secs(20), || async {
        match get_json(&node2, "/readyz").await {
            (200, _) => Ok(()),
            (status, body) => Err(format!("/readyz: {status} {body}")),
        }
    })
    .await;
    insert(&node1, 61, 70).await;
    node2
        .post(
            "/query",
            &json!({"sql": "INSERT INTO t VALUES (100, 'on node2')"}),
        )
        .await
        .unwrap();
    let nodes = [node1, node2];
    let rows = converged(&nodes, "SELECT count(*), sum(id) FROM t").await;
    assert_eq!(rows, json!([[71, (1..=70).sum::<i64>() + 100]]));
}

/// `--from-latest-snapshot` with no snapshot taken: the node starts normally and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_snapshot_the_node_starts_from_the_log() {
    let port = free_port().unwrap();
    let node1 = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m"])
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    node1
        .post(
            "/query",
            &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
                    {"sql": "INSERT INTO t VALUES (1, 'a')"}]),
        )
        .await
        .unwrap();
    let node2 = NodeBuilder::new(BIN)
        .args([
            "-n",
            "node2",
            "-m",
            "--nats-port",
            "0",
            "--from-latest-snapshot",
        ])
        .replication_url(format!("nats://127.0.0.1:{port}"))
        .start()
        .await
        .unwrap();
    assert!(log_has(&node2, "no snapshot of this database yet"));
    let nodes = [node1, node2];
    assert_eq!(
        converged(&nodes, "SELECT * FROM t").await,
        json!([[1, "a"]])
    );
}

/// The stream's first kept sequence, read from the broker.
async fn first_kept(url: &str) -> u64 {
    let client = async_nats::connect(url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream("ha_replication").await.unwrap();
    stream.info().await.unwrap().state.first_sequence
}

/// `--replication-max-age` short; node2 offline past it. On its return it cannot catch up from
/// the log: with no snapshot it refuses to serve the database (clearly, in `/readyz`,
/// `/replications` and answers), and once a snapshot is taken it restores from it by itself and
/// converges. A new node joining the aged log (memory database) bootstraps from the snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_log_aged_out_restores_from_the_snapshot_or_refuses() {
    let broker = NatsServer::start(None).await.unwrap();
    let start = |name: &'static str, dir: Option<&std::path::Path>, memory: bool| {
        let mut builder = NodeBuilder::new(BIN)
            .args(["-n", name, "--replication-max-age", "2s"])
            .replication_url(broker.url());
        if memory {
            builder = builder.arg("-m");
        }
        if let Some(dir) = dir {
            builder = builder.dir(dir);
        }
        builder.start()
    };
    let node1 = start("node1", None, false).await.unwrap();
    let node2_dir = tempfile::tempdir().unwrap();
    let node2 = start("node2", Some(node2_dir.path()), false).await.unwrap();
    node1
        .post(
            "/query",
            &json!({"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"}),
        )
        .await
        .unwrap();
    insert(&node1, 1, 10).await;
    let nodes = [node1, node2];
    converged(&nodes, "SELECT count(*) FROM t").await;
    let [node1, node2] = nodes;
    let (_, replications) = get_json(&node2, "/replications").await;
    let applied = replications["replications"]
        .as_array()
        .and_then(|r| r.iter().find(|c| c["name"] == "node2_ha_db"))
        .map(|c| c["applied_seq"].as_u64().unwrap())
        .unwrap();
    node2.stop().await.unwrap();

    // Writes node2 misses, then the log forgets them.
    insert(&node1, 11, 20).await;
    let url = broker.url();
    eventually(Duration::from_secs(30), || async {
        let first = first_kept(&url).await;
        if first > applied + 1 {
            Ok(())
        } else {
            Err(format!(
                "the log still starts at {first} (node2 applied {applied})"
            ))
        }
    })
    .await;

    let node2 = start("node2", Some(node2_dir.path()), false).await.unwrap();
    let refused = eventually(Duration::from_secs(30), || async {
        let (status, body) = get_json(&node2, "/readyz").await;
        match status {
            503 if body.to_string().contains("cannot catch up") => Ok(body),
            _ => Err(format!("/readyz: {status} {body}")),
        }
    })
    .await;
    assert!(refused.to_string().contains("no snapshot"), "{refused}");
    let count = "SELECT count(*) FROM t";
    let (status, body) = crate::support::query(&node2, "/query", count, json!([])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap().contains("not served"),
        "{body}"
    );
    let (_, replications) = get_json(&node2, "/replications").await;
    assert!(
        replications.to_string().contains("no snapshot"),
        "{replications}"
    );

    // A snapshot appears: node2 heals by itself. (No write until then: a snapshot is usable
    // as long as the log keeps what came after it.)
    let (status, taken) = post_snapshot(&node1, "/snapshot").await;
    assert_eq!(status, 201, "{taken}");
    eventually(Duration::from_secs(30), || count_is(&node2, 20)).await;
    // A new node (memory database) joining the aged log bootstraps from the snapshot.
    let node3 = start("node3", None, true).await.unwrap();
    eventually(Duration::from_secs(30), || count_is(&node3, 20)).await;

    insert(&node1, 21, 25).await;
    node2
        .post(
            "/query",
            &json!({"sql": "INSERT INTO t VALUES (26, 'on node2')"}),
        )
        .await
        .unwrap();
    let nodes = [node1, node2, node3];
    let rows = converged(&nodes, "SELECT count(*), sum(id) FROM t").await;
    assert_eq!(rows, json!([[26, (1..=26).sum::<i64>()]]));
    for node in &nodes[1..] {
        assert!(log_has(node, "restored from the latest snapshot"));
        let (status, _) = get_json(node, "/readyz").await;
        assert_eq!(status, 200);
    }
}

/// The snapshot store down (the broker killed): taking or downloading a snapshot is a clear
/// 503 JSON error, the node keeps serving reads, and works again once the broker is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_store_outage_is_a_clear_error_and_the_node_keeps_serving() {
    let mut broker = NatsServer::start(None).await.unwrap();
    let node = NodeBuilder::new(BIN)
        .args(["-n", "node1", "--replication-timeout", "2s"])
        .replication_url(broker.url())
        .start()
        .await
        .unwrap();
    node.post(
        "/query",
        &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
                {"sql": "INSERT INTO t VALUES (1, 'a')"}]),
    )
    .await
    .unwrap();
    let (status, taken) = post_snapshot(&node, "/snapshot").await;
    assert_eq!(status, 201, "{taken}");

    broker.kill().await.unwrap();
    let (status, body) = post_snapshot(&node, "/snapshot").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap().contains("snapshot"),
        "{body}"
    );
    let (status, body) = get_json(&node, "/snapshot").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    let (status, body) = crate::support::query(&node, "/query", "SELECT v FROM t", json!([])).await;
    assert_eq!((status, &body["rows"]), (200, &json!([["a"]])), "{body}");

    broker.restart().await.unwrap();
    node.post("/query", &json!({"sql": "INSERT INTO t VALUES (2, 'b')"}))
        .await
        .unwrap();
    let taken = eventually(Duration::from_secs(30), || async {
        match post_snapshot(&node, "/snapshot").await {
            (201, body) => Ok(body),
            (status, body) => Err(format!("{status} {body}")),
        }
    })
    .await;
    assert_eq!(taken["stored"], true, "{taken}");
}

/// `--snapshot-interval`: a database that changed gets a snapshot by itself; one that did not
/// change gets none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_taken_periodically_when_something_changed() {
    let port = free_port().unwrap();
    let node = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m", "--snapshot-interval", "200ms"])
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    node.post(
        "/query",
        &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
                {"sql": "INSERT INTO t VALUES (1, 'a')"}]),
    )
    .await
    .unwrap();
    let stored = |node: &TestNode| {
        node.logs()
            .iter()
            .filter(|l| l.contains("periodic snapshot stored"))
            .count()
    };
    eventually(Duration::from_secs(20), || async {
        let response = send(&node, reqwest::Method::GET, "/snapshot").await;
        match response.status().as_u16() {
            200 => {
                let bytes = response.bytes().await.unwrap();
                let dir = tempfile::tempdir().unwrap();
                let file = dir.path().join("s.db");
                std::fs::write(&file, &bytes).unwrap();
                let db = rusqlite::Connection::open(&file).unwrap();
                match db.query_row("SELECT v FROM t", [], |r| r.get::<_, String>(0)) {
                    Ok(v) if v == "a" => Ok(()),
                    other => Err(format!("the snapshot holds {other:?}")),
                }
            }
            status => Err(format!("no periodic snapshot yet: {status}")),
        }
    })
    .await;
    // After a write the next interval stores a new one, and then there is nothing left to
    // take: a snapshot asked for now finds nothing changed.
    let before = stored(&node);
    node.post("/query", &json!({"sql": "INSERT INTO t VALUES (2, 'b')"}))
        .await
        .unwrap();
    eventually(Duration::from_secs(20), || async {
        match stored(&node) {
            n if n > before => Ok(()),
            n => Err(format!("{n} periodic snapshots stored")),
        }
    })
    .await;
    let (status, body) = post_snapshot(&node, "/snapshot").await;
    assert_eq!((status, &body["stored"]), (200, &json!(false)), "{body}");
    assert_eq!(body["reason"], "nothing changed since the latest snapshot");
}

/// The stream's sequences are shared by every database: a database nobody writes to must not
/// be taken for one that missed changes when the log ages past its last change (its position
/// follows the stream while its consumer is idle), also after a SIGKILL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_database_is_not_taken_for_one_that_missed_changes() {
    let broker = NatsServer::start(None).await.unwrap();
    let node2_dir = tempfile::tempdir().unwrap();
    let builder = |name: &'static str| {
        NodeBuilder::new(BIN)
            .args([
                "-n",
                name,
                "--replication-max-age",
                "2s",
                "busy.db",
                "idle.db",
            ])
            .replication_url(broker.url())
    };
    let node1 = builder("node1").start().await.unwrap();
    let node2 = builder("node2")
        .dir(node2_dir.path())
        .start()
        .await
        .unwrap();
    for db in ["busy.db", "idle.db"] {
        node1
            .post(
                &format!("/databases/{db}/query"),
                &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
                        {"sql": "INSERT INTO t VALUES (1, 'a')"}]),
            )
            .await
            .unwrap();
    }
    let idle_count = |node: &TestNode| {
        let url = node.url("/databases/idle.db/query");
        let client = node.client().clone();
        async move {
            let response = client
                .post(url)
                .json(&json!({"sql": "SELECT count(*) FROM t"}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body: Value = response.json().await.map_err(|e| e.to_string())?;
            match (status, &body["rows"]) {
                (200, rows) if *rows == json!([[1]]) => Ok(()),
                _ => Err(format!("idle.db: {status} {body}")),
            }
        }
    };
    eventually(Duration::from_secs(20), || idle_count(&node2)).await;
    // Only busy.db is written from now on, until the log no longer holds idle.db's changes.
    let url = broker.url();
    let client = async_nats::connect(&url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let idle_last = js
        .get_stream("ha_replication")
        .await
        .unwrap()
        .get_last_raw_message_by_subject("ha_replication.idle_db")
        .await
        .unwrap()
        .sequence;
    let next_id = std::sync::atomic::AtomicI64::new(2);
    let (js, next_id, writer) = (&js, &next_id, &node1);
    let end = eventually(Duration::from_secs(30), || async move {
        let id = next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        writer
            .post(
                "/databases/busy.db/query",
                &json!({"sql": "INSERT INTO t VALUES (?, 'b')", "params": [id]}),
            )
            .await
            .unwrap();
        let state = js
            .get_stream("ha_replication")
            .await
            .unwrap()
            .info()
            .await
            .unwrap()
            .state
            .clone();
        match state.first_sequence > idle_last + 1 {
            true => Ok(state.last_sequence),
            false => Err(format!(
                "the log still holds idle.db's last change (seq {idle_last}): it starts at {}",
                state.first_sequence
            )),
        }
    })
    .await;
    // node2's idle consumer of idle.db moves its position along the stream.
    eventually(Duration::from_secs(20), || async {
        let (_, body) = get_json(&node2, "/databases/idle.db/replications").await;
        let applied = body["replications"]
            .as_array()
            .and_then(|r| r.iter().find(|c| c["name"] == "node2_idle_db"))
            .and_then(|c| c["applied_seq"].as_u64())
            .unwrap_or(0);
        match applied >= end {
            true => Ok(()),
            false => Err(format!("idle.db applied {applied}, the log is at {end}")),
        }
    })
    .await;
    node2.kill().await.unwrap();
    let node2 = builder("node2")
        .dir(node2_dir.path())
        .start()
        .await
        .unwrap();
    eventually(Duration::from_secs(20), || async {
        match get_json(&node2, "/readyz").await {
            (200, _) => Ok(()),
            (status, body) => Err(format!("/readyz: {status} {body}")),
        }
    })
    .await;
    eventually(Duration::from_secs(20), || idle_count(&node2)).await;
    assert!(
        !log_has(&node2, "cannot catch up"),
        "idle.db was taken for a database that missed changes"
    );
}

/// A snapshot taken while a PostgreSQL client holds an open write transaction: it neither
/// waits for the transaction nor contains its uncommitted rows, and the transaction commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_during_an_open_transaction_holds_only_committed_rows() {
    let port = free_port().unwrap();
    let node = NodeBuilder::new(BIN)
        .args([
            "-n",
            "node1",
            "-m",
            "--pg-port",
            &free_port().unwrap().to_string(),
        ])
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    node.post(
        "/query",
        &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
                {"sql": "INSERT INTO t VALUES (1, 'committed')"}]),
    )
    .await
    .unwrap();
    let addr = node.pg_addr.unwrap();
    let (client, connection) = tokio_postgres::connect(
        &format!(
            "host={} port={} user=ha password=ha",
            addr.ip(),
            addr.port()
        ),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    client.batch_execute("BEGIN").await.unwrap();
    client
        .batch_execute("INSERT INTO t VALUES (2, 'not yet')")
        .await
        .unwrap();
    let (status, taken) = post_snapshot(&node, "/snapshot").await;
    assert_eq!(status, 201, "{taken}");
    client.batch_execute("COMMIT").await.unwrap();
    let bytes = send(&node, reqwest::Method::GET, "/snapshot")
        .await
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.db");
    std::fs::write(&file, &bytes).unwrap();
    let db = rusqlite::Connection::open(&file).unwrap();
    let ids: Vec<i64> = db
        .prepare("SELECT id FROM t ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ids, vec![1]);
    let (status, body) =
        crate::support::query(&node, "/query", "SELECT count(*) FROM t", json!([])).await;
    assert_eq!((status, &body["rows"]), (200, &json!([[2]])), "{body}");
}
