//! gRPC against HTTP/JSON on the same node (issue 9): point selects and single-row insert
//! transactions, each client with its own connection (gRPC: its own HTTP/2 channel), one
//! request at a time. Both doors run in the same run, on the same node, one after the other.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ha_proto::v1;
use ha_proto::v1::database_client::DatabaseClient;
use ha_test_harness::{NodeBuilder, TestNode};
use serde_json::json;

use crate::Figure;
use crate::http_load::drive;

pub struct DoorFigures {
    pub http_reads: Figure,
    pub grpc_reads: Figure,
    /// gRPC with every client on one multiplexed channel (how gRPC clients share a connection).
    pub grpc_shared_reads: Figure,
    pub http_writes: Figure,
    pub grpc_writes: Figure,
    pub grpc_shared_writes: Figure,
}

pub async fn compare(
    bin: &Path,
    clients: usize,
    duration: Duration,
    rows: i64,
) -> anyhow::Result<DoorFigures> {
    let node = Arc::new(
        NodeBuilder::new(bin)
            .args(["file:bench.db"])
            .start()
            .await?,
    );
    node.sql("CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
        .await?;
    node.post(
        "/query",
        &json!({"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?) \
                        INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c",
                "params": [rows]}),
    )
    .await?;
    let http_reads = drive(&node, clients, duration, move |i| {
        let id = 1 + (i as i64 * 7919) % rows;
        json!({"sql": "SELECT name FROM bench WHERE id = ?", "params": [id]})
    })
    .await?;
    let read = move |i: u64| {
        let id = 1 + (i as i64 * 7919) % rows;
        ("SELECT name FROM bench WHERE id = ?", id)
    };
    let grpc_reads = grpc_drive(&node, clients, duration, false, read).await?;
    let grpc_shared_reads = grpc_drive(&node, clients, duration, true, read).await?;
    let http_writes = drive(
        &node,
        clients,
        duration,
        |i| json!({"sql": "INSERT INTO bench(name, n) VALUES ('client', ?)", "params": [i]}),
    )
    .await?;
    let write = |i: u64| ("INSERT INTO bench(name, n) VALUES ('client', ?)", i as i64);
    let grpc_writes = grpc_drive(&node, clients, duration, false, write).await?;
    let grpc_shared_writes = grpc_drive(&node, clients, duration, true, write).await?;
    if let Ok(node) = Arc::try_unwrap(node) {
        let _ = node.stop().await;
    }
    Ok(DoorFigures {
        http_reads,
        grpc_reads,
        grpc_shared_reads,
        http_writes,
        grpc_writes,
        grpc_shared_writes,
    })
}

async fn grpc_drive(
    node: &Arc<TestNode>,
    clients: usize,
    duration: Duration,
    shared: bool,
    request: impl Fn(u64) -> (&'static str, i64) + Send + Sync + Copy + 'static,
) -> anyhow::Result<Figure> {
    let stop = Arc::new(AtomicBool::new(false));
    let one = DatabaseClient::connect(format!("http://{}", node.http_addr)).await?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let stop = Arc::clone(&stop);
        let mut db = if shared {
            one.clone()
        } else {
            DatabaseClient::connect(format!("http://{}", node.http_addr)).await?
        };
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = client as u64 * 1_000_003;
            while !stop.load(Ordering::Relaxed) {
                let (sql, param) = request(i);
                let t = Instant::now();
                db.execute(v1::ExecuteRequest {
                    database: String::new(),
                    statements: vec![v1::Statement {
                        sql: sql.into(),
                        params: vec![v1::Value {
                            kind: Some(v1::value::Kind::Integer(param)),
                        }],
                        named_params: Default::default(),
                    }],
                    min_seq: None,
                })
                .await?;
                latencies.push(t.elapsed().as_micros() as u64);
                i += 1;
            }
            anyhow::Ok(latencies)
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
