//! Load through the PostgreSQL wire protocol with the real `pgbench` (custom scripts, `-n -f`):
//! point selects and single-row updates on a preloaded table, in pgbench's simple and
//! prepared query modes. The same operations over HTTP are the baseline of the same run.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use ha_test_harness::{NodeBuilder, TestNode, free_port};
use serde_json::json;

use crate::Figure;
use crate::http_load::drive;

/// What one pgbench run measured.
pub struct PgFigure {
    pub tps: f64,
    pub latency_ms: f64,
}

impl PgFigure {
    /// The mean of runs of equal length.
    pub fn mean(runs: &[PgFigure]) -> PgFigure {
        PgFigure {
            tps: crate::mean_by(runs, |r| r.tps),
            latency_ms: crate::mean_by(runs, |r| r.latency_ms),
        }
    }
}

/// A node with a file database of `rows` rows, serving HTTP and PostgreSQL (and MySQL on
/// `mysql_port`, when given).
pub(crate) async fn node_with(
    bin: &Path,
    rows: i64,
    mysql_port: Option<u16>,
) -> anyhow::Result<TestNode> {
    let port = free_port()?.to_string();
    let mut args = vec!["file:bench.db".to_string(), "--pg-port".into(), port];
    if let Some(mysql) = mysql_port {
        args.extend(["--mysql-port".into(), mysql.to_string()]);
    }
    let node = NodeBuilder::new(bin).args(args).start().await?;
    node.sql("CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
        .await?;
    let (status, answer) = node
        .post(
            "/query",
            &json!({"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?) \
                            INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c",
                    "params": [rows]}),
        )
        .await?;
    if status != 200 {
        bail!("preloading failed: {answer}");
    }
    Ok(node)
}

async fn node(bin: &Path, rows: i64) -> anyhow::Result<TestNode> {
    node_with(bin, rows, None).await
}

/// The two operations, as pgbench scripts and as HTTP bodies.
#[derive(Clone, Copy, Debug)]
pub enum Operation {
    PointSelect,
    Update,
    /// A single-row INSERT (autocommit).
    Insert,
    /// `SHOW server_version`: answered by the front end without the database (the floor of
    /// the protocol path, as `GET /healthz` is HTTP's).
    Floor,
}

impl Operation {
    fn script(self) -> &'static str {
        match self {
            Operation::PointSelect => {
                "\\set id random(1, :rows)\nSELECT name FROM bench WHERE id = :id;\n"
            }
            Operation::Update => {
                "\\set id random(1, :rows)\nUPDATE bench SET n = n + 1 WHERE id = :id;\n"
            }
            Operation::Insert => "INSERT INTO bench(name, n) VALUES ('new', 1);\n",
            Operation::Floor => "SHOW server_version;\n",
        }
    }

    fn http_body(self, i: u64, rows: i64) -> serde_json::Value {
        let id = 1 + (i as i64 * 7919) % rows;
        match self {
            Operation::PointSelect => {
                json!({"sql": "SELECT name FROM bench WHERE id = ?", "params": [id]})
            }
            Operation::Update => {
                json!({"sql": "UPDATE bench SET n = n + 1 WHERE id = ?", "params": [id]})
            }
            Operation::Insert => {
                json!({"sql": "INSERT INTO bench(name, n) VALUES ('new', ?)", "params": [id]})
            }
            Operation::Floor => json!({"sql": "SELECT 1"}),
        }
    }
}

/// `pgbench -n -f script -M mode -c clients -T seconds` against a fresh node.
pub async fn pgbench(
    bin: &Path,
    operation: Operation,
    mode: &str,
    clients: usize,
    duration: Duration,
    rows: i64,
) -> anyhow::Result<PgFigure> {
    let node = node(bin, rows).await?;
    let addr = node.pg_addr.context("the node serves no PostgreSQL")?;
    let dir = tempfile::tempdir()?;
    let script = dir.path().join("script.sql");
    std::fs::write(&script, operation.script())?;
    let output = tokio::process::Command::new("pgbench")
        .env("PGPASSWORD", "ha")
        .args([
            "-n",
            "-h",
            &addr.ip().to_string(),
            "-p",
            &addr.port().to_string(),
        ])
        .args(["-U", "ha", "-M", mode, "-c", &clients.to_string()])
        .args(["-j", &clients.min(2).to_string()])
        .args(["-T", &duration.as_secs().max(1).to_string()])
        .args(["-D", &format!("rows={rows}")])
        .arg("-f")
        .arg(&script)
        .arg("ha")
        .output()
        .await
        .context("running pgbench (Debian package postgresql-contrib or postgresql-client)")?;
    let _ = node.stop().await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let number_after = |prefix: &str| -> Option<f64> {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
    };
    Ok(PgFigure {
        tps: number_after("tps = ").context("no tps in pgbench's output")?,
        latency_ms: number_after("latency average = ").unwrap_or(f64::NAN),
    })
}

/// The same operation over HTTP (one keep-alive connection per client).
pub async fn http(
    bin: &Path,
    operation: Operation,
    clients: usize,
    duration: Duration,
    rows: i64,
) -> anyhow::Result<Figure> {
    let node = Arc::new(node(bin, rows).await?);
    let figure = drive(&node, clients, duration, move |i| {
        operation.http_body(i, rows)
    })
    .await;
    if let Ok(node) = Arc::try_unwrap(node) {
        let _ = node.stop().await;
    }
    figure
}
