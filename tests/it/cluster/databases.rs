//! Databases across the cluster (SPEC §2, "beyond"): `CREATE DATABASE` / `DROP DATABASE` on one
//! node reach every node, and a node started later gets the databases created before it.

use std::time::Duration;

use ha_test_harness::{NodeBuilder, TestNode, free_port};
use serde_json::{Value, json};

use crate::support::{BIN, eventually};

const WITHIN: Duration = Duration::from_secs(30);

async fn databases(node: &TestNode) -> Vec<String> {
    let rows = node.sql("SHOW DATABASES").await.unwrap()["rows"].clone();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect()
}

async fn rows_in(node: &TestNode, database: &str, sql: &str) -> Result<Value, String> {
    let (status, answer) = node
        .post(&format!("/databases/{database}"), &json!({ "sql": sql }))
        .await
        .map_err(|e| e.to_string())?;
    if status == 200 {
        Ok(answer["rows"].clone())
    } else {
        Err(format!("{status}: {answer}"))
    }
}

/// Waits until `sql` on `database` answers `want` on every node.
async fn everywhere(nodes: &[TestNode], database: &str, sql: &str, want: Value) {
    for (i, node) in nodes.iter().enumerate() {
        eventually(WITHIN, || async {
            match rows_in(node, database, sql).await {
                Ok(rows) if rows == want => Ok(()),
                other => Err(format!("node{}: {database}: {sql}: {other:?}", i + 1)),
            }
        })
        .await;
    }
}

async fn until_listed(node: &TestNode, database: &str, listed: bool) {
    eventually(WITHIN, || async {
        let have = databases(node).await;
        if have.iter().any(|d| d == database) == listed {
            Ok(())
        } else {
            Err(format!("{database} listed should be {listed}: {have:?}"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_and_dropped_databases_reach_every_node() {
    let port = free_port().unwrap();
    let broker = format!("nats://127.0.0.1:{port}");
    let node = |name: &str| NodeBuilder::new(BIN).args(["-n", name, "-m"]);
    let mut nodes = vec![
        node("node1").embedded_nats(port).start().await.unwrap(),
        node("node2")
            .replication_url(&broker)
            .start()
            .await
            .unwrap(),
    ];
    // Over SQL on node 1, over HTTP's POST /databases on node 2.
    nodes[0].sql("CREATE DATABASE sales.db").await.unwrap();
    let (status, answer) = nodes[1]
        .post("/databases", &json!({ "dsn": "stock.db" }))
        .await
        .unwrap();
    assert_eq!(status, 201, "{answer}");
    for node in &nodes {
        until_listed(node, "sales.db", true).await;
        until_listed(node, "stock.db", true).await;
    }
    // Their changes replicate both ways.
    rows_in(
        &nodes[0],
        "sales.db",
        "CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT)",
    )
    .await
    .unwrap();
    rows_in(&nodes[0], "sales.db", "INSERT INTO s VALUES (1, 'from 1')")
        .await
        .unwrap();
    everywhere(&nodes, "sales.db", "SELECT v FROM s", json!([["from 1"]])).await;
    rows_in(&nodes[1], "sales.db", "INSERT INTO s VALUES (2, 'from 2')")
        .await
        .unwrap();
    everywhere(
        &nodes,
        "sales.db",
        "SELECT id, v FROM s ORDER BY id",
        json!([[1, "from 1"], [2, "from 2"]]),
    )
    .await;

    // Creating a name the cluster has already is refused on any node.
    let (status, answer) = nodes[1]
        .post("/query", &json!({"sql": "CREATE DATABASE sales.db"}))
        .await
        .unwrap();
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("database_exists"))
    );

    // A node started later gets both.
    let third = node("node3")
        .replication_url(&broker)
        .start()
        .await
        .unwrap();
    let have = databases(&third).await;
    assert!(
        have.contains(&"sales.db".to_string()) && have.contains(&"stock.db".to_string()),
        "listed before the node serves: {have:?}"
    );
    nodes.push(third);
    everywhere(
        &nodes,
        "sales.db",
        "SELECT id, v FROM s ORDER BY id",
        json!([[1, "from 1"], [2, "from 2"]]),
    )
    .await;

    // Dropped on node 2: gone everywhere; created again, it starts empty (the old changes
    // and snapshot went with it).
    nodes[1].sql("DROP DATABASE sales.db").await.unwrap();
    for node in &nodes {
        until_listed(node, "sales.db", false).await;
    }
    nodes[2].sql("CREATE DATABASE sales.db").await.unwrap();
    for node in &nodes {
        until_listed(node, "sales.db", true).await;
    }
    rows_in(&nodes[2], "sales.db", "CREATE TABLE fresh(x)")
        .await
        .unwrap();
    everywhere(
        &nodes,
        "sales.db",
        "SELECT name FROM sqlite_schema WHERE name NOT LIKE '\\_ha\\_%' ESCAPE '\\' ORDER BY name",
        json!([["fresh"]]),
    )
    .await;
}
