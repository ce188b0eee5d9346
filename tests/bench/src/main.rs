//! `ha-bench`: single-row write transactions and point reads through a real `ha` node over HTTP,
//! against the same operations on rusqlite directly (the ceiling), in one run, with 1 and 16
//! clients. Prints figures and ratios; asserts nothing.
//!
//! Run with `scripts/bench` (builds the release binary first).

mod apply;
mod change_sets;
mod cpu;
mod grpc_load;
mod h2load;
mod http_load;
mod leader_load;
mod mysql_load;
mod pg_load;
mod raw_sqlite;
mod replica;
mod replication;
mod snapshot;
mod speed;

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
    /// Client counts of the PostgreSQL wire cases
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8])]
    pg_clients: Vec<usize>,
    /// Which figures: http (HTTP vs raw SQLite), replication, pg (PostgreSQL wire vs HTTP),
    /// snapshot (writers while a snapshot and a download run), grpc (gRPC vs HTTP), replica
    /// (in-process replica reads vs rusqlite), mysql (MySQL wire vs HTTP and PostgreSQL), leader
    /// (leader mode: writes sent to a follower vs to the leader), speed (issue 16's aims, each
    /// against its baseline, with h2load), changeset (a change set's bytes and encode/decode
    /// time in each --replication-format), apply (an applier's writer per log entry against
    /// rusqlite), or all
    #[arg(long, default_value = "all")]
    suite: String,
    /// Rows of the bulk catch-up
    #[arg(long, default_value_t = 100_000)]
    catch_up_rows: i64,
    /// Size of the database snapshotted while writers run, in MiB
    #[arg(long, default_value_t = 200)]
    snapshot_mb: u64,
    /// Writers during the snapshot case
    #[arg(long, default_value_t = 4)]
    snapshot_clients: usize,
    /// Speed suite: how many times each case runs, in turn with its baseline on the same nodes
    /// (each figure is the rounds' mean), so a slow minute of a noisy machine weighs on both
    /// sides of a ratio
    #[arg(long, default_value_t = 1)]
    rounds: usize,
}

/// The mean of one field over runs of equal length.
pub fn mean_by<T>(runs: &[T], field: impl Fn(&T) -> f64) -> f64 {
    runs.iter().map(field).sum::<f64>() / runs.len().max(1) as f64
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
        "{:<34} {:>8} {:>12} {:>10} {:>10} {:>9}",
        "case", "clients", "ops/s", "p50 µs", "p99 µs", "vs base"
    );
    if args.suite == "all" || args.suite == "http" {
        for &clients in &args.clients {
            let raw_writes = raw_sqlite::writes(clients, duration)?;
            let http_writes = runtime.block_on(http_load::writes(&ha_bin, clients, duration))?;
            let raw_reads = raw_sqlite::point_reads(clients, duration, args.rows)?;
            let http_reads = runtime.block_on(http_load::point_reads(
                &ha_bin, clients, duration, args.rows,
            ))?;
            let floor = runtime.block_on(http_load::health_checks(&ha_bin, clients, duration))?;
            print_row("HTTP GET /healthz (floor)", clients, &floor, None);
            print_row("raw SQLite insert tx", clients, &raw_writes, None);
            print_row("HTTP insert tx", clients, &http_writes, Some(&raw_writes));
            print_row("raw SQLite point select", clients, &raw_reads, None);
            print_row("HTTP point select", clients, &http_reads, Some(&raw_reads));
        }
    }
    if args.suite == "all" || args.suite == "replication" {
        for &clients in &args.clients {
            let standalone = runtime.block_on(http_load::writes(&ha_bin, clients, duration))?;
            print_row(
                "no replication insert tx (base)",
                clients,
                &standalone,
                None,
            );
            for (followers, name) in [(0, "1 node"), (2, "3 nodes")] {
                for (async_ack, mode) in [(false, "sync"), (true, "async")] {
                    let figure = runtime.block_on(replication::writes(
                        &ha_bin, followers, async_ack, clients, duration,
                    ))?;
                    let case = format!("replicated {mode} insert tx, {name}");
                    print_row(&case, clients, &figure, Some(&standalone));
                }
            }
        }
        let lag = runtime.block_on(replication::lag(&ha_bin, 500))?;
        print_row("lag: ack on A -> visible on B", 1, &lag, None);
        let catch_up =
            runtime.block_on(replication::catch_up(&ha_bin, args.catch_up_rows, 10_000))?;
        println!(
            "bulk catch-up: {} row changes applied in {:.2} s = {:.0} row changes/s",
            catch_up.ops,
            catch_up.elapsed.as_secs_f64(),
            catch_up.per_second()
        );
    }
    if args.suite == "all" || args.suite == "leader" {
        for &clients in &args.clients {
            let rounds = runtime.block_on(leader_load::writes(&ha_bin, clients, duration))?;
            let (mut leader_rate, mut follower_rate) = (0.0, 0.0);
            for (to_leader, to_follower) in &rounds {
                print_row(
                    "leader mode: tx at the leader (base)",
                    clients,
                    to_leader,
                    None,
                );
                print_row(
                    "leader mode: tx at a follower",
                    clients,
                    to_follower,
                    Some(to_leader),
                );
                leader_rate += to_leader.per_second();
                follower_rate += to_follower.per_second();
            }
            println!(
                "leader mode: follower / leader, {clients} clients, {} rounds together: {:.1}%",
                rounds.len(),
                100.0 * follower_rate / leader_rate
            );
        }
    }
    if args.suite == "all" || args.suite == "grpc" {
        println!();
        println!(
            "{:<34} {:>8} {:>12} {:>10} {:>10} {:>9}",
            "gRPC vs HTTP/JSON, same node", "clients", "ops/s", "p50 µs", "p99 µs", "vs HTTP"
        );
        for &clients in &args.clients {
            let doors =
                runtime.block_on(grpc_load::compare(&ha_bin, clients, duration, args.rows))?;
            print_row("HTTP point select", clients, &doors.http_reads, None);
            print_ratio_row(
                "gRPC point select",
                clients,
                &doors.grpc_reads,
                &doors.http_reads,
            );
            print_ratio_row(
                "gRPC point select, one channel",
                clients,
                &doors.grpc_shared_reads,
                &doors.http_reads,
            );
            print_row("HTTP insert tx", clients, &doors.http_writes, None);
            print_ratio_row(
                "gRPC insert tx",
                clients,
                &doors.grpc_writes,
                &doors.http_writes,
            );
            print_ratio_row(
                "gRPC insert tx, one channel",
                clients,
                &doors.grpc_shared_writes,
                &doors.http_writes,
            );
        }
    }
    if (args.suite == "all" || args.suite == "grpc") && h2load::installed() {
        println!();
        println!(
            "{:<44} {:>8} {:>12} {:>10} {:>9}",
            "point select, one load generator (h2load)", "clients", "ops/s", "mean µs", "vs h1"
        );
        for &clients in &args.clients {
            let doors = runtime.block_on(h2load::compare(&ha_bin, clients, duration))?;
            let row = |case: &str, figure: &h2load::LoadFigure, baseline: &h2load::LoadFigure| {
                println!(
                    "{:<44} {:>8} {:>12.0} {:>10.0} {:>8.2}x",
                    case,
                    clients,
                    figure.per_second,
                    figure.mean_us,
                    figure.per_second / baseline.per_second
                );
            };
            row(
                "GET /healthz, HTTP/1.1 (floor)",
                &doors.healthz_h1,
                &doors.healthz_h1,
            );
            row(
                "GET /healthz, HTTP/2 (floor)",
                &doors.healthz_h2,
                &doors.healthz_h1,
            );
            row("HTTP/1.1 JSON", &doors.json_h1, &doors.json_h1);
            row(
                "HTTP/1.1 JSON, --inline-read-budget 0",
                &doors.json_h1_pool,
                &doors.json_h1,
            );
            row("HTTP/2 JSON", &doors.json_h2, &doors.json_h1);
            row("gRPC Execute", &doors.grpc, &doors.json_h1);
        }
    }
    if args.suite == "all" || args.suite == "changeset" {
        println!();
        println!(
            "{:<36} {:>12} {:>12} {:>12}",
            "change set (--replication-format)", "bytes", "encode ns", "decode ns"
        );
        for (case, json, protobuf) in change_sets::measure(duration)? {
            for (format, figure) in [("json", &json), ("protobuf", &protobuf)] {
                println!(
                    "{:<36} {:>12} {:>12.0} {:>12.0}",
                    format!("{case}, {format}"),
                    figure.bytes,
                    figure.encode_ns,
                    figure.decode_ns
                );
            }
            println!(
                "{:<36} {:>11.0}% {:>11.0}% {:>11.0}%",
                format!("{case}, protobuf / json"),
                100.0 * protobuf.bytes as f64 / json.bytes as f64,
                100.0 * protobuf.encode_ns / json.encode_ns,
                100.0 * protobuf.decode_ns / json.decode_ns
            );
        }
    }
    if args.suite == "all" || args.suite == "apply" {
        let dir = tempfile::tempdir()?;
        let figures = runtime.block_on(apply::measure(dir.path(), duration))?;
        println!();
        println!(
            "{:<44} {:>12} {:>12} {:>10}",
            "log entries of 5 one-row inserts (file)", "µs / entry", "CPU µs", "CPU vs base"
        );
        println!(
            "{:<44} {:>12.1} {:>12.1} {:>10}",
            "rusqlite, a transaction per entry (base)", figures.raw_us, figures.raw_cpu_us, "-"
        );
        println!(
            "{:<44} {:>12.1} {:>12.1} {:>9.2}x",
            "Database::apply, one entry per call",
            figures.apply_us,
            figures.apply_cpu_us,
            figures.apply_cpu_us / figures.raw_cpu_us
        );
    }
    // The speed suite measures the replica's reads too: `all` measures them once.
    let mut replica_figures = None;
    if (args.suite == "all" || args.suite == "speed") && h2load::installed() {
        replica_figures = Some(print_speed(&runtime, &ha_bin, &args, duration)?);
    }
    if args.suite == "all" || args.suite == "replica" {
        let figures = match replica_figures {
            Some(figures) => figures,
            None => runtime.block_on(replica::point_reads(&ha_bin, duration, args.rows))?,
        };
        println!();
        print_row("rusqlite point select (base)", 1, &figures.raw, None);
        print_row(
            "replica point select (ha-client)",
            1,
            &figures.replica,
            Some(&figures.raw),
        );
        print_row(
            "replica point select (ha-ffi)",
            1,
            &figures.blocking,
            Some(&figures.raw),
        );
    }
    if args.suite == "all" || args.suite == "snapshot" {
        let figures = runtime.block_on(snapshot::writers_during_snapshot(
            &ha_bin,
            args.snapshot_mb,
            args.snapshot_clients,
            duration,
        ))?;
        println!();
        println!(
            "writers ({} clients, single-row insert tx) on a {:.0} MiB database",
            args.snapshot_clients,
            figures.database_bytes as f64 / f64::from(1 << 20)
        );
        println!(
            "{:<34} {:>10} {:>10} {:>10} {:>12} {:>10}",
            "window", "writes/s", "p50 µs", "p99 µs", "p99 vs alone", "transfer s"
        );
        let base_p99 = figures.before.writes.percentile_us(0.99).max(1);
        for (name, window) in [
            ("alone (baseline)", &figures.before),
            ("during POST /snapshot", &figures.snapshot),
            ("during GET /download", &figures.download),
        ] {
            println!(
                "{:<34} {:>10.0} {:>10} {:>10} {:>11.2}x {:>10.2}",
                name,
                window.writes.per_second(),
                window.writes.percentile_us(0.5),
                window.writes.percentile_us(0.99),
                window.writes.percentile_us(0.99) as f64 / base_p99 as f64,
                window.transfer.as_secs_f64()
            );
        }
        println!(
            "snapshot: {:.0} MiB stored in {:.2} s; download: {:.0} MiB in {:.2} s",
            figures.snapshot.bytes as f64 / f64::from(1 << 20),
            figures.snapshot.transfer.as_secs_f64(),
            figures.download.bytes as f64 / f64::from(1 << 20),
            figures.download.transfer.as_secs_f64()
        );
    }
    if args.suite == "all" || args.suite == "pg" {
        println!();
        println!(
            "{:<40} {:>8} {:>12} {:>14} {:>9}",
            "PostgreSQL wire (pgbench -n -f) vs HTTP",
            "clients",
            "ops/s",
            "avg latency µs",
            "vs HTTP"
        );
        for &clients in &args.pg_clients {
            let http_floor =
                runtime.block_on(http_load::health_checks(&ha_bin, clients, duration))?;
            println!(
                "{:<40} {:>8} {:>12.0} {:>14} {:>9}",
                "HTTP GET /healthz (floor)",
                clients,
                http_floor.per_second(),
                "",
                "-"
            );
            for mode in ["simple", "prepared"] {
                let floor = runtime.block_on(pg_load::pgbench(
                    &ha_bin,
                    pg_load::Operation::Floor,
                    mode,
                    clients,
                    duration,
                    args.rows,
                ))?;
                println!(
                    "{:<40} {:>8} {:>12.0} {:>14.0} {:>8.2}x",
                    format!("pgbench -M {mode} SHOW (floor)"),
                    clients,
                    floor.tps,
                    floor.latency_ms * 1000.0,
                    floor.tps / http_floor.per_second()
                );
            }
            for (operation, name) in [
                (pg_load::Operation::PointSelect, "point select"),
                (pg_load::Operation::Update, "single-row update"),
            ] {
                let http = runtime.block_on(pg_load::http(
                    &ha_bin, operation, clients, duration, args.rows,
                ))?;
                let http_latency = http.latencies_us.iter().sum::<u64>() as f64
                    / http.latencies_us.len().max(1) as f64;
                println!(
                    "{:<40} {:>8} {:>12.0} {:>14.0} {:>9}",
                    format!("HTTP {name}"),
                    clients,
                    http.per_second(),
                    http_latency,
                    "-"
                );
                for mode in ["simple", "prepared"] {
                    let pg = runtime.block_on(pg_load::pgbench(
                        &ha_bin, operation, mode, clients, duration, args.rows,
                    ))?;
                    println!(
                        "{:<40} {:>8} {:>12.0} {:>14.0} {:>8.2}x",
                        format!("pgbench -M {mode} {name}"),
                        clients,
                        pg.tps,
                        pg.latency_ms * 1000.0,
                        pg.tps / http.per_second()
                    );
                }
            }
        }
    }
    if args.suite == "all" || args.suite == "mysql" {
        println!();
        println!(
            "{:<44} {:>8} {:>12} {:>14} {:>9}",
            "MySQL wire (mysql_async) vs HTTP and PostgreSQL",
            "clients",
            "ops/s",
            "avg latency µs",
            "vs HTTP"
        );
        for &clients in &args.pg_clients {
            for (operation, name) in [
                (pg_load::Operation::PointSelect, "point select"),
                (pg_load::Operation::Insert, "single-row insert"),
            ] {
                let http = runtime.block_on(pg_load::http(
                    &ha_bin, operation, clients, duration, args.rows,
                ))?;
                let average = |f: &Figure| {
                    f.latencies_us.iter().sum::<u64>() as f64 / f.latencies_us.len().max(1) as f64
                };
                println!(
                    "{:<44} {:>8} {:>12.0} {:>14.0} {:>9}",
                    format!("HTTP {name}"),
                    clients,
                    http.per_second(),
                    average(&http),
                    "-"
                );
                let pg = runtime.block_on(pg_load::pgbench(
                    &ha_bin, operation, "prepared", clients, duration, args.rows,
                ))?;
                println!(
                    "{:<44} {:>8} {:>12.0} {:>14.0} {:>8.2}x",
                    format!("PostgreSQL (pgbench -M prepared) {name}"),
                    clients,
                    pg.tps,
                    pg.latency_ms * 1000.0,
                    pg.tps / http.per_second()
                );
                for (prepared, mode) in [(true, "prepared"), (false, "text")] {
                    let mysql = runtime.block_on(mysql_load::drive(
                        &ha_bin, operation, prepared, clients, duration, args.rows,
                    ))?;
                    println!(
                        "{:<44} {:>8} {:>12.0} {:>14.0} {:>8.2}x",
                        format!("MySQL ({mode}) {name}"),
                        clients,
                        mysql.per_second(),
                        average(&mysql),
                        mysql.per_second() / http.per_second()
                    );
                }
            }
        }
    }
    Ok(())
}

/// Issue 16's aims: each figure, its baseline of the same run, the ratio and the aim. Returns
/// the replica's figures it measured for the last aim.
fn print_speed(
    runtime: &tokio::runtime::Runtime,
    ha_bin: &std::path::Path,
    args: &Args,
    duration: Duration,
) -> anyhow::Result<replica::ReplicaFigures> {
    println!();
    println!(
        "{:<48} {:>8} {:>12} {:>10} {:>9} {:>6}",
        "issue 16 (h2load --h1; pgbench)", "clients", "ops/s", "mean µs", "vs base", "aim"
    );
    let rounds = args.rounds.max(1);
    if rounds > 1 {
        println!("({rounds} rounds of every case, in turn; each figure is the rounds' mean)");
    }
    let row = |case: &str,
               clients: usize,
               figure: &h2load::LoadFigure,
               base: Option<(&h2load::LoadFigure, &str)>| {
        let (ratio, aim) = base.map_or(("-".to_string(), ""), |(base, aim)| {
            (
                format!("{:.1}%", 100.0 * figure.per_second / base.per_second),
                aim,
            )
        });
        println!(
            "{:<48} {:>8} {:>12.0} {:>10.0} {:>9} {:>6}",
            case, clients, figure.per_second, figure.mean_us, ratio, aim
        );
    };
    let reads = runtime.block_on(speed::reads(ha_bin, 16, duration, rounds))?;
    row("GET /healthz (base)", 16, &reads.healthz, None);
    row(
        "HTTP point select",
        16,
        &reads.point_select,
        Some((&reads.healthz, "70%")),
    );
    let writes = runtime.block_on(speed::writes(ha_bin, 16, duration, rounds))?;
    row(
        "insert tx, replication off (base)",
        16,
        &writes.standalone,
        None,
    );
    row(
        "insert tx, replicated, 1 node, one message per tx",
        16,
        &writes.one_node_ungrouped,
        Some((&writes.standalone, "")),
    );
    row(
        "insert tx, replicated, 1 node",
        16,
        &writes.one_node,
        Some((&writes.standalone, "60%")),
    );
    row(
        "insert tx, replicated, 3 nodes",
        16,
        &writes.three_nodes,
        Some((&writes.standalone, "50%")),
    );
    let cpu = |figure: &cpu::CpuPerOp| {
        // Several nodes: each one too, the node written to first (the others apply).
        let each = if figure.each_node_us.len() > 1 {
            let parts: Vec<String> = figure
                .each_node_us
                .iter()
                .map(|us| format!("{us:.1}"))
                .collect();
            format!(" ({})", parts.join(" + "))
        } else {
            String::new()
        };
        let switches: Vec<String> = figure
            .each_node_switches
            .iter()
            .map(|n| format!("{n:.2}"))
            .collect();
        format!(
            "nodes {:.1}{each}, broker {:.1}, h2load {:.1}; thread switches per insert: nodes {}, broker {:.2}",
            figure.nodes_us(),
            figure.broker_us,
            figure.client_us,
            switches.join(" + "),
            figure.broker_switches
        )
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "CPU µs per insert at 16 connections, and the share of replication off that {cores} cores busy with that cost allow:"
    );
    println!("  replication off: {}", cpu(&writes.standalone_cpu));
    for (case, figure) in [
        ("replicated, 1 node", &writes.one_node_cpu),
        ("replicated, 3 nodes", &writes.three_nodes_cpu),
    ] {
        println!(
            "  {case}: {} -> at most {:.1}%",
            cpu(figure),
            100.0 * writes.cpu_ceiling(figure, cores)
        );
    }
    println!(
        "one connection, mean µs per insert: replication off {:.0}, replicated on 1 node {:.0} \
         (16 connections each waiting at least that: at most {:.1}% of replication off)",
        writes.standalone_alone.mean_us,
        writes.one_node_alone.mean_us,
        100.0 * (16.0 * 1e6 / writes.one_node_alone.mean_us) / writes.standalone.per_second
    );
    println!(
        "lag, ack on node 1 -> visible on node 3, under that load: {} samples, p50 {} µs, p99 {} µs (aim: p99 < 10 ms)",
        writes.lag.latencies_us.len(),
        writes.lag.percentile_us(0.5),
        writes.lag.percentile_us(0.99)
    );
    let pg = |operation, mode| {
        runtime.block_on(pg_load::pgbench(
            ha_bin, operation, mode, 8, duration, args.rows,
        ))
    };
    let (mut floors, mut simples, mut prepareds) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        floors.push(pg(pg_load::Operation::Floor, "simple")?);
        simples.push(pg(pg_load::Operation::PointSelect, "simple")?);
        prepareds.push(pg(pg_load::Operation::PointSelect, "prepared")?);
    }
    let floor = pg_load::PgFigure::mean(&floors);
    let simple = pg_load::PgFigure::mean(&simples);
    let prepared = pg_load::PgFigure::mean(&prepareds);
    let pg_row = |case: &str, figure: &pg_load::PgFigure, aim: &str| {
        println!(
            "{:<48} {:>8} {:>12.0} {:>10.0} {:>9} {:>6}",
            case,
            8,
            figure.tps,
            figure.latency_ms * 1000.0,
            format!("{:.1}%", 100.0 * figure.tps / floor.tps),
            aim
        );
    };
    pg_row("pgbench -M simple SHOW (base)", &floor, "");
    pg_row("pgbench -M simple point select", &simple, "70%");
    pg_row("pgbench -M prepared point select", &prepared, ">= simple");
    // The fifth aim (issue 7's in-process replica), so that one run prints them all.
    let replica = runtime.block_on(replica::point_reads(ha_bin, duration, args.rows))?;
    let replica_row = |case: &str, figure: &Figure, aim: &str| {
        println!(
            "{:<48} {:>8} {:>12.0} {:>10.1} {:>9} {:>6}",
            case,
            1,
            figure.per_second(),
            // One client in a closed loop: the mean latency is the inverse of the rate.
            1e6 / figure.per_second(),
            format!(
                "{:.1}%",
                100.0 * figure.per_second() / replica.raw.per_second()
            ),
            aim
        );
    };
    replica_row("rusqlite point select, same file (base)", &replica.raw, "");
    replica_row(
        "in-process replica point select (ha-client)",
        &replica.replica,
        "50%",
    );
    replica_row(
        "in-process replica point select (ha-ffi)",
        &replica.blocking,
        "50%",
    );
    Ok(replica)
}

/// A row whose ratio is a multiple of its baseline's throughput.
fn print_ratio_row(case: &str, clients: usize, figure: &Figure, baseline: &Figure) {
    println!(
        "{:<34} {:>8} {:>12.0} {:>10} {:>10} {:>8.2}x",
        case,
        clients,
        figure.per_second(),
        figure.percentile_us(0.5),
        figure.percentile_us(0.99),
        figure.per_second() / baseline.per_second()
    );
}

fn print_row(case: &str, clients: usize, figure: &Figure, baseline: Option<&Figure>) {
    let ratio = baseline.map_or_else(
        || "-".to_string(),
        |b| format!("{:.1}%", 100.0 * figure.per_second() / b.per_second()),
    );
    println!(
        "{:<34} {:>8} {:>12.0} {:>10} {:>10} {:>9}",
        case,
        clients,
        figure.per_second(),
        figure.percentile_us(0.5),
        figure.percentile_us(0.99),
        ratio
    );
}
