//! Snapshots while writers run (issue 8): single-row insert transactions on a node whose file
//! holds a large table, first alone (the baseline), then while `POST /snapshot` copies, hashes
//! and uploads the whole database, then while `GET /download` streams it. Prints the writers'
//! latency percentiles in each window and the transfer's duration.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ha_test_harness::{NodeBuilder, TestNode, free_port};
use serde_json::json;

use crate::Figure;

/// What one window measured.
pub struct Window {
    pub writes: Figure,
    /// How long the transfer took (zero for the baseline).
    pub transfer: Duration,
    pub bytes: u64,
}

pub struct SnapshotFigures {
    pub database_bytes: u64,
    pub before: Window,
    pub snapshot: Window,
    pub download: Window,
}

/// Builds a database of about `megabytes` MiB (1 KiB rows) directly with SQLite, starts a
/// replicating node on it, and measures `clients` writers in each window.
pub async fn writers_during_snapshot(
    bin: &Path,
    megabytes: u64,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<SnapshotFigures> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bench.db");
    let rows = megabytes * 1024;
    {
        let db = rusqlite::Connection::open(&path)?;
        db.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        db.execute_batch(&format!(
            "CREATE TABLE big(id INTEGER PRIMARY KEY, pad BLOB);
             CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);
             BEGIN;
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows})
             INSERT INTO big SELECT x, randomblob(1000) FROM c;
             COMMIT;
             PRAGMA wal_checkpoint(TRUNCATE);"
        ))?;
    }
    let database_bytes = std::fs::metadata(&path)?.len();
    let port = free_port()?;
    let node = Arc::new(
        NodeBuilder::new(bin)
            .args(["-n", "node1", "file:bench.db"])
            .embedded_nats(port)
            .dir(dir.path())
            .start()
            .await?,
    );
    let before = Window {
        writes: writers_until(&node, clients, tokio::time::sleep(duration)).await?,
        transfer: Duration::ZERO,
        bytes: 0,
    };
    let snapshot = transfer_window(&node, clients, || async {
        let response = reqwest::Client::new()
            .post(node.url("/snapshot"))
            .send()
            .await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await?;
        if status.as_u16() != 201 {
            bail!("POST /snapshot answered {status}: {body}");
        }
        body["size"].as_u64().context("the snapshot's size")
    })
    .await?;
    let download = transfer_window(&node, clients, || async {
        let bytes = reqwest::Client::new()
            .get(node.url("/download"))
            .send()
            .await?
            .bytes()
            .await?;
        Ok(bytes.len() as u64)
    })
    .await?;
    if let Ok(node) = Arc::try_unwrap(node) {
        let _ = node.stop().await;
    }
    Ok(SnapshotFigures {
        database_bytes,
        before,
        snapshot,
        download,
    })
}

/// Writers run while `transfer` does.
async fn transfer_window<F, Fut>(
    node: &Arc<TestNode>,
    clients: usize,
    transfer: F,
) -> anyhow::Result<Window>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<u64>>,
{
    let started = Instant::now();
    let (bytes_sender, bytes) = tokio::sync::oneshot::channel();
    let done = async move {
        let _ = bytes_sender.send(transfer().await);
    };
    let writes = writers_until(node, clients, done).await?;
    let transfer_time = started.elapsed();
    let bytes = bytes.await.context("the transfer ended")??;
    Ok(Window {
        writes,
        transfer: transfer_time,
        bytes,
    })
}

/// `clients` writers insert single rows until `until` completes.
async fn writers_until(
    node: &Arc<TestNode>,
    clients: usize,
    until: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Figure> {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let stop = Arc::clone(&stop);
        let url = node.url("/query");
        let http = reqwest::Client::new();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = client as u64 * 1_000_003 + start.elapsed().as_nanos() as u64;
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let body = json!({"sql": "INSERT OR REPLACE INTO bench(id, name, n) VALUES (?, 'x', ?)",
                                  "params": [i as i64, i as i64]});
                let response = http.post(&url).json(&body).send().await?;
                let status = response.status();
                let _ = response.bytes().await?;
                if !status.is_success() {
                    bail!("a write failed with {status}");
                }
                latencies.push(t.elapsed().as_micros() as u64);
                i += 1;
            }
            Ok(latencies)
        }));
    }
    until.await;
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
