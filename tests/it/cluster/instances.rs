//! A database file is one instance of a database (SPEC §6.3, issue 7): a copy downloaded from a
//! node and started on another is a new instance. It does not claim the original's change sets
//! as its own, does not publish the original's outbox, and both keep replicating.

use std::time::Duration;

use ha_test_harness::{NodeBuilder, free_port};
use serde_json::json;

use super::converged;
use crate::support::{BIN, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downloaded_copy_started_on_another_node_is_a_new_instance() {
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
            &json!([
                {"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
                {"sql": "INSERT INTO t VALUES (1, 'before the copy')"},
            ]),
        )
        .await
        .unwrap();
    let bytes = node1
        .client()
        .get(node1.url("/download"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("ha.db");
    std::fs::write(&copy, &bytes).unwrap();
    {
        let file = rusqlite::Connection::open(&copy).unwrap();
        let count = |table: &str| -> i64 {
            file.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count("_ha_identity"), 0, "a copy carries no identity");
        assert_eq!(count("_ha_outbox"), 0, "a copy carries no outbox");
        assert_eq!(count("t"), 1);
    }
    let node2 = NodeBuilder::new(BIN)
        .args(["-n", "node2", "--nats-port", "0", copy.to_str().unwrap()])
        .replication_url(format!("nats://127.0.0.1:{port}"))
        .start()
        .await
        .unwrap();
    node1
        .post(
            "/query",
            &json!({"sql": "INSERT INTO t VALUES (2, 'after, on node1')"}),
        )
        .await
        .unwrap();
    node2
        .post(
            "/query",
            &json!({"sql": "INSERT INTO t VALUES (3, 'on the copy')"}),
        )
        .await
        .unwrap();
    let nodes = [node1, node2];
    let rows = converged(&nodes, "SELECT * FROM t ORDER BY id").await;
    assert_eq!(
        rows,
        json!([
            [1, "before the copy"],
            [2, "after, on node1"],
            [3, "on the copy"]
        ])
    );
}

/// A node restored from its own backup (same name, same place) gets back the changes it made
/// after the backup from the log: they are not "its own, already in the file" any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_its_own_backup_gets_its_later_changes_back() {
    let broker = ha_test_harness::NatsServer::start(None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ha.db");
    let builder = NodeBuilder::new(BIN)
        .args(["-n", "node1", "--nats-port", "0", file.to_str().unwrap()])
        .replication_url(broker.url());
    let node = builder.clone().start().await.unwrap();
    let write = |sql: &'static str| {
        let node = &node;
        async move {
            let (status, body) = node.post("/query", &json!({ "sql": sql })).await.unwrap();
            assert_eq!(status, 200, "{sql}: {body}");
        }
    };
    write("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)").await;
    write("INSERT INTO t VALUES (1, 'in the backup')").await;
    let backup = node
        .client()
        .get(node.url("/download"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    write("INSERT INTO t VALUES (2, 'after the backup')").await;
    node.stop().await.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    std::fs::write(&file, &backup).unwrap();
    let restored = builder.start().await.unwrap();
    let rows = converged(
        std::slice::from_ref(&restored),
        "SELECT * FROM t WHERE id = 2",
    )
    .await;
    assert_eq!(rows, json!([[2, "after the backup"]]));
}

/// A memory node restarted against an external broker is a new instance: it gets what it wrote
/// before back from the log (it is no longer "its own, already in the file").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_node_restarted_gets_its_own_earlier_writes_back() {
    let broker = ha_test_harness::NatsServer::start(None).await.unwrap();
    let builder = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m", "--nats-port", "0"])
        .replication_url(broker.url());
    let node = builder.clone().start().await.unwrap();
    node.post(
        "/query",
        &json!([
            {"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
            {"sql": "INSERT INTO t VALUES (1, 'kept by the log')"},
        ]),
    )
    .await
    .unwrap();
    node.stop().await.unwrap();
    let restarted = builder.start().await.unwrap();
    let rows = converged(std::slice::from_ref(&restarted), "SELECT * FROM t").await;
    assert_eq!(rows, json!([[1, "kept by the log"]]));
}

/// A new node reading from the start of a log whose first messages aged out does not start
/// silently in the middle of another node's history (SPEC §8): with no snapshot it refuses to
/// serve the database, with the reason in `/readyz`; once a snapshot is taken it restores from
/// it by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_node_on_an_aged_out_log_is_refused_until_a_snapshot_exists() {
    let broker = ha_test_harness::NatsServer::start(None).await.unwrap();
    let start = |name: &'static str| {
        NodeBuilder::new(BIN)
            .args([
                "-n",
                name,
                "-m",
                "--nats-port",
                "0",
                "--replication-max-age",
                "1s",
            ])
            .replication_url(broker.url())
            .start()
    };
    let node1 = start("node1").await.unwrap();
    node1
        .post(
            "/query",
            &json!({"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY)"}),
        )
        .await
        .unwrap();
    // Wait until the broker has dropped that first change set.
    let client = async_nats::connect(broker.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let js = &js;
    eventually(Duration::from_secs(20), || async move {
        let mut stream = js.get_stream("ha_replication").await.unwrap();
        match stream.info().await.unwrap().state.first_sequence > 1 {
            true => Ok(()),
            false => Err("the log never aged out".to_string()),
        }
    })
    .await;
    let (status, _) = node1
        .post("/query", &json!({"sql": "INSERT INTO t VALUES (1)"}))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let node2 = start("node2").await.unwrap();
    // It cannot be built from the log alone: refused, with the reason, until a snapshot exists.
    let reason = eventually(Duration::from_secs(20), || async {
        let (status, body) = super::get_json(&node2, "/readyz").await;
        match status {
            503 if body.to_string().contains("applied nothing yet") => Ok(body),
            _ => Err(format!("/readyz: {status} {body}")),
        }
    })
    .await;
    assert!(reason.to_string().contains("no snapshot"), "{reason}");
    let (status, body) = node2
        .post("/query", &json!({"sql": "SELECT * FROM t"}))
        .await
        .unwrap();
    assert_eq!(
        (status, &body["code"]),
        (503, &json!("unavailable")),
        "{body}"
    );
    let (status, body) = node1.post("/snapshot", &json!({})).await.unwrap();
    assert_eq!(status, 201, "{body}");
    eventually(Duration::from_secs(20), || async {
        match node2
            .post("/query", &json!({"sql": "SELECT * FROM t"}))
            .await
            .unwrap()
        {
            (200, body) if body["rows"] == json!([[1]]) => Ok(()),
            (status, body) => Err(format!("node2: {status} {body}")),
        }
    })
    .await;
}
