//! Point reads on an in-process replica (`ha-client`, issue 9) against rusqlite on the same file
//! in the same run: the replica follows a node's database of `rows` rows, then one client reads
//! by primary key through `Client::execute`, then rusqlite does the same on the replica's file.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ha_client::{Client, ClientOptions, Params, Statement, StatementResult, Value};
use ha_test_harness::{NodeBuilder, free_port};
use serde_json::json;

use crate::Figure;

pub struct ReplicaFigures {
    pub raw: Figure,
    /// Through the async `Client::execute` (a hand-off to a blocking thread per read).
    pub replica: Figure,
    /// Through `ha-ffi`'s blocking client from a plain thread, as the bindings call it.
    pub blocking: Figure,
}

pub async fn point_reads(
    bin: &Path,
    duration: Duration,
    rows: i64,
) -> anyhow::Result<ReplicaFigures> {
    let port = free_port()?;
    let node = NodeBuilder::new(bin)
        .args(["-n", "node1", "file:bench.db"])
        .embedded_nats(port)
        .start()
        .await?;
    node.post(
        "/query",
        &json!([{"sql": "CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)"},
                {"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?) \
                         INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c",
                 "params": [rows]}]),
    )
    .await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("bench.db");
    let url = format!(
        "file:{}?replication_url=nats://127.0.0.1:{port}&node=bench-replica",
        file.display()
    );
    let client = Client::open(&url, ClientOptions::default()).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(&client).await.unwrap_or(0) < rows {
        if Instant::now() > deadline {
            bail!("the replica did not catch up");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let replica = {
        let start = Instant::now();
        let mut latencies_us = Vec::new();
        let mut i = 0u64;
        while start.elapsed() < duration {
            let id = 1 + (i as i64 * 7919) % rows;
            let t = Instant::now();
            client
                .execute(vec![Statement::with_params(
                    "SELECT name FROM bench WHERE id = ?",
                    Params::Positional(vec![Value::Integer(id)]),
                )])
                .await?;
            latencies_us.push(t.elapsed().as_micros() as u64);
            i += 1;
        }
        Figure {
            ops: latencies_us.len() as u64,
            elapsed: start.elapsed(),
            latencies_us,
        }
    };
    let raw = {
        let db = rusqlite::Connection::open_with_flags(
            &file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let start = Instant::now();
        let mut latencies_us = Vec::new();
        let mut i = 0u64;
        while start.elapsed() < duration {
            let id = 1 + (i as i64 * 7919) % rows;
            let t = Instant::now();
            let _: String = db
                .prepare_cached("SELECT name FROM bench WHERE id = ?")?
                .query_row([id], |r| r.get(0))?;
            latencies_us.push(t.elapsed().as_micros() as u64);
            i += 1;
        }
        Figure {
            ops: latencies_us.len() as u64,
            elapsed: start.elapsed(),
            latencies_us,
        }
    };
    client.close().await?;
    // The bindings' path: a plain thread, blocking calls, the read on that thread.
    let blocking = std::thread::spawn(move || -> anyhow::Result<Figure> {
        let client =
            ha_ffi::BlockingClient::open(&url, ha_ffi::ClientOptions::default(), &mut || false)?;
        let start = Instant::now();
        let mut latencies_us = Vec::new();
        let mut i = 0u64;
        while start.elapsed() < duration {
            let id = 1 + (i as i64 * 7919) % rows;
            let t = Instant::now();
            client.execute(
                vec![Statement::with_params(
                    "SELECT name FROM bench WHERE id = ?",
                    Params::Positional(vec![Value::Integer(id)]),
                )],
                &mut || false,
            )?;
            latencies_us.push(t.elapsed().as_micros() as u64);
            i += 1;
        }
        Ok(Figure {
            ops: latencies_us.len() as u64,
            elapsed: start.elapsed(),
            latencies_us,
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the blocking reader panicked"))??;
    let _ = node.stop().await;
    Ok(ReplicaFigures {
        raw,
        replica,
        blocking,
    })
}

async fn count(client: &Client) -> anyhow::Result<i64> {
    let executed = client
        .execute(vec![Statement::new("SELECT count(*) FROM bench")])
        .await?;
    match executed.results.first() {
        Some(StatementResult::Rows { rows, .. }) => match rows.first().map(Vec::as_slice) {
            Some([Value::Integer(n)]) => Ok(*n),
            _ => bail!("no count"),
        },
        _ => None.context("no rows")?,
    }
}
