//! CPU time of processes read from `/proc` (Linux): which process a run's cost goes to, per
//! operation, so a ratio's gap can be told apart from the machine's noise.

use std::time::Duration;

use anyhow::Context;

/// `/proc/<pid>/stat` counts in clock ticks, which Linux fixes at 100 per second for user
/// space (`USER_HZ`) on every architecture this runs on.
const TICKS_PER_SECOND: f64 = 100.0;

/// Fields of `/proc/<pid>/stat` after the command name (which may hold spaces and parentheses,
/// so the split is at the last `)`); index 0 is the state, field 3 of stat(5).
fn stat_fields(pid: &str) -> anyhow::Result<Vec<u64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("no command name in /proc/<pid>/stat")?;
    // The state is a letter: counted as 0 so that indices stay those of stat(5) minus 3.
    Ok(after_name
        .split_whitespace()
        .map(|field| field.parse().unwrap_or(0))
        .collect())
}

fn ticks(fields: &[u64], first: usize) -> Duration {
    // stat(5): utime is field 14 and stime 15 (cutime 16, cstime 17), counted from 1.
    let user = fields.get(first - 3).copied().unwrap_or(0);
    let system = fields.get(first - 2).copied().unwrap_or(0);
    Duration::from_secs_f64((user + system) as f64 / TICKS_PER_SECOND)
}

/// User and system time `pid` has used.
fn used(pid: u32) -> anyhow::Result<Duration> {
    Ok(ticks(&stat_fields(&pid.to_string())?, 14))
}

/// User and system time this process has used, all its threads.
pub fn this_process() -> anyhow::Result<Duration> {
    used(std::process::id())
}

/// User and system time of this process's children that ended and were waited for (a load
/// generator run to its end).
fn used_by_ended_children() -> anyhow::Result<Duration> {
    Ok(ticks(&stat_fields("self")?, 16))
}

/// Context switches of every thread of `pid` so far, voluntary or not (`/proc/<pid>/status`
/// counts only its first thread's): each is a sleep and a wake-up, which on a shared two-core
/// machine cost more than most of the work between them. Threads that ended are not counted.
fn switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
        .map(|status| {
            status
                .lines()
                .filter(|line| line.contains("ctxt_switches:"))
                .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

/// The processes whose parent is `pid` (a node's embedded broker).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            // stat(5) field 4, the parent's pid.
            stat_fields(&child.to_string())
                .is_ok_and(|fields| fields.get(1) == Some(&u64::from(pid)))
        })
        .collect()
}

/// CPU per operation of a run, in microseconds.
pub struct CpuPerOp {
    /// Each node, in the order given to [`CpuMeter::start`] (the one written to first).
    pub each_node_us: Vec<f64>,
    /// The nodes' child processes: the embedded `nats-server`.
    pub broker_us: f64,
    /// The load generator (a child of this process, run to its end within the measure).
    pub client_us: f64,
    /// Each node's thread switches per operation, in the order of `each_node_us`.
    pub each_node_switches: Vec<f64>,
    pub broker_switches: f64,
}

impl CpuPerOp {
    /// Every node measured, together.
    pub fn nodes_us(&self) -> f64 {
        self.each_node_us.iter().sum()
    }

    pub fn total_us(&self) -> f64 {
        self.nodes_us() + self.broker_us + self.client_us
    }

    /// The mean of measures of the same processes.
    pub fn mean(measures: &[CpuPerOp]) -> CpuPerOp {
        let nodes = measures.first().map_or(0, |m| m.each_node_us.len());
        CpuPerOp {
            each_node_us: (0..nodes)
                .map(|i| {
                    crate::mean_by(measures, |m| m.each_node_us.get(i).copied().unwrap_or(0.0))
                })
                .collect(),
            broker_us: crate::mean_by(measures, |m| m.broker_us),
            client_us: crate::mean_by(measures, |m| m.client_us),
            each_node_switches: (0..nodes)
                .map(|i| {
                    crate::mean_by(measures, |m| {
                        m.each_node_switches.get(i).copied().unwrap_or(0.0)
                    })
                })
                .collect(),
            broker_switches: crate::mean_by(measures, |m| m.broker_switches),
        }
    }
}

/// What nodes, their brokers and this process's ended children have used since it started.
pub struct CpuMeter {
    nodes: Vec<u32>,
    brokers: Vec<u32>,
    at_start: Reading,
}

/// CPU used so far: each node, the brokers together, this process's ended children; and the
/// nodes' and brokers' thread switches.
struct Reading {
    nodes: Vec<Duration>,
    brokers: Duration,
    clients: Duration,
    node_switches: Vec<u64>,
    broker_switches: u64,
}

impl CpuMeter {
    pub fn start(node_pids: &[u32]) -> anyhow::Result<CpuMeter> {
        let brokers: Vec<u32> = node_pids.iter().flat_map(|pid| children_of(*pid)).collect();
        let at_start = CpuMeter::read(node_pids, &brokers)?;
        Ok(CpuMeter {
            nodes: node_pids.to_vec(),
            brokers,
            at_start,
        })
    }

    fn read(nodes: &[u32], brokers: &[u32]) -> anyhow::Result<Reading> {
        let node_switches = nodes.iter().map(|pid| switches(*pid)).collect();
        let broker_switches = brokers.iter().map(|pid| switches(*pid)).sum();
        let nodes = nodes
            .iter()
            .map(|pid| used(*pid))
            .collect::<anyhow::Result<Vec<Duration>>>()?;
        let brokers = brokers
            .iter()
            .map(|pid| used(*pid).unwrap_or_default())
            .sum();
        Ok(Reading {
            nodes,
            brokers,
            clients: used_by_ended_children()?,
            node_switches,
            broker_switches,
        })
    }

    /// The CPU each side used per operation over `operations`.
    pub fn per_op(&self, operations: f64) -> anyhow::Result<CpuPerOp> {
        let now = CpuMeter::read(&self.nodes, &self.brokers)?;
        let per_op = |now: Duration, then: Duration| {
            now.saturating_sub(then).as_secs_f64() * 1e6 / operations.max(1.0)
        };
        Ok(CpuPerOp {
            each_node_us: now
                .nodes
                .iter()
                .zip(&self.at_start.nodes)
                .map(|(now, then)| per_op(*now, *then))
                .collect(),
            broker_us: per_op(now.brokers, self.at_start.brokers),
            client_us: per_op(now.clients, self.at_start.clients),
            each_node_switches: now
                .node_switches
                .iter()
                .zip(&self.at_start.node_switches)
                .map(|(now, then)| now.saturating_sub(*then) as f64 / operations.max(1.0))
                .collect(),
            broker_switches: now
                .broker_switches
                .saturating_sub(self.at_start.broker_switches) as f64
                / operations.max(1.0),
        })
    }
}
