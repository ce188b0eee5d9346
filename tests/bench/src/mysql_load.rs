//! Load through the MySQL wire protocol with mysql_async: point selects (server-side prepared
//! statements, as drivers run parameterised queries) and single-row inserts on a preloaded
//! table, `clients` connections each running one statement after another. The same operations
//! over HTTP and over the PostgreSQL wire (pgbench, prepared mode) are the baselines of the run.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use ha_test_harness::free_port;
use mysql_async::prelude::Queryable;

use crate::Figure;
use crate::pg_load::Operation;

/// `clients` MySQL connections running `operation` for `duration` against a fresh node.
/// `prepared`: server-side prepared statements with parameters; else the text protocol with
/// the value written into each query (as PyMySQL and mysql2's `query` send it).
pub async fn drive(
    bin: &Path,
    operation: Operation,
    prepared: bool,
    clients: usize,
    duration: Duration,
    rows: i64,
) -> anyhow::Result<Figure> {
    let port = free_port()?;
    let node = crate::pg_load::node_with(bin, rows, Some(port)).await?;
    let url = format!("mysql://ha@127.0.0.1:{port}/bench.db");
    let opts = mysql_async::Opts::from_url(&url).context("the MySQL URL")?;
    let start = Instant::now();
    let end = start + duration;
    let mut tasks = Vec::new();
    for client in 0..clients {
        let opts = opts.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = mysql_async::Conn::new(opts).await?;
            let sql = match operation {
                Operation::PointSelect => "SELECT name FROM bench WHERE id = ?",
                Operation::Insert => "INSERT INTO bench(name, n) VALUES ('new', ?)",
                Operation::Update => "UPDATE bench SET n = n + 1 WHERE id = ?",
                Operation::Floor => "SELECT 1",
            };
            let statement = conn.prep(sql).await?;
            let mut latencies = Vec::new();
            let mut i = client as u64 * 1_000_003;
            while Instant::now() < end {
                let id = 1 + (i as i64 * 7919) % rows;
                let t = Instant::now();
                let text = || sql.replace('?', &id.to_string());
                match (operation, prepared) {
                    (Operation::PointSelect, true) => {
                        let _: Option<String> = conn.exec_first(&statement, (id,)).await?;
                    }
                    (Operation::PointSelect, false) => {
                        let _: Option<String> = conn.query_first(text()).await?;
                    }
                    (_, true) => conn.exec_drop(&statement, (id,)).await?,
                    (_, false) => conn.query_drop(text()).await?,
                }
                latencies.push(t.elapsed().as_micros() as u64);
                i += 1;
            }
            conn.disconnect().await?;
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies_us = Vec::new();
    for task in tasks {
        latencies_us.extend(task.await??);
    }
    let elapsed = start.elapsed();
    let _ = node.stop().await;
    Ok(Figure {
        ops: latencies_us.len() as u64,
        elapsed,
        latencies_us,
    })
}
