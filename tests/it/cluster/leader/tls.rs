//! Leader mode between nodes that serve TLS (`--tls-cert`, `--tls-key`): each advertises an
//! `https://` address in the lease, followers forward over TLS and verify the leader's
//! certificate (the system's authorities plus `--tls-ca`). Driven by curl over HTTPS and the
//! Rust client over gRPC with TLS.

use std::path::Path;
use std::time::Duration;

use ha_client::{Client, ClientOptions, Statement};
use ha_test_harness::{NatsServer, NodeBuilder, TestNode};
use serde_json::{Value, json};

use super::{TOKEN, leader_mode};
use crate::support::{certificates, curl, eventually};

fn tls_node(name: &str, broker: &NatsServer, dir: &Path, trust_ca: bool) -> NodeBuilder {
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let mut node = leader_mode(name, broker.url()).args([
        "--tls-cert",
        &file("front.crt"),
        "--tls-key",
        &file("front.key"),
    ]);
    if trust_ca {
        node = node.args(["--tls-ca", &file("ca.crt")]);
    }
    node
}

fn https(node: &TestNode, path: &str) -> String {
    format!("https://127.0.0.1:{}{path}", node.http_addr.port())
}

/// `GET /leader` over HTTPS, trusting the test CA.
async fn leader_over_https(node: &TestNode, ca: &str) -> Value {
    let bearer = format!("Authorization: Bearer {TOKEN}");
    serde_json::from_str(&curl(&["--cacert", ca, "-H", &bearer, &https(node, "/leader")]).await)
        .unwrap()
}

/// `POST /query` over HTTPS: the status and the answer.
async fn query_over_https(node: &TestNode, ca: &str, sql: &str) -> (u16, Value) {
    let bearer = format!("Authorization: Bearer {TOKEN}");
    let body = json!({ "sql": sql }).to_string();
    let out = curl(&[
        "--cacert",
        ca,
        "-H",
        &bearer,
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
        "-w",
        "\n%{http_code}",
        &https(node, "/query"),
    ])
    .await;
    let (answer, status) = out.rsplit_once('\n').unwrap();
    (
        status.parse().unwrap(),
        serde_json::from_str(answer).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_forward_to_a_tls_leader_and_verify_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let ca = dir.path().join("ca.crt").to_string_lossy().into_owned();
    let broker = NatsServer::start(None).await.unwrap();
    let node1 = tls_node("node1", &broker, dir.path(), true)
        .start()
        .await
        .unwrap();
    let leader = eventually(Duration::from_secs(20), || async {
        let seen = leader_over_https(&node1, &ca).await;
        match seen["this_node"] == json!(true) {
            true => Ok(seen),
            false => Err(format!("not leading yet: {seen}")),
        }
    })
    .await;
    let port = node1.http_addr.port();
    assert_eq!(leader["addr"], json!(format!("https://127.0.0.1:{port}")));
    let node2 = tls_node("node2", &broker, dir.path(), true)
        .start()
        .await
        .unwrap();

    // Through the follower, over HTTPS, forwarded over TLS.
    let ddl = "CREATE TABLE c(id INTEGER PRIMARY KEY, n INTEGER)";
    eventually(Duration::from_secs(20), || async {
        match query_over_https(&node2, &ca, ddl).await {
            (200, _) => Ok(()),
            (status, answer) => Err(format!("{status} {answer}")),
        }
    })
    .await;
    assert_eq!(
        query_over_https(&node2, &ca, "INSERT INTO c VALUES (1, 0)")
            .await
            .0,
        200
    );
    // The Rust client over gRPC with TLS, to the follower.
    let options = ClientOptions {
        token: Some(TOKEN.into()),
        tls_ca_file: Some(dir.path().join("ca.crt")),
        ..ClientOptions::default()
    };
    let client = Client::open(&https(&node2, ""), options).await.unwrap();
    for _ in 0..20 {
        client
            .execute(vec![Statement::new("UPDATE c SET n = n + 1 WHERE id = 1")])
            .await
            .unwrap();
    }
    for node in [&node1, &node2] {
        eventually(Duration::from_secs(20), || async {
            match query_over_https(node, &ca, "SELECT n FROM c").await {
                (200, answer) if answer["rows"] == json!([[20]]) => Ok(()),
                (status, answer) => Err(format!("{status} {answer}")),
            }
        })
        .await;
    }

    // A follower that cannot verify the leader's certificate forwards nothing and says why.
    let node3 = tls_node("node3", &broker, dir.path(), false)
        .start()
        .await
        .unwrap();
    let (status, answer) = eventually(Duration::from_secs(20), || async {
        let (status, answer) =
            query_over_https(&node3, &ca, "UPDATE c SET n = n + 1 WHERE id = 1").await;
        let error = answer["error"].as_str().unwrap_or_default();
        match error.contains("leader") && error.contains("certificate") {
            true => Ok((status, answer)),
            false => Err(format!("{status} {answer}")),
        }
    })
    .await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["code"], json!("unavailable"), "{answer}");
    let (_, rows) = query_over_https(&node1, &ca, "SELECT n FROM c").await;
    assert_eq!(rows["rows"], json!([[20]]));
}
