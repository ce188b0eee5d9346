//! Ordinary SQLite schemas replicate (issue 7, SPEC §6.1): generated columns, DDL and DML in one
//! transaction, the table-rebuild recipe, `CREATE TABLE ... AS SELECT`, a transaction larger
//! than the broker's largest message, and names that would share one log.

use ha_test_harness::{NatsServer, NodeBuilder, TestNode};
use serde_json::{Value, json};

use super::{cluster, converged, get_json};
use crate::support::{BIN, run_to_exit};

/// Every node's own consumer reports no failing entry.
async fn assert_no_apply_error(nodes: &[TestNode]) {
    for node in nodes {
        let (status, body) = get_json(node, "/replications").await;
        assert_eq!(status, 200, "{body}");
        for consumer in body["replications"].as_array().unwrap() {
            assert!(consumer["failing_seq"].is_null(), "{consumer}");
        }
    }
}

async fn write(node: &TestNode, body: Value) {
    let (status, answer) = node.post("/query", &body).await.unwrap();
    assert_eq!(status, 200, "{body} -> {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_columns_replicate() {
    let nodes = cluster(1, &[]).await;
    write(
        &nodes[0],
        json!([
            {"sql": "CREATE TABLE g(id INTEGER PRIMARY KEY, x INT, twice INT GENERATED ALWAYS AS (x*2) STORED, \
                     thrice INT GENERATED ALWAYS AS (x*3) VIRTUAL, note TEXT)"},
            {"sql": "INSERT INTO g(id, x, note) VALUES (1, 5, 'a'), (2, 7, 'b')"},
            {"sql": "UPDATE g SET x = 10 WHERE id = 1"},
            {"sql": "DELETE FROM g WHERE id = 2"},
        ]),
    )
    .await;
    converged(&nodes, "SELECT count(*) FROM g").await;
    write(
        &nodes[1],
        json!({"sql": "INSERT INTO g(id, x, note) VALUES (3, 1, 'from node2')"}),
    )
    .await;
    let rows = converged(&nodes, "SELECT * FROM g ORDER BY id").await;
    assert_eq!(
        rows,
        json!([[1, 10, 20, 30, "a"], [3, 1, 2, 3, "from node2"]])
    );
    assert_no_apply_error(&nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_and_dml_in_one_transaction_and_the_table_rebuild_replicate() {
    let nodes = cluster(1, &[]).await;
    // The reproduction, as one HTTP array (one transaction).
    write(
        &nodes[0],
        json!([
            {"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
            {"sql": "INSERT INTO t VALUES (1, 'one')"},
            {"sql": "ALTER TABLE t ADD COLUMN w INT"},
            {"sql": "INSERT INTO t VALUES (2, 'two', 22)"},
        ]),
    )
    .await;
    // SQLite's recipe for changing a column: create new, copy, drop old, rename.
    write(
        &nodes[0],
        json!([
            {"sql": "CREATE TABLE t_new(id INTEGER PRIMARY KEY, v TEXT NOT NULL, w INT, x TEXT DEFAULT 'd')"},
            {"sql": "INSERT INTO t_new(id, v, w) SELECT id, v, w FROM t"},
            {"sql": "DROP TABLE t"},
            {"sql": "ALTER TABLE t_new RENAME TO t"},
            {"sql": "INSERT INTO t(id, v, w) VALUES (3, 'three', 33)"},
        ]),
    )
    .await;
    converged(&nodes, "SELECT count(*) FROM t").await;
    write(
        &nodes[1],
        json!({"sql": "UPDATE t SET x = 'node2' WHERE id = 1"}),
    )
    .await;
    let rows = converged(&nodes, "SELECT * FROM t ORDER BY id").await;
    assert_eq!(
        rows,
        json!([
            [1, "one", null, "node2"],
            [2, "two", 22, "d"],
            [3, "three", 33, "d"]
        ])
    );
    let schema = "SELECT sql FROM sqlite_master WHERE name = 't'";
    converged(&nodes, schema).await;
    assert_no_apply_error(&nodes).await;
}

/// The origin's rows, not each node's own run of the SELECT (random() would differ).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_table_as_select_replicates_the_origins_rows() {
    let nodes = cluster(1, &[]).await;
    write(
        &nodes[0],
        json!([
            {"sql": "CREATE TABLE src(id INTEGER PRIMARY KEY)"},
            {"sql": "INSERT INTO src VALUES (1), (2), (3)"},
            {"sql": "CREATE TABLE copy AS SELECT id, random() AS r FROM src"},
        ]),
    )
    .await;
    let rows = converged(&nodes, "SELECT id, r FROM copy ORDER BY id").await;
    assert_eq!(rows.as_array().unwrap().len(), 3, "{rows}");
    assert_no_apply_error(&nodes).await;
}

/// An external broker at NATS's default 1 MiB: a 3 MiB transaction is split into parts and
/// applied whole on the other node, and the writes after it replicate too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_larger_than_the_brokers_largest_message_replicates() {
    let broker = NatsServer::start(None).await.unwrap();
    let mut nodes = Vec::new();
    for name in ["node1", "node2"] {
        nodes.push(
            NodeBuilder::new(BIN)
                .args(["-n", name, "-m", "--nats-port", "0"])
                .replication_url(broker.url())
                .start()
                .await
                .unwrap(),
        );
    }
    write(
        &nodes[0],
        json!({"sql": "CREATE TABLE big(id INTEGER PRIMARY KEY, pad TEXT)"}),
    )
    .await;
    let statements: Vec<Value> = (0..3000)
        .map(|i| json!({"sql": "INSERT INTO big VALUES (?, ?)", "params": [i, "x".repeat(1000)]}))
        .collect();
    let (status, answer) = nodes[0].post("/query", &json!(statements)).await.unwrap();
    assert_eq!(status, 200, "{answer}");
    write(
        &nodes[0],
        json!({"sql": "INSERT INTO big VALUES (-1, 'after')"}),
    )
    .await;
    let rows = converged(&nodes, "SELECT count(*), sum(length(pad)) FROM big").await;
    assert_eq!(rows, json!([[3001, 3_000_005]]));
    assert_no_apply_error(&nodes).await;
}

/// `a.db` and `a_db` would share one subject and one consumer: refused at start.
#[tokio::test]
async fn databases_that_would_share_a_log_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.db", "a_db"] {
        crate::support::sqlite_file(&dir.path().join(name), &[]);
    }
    let a = dir.path().join("a.db");
    let b = dir.path().join("a_db");
    let finished =
        run_to_exit(&["--nats-port", "0", a.to_str().unwrap(), b.to_str().unwrap()]).await;
    assert_ne!(finished.code, Some(0));
    assert!(
        finished.stderr.contains("replication log"),
        "{}",
        finished.stderr
    );
}
