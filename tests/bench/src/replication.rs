//! Replication figures: acknowledged write transactions/s with the broker in the path (sync and
//! async acknowledgement, 1 and 3 nodes) against the same node without replication, the lag from
//! an acknowledged write on one node to its visibility on another, and the apply rate of a bulk
//! catch-up.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use ha_test_harness::{NodeBuilder, TestNode, free_port};
use serde_json::json;

use crate::Figure;
use crate::http_load::drive;

pub(crate) const TABLE: &str = "CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)";

/// Node 1 (file database, embedded broker) and `followers` nodes replicating through it.
pub(crate) async fn cluster(
    bin: &Path,
    followers: usize,
    extra: &[&str],
) -> anyhow::Result<Vec<TestNode>> {
    let port = free_port()?;
    let mut nodes = vec![
        NodeBuilder::new(bin)
            .args(["-n", "node1", "file:bench.db"])
            .args(extra.iter().copied())
            .embedded_nats(port)
            .start()
            .await?,
    ];
    for i in 0..followers {
        nodes.push(
            NodeBuilder::new(bin)
                .args([
                    "-n".to_string(),
                    format!("node{}", i + 2),
                    "file:bench.db".into(),
                ])
                .replication_url(format!("nats://127.0.0.1:{port}"))
                .start()
                .await?,
        );
    }
    nodes[0].sql(TABLE).await?;
    for node in &nodes[1..] {
        wait_for(
            node,
            "SELECT count(*) FROM sqlite_master WHERE name = 'bench'",
            1,
        )
        .await?;
    }
    Ok(nodes)
}

/// Polls until `sql` (a count) answers at least `want`.
async fn wait_for(node: &TestNode, sql: &str, want: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, answer) = node.post("/query", &json!({ "sql": sql })).await?;
        if answer["rows"][0][0].as_i64().unwrap_or(-1) >= want {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{sql} did not reach {want}: {answer}");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn stop_all(nodes: Vec<TestNode>) {
    for node in nodes.into_iter().rev() {
        let _ = node.stop().await;
    }
}

/// Single-row insert transactions/s on node 1 of a cluster of `1 + followers` nodes.
pub async fn writes(
    bin: &Path,
    followers: usize,
    async_ack: bool,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Figure> {
    let extra: &[&str] = if async_ack {
        &["--async-replication"]
    } else {
        &[]
    };
    let nodes = cluster(bin, followers, extra).await?;
    let leader = Arc::new(
        nodes
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no node"))?,
    );
    let figure = drive(
        &leader,
        clients,
        duration,
        |i| json!({"sql": "INSERT INTO bench(name, n) VALUES (?, ?)", "params": ["client", i]}),
    )
    .await;
    if let Ok(node) = Arc::try_unwrap(leader) {
        let _ = node.stop().await;
    }
    figure
}

/// From the acknowledgement of a write on node 1 to its visibility on node 2, one at a time.
pub async fn lag(bin: &Path, samples: usize) -> anyhow::Result<Figure> {
    let nodes = cluster(bin, 1, &[]).await?;
    let start = Instant::now();
    let mut latencies_us = Vec::with_capacity(samples);
    for id in 1..=samples as i64 {
        let (status, answer) = nodes[0]
            .post("/query", &json!({"sql": "INSERT INTO bench(id, name, n) VALUES (?, 'lag', 0)", "params": [id]}))
            .await?;
        if status != 200 {
            bail!("write failed: {answer}");
        }
        let acked = Instant::now();
        wait_for(
            &nodes[1],
            &format!("SELECT count(*) FROM bench WHERE id = {id}"),
            1,
        )
        .await?;
        latencies_us.push(acked.elapsed().as_micros() as u64);
    }
    let figure = Figure {
        ops: samples as u64,
        elapsed: start.elapsed(),
        latencies_us,
    };
    stop_all(nodes).await;
    Ok(figure)
}

/// Rows written on node 1 (in transactions of `batch` rows) before node 2 starts; node 2's time
/// to have them all gives the apply rate of a catch-up (row changes/s).
pub async fn catch_up(bin: &Path, rows: i64, batch: i64) -> anyhow::Result<Figure> {
    let port = free_port()?;
    let first = NodeBuilder::new(bin)
        .args(["-n", "node1", "file:bench.db"])
        .embedded_nats(port)
        .start()
        .await?;
    first.sql(TABLE).await?;
    let mut from = 1;
    while from <= rows {
        let to = (from + batch - 1).min(rows);
        let (status, answer) = first
            .post(
                "/query",
                &json!({"sql": "WITH RECURSIVE c(x) AS (SELECT ? UNION ALL SELECT x+1 FROM c WHERE x < ?) \
                                INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c",
                        "params": [from, to]}),
            )
            .await?;
        if status != 200 {
            bail!("bulk insert failed: {answer}");
        }
        from = to + 1;
    }
    let start = Instant::now();
    let second = NodeBuilder::new(bin)
        .args(["-n", "node2", "file:bench.db"])
        .replication_url(format!("nats://127.0.0.1:{port}"))
        .start()
        .await?;
    let listening = start.elapsed();
    wait_for(&second, "SELECT count(*) FROM bench", rows).await?;
    let figure = Figure {
        ops: rows as u64,
        elapsed: start.elapsed(),
        latencies_us: Vec::new(),
    };
    println!(
        "  (of which {} ms until node 2 listened: process start, open, connect, consumer)",
        listening.as_millis()
    );
    stop_all(vec![first, second]).await;
    Ok(figure)
}
