//! The ceiling: the same operations on rusqlite directly, with the node's default settings
//! (WAL, synchronous=NORMAL). Writers share one connection behind a mutex, as an application
//! would (SQLite has one writer); readers each have their own connection.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::Figure;

fn open(path: &std::path::Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.execute_batch("PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL;")?;
    Ok(conn)
}

pub fn writes(clients: usize, duration: Duration) -> anyhow::Result<Figure> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("raw.db");
    let conn = open(&path)?;
    conn.execute_batch("CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")?;
    let conn = Arc::new(Mutex::new(conn));
    run_threads(clients, duration, move |i| {
        let conn = conn.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.prepare_cached("INSERT INTO bench(name, n) VALUES (?1, ?2)")?
            .execute(rusqlite::params!["client", i as i64])?;
        conn.execute_batch("COMMIT")?;
        Ok(())
    })
}

pub fn point_reads(clients: usize, duration: Duration, rows: i64) -> anyhow::Result<Figure> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("raw.db");
    let conn = open(&path)?;
    conn.execute_batch("CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")?;
    conn.execute(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?1) \
         INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c",
        [rows],
    )?;
    let connections: Vec<Mutex<Connection>> = (0..clients)
        .map(|_| open(&path).map(Mutex::new))
        .collect::<anyhow::Result<_>>()?;
    let connections = Arc::new(connections);
    run_threads_indexed(clients, duration, move |thread, i| {
        let conn = connections[thread]
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        let id = 1 + (i as i64 * 7919) % rows;
        let _: String = conn
            .prepare_cached("SELECT name FROM bench WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        Ok(())
    })
}

fn run_threads(
    clients: usize,
    duration: Duration,
    op: impl Fn(u64) -> anyhow::Result<()> + Send + Sync + 'static,
) -> anyhow::Result<Figure> {
    run_threads_indexed(clients, duration, move |_, i| op(i))
}

fn run_threads_indexed(
    clients: usize,
    duration: Duration,
    op: impl Fn(usize, u64) -> anyhow::Result<()> + Send + Sync + 'static,
) -> anyhow::Result<Figure> {
    let op = Arc::new(op);
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|thread| {
            let op = Arc::clone(&op);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || -> anyhow::Result<(u64, Vec<u64>)> {
                let mut latencies = Vec::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    op(thread, i + thread as u64 * 1_000_003)?;
                    latencies.push(t.elapsed().as_micros() as u64);
                    i += 1;
                }
                Ok((i, latencies))
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut ops = 0;
    let mut latencies_us = Vec::new();
    for handle in handles {
        let (n, l) = handle
            .join()
            .map_err(|_| anyhow::anyhow!("bench thread panicked"))??;
        ops += n;
        latencies_us.extend(l);
    }
    Ok(Figure {
        ops,
        elapsed: start.elapsed(),
        latencies_us,
    })
}
