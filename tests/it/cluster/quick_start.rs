//! The seed's quick start, exactly as its README writes it: fixed ports 8080, 8081 and 4222,
//! PostgreSQL on 5432 and 5433, and `PGPASSWORD="ha" psql -h localhost -U ha`.

use ha_test_harness::NodeBuilder;
use serde_json::json;

use crate::support::BIN;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_quick_start_works_as_written() {
    let mut node1 = NodeBuilder::exact(BIN, ["-n", "node1", "-m", "--pg-port", "5432"]);
    let mut node2 = NodeBuilder::exact(
        BIN,
        [
            "-n",
            "node2",
            "-m",
            "--port",
            "8081",
            "--nats-port",
            "0",
            "--replication-url",
            "nats://localhost:4222",
            "--pg-port",
            "5433",
        ],
    );
    if let Ok(bin) = std::env::var("HA_NATS_BIN") {
        node1 = node1.env("HA_NATS_BIN", bin.clone());
        node2 = node2.env("HA_NATS_BIN", bin);
    }
    let node1 = node1
        .start()
        .await
        .expect("node1 starts on :8080 with its broker on :4222 (are the ports free?)");
    let node2 = node2.start().await.expect("node2 starts on :8081");
    assert_eq!(node1.http_addr.port(), 8080);
    assert_eq!(node2.http_addr.port(), 8081);
    let client = reqwest::Client::new();
    let created = client
        .post("http://localhost:8080/")
        .json(&json!([
            {"sql": "CREATE TABLE users(ID INTEGER PRIMARY KEY, name TEXT)"},
            {"sql": "INSERT INTO users(name) VALUES(:name)", "params": {"name": "HA user"}}
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let answer: serde_json::Value = client
            .post("http://localhost:8081/")
            .json(&json!({"sql": "SELECT * FROM users"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if answer == json!({"columns": ["ID", "name"], "rows": [[1, "HA user"]]}) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node2 never showed node1's row: {answer}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // And the other way round.
    let inserted = client
        .post("http://localhost:8081/")
        .json(&json!({"sql": "INSERT INTO users(name) VALUES(:name)", "params": {"name": "new HA user"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(inserted.status(), 200);
    let nodes = [node1, node2];
    let rows = super::converged(&nodes, "SELECT name FROM users ORDER BY ID").await;
    assert_eq!(rows, json!([["HA user"], ["new HA user"]]));
    // The PostgreSQL quick start: psql writes on node1, node2 (-p 5433) shows the row.
    let psql = |args: &'static [&'static str]| {
        tokio::process::Command::new("psql")
            .env("PGPASSWORD", "ha")
            .args(["-h", "localhost", "-U", "ha", "-X", "-At"])
            .args(args)
            .output()
    };
    let written = psql(&["-c", "INSERT INTO users(name) VALUES ('from psql')"])
        .await
        .expect("psql is installed");
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let read = psql(&["-p", "5433", "-c", "SELECT name FROM users ORDER BY ID"])
            .await
            .unwrap();
        let out = String::from_utf8_lossy(&read.stdout).into_owned();
        if out == "HA user\nnew HA user\nfrom psql\n" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node2 never showed the psql row: {out}{}",
            String::from_utf8_lossy(&read.stderr)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
