//! One checked run: a broker, three nodes, the schema, the seeded workload with one fault
//! injected in its middle, settling, then every check. Prints one `checker:` summary line
//! (scripts/soak collects them) and panics with the seed and the details on any violation.

use std::time::{Duration, Instant};

use ha_test_harness::{NatsCluster, NatsServer};
use serde_json::{Value, json};

use super::broker::{Broker, subject};
use super::dump::{self, Dump};
use super::nodes::Nodes;
use super::workload::{self, Features, Outcome, Write};
use super::{checks, log, settle};

/// The fault injected while the writers run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Nemesis {
    Nothing,
    /// SIGKILL of node i (0-based) on its file database, restarted on the same directory.
    KillNode(usize),
    /// SIGSTOP of node i, SIGCONT later.
    PauseNode(usize),
    /// SIGKILL of the (single, external) broker, restarted on the same store.
    KillBroker,
    /// A ~3 MiB transaction on node 1 through a broker at NATS's default 1 MiB max payload.
    BigTransaction,
    /// SIGKILL of the server leading the stream in a 3-server cluster (`--replicas 3`).
    KillStreamLeader,
    /// A snapshot taken on node 1 mid-load; node i is SIGKILLed, its database files deleted,
    /// and it starts again with `--from-latest-snapshot` (a failed node replaced from the
    /// snapshot while the others keep writing).
    RestoreFromSnapshot(usize),
}

enum Brokers {
    Single(Box<NatsServer>),
    Cluster(NatsCluster),
}

impl Brokers {
    fn url(&self) -> String {
        match self {
            Brokers::Single(s) => s.url(),
            Brokers::Cluster(c) => c.url(),
        }
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The default database's id and subject.
const DATABASE: &str = "ha.db";

/// Rows and size of the big transaction: 30 statements of 100 rows of 1 KiB text.
const BIG_STATEMENTS: i64 = 30;
const BIG_ROWS: i64 = 100;

fn big_transaction(token: &str) -> Value {
    let mut statements: Vec<Value> = (0..BIG_STATEMENTS)
        .map(|s| {
            json!({"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) \
                           INSERT INTO big(id, token, pad) SELECT ? + x, ?, hex(randomblob(512)) FROM c",
                   "params": [BIG_ROWS, s * BIG_ROWS, token]})
        })
        .collect();
    statements.push(json!({"sql": "INSERT INTO acked(token, node, kind) VALUES (?, 1, 'big')", "params": [token]}));
    Value::Array(statements)
}

/// Runs the scenario; panics with a report on any violation.
pub async fn check(name: &'static str, nemesis: Nemesis) {
    let seed = env_u64("IT_CHECKER_SEED", 1);
    let secs = env_u64("IT_CHECKER_SECS", 6);
    let settle_timeout = Duration::from_secs(env_u64("IT_CHECKER_SETTLE_SECS", 40));
    let features = Features::from_env();
    let started = Instant::now();

    let mut brokers = if nemesis == Nemesis::KillStreamLeader {
        Brokers::Cluster(
            NatsCluster::start(3)
                .await
                .expect("a 3-server NATS cluster"),
        )
    } else {
        Brokers::Single(Box::new(
            NatsServer::start(None)
                .await
                .expect("nats-server starts (scripts/nats.sh)"),
        ))
    };
    let url = brokers.url();
    let extra: &[&str] = if nemesis == Nemesis::KillStreamLeader {
        &["--replicas=3"]
    } else {
        &[]
    };
    let urls: Vec<String> = url.split(',').map(String::from).collect();
    let mut nodes = Nodes::start(3, &urls, extra).await;
    let broker = Broker::connect(&url)
        .await
        .expect("the checker reaches the broker");
    let subject = subject(DATABASE);
    for sql in workload::SCHEMA {
        nodes
            .node(0)
            .sql(sql)
            .await
            .unwrap_or_else(|e| panic!("schema: {e}"));
    }
    let mut report = Report {
        name,
        seed,
        nemesis: Some(nemesis),
        ..Report::default()
    };
    if let Err(e) = settle::settle(&nodes.all(), &broker, &subject, settle_timeout).await {
        report.fail(format!("the schema did not settle: {e}"));
        report.finish(&nodes, started);
    }

    // An in-process replica (ha-client) follows the cluster through the whole run, passively:
    // at the end it must hold what the nodes hold.
    let replica_dir = tempfile::tempdir().expect("a replica directory");
    let replica = ha_client::Client::open(
        &format!(
            "file:{}?replication_url={url}&node=replica",
            replica_dir.path().join("ha.db").display()
        ),
        ha_client::ClientOptions::default(),
    )
    .await
    .expect("a replica opens");

    // The workload, with the fault in its middle.
    let run_for = Duration::from_secs(secs);
    let begin = Instant::now();
    let until = begin + run_for;
    let targets = nodes.targets.clone();
    let writers = tokio::spawn(async move { workload::run(&targets, seed, until, features).await });
    let at = |fraction: f64| tokio::time::sleep_until((begin + run_for.mul_f64(fraction)).into());
    let mut extra_writes = Vec::new();
    at(0.33).await;
    match nemesis {
        Nemesis::Nothing => {}
        Nemesis::KillNode(i) => {
            nodes.kill(i).await;
            report.faults.push(format!("SIGKILL node{}", i + 1));
            at(0.5).await;
            nodes.restart(i).await;
        }
        Nemesis::RestoreFromSnapshot(i) => {
            let snapshot = reqwest::Client::new()
                .post(nodes.node(0).url("/snapshot"))
                .send()
                .await
                .expect("POST /snapshot");
            let status = snapshot.status();
            let body = snapshot.text().await.unwrap_or_default();
            assert_eq!(status.as_u16(), 201, "POST /snapshot on node1: {body}");
            report.faults.push(format!("snapshot on node1: {body}"));
            nodes.kill(i).await;
            nodes.delete_database_files(i);
            report
                .faults
                .push(format!("SIGKILL node{}, its database deleted", i + 1));
            at(0.5).await;
            nodes.restart_with(i, &["--from-latest-snapshot"]).await;
            let restored = nodes
                .node(i)
                .logs()
                .iter()
                .any(|l| l.contains("restored from the latest snapshot"));
            if !restored {
                report.fail(format!("node{} did not restore from the snapshot", i + 1));
            }
        }
        Nemesis::PauseNode(i) => {
            nodes.node(i).pause().expect("SIGSTOP");
            report.faults.push(format!("SIGSTOP node{}", i + 1));
            at(0.66).await;
            nodes.node(i).resume().expect("SIGCONT");
        }
        Nemesis::KillBroker => {
            if let Brokers::Single(server) = &mut brokers {
                server.kill().await.expect("SIGKILL of nats-server");
                report.faults.push("SIGKILL broker".into());
                at(0.5).await;
                server
                    .restart()
                    .await
                    .expect("nats-server restarts on its store");
            }
        }
        Nemesis::BigTransaction => {
            let token = format!("s{seed}-big");
            let client = reqwest::Client::new();
            let target = nodes.targets[0]
                .read()
                .map(|u| u.clone())
                .unwrap_or_default();
            let outcome = workload::post(&client, &target, &big_transaction(&token)).await;
            report
                .faults
                .push(format!("3 MiB transaction on node1: {outcome:?}"));
            extra_writes.push(Write {
                token,
                node: 1,
                kind: "big",
                outcome,
            });
        }
        Nemesis::KillStreamLeader => {
            if let Brokers::Cluster(cluster) = &mut brokers {
                let leader = broker.stream_leader().await.ok().flatten();
                match leader.as_deref().and_then(|l| cluster.by_name(l)) {
                    Some(server) => {
                        server.kill().await.expect("SIGKILL of the stream leader");
                        report
                            .faults
                            .push(format!("SIGKILL stream leader {}", server.name()));
                        at(0.66).await;
                        server
                            .restart()
                            .await
                            .expect("the old leader restarts on its store");
                    }
                    None => report.fail(format!("no stream leader found: {leader:?}")),
                }
            }
        }
    }
    let mut writes = writers.await.expect("the workload panicked");
    writes.extend(extra_writes);
    report.count(&writes);

    // Settle, then compare and check. A write answered replication_pending is still in its
    // node's outbox: settled nodes with such a write missing from the stream wait for the
    // broker's last sequence to move (bounded), then settle again.
    let deadline = Instant::now() + settle_timeout;
    let last = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let last = match settle::settle(&nodes.all(), &broker, &subject, remaining).await {
            Ok(last) => last,
            Err(e) => {
                report.fail(e);
                break broker.last_seq(&subject).await.unwrap_or(0);
            }
        };
        let entries = broker
            .read(&subject, last)
            .await
            .expect("reading the stream");
        let stored = log::tokens(&log::logical_sets(&entries).0);
        let missing: Vec<&str> = writes
            .iter()
            .filter(|w| w.acked() && !stored.contains(w.token.as_str()))
            .map(|w| w.token.as_str())
            .collect();
        if missing.is_empty() {
            break last;
        }
        let moved = async {
            while broker.last_seq(&subject).await.unwrap_or(0) <= last {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        if tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), moved)
            .await
            .is_err()
        {
            report.fail(format!(
                "settled at seq {last}, but {} acknowledged writes were still not in the stream \
                 {settle_timeout:?} after the workload: {:?}",
                missing.len(),
                &missing[..missing.len().min(10)]
            ));
            break last;
        }
    };
    report.last_seq = last;
    let mut dumps = Vec::new();
    for node in nodes.all() {
        dumps.push(Dump::of(node).await.expect("a dump"));
    }
    for (i, other) in dumps.iter().enumerate().skip(1) {
        let lines = dump::diff("node1", &dumps[0], &format!("node{}", i + 1), other);
        if !lines.is_empty() {
            report.divergences += 1;
            report.fail(format!(
                "node1 and node{} differ:\n{}",
                i + 1,
                lines.join("\n")
            ));
        }
    }
    // The replica: caught up with the stream's last entry, then dumped like a node.
    let caught_up = async {
        while replica.status().applied_seq < last {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    if tokio::time::timeout(settle_timeout, caught_up)
        .await
        .is_err()
    {
        report.fail(format!(
            "the replica did not reach seq {last} ({:?})",
            replica.status()
        ));
    } else {
        let dump = Dump::of_source(dump::Source::Replica(&replica))
            .await
            .expect("a replica dump");
        let lines = dump::diff("node1", &dumps[0], "the replica", &dump);
        if !lines.is_empty() {
            report.divergences += 1;
            report.fail(format!(
                "node1 and the replica differ:\n{}",
                lines.join("\n")
            ));
        }
    }
    let _ = replica.close().await;
    let entries = broker
        .read(&subject, last)
        .await
        .expect("reading the stream");
    // IT_CHECKER_STREAM=<file> keeps the stream as read (one JSON line per message), to study
    // a failure.
    if let Ok(path) = std::env::var("IT_CHECKER_STREAM") {
        let lines: Vec<String> = entries
            .iter()
            .map(|e| match &e.set {
                Ok(set) => format!("{} {set}", e.seq),
                Err(text) => format!("{} !{text}", e.seq),
            })
            .collect();
        let _ = std::fs::write(path, lines.join("\n"));
    }
    let (sets, problems) = log::logical_sets(&entries);
    for problem in problems {
        report.fail(problem);
    }
    report.sets = sets.len();
    // Every check below sees the change sets in the order nodes must apply them.
    let (sets, order_notes, order_problems) = log::in_applied_order(sets);
    if order_problems.is_empty() && order_notes.is_empty() {
        report
            .notes
            .push("per-origin order: the stream holds each origin's ids once, in order".into());
    }
    if !order_notes.is_empty() {
        report.notes.push(format!(
            "per-origin order: {} sets stored out of turn or again, applied in commit order: {}",
            order_notes.len(),
            order_notes
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    for problem in order_problems {
        report.fail(format!("per-origin order broken: {problem}"));
    }
    let findings = checks::run(&writes, &dumps[0], &sets);
    report.lost = writes
        .iter()
        .filter(|w| {
            w.acked()
                && !dumps[0]
                    .column("acked", "token")
                    .contains(&&Value::from(w.token.as_str()))
        })
        .count();
    if let Some(big) = writes.iter().find(|w| w.kind == "big" && w.acked()) {
        let rows = dumps[0]
            .column("big", "token")
            .iter()
            .filter(|t| **t == big.token.as_str())
            .count() as i64;
        if rows != BIG_STATEMENTS * BIG_ROWS {
            report.fail(format!(
                "the big transaction was acknowledged but {rows} of its {} rows are there",
                BIG_STATEMENTS * BIG_ROWS
            ));
        }
    }
    report.notes.extend(findings.notes);
    for violation in findings.violations {
        report.fail(violation);
    }
    report.finish(&nodes, started);
}

#[derive(Default)]
struct Report {
    name: &'static str,
    seed: u64,
    nemesis: Option<Nemesis>,
    faults: Vec<String>,
    writes: usize,
    acked: usize,
    pending: usize,
    failed: usize,
    unknown: usize,
    not_sent: usize,
    sets: usize,
    last_seq: u64,
    lost: usize,
    divergences: usize,
    notes: Vec<String>,
    violations: Vec<String>,
}

impl Report {
    fn fail(&mut self, what: String) {
        self.violations.push(what);
    }

    fn count(&mut self, writes: &[Write]) {
        self.writes = writes.len();
        for w in writes {
            match &w.outcome {
                Outcome::Acked { pending, .. } => {
                    self.acked += 1;
                    self.pending += usize::from(*pending);
                }
                Outcome::Failed { .. } => self.failed += 1,
                Outcome::Unknown(_) => self.unknown += 1,
                Outcome::NotSent => self.not_sent += 1,
            }
        }
    }

    /// Prints the summary line (and details), and panics when anything was violated.
    fn finish(&self, nodes: &Nodes, started: Instant) {
        let status = if self.violations.is_empty() {
            "pass"
        } else {
            "FAIL"
        };
        eprintln!(
            "checker: test={} seed={} status={status} writes={} acked={} pending={} refused={} unknown={} not_sent={} \
             change_sets={} last_seq={} faults={} lost={} divergences={} violations={} secs={:.1}",
            self.name,
            self.seed,
            self.writes,
            self.acked,
            self.pending,
            self.failed,
            self.unknown,
            self.not_sent,
            self.sets,
            self.last_seq,
            self.faults.len(),
            self.lost,
            self.divergences,
            self.violations.len(),
            started.elapsed().as_secs_f64()
        );
        for fault in &self.faults {
            eprintln!("  fault: {fault}");
        }
        for note in &self.notes {
            eprintln!("  note: {note}");
        }
        if self.violations.is_empty() {
            return;
        }
        let lines = std::env::var("IT_CHECKER_LOG_LINES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let logs = if lines > 0 {
            nodes.tail_logs(lines)
        } else {
            String::new()
        };
        panic!(
            "{} ({:?}) failed with seed {} (rerun: IT_CHECKER_SEED={} cargo test -p ha --test it {}; \
             IT_CHECKER_LOG_LINES=50 adds node logs):\n- {}\n{logs}",
            self.name,
            self.nemesis,
            self.seed,
            self.seed,
            self.name,
            self.violations.join("\n- ")
        );
    }
}
