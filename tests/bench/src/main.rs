//! `ha-bench`: single-row write transactions and point reads through a real `ha` node over HTTP,
//! against the same operations on rusqlite directly (the ceiling), in one run, with 1 and 16
//! clients. Prints figures and ratios; asserts nothing.
//!
//! Run with `scripts/bench` (builds the release binary first).

mod http_load;
mod raw_sqlite;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Benchmarks ha's HTTP API against raw SQLite")]
struct Args {
    /// The ha binary to benchmark (default: `ha` beside this program)
    #[arg(long)]
    ha_bin: Option<PathBuf>,
    /// Seconds each case runs
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Client counts to run
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16])]
    clients: Vec<usize>,
    /// Rows preloaded for the point reads
    #[arg(long, default_value_t = 10_000)]
    rows: i64,
}

/// The figures of one case.
pub struct Figure {
    pub ops: u64,
    pub elapsed: Duration,
    pub latencies_us: Vec<u64>,
}

impl Figure {
    pub fn per_second(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile_us(&self, p: f64) -> u64 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let index = ((sorted.len() - 1) as f64 * p).round() as usize;
        sorted[index]
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let ha_bin = match &args.ha_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("locating the ha binary")?
            .join("ha"),
    };
    let duration = Duration::from_secs_f64(args.seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    println!(
        "ha-bench: {} s per case, {} preloaded rows, file databases (WAL, synchronous=NORMAL)",
        args.seconds, args.rows
    );
    println!("binary: {}", ha_bin.display());
    println!();
    println!(
        "{:<28} {:>8} {:>12} {:>10} {:>10} {:>9}",
        "case", "clients", "ops/s", "p50 µs", "p99 µs", "vs raw"
    );
    for &clients in &args.clients {
        let raw_writes = raw_sqlite::writes(clients, duration)?;
        let http_writes = runtime.block_on(http_load::writes(&ha_bin, clients, duration))?;
        let raw_reads = raw_sqlite::point_reads(clients, duration, args.rows)?;
        let http_reads = runtime.block_on(http_load::point_reads(
            &ha_bin, clients, duration, args.rows,
        ))?;
        let http_floor = runtime.block_on(http_load::health_checks(&ha_bin, clients, duration))?;
        print_row("HTTP GET /healthz (floor)", clients, &http_floor, None);
        print_row("raw SQLite insert tx", clients, &raw_writes, None);
        print_row("HTTP insert tx", clients, &http_writes, Some(&raw_writes));
        print_row("raw SQLite point select", clients, &raw_reads, None);
        print_row("HTTP point select", clients, &http_reads, Some(&raw_reads));
    }
    Ok(())
}

fn print_row(case: &str, clients: usize, figure: &Figure, baseline: Option<&Figure>) {
    let ratio = baseline.map_or_else(
        || "-".to_string(),
        |b| format!("{:.1}%", 100.0 * figure.per_second() / b.per_second()),
    );
    println!(
        "{:<28} {:>8} {:>12.0} {:>10} {:>10} {:>9}",
        case,
        clients,
        figure.per_second(),
        figure.percentile_us(0.5),
        figure.percentile_us(0.99),
        ratio
    );
}
