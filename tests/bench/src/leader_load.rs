//! Leader mode (SPEC §7): single-row insert transactions/s sent to a follower (which forwards
//! them to the leader over gRPC) against the same sent to the leader, on one three-node
//! cluster, in the same run. The two alternate for several rounds, the order swapped every
//! round so that neither always runs on the larger file: on a noisy machine one pair's ratio
//! swings by ±15 points; the ratio of their totals is the figure.

/// Rounds of (leader, follower) per client count: even, so each goes first as often.
pub const ROUNDS: usize = 4;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ha_test_harness::{NodeBuilder, TestNode, free_port};
use serde_json::{Value, json};

use crate::Figure;
use crate::http_load::drive;

/// `(to the leader, to a follower)`, one pair per round.
pub async fn writes(
    bin: &Path,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Vec<(Figure, Figure)>> {
    let port = free_port()?;
    let mut nodes = Vec::new();
    for i in 1..=3 {
        let builder = NodeBuilder::new(bin)
            .args(["-n".to_string(), format!("node{i}"), "file:bench.db".into()])
            .args(["--leader-addr", "127.0.0.1"]);
        let builder = if i == 1 {
            builder.embedded_nats(port)
        } else {
            builder.replication_url(format!("nats://127.0.0.1:{port}"))
        };
        nodes.push(builder.start().await?);
    }
    let mut leader = None;
    for (i, node) in nodes.iter().enumerate() {
        if leader_of(node).await?["this_node"] == json!(true) {
            leader = Some(i);
        }
    }
    let leader = leader.context("no node leads")?;
    let follower = (leader + 1) % nodes.len();
    let (status, answer) = nodes[follower]
        .post(
            "/query",
            &json!({"sql": "CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)"}),
        )
        .await?;
    if status != 200 {
        bail!("creating the table: {status} {answer}");
    }
    let nodes: Vec<Arc<TestNode>> = nodes.into_iter().map(Arc::new).collect();
    let body =
        |i| json!({"sql": "INSERT INTO bench(name, n) VALUES (?, ?)", "params": ["client", i]});
    // Warm both paths (connections, the forwarder's client, SQLite's cache) before measuring.
    let warm_up = Duration::from_secs(1);
    drive(&nodes[leader], clients, warm_up, body).await?;
    drive(&nodes[follower], clients, warm_up, body).await?;
    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let pair = if round % 2 == 0 {
            let to_leader = drive(&nodes[leader], clients, duration, body).await?;
            (
                to_leader,
                drive(&nodes[follower], clients, duration, body).await?,
            )
        } else {
            let to_follower = drive(&nodes[follower], clients, duration, body).await?;
            (
                drive(&nodes[leader], clients, duration, body).await?,
                to_follower,
            )
        };
        rounds.push(pair);
    }
    for node in nodes {
        if let Ok(node) = Arc::try_unwrap(node) {
            let _ = node.stop().await;
        }
    }
    Ok(rounds)
}

/// `GET /leader` of `node`, once it knows one.
async fn leader_of(node: &TestNode) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = node.client().get(node.url("/leader")).send().await?;
        if response.status().is_success() {
            return Ok(response.json().await?);
        }
        if Instant::now() > deadline {
            bail!("no leader elected: {}", response.text().await?);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
