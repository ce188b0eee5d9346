//! Several real nodes replicating through a real `nats-server` (the first node's embedded one).

mod broker_faults;
mod checker;
mod converge;
mod databases;
mod faults;
mod grouping;
mod history;
mod instances;
mod leader;
mod pg;
mod quick_start;
mod replicate;
mod schemas;
mod snapshots;

use std::time::{Duration, Instant};

use ha_test_harness::{NodeBuilder, TestNode, free_port};
use serde_json::{Value, json};

use crate::support::BIN;

/// Node 1 with its embedded broker, then `others` nodes replicating through it.
pub async fn cluster(others: usize, extra: &[&str]) -> Vec<TestNode> {
    let port = free_port().unwrap();
    // IT_NODE_LOG=<filter> passes a RUST_LOG filter to the nodes (their logs are in `logs()`).
    let log = std::env::var("IT_NODE_LOG").unwrap_or_else(|_| "info".into());
    let first = NodeBuilder::new(BIN)
        .env("RUST_LOG", log.clone())
        .args(["-n", "node1", "-m"])
        .args(extra.iter().copied())
        .embedded_nats(port)
        .start()
        .await
        .expect("node1 with its embedded nats-server starts (is nats-server installed? scripts/nats.sh)");
    let mut nodes = vec![first];
    for i in 0..others {
        let node = NodeBuilder::new(BIN)
            .env("RUST_LOG", log.clone())
            .args(["-n".to_string(), format!("node{}", i + 2), "-m".to_string()])
            .args(extra.iter().copied())
            .replication_url(format!("nats://127.0.0.1:{port}"))
            .start()
            .await
            .expect("a node joining through --replication-url starts");
        nodes.push(node);
    }
    nodes
}

/// Sends a request without a body to `path`.
pub async fn send(node: &TestNode, method: reqwest::Method, path: &str) -> reqwest::Response {
    node.client()
        .request(method, node.url(path))
        .send()
        .await
        .unwrap()
}

/// `POST path` (a snapshot route): the status and the JSON answer.
pub async fn post_snapshot(node: &TestNode, path: &str) -> (u16, Value) {
    let response = send(node, reqwest::Method::POST, path).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

/// `GET path`: the status and the JSON answer.
pub async fn get_json(node: &TestNode, path: &str) -> (u16, Value) {
    let response = send(node, reqwest::Method::GET, path).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

/// The rows of `sql` on `node`.
pub async fn rows(node: &TestNode, sql: &str) -> Value {
    node.sql(sql).await.unwrap()["rows"].clone()
}

/// Polls (bounded) until every node has applied everything the broker holds for the default
/// database (see [`settled`]) and `sql` then answers the same rows on every node; returns them.
/// Agreeing mid-stream is not enough: the nodes must have settled first.
pub async fn converged(nodes: &[TestNode], sql: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let settled = settled(nodes).await;
        let mut answers = Vec::new();
        for node in nodes {
            answers
                .push(node.post("/query", &json!({ "sql": sql })).await.unwrap().1["rows"].clone());
        }
        if settled.is_ok() && answers.windows(2).all(|w| w[0] == w[1]) && !answers[0].is_null() {
            return answers.remove(0);
        }
        assert!(
            Instant::now() < deadline,
            "nodes did not converge on {sql} ({settled:?}): {answers:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether every node has applied the last message of the default database's subject, with no
/// entry failing: from `/replications`, every consumer has nothing pending (so the last
/// sequence delivered to any is the subject's last), and each node's own `applied_seq` is at
/// least that. (The checker reads the broker itself: `checker::settle`.)
pub async fn settled(nodes: &[TestNode]) -> Result<(), String> {
    let mut last = 0;
    let mut applied = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let (status, list) = get_json(node, "/replications").await;
        let all = list["replications"].as_array().cloned().unwrap_or_default();
        if status != 200 || all.is_empty() {
            return Err(format!("node{}: no replication: {status} {list}", i + 1));
        }
        for consumer in &all {
            if consumer["pending"].as_u64() != Some(0) {
                return Err(format!("node{}: {consumer} has messages pending", i + 1));
            }
            last = last.max(consumer["delivered_seq"].as_u64().unwrap_or(0));
        }
        let own = all.iter().find(|c| !c["applied_seq"].is_null());
        match own {
            Some(own) if own["failing_seq"].is_null() => {
                applied.push(own["applied_seq"].as_u64().unwrap_or(0));
            }
            _ => {
                return Err(format!(
                    "node{}: own consumer missing or failing: {list}",
                    i + 1
                ));
            }
        }
    }
    match applied.iter().position(|a| *a < last) {
        Some(i) => Err(format!("node{} applied {} of {last}", i + 1, applied[i])),
        None => Ok(()),
    }
}
