//! The broker and the log misbehaving (SPEC §3, §6.5, issue 7): an outage never takes reads
//! down (writes waiting for the broker's acknowledgement hold no query slot), several servers
//! may be named, and a message this node cannot read stops replication visibly, never silently.

use std::time::Duration;

use ha_test_harness::{NatsServer, NodeBuilder};
use serde_json::json;

use crate::support::{BIN, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_served_while_writes_wait_for_a_frozen_broker() {
    let broker = NatsServer::start(None).await.unwrap();
    let node = NodeBuilder::new(BIN)
        .args([
            "-n",
            "node1",
            "-m",
            "--nats-port",
            "0",
            "--concurrent-queries",
            "4",
            "--concurrent-queries-wait",
            "100ms",
            "--replication-timeout",
            "20s",
        ])
        .replication_url(broker.url())
        .start()
        .await
        .unwrap();
    let (status, _) = node
        .post(
            "/query",
            &json!({"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY)"}),
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    broker.pause().unwrap();
    // Twice as many writes as query slots, all committed and waiting for the broker.
    let mut writes = Vec::new();
    for id in 0..8 {
        let client = node.client().clone();
        let url = node.url("/query");
        writes.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"sql": "INSERT INTO t VALUES (?)", "params": [id]}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }));
    }
    // Reads see the committed rows while every write still waits for its acknowledgement.
    let node = &node;
    eventually(Duration::from_secs(15), || async move {
        let (status, body) = node
            .post("/query", &json!({"sql": "SELECT count(*) FROM t"}))
            .await
            .unwrap();
        assert_eq!(status, 200, "a read failed during the outage: {body}");
        match body["rows"][0][0] == 8 {
            true => Ok(()),
            false => Err(format!("writes never committed: {body}")),
        }
    })
    .await;
    assert!(
        writes.iter().all(|w| !w.is_finished()),
        "the writes should still be waiting for the broker"
    );
    broker.resume().unwrap();
    for write in writes {
        assert_eq!(write.await.unwrap().unwrap(), 200);
    }
}

/// `--replication-url` may list a cluster's servers, comma-separated: any that answers will do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replication_url_may_list_several_servers() {
    let broker = NatsServer::start(None).await.unwrap();
    let dead = ha_test_harness::free_port().unwrap();
    let node = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m", "--nats-port", "0"])
        .replication_url(format!("nats://127.0.0.1:{dead}, {}", broker.url()))
        .start()
        .await
        .unwrap();
    let response = node
        .client()
        .post(node.url("/query"))
        .json(&json!({"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers().contains_key("x-ha-seq"),
        "the write was replicated"
    );
}

/// A message in the log that this node cannot read (garbage, or a newer format) stops that
/// database's replication visibly, until the operator skips it into `_ha_dead_letters`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_change_set_stops_replication_until_it_is_skipped() {
    let broker = NatsServer::start(None).await.unwrap();
    let node = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m", "--nats-port", "0"])
        .replication_url(broker.url())
        .start()
        .await
        .unwrap();
    let js = async_nats::jetstream::new(async_nats::connect(broker.url()).await.unwrap());
    for payload in [
        &b"not a change set"[..],
        br#"{"v": 99, "node": "x", "changes": [], "timestamp_ns": 0}"#,
    ] {
        js.publish("ha_replication.ha_db", payload.to_vec().into())
            .await
            .unwrap()
            .await
            .unwrap();
        let (seq, error) = eventually(Duration::from_secs(20), || async {
            let (_, own) = super::get_json(&node, "/replications/node1_ha_db").await;
            match own["failing_seq"].as_u64() {
                Some(seq) => Ok((seq, own["error"].as_str().unwrap_or_default().to_string())),
                None => Err(format!("never reported: {own}")),
            }
        })
        .await;
        assert!(error.contains("unreadable change set"), "{error}");
        let ready = super::send(&node, reqwest::Method::GET, "/readyz").await;
        assert_eq!(ready.status(), 503);
        let skipped = super::send(
            &node,
            reqwest::Method::DELETE,
            "/replications/node1_ha_db/pending",
        )
        .await;
        assert_eq!(
            skipped.status(),
            202,
            "the skip is accepted, done at the next attempt"
        );
        eventually(Duration::from_secs(20), || async {
            let (_, own) = super::get_json(&node, "/replications/node1_ha_db").await;
            match own["failing_seq"].is_null() && own["applied_seq"].as_u64() >= Some(seq) {
                true => Ok(()),
                false => Err(format!("never skipped: {own}")),
            }
        })
        .await;
    }
    let (_, dead) = node
        .post(
            "/query",
            &json!({"sql": "SELECT count(*) FROM _ha_dead_letters"}),
        )
        .await
        .unwrap();
    assert_eq!(dead["rows"], json!([[2]]));
}
