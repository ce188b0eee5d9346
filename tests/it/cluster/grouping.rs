//! One log message per group of transactions (issue 16): a busy node publishes the change sets
//! it committed together as one message with `Ha-Change-Sets: N` (a protobuf `ChangeSets`, or
//! with `--replication-format json` one change set per line, each line the seed's
//! one-transaction JSON); the other nodes apply every transaction; with `--replication-group 1`
//! every transaction is a message of its own, as the seed published. Nodes of either format
//! share one log.

use std::collections::BTreeSet;

use futures::future::join_all;
use ha_test_harness::{NatsServer, NodeBuilder, TestNode};
use ha_types::{ChangeSet, ChangeSetFormat};
use serde_json::{Value, json};

use super::converged;
use crate::support::BIN;

const WRITES: i64 = 200;

async fn two_nodes(broker: &NatsServer, extra: &[&str]) -> Vec<TestNode> {
    let mut nodes = Vec::new();
    for name in ["node1", "node2"] {
        nodes.push(
            NodeBuilder::new(BIN)
                .args(["-n", name, "-m", "--nats-port", "0"])
                .args(extra.iter().copied())
                .replication_url(broker.url())
                .start()
                .await
                .unwrap(),
        );
    }
    nodes
}

/// `WRITES` single-row inserts sent to node1 at once; each is acknowledged with its sequence.
async fn concurrent_inserts(node: &TestNode) {
    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        .await
        .unwrap();
    let answers = join_all((1..=WRITES).map(|id| async move {
        let body = json!({"sql": "INSERT INTO t(id, v) VALUES (?, ?)", "params": [id, format!("row {id}")]});
        node.post("/query", &body).await
    }))
    .await;
    for answer in answers {
        let (status, body) = answer.unwrap();
        assert_eq!(status, 200, "{body}");
    }
}

/// Table `t` on every node once all writes are applied: the full dump.
fn every_row() -> Value {
    Value::Array(
        (1..=WRITES)
            .map(|id| json!([id, format!("row {id}")]))
            .collect(),
    )
}

/// A raw message of the log: its `Ha-Change-Sets` header, message id and payload.
struct Raw {
    count: Option<String>,
    msg_id: String,
    payload: Vec<u8>,
}

async fn raw_messages(broker: &NatsServer) -> Vec<Raw> {
    let js = async_nats::jetstream::new(async_nats::connect(broker.url()).await.unwrap());
    let mut stream = js.get_stream("ha_replication").await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut messages = Vec::new();
    for seq in 1..=last {
        let Ok(message) = stream.get_raw_message(seq).await else {
            continue;
        };
        if message.subject.as_str() != "ha_replication.ha_db" {
            continue;
        }
        let header = |name: &str| {
            message
                .headers
                .get(name)
                .map(|value| value.as_str().to_string())
        };
        messages.push(Raw {
            count: header("Ha-Change-Sets"),
            msg_id: header("Nats-Msg-Id").unwrap_or_default(),
            payload: message.payload.to_vec(),
        });
    }
    messages
}

/// Every change set of every message in the seed's JSON shape, with the ids of table `t`'s
/// inserts; checks that the messages are in `format` (JSON: one change set per line, read
/// here as any CDC consumer would; protobuf: read by `ha_types`) and that the header and
/// message id describe them.
fn inserted_ids(messages: &[Raw], format: ChangeSetFormat) -> (BTreeSet<i64>, usize) {
    let mut ids = BTreeSet::new();
    let mut grouped = 0;
    for message in messages {
        assert_eq!(ChangeSetFormat::of(&message.payload), format);
        let sets: Vec<Value> = match format {
            ChangeSetFormat::Json => message
                .payload
                .split(|b| *b == b'\n')
                .map(|line| serde_json::from_slice(line).expect("each line is one change set"))
                .collect(),
            ChangeSetFormat::Protobuf => {
                ChangeSet::read_message(&message.payload, message.count.as_deref())
                    .expect("the message reads")
                    .iter()
                    .map(|set| serde_json::to_value(set).unwrap())
                    .collect()
            }
        };
        match &message.count {
            None => assert_eq!(sets.len(), 1, "a message without the header is one set"),
            Some(count) => {
                assert_eq!(count.parse::<usize>().unwrap(), sets.len());
                assert!(sets.len() > 1, "the header is sent for several sets only");
                grouped += 1;
                // <origin>.<first id>-<last id>, the ids consecutive, one origin.
                let first = &sets[0];
                let last = &sets[sets.len() - 1];
                assert_eq!(
                    message.msg_id,
                    format!(
                        "{}.{}-{}",
                        first["origin"].as_str().unwrap(),
                        first["id"],
                        last["id"]
                    )
                );
                for pair in sets.windows(2) {
                    assert_eq!(pair[0]["origin"], pair[1]["origin"]);
                    assert_eq!(
                        pair[0]["id"].as_u64().unwrap() + 1,
                        pair[1]["id"].as_u64().unwrap()
                    );
                }
            }
        }
        for set in &sets {
            assert!(
                set["node"].is_string() && set["timestamp_ns"].is_i64(),
                "{set}"
            );
            for change in set["changes"].as_array().unwrap() {
                if change["table"] == "t" && change["operation"] == "INSERT" {
                    ids.insert(change["new_values"][0].as_i64().unwrap());
                }
            }
        }
    }
    (ids, grouped)
}

/// `WRITES` inserts on node1 in one burst: grouped messages in `format`, applied by node2.
async fn grouped_in(format: ChangeSetFormat, extra: &[&str]) {
    let broker = NatsServer::start(None).await.unwrap();
    let nodes = two_nodes(&broker, extra).await;
    concurrent_inserts(&nodes[0]).await;
    let all = converged(&nodes, "SELECT id, v FROM t ORDER BY id").await;
    assert_eq!(all, every_row());
    let messages = raw_messages(&broker).await;
    let (ids, grouped) = inserted_ids(&messages, format);
    assert_eq!(ids, (1..=WRITES).collect::<BTreeSet<_>>());
    assert!(grouped > 0, "no message held several change sets");
    assert!(
        messages.len() < WRITES as usize,
        "{} messages for {WRITES} transactions",
        messages.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_committed_together_are_one_message_of_compact_change_sets() {
    grouped_in(ChangeSetFormat::Protobuf, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_format_json_publishes_lines_of_seed_change_sets() {
    grouped_in(ChangeSetFormat::Json, &["--replication-format", "json"]).await;
}

/// A cluster in the middle of a change of format (or of a rolling upgrade that turns JSON on
/// for a CDC consumer): each node writes its own, and applies the other's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_of_either_format_share_one_log() {
    let broker = NatsServer::start(None).await.unwrap();
    let mut nodes = two_nodes(&broker, &[]).await;
    nodes.push(
        NodeBuilder::new(BIN)
            .args(["-n", "node3", "-m", "--nats-port", "0"])
            .args(["--replication-format", "json"])
            .replication_url(broker.url())
            .start()
            .await
            .unwrap(),
    );
    // Each says at start how it writes.
    for (node, format) in [(&nodes[0], "protobuf"), (&nodes[2], "json")] {
        let said = format!("\"replication_format\":\"{format}\"");
        assert!(
            node.logs()
                .iter()
                .any(|l| l.contains("\"listening\"") && l.contains(&said)),
            "no {said} in the listening record"
        );
    }
    concurrent_inserts(&nodes[0]).await;
    converged(&nodes, "SELECT count(*) FROM t").await;
    for id in WRITES + 1..=WRITES + 20 {
        let body = json!({"sql": "INSERT INTO t(id, v) VALUES (?, 'json')", "params": [id]});
        let (status, body) = nodes[2].post("/query", &body).await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    // Every row on every node, once each has applied the log's last sequence.
    let all = converged(&nodes, "SELECT id, v FROM t ORDER BY id").await;
    let mut expected = every_row().as_array().unwrap().clone();
    expected.extend((WRITES + 1..=WRITES + 20).map(|id| json!([id, "json"])));
    assert_eq!(all, Value::Array(expected));
    let formats: BTreeSet<bool> = raw_messages(&broker)
        .await
        .iter()
        .map(|m| ChangeSetFormat::of(&m.payload) == ChangeSetFormat::Json)
        .collect();
    assert_eq!(formats.len(), 2, "the log holds both formats");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_group_1_publishes_one_message_per_transaction() {
    let broker = NatsServer::start(None).await.unwrap();
    let nodes = two_nodes(&broker, &["--replication-group", "1"]).await;
    concurrent_inserts(&nodes[0]).await;
    let all = converged(&nodes, "SELECT id, v FROM t ORDER BY id").await;
    assert_eq!(all, every_row());
    let messages = raw_messages(&broker).await;
    let (ids, grouped) = inserted_ids(&messages, ChangeSetFormat::Protobuf);
    assert_eq!(ids.len(), WRITES as usize);
    assert_eq!(grouped, 0);
    // The table's creation and one message per insert.
    assert_eq!(messages.len(), WRITES as usize + 1);
}

/// A node that crashed with change sets still in its outbox (the broker was frozen) and comes
/// back with the other `--replication-format` publishes them as they were written, never mixing
/// the two in one message, and its new writes in the new format; every node gets every row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_of_format_publishes_the_outbox_as_it_was_written() {
    let broker = NatsServer::start(None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node1 = |format: &str| {
        NodeBuilder::new(BIN)
            .args([
                "-n",
                "node1",
                "--nats-port",
                "0",
                "--replication-timeout",
                "1s",
            ])
            .args(["--replication-format", format, "file:ha.db"])
            .dir(dir.path())
            .replication_url(broker.url())
            .start()
    };
    let first = node1("json").await.unwrap();
    let node2 = two_nodes(&broker, &[]).await.remove(1);
    first
        .sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        .await
        .unwrap();
    for id in 1..=5 {
        let (status, body) = insert(&first, id).await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    // Committed, not acknowledged: they wait in the outbox when the node is killed.
    broker.pause().unwrap();
    for id in 6..=15 {
        let (status, body) = insert(&first, id).await.unwrap();
        assert_ne!(
            status, 200,
            "acknowledged while the broker was frozen: {body}"
        );
    }
    first.kill().await.unwrap();
    broker.resume().unwrap();
    let again = node1("protobuf").await.unwrap();
    for id in 16..=20 {
        let (status, body) = insert(&again, id).await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let all = converged(&[again, node2], "SELECT id, v FROM t ORDER BY id").await;
    let expected: Vec<Value> = (1..=20).map(|id| json!([id, "x"])).collect();
    assert_eq!(all, Value::Array(expected));
    let mut format_of_row = std::collections::BTreeMap::new();
    for message in raw_messages(&broker).await {
        let format = ChangeSetFormat::of(&message.payload);
        let sets = ChangeSet::read_message(&message.payload, message.count.as_deref())
            .expect("every message reads, in one format");
        for set in sets {
            for change in set.changes {
                if let ha_types::Change::Row(row) = change
                    && let Some(ha_types::Value::Integer(id)) =
                        row.new_values.as_ref().and_then(|v| v.first())
                {
                    format_of_row.insert(*id, format);
                }
            }
        }
    }
    let expected: std::collections::BTreeMap<i64, ChangeSetFormat> = (1..=20)
        .map(|id| {
            let format = if id <= 15 {
                ChangeSetFormat::Json
            } else {
                ChangeSetFormat::Protobuf
            };
            (id, format)
        })
        .collect();
    assert_eq!(format_of_row, expected);
}

async fn insert(node: &TestNode, id: i64) -> anyhow::Result<(u16, Value)> {
    node.post(
        "/query",
        &json!({"sql": "INSERT INTO t(id, v) VALUES (?, 'x')", "params": [id]}),
    )
    .await
}
