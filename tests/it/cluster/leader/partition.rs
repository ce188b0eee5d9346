//! A leader cut off from the broker alone (a partition between that node and the broker): the
//! writes it committed while its lease still looked valid reach the log only after another
//! node leads and has written. The log refuses them (the new term's marker fences them), their
//! clients hear "not written", and the old leader undoes them: every node ends with exactly the
//! acknowledged increments.

use std::time::Duration;

use ha_test_harness::{FreezableProxy, NatsServer, NodeBuilder, TestNode};
use serde_json::{Value, json};

use super::{TOKEN, everywhere, increments, leader_mode, leader_of, post, post_ok};
use crate::support::eventually;

fn patient(name: &str, broker_url: String) -> NodeBuilder {
    // The partitioned writes' clients wait for their outcome rather than time out.
    leader_mode(name, broker_url).args(["--replication-timeout", "60s"])
}

async fn leads(node: &TestNode) {
    eventually(Duration::from_secs(20), || async {
        let seen = leader_of(node).await;
        match seen["this_node"] == json!(true) {
            true => Ok(()),
            false => Err(format!("not leading yet: {seen}")),
        }
    })
    .await;
}

async fn local_count(node: &TestNode) -> i64 {
    let (status, answer) = post(node, &json!({"sql": "SELECT n FROM c WHERE id = 1"})).await;
    assert_eq!(status, 200, "{answer}");
    answer["rows"][0][0].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_leaders_late_writes_are_refused_by_the_log_and_undone_there() {
    let broker = NatsServer::start(None).await.unwrap();
    let proxy = FreezableProxy::start(broker.url().trim_start_matches("nats://"))
        .await
        .unwrap();
    // node1 reaches the broker through the proxy and leads (it is alone at first).
    let node1 = patient("node1", proxy.url()).start().await.unwrap();
    leads(&node1).await;
    let node2 = patient("node2", broker.url()).start().await.unwrap();
    let nodes = [node1, node2];
    post_ok(
        &nodes[0],
        &json!({"sql": "CREATE TABLE c(id INTEGER PRIMARY KEY, n INTEGER)"}),
    )
    .await;
    post_ok(&nodes[0], &json!({"sql": "INSERT INTO c VALUES (1, 0)"})).await;
    everywhere(&nodes, "SELECT n FROM c", json!([[0]])).await;

    proxy.freeze();
    // Sent to node1 at once: they commit there (its lease is good for a while yet) and their
    // publishes wait in the partition; or, late, they are refused before they run.
    let mut late = Vec::new();
    for _ in 0..3 {
        let client = nodes[0].client().clone();
        let url = nodes[0].url("/query");
        late.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(TOKEN)
                .json(&json!({"sql": "UPDATE c SET n = n + 1 WHERE id = 1"}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }));
    }
    let node1 = &nodes[0];
    let late_ref = &late;
    let committed = eventually(Duration::from_secs(10), || async move {
        let committed = local_count(node1).await;
        let answered = late_ref.iter().filter(|w| w.is_finished()).count() as i64;
        match committed + answered == 3 {
            true => Ok(committed),
            false => Err(format!("{committed} committed, {answered} answered")),
        }
    })
    .await;
    assert!(
        committed >= 1,
        "no write committed on the partitioned leader"
    );

    // node2 takes over once node1's lease runs out, and writes.
    leads(&nodes[1]).await;
    assert_eq!(increments(&nodes[1], 5).await, 5);
    proxy.thaw();

    // The late writes were never stored: their clients hear so.
    for write in late {
        let (status, answer) = write.await.unwrap();
        assert_eq!(status, 503, "{answer}");
        assert_eq!(answer["code"], json!("unavailable"), "{answer}");
    }
    // node1 follows node2 now: its increments go there.
    assert_eq!(increments(&nodes[0], 5).await, 5);
    everywhere(&nodes, "SELECT n FROM c", json!([[10]])).await;
    assert!(
        nodes[0]
            .logs()
            .iter()
            .any(|line| line.contains("own change sets the log refused")),
        "node1 did not say it undid its refused writes"
    );
}
