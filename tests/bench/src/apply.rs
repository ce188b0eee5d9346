//! What an applier's writer costs per message, without a broker or other processes: the
//! engine's `Database::apply` of log entries of one-row inserts (five change sets per entry, as
//! the speed suite's messages hold at 16 connections), against rusqlite inserting the same rows
//! in a transaction per entry on a file of the same settings, in the same run. One process and
//! no network, so a change to the apply path shows here when the speed suite's noise hides it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ha_core::{
    ChangeLog, Database, DatabaseOptions, DatabaseSpec, LogEntry, PublishFuture,
    ReplicationOptions, RowIdentify, Storage,
};
use ha_types::{
    CHANGE_SET_VERSION, Change, ChangeSet, ChangeSetFormat, RowChange, RowOperation, Value,
};

/// Change sets per log entry.
const PER_ENTRY: u64 = 5;

/// Microseconds per log entry of `PER_ENTRY` one-row inserts: elapsed, and CPU of the whole
/// process (the applier's writer thread, and the runtime that hands it the entries).
pub struct ApplyFigures {
    pub raw_us: f64,
    pub raw_cpu_us: f64,
    pub apply_us: f64,
    pub apply_cpu_us: f64,
}

/// A log that takes every publish (the applier's own writes are not measured).
struct NullLog(AtomicU64);

impl ChangeLog for NullLog {
    fn publish<'a>(
        &'a self,
        _database: &'a str,
        _msg_id: &'a str,
        _payload: bytes::Bytes,
        _change_sets: usize,
        _term: Option<u64>,
    ) -> PublishFuture<'a> {
        let seq = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Box::pin(async move { Ok(Box::pin(async move { Ok(seq) }) as ha_core::AckFuture) })
    }
}

const TABLE: &str = "CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)";

pub async fn measure(dir: &Path, duration: Duration) -> anyhow::Result<ApplyFigures> {
    let (raw_us, raw_cpu_us) = raw(&dir.join("raw.db"), duration)?;
    let (apply_us, apply_cpu_us) = applied(&dir.join("applier.db"), duration).await?;
    Ok(ApplyFigures {
        raw_us,
        raw_cpu_us,
        apply_us,
        apply_cpu_us,
    })
}

/// rusqlite: `BEGIN IMMEDIATE`, five cached inserts, `COMMIT` per entry.
fn raw(path: &Path, duration: Duration) -> anyhow::Result<(f64, f64)> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")?;
    conn.execute_batch(TABLE)?;
    let (mut entries, mut id) = (0u64, 0i64);
    let cpu = crate::cpu::this_process()?;
    let started = Instant::now();
    while started.elapsed() < duration {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for _ in 0..PER_ENTRY {
            id += 1;
            conn.prepare_cached("INSERT OR REPLACE INTO bench(id, name, n) VALUES (?1, ?2, ?3)")?
                .execute(rusqlite::params![id, "speed", 1])?;
        }
        conn.execute_batch("COMMIT")?;
        entries += 1;
    }
    per_entry(started, cpu, entries)
}

/// Elapsed and CPU microseconds per entry since `started` / `cpu`.
fn per_entry(started: Instant, cpu: Duration, entries: u64) -> anyhow::Result<(f64, f64)> {
    let elapsed = started.elapsed().as_secs_f64() * 1e6 / entries.max(1) as f64;
    let used = crate::cpu::this_process()?.saturating_sub(cpu);
    Ok((elapsed, used.as_secs_f64() * 1e6 / entries.max(1) as f64))
}

/// `Database::apply` of one entry at a time, each awaited, as a consumer under load hands them.
async fn applied(path: &Path, duration: Duration) -> anyhow::Result<(f64, f64)> {
    let spec = DatabaseSpec {
        id: "bench.db".into(),
        // A node's default `--db-params`.
        storage: Storage::File {
            path: path.to_path_buf(),
            params: "journal_mode=WAL&busy_timeout=5000&synchronous=NORMAL".into(),
        },
    };
    let options = DatabaseOptions {
        replication: Some(ReplicationOptions {
            node: "applier".into(),
            async_ack: false,
            timeout: Duration::from_secs(5),
            disable_ddl_sync: false,
            row_identify: RowIdentify::PrimaryKey,
            from_log_start: true,
            log: Arc::new(NullLog(AtomicU64::new(0))) as Arc<dyn ChangeLog>,
            runtime: tokio::runtime::Handle::current(),
            write_gate: None,
            most_per_message: ha_core::MOST_PER_MESSAGE,
            format: ChangeSetFormat::default(),
        }),
        ..DatabaseOptions::default()
    };
    let database = tokio::task::spawn_blocking(move || Database::open(spec, options)).await??;
    let consumer = "applier_bench.db";
    let mut seq = 1;
    database
        .apply(
            consumer,
            vec![LogEntry {
                seq,
                change_sets: Ok(vec![change_set(
                    1,
                    Change::Sql {
                        command: TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"),
                    },
                )]),
            }],
        )
        .await?;
    let (mut entries, mut id) = (0u64, 1u64);
    let cpu = crate::cpu::this_process()?;
    let started = Instant::now();
    while started.elapsed() < duration {
        seq += 1;
        let sets = (0..PER_ENTRY)
            .map(|_| {
                id += 1;
                change_set(id, insert(id as i64 - 1))
            })
            .collect();
        database
            .apply(
                consumer,
                vec![LogEntry {
                    seq,
                    change_sets: Ok(sets),
                }],
            )
            .await?;
        entries += 1;
    }
    let figures = per_entry(started, cpu, entries)?;
    tokio::task::spawn_blocking(move || database.close()).await?;
    Ok(figures)
}

fn change_set(id: u64, change: Change) -> ChangeSet {
    ChangeSet {
        v: CHANGE_SET_VERSION,
        node: "origin".into(),
        database_id: Some("bench.db".into()),
        origin: Some("origin-bench".into()),
        id: Some(id),
        chunk: None,
        term: None,
        changes: vec![change],
        timestamp_ns: 0,
    }
}

fn insert(row: i64) -> Change {
    Change::Row(RowChange {
        database: "main".into(),
        table: "bench".into(),
        columns: vec!["id".into(), "name".into(), "n".into()],
        pk_columns: vec!["id".into()],
        operation: RowOperation::Insert,
        old_rowid: None,
        new_rowid: Some(row),
        old_values: None,
        new_values: Some(vec![
            Value::Integer(row),
            Value::Text("speed".into()),
            Value::Integer(1),
        ]),
    })
}
