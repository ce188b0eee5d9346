//! SIGTERM: requests in flight finish and are answered, then the node exits 0 with its data
//! safe.

use std::time::Duration;

use ha_test_harness::TestNode;
use serde_json::json;

use crate::support::{builder, read_json, scalar, slow_insert, slow_query};

/// How many requests the node has started (its debug log has one record for each).
fn started_requests(node: &TestNode) -> usize {
    node.logs()
        .iter()
        .filter(|line| line.contains("started processing request"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_in_flight_are_answered_before_the_node_exits() {
    let dir = tempfile::tempdir().unwrap();
    let node = builder()
        .arg("--log-level=debug")
        .dir(dir.path())
        .start()
        .await
        .unwrap();
    node.sql("CREATE TABLE big(x INTEGER)").await.unwrap();
    let (read, _) = slow_query(&node).await;
    let (write, n, _) = slow_insert(&node, "big", Duration::from_millis(800)).await;

    let before = started_requests(&node);
    let client = node.client().clone();
    let url = node.url("/query");
    let in_flight = tokio::spawn(async move {
        let read = client.post(&url).json(&json!({ "sql": read })).send();
        let write = client.post(&url).json(&json!({ "sql": write })).send();
        let (read, write) = tokio::join!(read, write);
        (
            read_json(read.unwrap()).await,
            read_json(write.unwrap()).await,
        )
    });
    // Stop only once the node has both requests: one that arrives after the stop may be refused.
    for _ in 0..1000 {
        if started_requests(&node) >= before + 2 || in_flight.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        started_requests(&node) >= before + 2,
        "the requests did not reach the node"
    );
    assert!(
        !in_flight.is_finished(),
        "the requests finished before the stop: make them slower"
    );

    assert_eq!(node.stop().await.unwrap(), Some(0));
    let ((read_status, read_answer), (write_status, write_answer)) = in_flight.await.unwrap();
    assert_eq!(read_status, 200, "{read_answer}");
    assert_eq!(write_status, 200, "{write_answer}");
    assert_eq!(write_answer["rows"][0][0], json!(n), "{write_answer}");

    // What was acknowledged is there after a restart.
    let node = builder().dir(dir.path()).start().await.unwrap();
    assert_eq!(scalar(&node, "SELECT count(*) FROM big").await, json!(n));
}
