//! Each HTTP request is its own session: connection settings one request sends (PRAGMAs) must not
//! change what later requests of other clients get, and above all must not stop them working.

use std::time::Duration;

use ha_test_harness::TestNode;
use serde_json::{Value, json};

use crate::support::{read_json, start};

/// Posts with a bound on the wait, so a locked database fails the test instead of hanging it.
async fn post(node: &TestNode, body: Value) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let response = client
        .post(node.url("/query"))
        .json(&body)
        .send()
        .await
        .expect("an answer in time");
    read_json(response).await
}

async fn assert_reads_and_writes_work(node: &TestNode, after: &str) {
    let (status, answer) = post(node, json!({ "sql": "INSERT INTO t(x) VALUES (2)" })).await;
    assert_eq!(status, 200, "a write after {after} failed: {answer}");
    for _ in 0..3 {
        let (status, answer) = post(node, json!({ "sql": "SELECT count(*) FROM t" })).await;
        assert_eq!(status, 200, "a read after {after} failed: {answer}");
    }
    let (status, answer) = post(
        node,
        json!([{ "sql": "INSERT INTO t(x) VALUES (3)" }, { "sql": "SELECT count(*) FROM t" }]),
    )
    .await;
    assert_eq!(
        (status, answer["results"][1]["rows"].clone()),
        (200, json!([[3]])),
        "after {after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_only_sent_in_a_batch_does_not_make_the_database_read_only() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(x)").await.unwrap();
    node.sql("INSERT INTO t(x) VALUES (1)").await.unwrap();
    let request = json!([{ "sql": "PRAGMA query_only = 1" }, { "sql": "SELECT 1" }]);
    let (status, answer) = post(&node, request.clone()).await;
    assert!(status == 200 || status == 400, "{answer}");
    assert_reads_and_writes_work(&node, &request.to_string()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusive_locking_mode_does_not_lock_other_requests_out() {
    for request in [
        json!({ "sql": "PRAGMA locking_mode = EXCLUSIVE" }),
        json!([{ "sql": "PRAGMA locking_mode = EXCLUSIVE" }, { "sql": "SELECT 1" }]),
    ] {
        let node = start(&[]).await;
        node.sql("CREATE TABLE t(x)").await.unwrap();
        node.sql("INSERT INTO t(x) VALUES (1)").await.unwrap();
        let (status, answer) = post(&node, request.clone()).await;
        assert!(status == 200 || status == 400, "{answer}");
        assert_reads_and_writes_work(&node, &request.to_string()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pragma_of_one_request_does_not_change_the_next_ones() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(x)").await.unwrap();
    let like = json!({ "sql": "SELECT 'a' LIKE 'A'" });
    assert_eq!(post(&node, like.clone()).await.1["rows"], json!([[1]]));
    let (status, answer) = post(&node, json!({ "sql": "PRAGMA case_sensitive_like = 1" })).await;
    assert!(status == 200 || status == 400, "{answer}");
    for _ in 0..3 {
        let (status, answer) = post(&node, like.clone()).await;
        assert_eq!(
            (status, answer["rows"].clone()),
            (200, json!([[1]])),
            "LIKE semantics leaked from an earlier request"
        );
    }
}
