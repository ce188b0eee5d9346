//! Issue 16's aims, each against its baseline in the same run, with one load generator for
//! every HTTP case (`h2load --h1`, C, one thread) so the client's cost is the same on both
//! sides of a ratio: point selects against `GET /healthz` on the same node; acknowledged
//! replicated writes (1 node with the embedded broker, and 3 nodes) against the same writes
//! with replication off; the lag from an acknowledged write on node 1 to its visibility on
//! node 3 while those writes saturate node 1.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ha_test_harness::{NodeBuilder, TestNode};
use serde_json::json;

use crate::Figure;
use crate::cpu::{CpuMeter, CpuPerOp};
use crate::h2load::{LoadFigure, h2load};

use crate::replication::TABLE;

const LAG_TABLE: &str = "CREATE TABLE lag(id INTEGER PRIMARY KEY)";

pub struct ReadFigures {
    pub healthz: LoadFigure,
    pub point_select: LoadFigure,
}

pub struct WriteFigures {
    pub standalone: LoadFigure,
    /// One message per transaction (`--replication-group 1`): how the node published before
    /// it grouped them.
    pub one_node_ungrouped: LoadFigure,
    pub one_node: LoadFigure,
    pub three_nodes: LoadFigure,
    /// Ack on node 1 → visible on node 3, sampled while `three_nodes` ran.
    pub lag: Figure,
    /// One connection, replication off and on one node: the time replication adds to a write
    /// that no queue and no other client delays (the ceiling of the ratio at more clients).
    pub standalone_alone: LoadFigure,
    pub one_node_alone: LoadFigure,
    /// What each write cost the node, its broker and the load generator at `clients`.
    pub standalone_cpu: CpuPerOp,
    pub one_node_cpu: CpuPerOp,
    /// The three nodes together, while `three_nodes` ran (the lag sampler's few writes too).
    pub three_nodes_cpu: CpuPerOp,
}

impl WriteFigures {
    /// The most replicated writes costing `cpu` could reach if bound by CPU alone, as a share
    /// of the replication-off writes: `cores` busy with what each write cost (nodes, broker and
    /// load generator together) in this run.
    pub fn cpu_ceiling(&self, cpu: &CpuPerOp, cores: usize) -> f64 {
        let writes_per_second = cores as f64 * 1e6 / cpu.total_us();
        writes_per_second / self.standalone.per_second
    }
}

/// Bodies h2load sends, written once into a temporary directory.
struct Bodies {
    _dir: tempfile::TempDir,
    select: std::path::PathBuf,
    insert: std::path::PathBuf,
}

impl Bodies {
    fn new() -> anyhow::Result<Bodies> {
        let dir = tempfile::tempdir()?;
        let select = dir.path().join("select.json");
        std::fs::write(
            &select,
            json!({"sql": "SELECT name FROM bench WHERE id = ?", "params": [4242]}).to_string(),
        )?;
        let insert = dir.path().join("insert.json");
        std::fs::write(
            &insert,
            json!({"sql": "INSERT INTO bench(name, n) VALUES ('speed', 1)"}).to_string(),
        )?;
        Ok(Bodies {
            _dir: dir,
            select,
            insert,
        })
    }
}

const JSON: [&str; 1] = ["content-type: application/json"];

/// `POST /query` with `body` (a JSON file) at `clients` connections for `duration`.
fn json_load(
    node: &TestNode,
    body: &Path,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<LoadFigure> {
    h2load(
        &node.url("/query"),
        Some(body),
        &JSON,
        true,
        clients,
        duration,
    )
}

/// `GET /healthz` and point selects on one node, `rounds` times each, alternating.
pub async fn reads(
    bin: &Path,
    clients: usize,
    duration: Duration,
    rounds: usize,
) -> anyhow::Result<ReadFigures> {
    let bodies = Bodies::new()?;
    let node = NodeBuilder::new(bin)
        .args(["file:bench.db"])
        .start()
        .await?;
    node.sql(TABLE).await?;
    node.sql(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10000) \
         INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c",
    )
    .await?;
    let (mut healthz, mut point_select) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        healthz.push(h2load(
            &node.url("/healthz"),
            None,
            &[],
            true,
            clients,
            duration,
        )?);
        point_select.push(json_load(&node, &bodies.select, clients, duration)?);
    }
    let _ = node.stop().await;
    Ok(ReadFigures {
        healthz: LoadFigure::mean(&healthz),
        point_select: LoadFigure::mean(&point_select),
    })
}

/// Inserts at `clients` connections with replication off, on one replicated node (grouped and
/// one message per transaction) and on three nodes, `rounds` times each in turn on the same
/// nodes (the figures are the rounds' means), then once at one connection.
pub async fn writes(
    bin: &Path,
    clients: usize,
    duration: Duration,
    rounds: usize,
) -> anyhow::Result<WriteFigures> {
    let bodies = Bodies::new()?;
    let insert_with =
        |node: &TestNode, clients: usize| json_load(node, &bodies.insert, clients, duration);
    let insert = |node: &TestNode| insert_with(node, clients);
    let measured = |node: &TestNode| -> anyhow::Result<(LoadFigure, CpuPerOp)> {
        let meter = CpuMeter::start(&[node.pid().context("the node has exited")?])?;
        let figure = insert(node)?;
        let cpu = meter.per_op(figure.per_second * duration.as_secs_f64())?;
        Ok((figure, cpu))
    };

    let standalone_node = NodeBuilder::new(bin)
        .args(["file:bench.db"])
        .start()
        .await?;
    standalone_node.sql(TABLE).await?;
    let ungrouped = cluster(bin, 0, &["--replication-group", "1"]).await?;
    let one = cluster(bin, 0, &[]).await?;
    let three = cluster(bin, 2, &[]).await?;
    let mut runs = Runs::default();
    let mut lag_id = 0_i64;
    for _ in 0..rounds.max(1) {
        let (figure, cpu) = measured(&standalone_node)?;
        runs.standalone.push((figure, cpu));
        runs.one_node_ungrouped.push(insert(&ungrouped[0])?);
        runs.one_node.push(measured(&one[0])?);
        runs.three_nodes
            .push(three_nodes_round(&three, &mut lag_id, &bodies, clients, duration).await?);
    }
    let standalone_alone = insert_with(&standalone_node, 1)?;
    let one_node_alone = insert_with(&one[0], 1)?;
    let _ = standalone_node.stop().await;
    stop_all(ungrouped).await;
    stop_all(one).await;
    stop_all(three).await;
    let (standalone, standalone_cpu) = mean_of(runs.standalone);
    let (one_node, one_node_cpu) = mean_of(runs.one_node);
    let mut lags = Vec::new();
    let three_nodes = runs
        .three_nodes
        .into_iter()
        .map(|(figure, cpu, lag)| {
            lags.extend(lag.latencies_us);
            (figure, cpu)
        })
        .collect();
    let (three_nodes, three_nodes_cpu) = mean_of(three_nodes);
    Ok(WriteFigures {
        standalone,
        one_node_ungrouped: LoadFigure::mean(&runs.one_node_ungrouped),
        one_node,
        three_nodes,
        lag: Figure {
            ops: lags.len() as u64,
            elapsed: duration * rounds.max(1) as u32,
            latencies_us: lags,
        },
        standalone_alone,
        one_node_alone,
        standalone_cpu,
        one_node_cpu,
        three_nodes_cpu,
    })
}

/// Each round's figures, by case.
#[derive(Default)]
struct Runs {
    standalone: Vec<(LoadFigure, CpuPerOp)>,
    one_node_ungrouped: Vec<LoadFigure>,
    one_node: Vec<(LoadFigure, CpuPerOp)>,
    three_nodes: Vec<(LoadFigure, CpuPerOp, Figure)>,
}

fn mean_of(runs: Vec<(LoadFigure, CpuPerOp)>) -> (LoadFigure, CpuPerOp) {
    let (figures, cpus): (Vec<LoadFigure>, Vec<CpuPerOp>) = runs.into_iter().unzip();
    (LoadFigure::mean(&figures), CpuPerOp::mean(&cpus))
}

/// Inserts on node 1 of `three`, with the lag to node 3 sampled meanwhile.
async fn three_nodes_round(
    three: &[Arc<TestNode>],
    lag_id: &mut i64,
    bodies: &Bodies,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(LoadFigure, CpuPerOp, Figure)> {
    let url = three[0].url("/query");
    let insert_body = bodies.insert.clone();
    let pids = three
        .iter()
        .map(|node| node.pid().context("a node has exited"))
        .collect::<anyhow::Result<Vec<u32>>>()?;
    let meter = CpuMeter::start(&pids)?;
    // h2load blocks its thread; the lag is sampled meanwhile on this one.
    let load = std::thread::spawn(move || {
        h2load(&url, Some(&insert_body), &JSON, true, clients, duration)
    });
    let lag = lag_while(&three[0], &three[2], lag_id, || load.is_finished()).await?;
    let figure = load
        .join()
        .map_err(|_| anyhow::anyhow!("the load thread panicked"))??;
    let cpu = meter.per_op(figure.per_second * duration.as_secs_f64())?;
    Ok((figure, cpu, lag))
}

/// One write at a time on `from` until `done`, each timed from its acknowledgement to its
/// visibility on `to` (polled over HTTP). `id`: the last row id written to `lag` so far.
async fn lag_while(
    from: &TestNode,
    to: &TestNode,
    id: &mut i64,
    done: impl Fn() -> bool,
) -> anyhow::Result<Figure> {
    let start = Instant::now();
    let mut latencies_us = Vec::new();
    while !done() {
        *id += 1;
        let id = *id;
        let (status, answer) = from
            .post(
                "/query",
                &json!({"sql": "INSERT INTO lag(id) VALUES (?)", "params": [id]}),
            )
            .await?;
        if status != 200 {
            bail!("a lag write failed: {answer}");
        }
        let acked = Instant::now();
        wait_for(to, &format!("SELECT count(*) FROM lag WHERE id = {id}")).await?;
        latencies_us.push(acked.elapsed().as_micros() as u64);
    }
    Ok(Figure {
        ops: latencies_us.len() as u64,
        elapsed: start.elapsed(),
        latencies_us,
    })
}

/// Polls (every 200 µs) until `sql`, a count, answers at least 1.
async fn wait_for(node: &TestNode, sql: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, answer) = node.post("/query", &json!({ "sql": sql })).await?;
        if answer["rows"][0][0].as_i64().unwrap_or(0) >= 1 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{sql} found nothing within 60 s: {answer}");
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

/// The replication suite's cluster (node 1 with the embedded broker, `followers` more), with
/// the lag table on every node.
async fn cluster(
    bin: &Path,
    followers: usize,
    extra: &[&str],
) -> anyhow::Result<Vec<Arc<TestNode>>> {
    let nodes = crate::replication::cluster(bin, followers, extra).await?;
    nodes[0].sql(LAG_TABLE).await?;
    for node in &nodes[1..] {
        wait_for(
            node,
            "SELECT count(*) FROM sqlite_master WHERE name = 'lag'",
        )
        .await
        .context("a follower did not get the schema")?;
    }
    Ok(nodes.into_iter().map(Arc::new).collect())
}

async fn stop_all(nodes: Vec<Arc<TestNode>>) {
    for node in nodes.into_iter().rev() {
        if let Ok(node) = Arc::try_unwrap(node) {
            let _ = node.stop().await;
        }
    }
}
