//! Load through a real `ha` node over HTTP: each client is a task with its own keep-alive
//! connection, sending one request at a time.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use ha_test_harness::{NodeBuilder, TestNode};
use serde_json::json;

use crate::Figure;

async fn node(bin: &Path) -> anyhow::Result<TestNode> {
    let node = NodeBuilder::new(bin).args(["file:bench.db"]);
    let node = node.start().await?;
    node.sql("CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
        .await?;
    Ok(node)
}

pub async fn writes(bin: &Path, clients: usize, duration: Duration) -> anyhow::Result<Figure> {
    let node = Arc::new(node(bin).await?);
    let figure = drive(
        &node,
        clients,
        duration,
        |i| json!({"sql": "INSERT INTO bench(name, n) VALUES (?, ?)", "params": ["client", i]}),
    )
    .await;
    stop(node).await;
    figure
}

pub async fn point_reads(
    bin: &Path,
    clients: usize,
    duration: Duration,
    rows: i64,
) -> anyhow::Result<Figure> {
    let node = Arc::new(node(bin).await?);
    node.post(
        "/query",
        &json!({"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?) \
                        INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c",
                "params": [rows]}),
    )
    .await?;
    let figure = drive(&node, clients, duration, move |i| {
        let id = 1 + (i as i64 * 7919) % rows;
        json!({"sql": "SELECT name FROM bench WHERE id = ?", "params": [id]})
    })
    .await;
    stop(node).await;
    figure
}

/// The floor of the HTTP path: `GET /healthz`, which touches no database.
pub async fn health_checks(
    bin: &Path,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Figure> {
    let node = Arc::new(node(bin).await?);
    let figure = drive_requests(
        &node,
        clients,
        duration,
        "/healthz",
        None::<fn(u64) -> serde_json::Value>,
    )
    .await;
    stop(node).await;
    figure
}

async fn stop(node: Arc<TestNode>) {
    if let Ok(node) = Arc::try_unwrap(node) {
        let _ = node.stop().await;
    }
}

pub async fn drive(
    node: &Arc<TestNode>,
    clients: usize,
    duration: Duration,
    body: impl Fn(u64) -> serde_json::Value + Send + Sync + Copy + 'static,
) -> anyhow::Result<Figure> {
    drive_requests(node, clients, duration, "/query", Some(body)).await
}

async fn drive_requests<B>(
    node: &Arc<TestNode>,
    clients: usize,
    duration: Duration,
    path: &str,
    body: Option<B>,
) -> anyhow::Result<Figure>
where
    B: Fn(u64) -> serde_json::Value + Send + Sync + Copy + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let stop = Arc::clone(&stop);
        let url = node.url(path);
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = client as u64 * 1_000_003;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let request = match body {
                    Some(body) => http.post(&url).json(&body(i)),
                    None => http.get(&url),
                };
                let response = request.send().await?;
                let status = response.status();
                let _ = response.bytes().await?;
                if !status.is_success() {
                    bail!("request failed with {status}");
                }
                latencies.push(t.elapsed().as_micros() as u64);
                i += 1;
            }
            Ok(latencies)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies_us = Vec::new();
    for task in tasks {
        latencies_us.extend(task.await??);
    }
    Ok(Figure {
        ops: latencies_us.len() as u64,
        elapsed: start.elapsed(),
        latencies_us,
    })
}
