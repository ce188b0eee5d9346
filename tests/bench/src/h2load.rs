//! One load generator for every HTTP door: nghttp2's `h2load` (C, one thread) sends the same
//! point select as HTTP/1.1 JSON, HTTP/2 JSON and gRPC, so the client's own cost is the same in
//! each case and the ratios compare the node's doors, not the Rust client libraries (reqwest
//! and tonic cost very differently per request on the cores they share with the node).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use ha_proto::v1;
use ha_test_harness::{NodeBuilder, TestNode};
use prost::Message;
use serde_json::json;

/// Requests per second and mean latency of one h2load run.
pub struct LoadFigure {
    pub per_second: f64,
    pub mean_us: f64,
}

impl LoadFigure {
    /// The mean of runs of equal length.
    pub fn mean(runs: &[LoadFigure]) -> LoadFigure {
        LoadFigure {
            per_second: crate::mean_by(runs, |r| r.per_second),
            mean_us: crate::mean_by(runs, |r| r.mean_us),
        }
    }
}

pub struct DoorFloors {
    pub healthz_h1: LoadFigure,
    pub healthz_h2: LoadFigure,
    pub json_h1: LoadFigure,
    pub json_h2: LoadFigure,
    pub grpc: LoadFigure,
    /// HTTP/1.1 JSON on a node started with `--inline-read-budget 0`: every read handed to the
    /// blocking pool (how reads ran before the budget).
    pub json_h1_pool: LoadFigure,
}

pub fn installed() -> bool {
    Command::new("h2load").arg("--version").output().is_ok()
}

const SELECT: &str = "SELECT name FROM bench WHERE id = ?";
const ID: i64 = 4242;

pub async fn compare(bin: &Path, clients: usize, duration: Duration) -> anyhow::Result<DoorFloors> {
    let dir = tempfile::tempdir()?;
    let json_body = dir.path().join("select.json");
    std::fs::write(
        &json_body,
        json!({"sql": SELECT, "params": [ID]}).to_string(),
    )?;
    let grpc_body = dir.path().join("select.grpc");
    std::fs::write(&grpc_body, grpc_frame(&select_request()))?;
    let json_headers = ["content-type: application/json"];
    let grpc_headers = ["content-type: application/grpc", "te: trailers"];

    let node = bench_node(bin, &[]).await?;
    check_grpc_answers(&node).await?;
    let run = |path: &str, body: Option<&Path>, headers: &[&str], h1: bool| {
        h2load(&node.url(path), body, headers, h1, clients, duration)
    };
    let healthz_h1 = run("/healthz", None, &[], true)?;
    let healthz_h2 = run("/healthz", None, &[], false)?;
    let json_h1 = run("/query", Some(&json_body), &json_headers, true)?;
    let json_h2 = run("/query", Some(&json_body), &json_headers, false)?;
    let grpc = run(
        "/ha.v1.Database/Execute",
        Some(&grpc_body),
        &grpc_headers,
        false,
    )?;
    stop(node).await;

    let pool_node = bench_node(bin, &["--inline-read-budget", "0"]).await?;
    let json_h1_pool = h2load(
        &pool_node.url("/query"),
        Some(&json_body),
        &json_headers,
        true,
        clients,
        duration,
    )?;
    stop(pool_node).await;
    Ok(DoorFloors {
        healthz_h1,
        healthz_h2,
        json_h1,
        json_h2,
        grpc,
        json_h1_pool,
    })
}

async fn bench_node(bin: &Path, extra: &[&str]) -> anyhow::Result<Arc<TestNode>> {
    let mut args = vec!["file:bench.db"];
    args.extend_from_slice(extra);
    let node = Arc::new(NodeBuilder::new(bin).args(args).start().await?);
    node.sql("CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
        .await?;
    node.post(
        "/query",
        &json!({"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10000) \
                        INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c"}),
    )
    .await?;
    Ok(node)
}

async fn stop(node: Arc<TestNode>) {
    if let Ok(node) = Arc::try_unwrap(node) {
        let _ = node.stop().await;
    }
}

fn select_request() -> v1::ExecuteRequest {
    v1::ExecuteRequest {
        database: String::new(),
        statements: vec![v1::Statement {
            sql: SELECT.into(),
            params: vec![v1::Value {
                kind: Some(v1::value::Kind::Integer(ID)),
            }],
            named_params: Default::default(),
        }],
        min_seq: None,
    }
}

/// A gRPC message on the wire: not compressed (0), its length (big-endian u32), the bytes.
fn grpc_frame(request: &v1::ExecuteRequest) -> Vec<u8> {
    let message = request.encode_to_vec();
    let mut frame = vec![0];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(&message);
    frame
}

/// h2load counts HTTP statuses only; a gRPC error is a 200 with a grpc-status trailer. So the
/// exact request is sent once through tonic first and must answer its row.
async fn check_grpc_answers(node: &TestNode) -> anyhow::Result<()> {
    let mut client =
        v1::database_client::DatabaseClient::connect(format!("http://{}", node.http_addr)).await?;
    let answer = client.execute(select_request()).await?.into_inner();
    let row = answer
        .results
        .first()
        .and_then(|result| result.rows.first())
        .context("the gRPC point select answered no row")?;
    let expected = v1::Value {
        kind: Some(v1::value::Kind::Text(format!("row {ID}"))),
    };
    if row.values != [expected] {
        bail!("the gRPC point select answered {row:?}");
    }
    Ok(())
}

pub(crate) fn h2load(
    url: &str,
    body: Option<&Path>,
    headers: &[&str],
    h1: bool,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<LoadFigure> {
    let mut command = Command::new("h2load");
    command
        .args(["-c", &clients.to_string(), "-m", "1", "-t", "1"])
        .args(["-D", &duration.as_secs().max(1).to_string()]);
    if h1 {
        command.arg("--h1");
    }
    if let Some(body) = body {
        command.arg("-d").arg(body);
    }
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().context("running h2load")?;
    let report = String::from_utf8_lossy(&output.stdout);
    parse(&report).with_context(|| format!("h2load on {url} reported:\n{report}"))
}

/// Reads `finished in 3.00s, 84941.33 req/s, ...`, the mean of `time for request:`, and
/// insists that every request succeeded with a 2xx.
fn parse(report: &str) -> anyhow::Result<LoadFigure> {
    let line = |prefix: &str| {
        report
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with(prefix))
            .with_context(|| format!("no '{prefix}' line"))
    };
    let requests = line("requests:")?;
    if !requests.contains(" 0 failed, 0 errored") {
        bail!("some requests failed: {requests}");
    }
    let statuses = line("status codes:")?;
    if !statuses.contains(" 0 3xx, 0 4xx, 0 5xx") {
        bail!("some requests were refused: {statuses}");
    }
    let per_second = line("finished in")?
        .split(", ")
        .find_map(|part| part.strip_suffix(" req/s"))
        .context("no req/s")?
        .parse()?;
    // time for request:  min  max  mean  sd  +/- sd
    let mean = line("time for request:")?
        .split_whitespace()
        .nth(5)
        .context("no mean")?;
    Ok(LoadFigure {
        per_second,
        mean_us: microseconds(mean)?,
    })
}

fn microseconds(text: &str) -> anyhow::Result<f64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        bail!("'{text}' is not a duration")
    };
    Ok(number.parse::<f64>()? * scale)
}
