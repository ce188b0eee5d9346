//! History and undo (SPEC §10) on two nodes: interleaved transactions from both touch
//! overlapping rows; `UNDOE` and `UNDOT` revert what they should, the undo replicates, and an
//! undo can itself be undone.

use serde_json::{Value, json};

use super::{cluster, converged};
use crate::pg::{connect_with, pg_node, sqlstate};

const ROWS: &str = "SELECT id, v FROM t ORDER BY id";

/// Runs `statements` as one transaction on `node`.
async fn transaction(node: &ha_test_harness::TestNode, statements: &[&str]) {
    let body: Vec<Value> = statements.iter().map(|s| json!({ "sql": s })).collect();
    let (status, answer) = node.post("/query", &json!(body)).await.unwrap();
    assert_eq!(status, 200, "{statements:?}: {answer}");
}

/// The `(seq, sql)` of every transaction in `HISTORY 1` on `node`.
async fn history(node: &ha_test_harness::TestNode) -> Vec<(u64, String)> {
    let answer = node.sql("HISTORY 1").await.unwrap();
    assert_eq!(answer["columns"], json!(["seq", "sql", "timestamp"]));
    answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r[2].as_str().unwrap().contains('T'), "a timestamp: {r}");
            (r[0].as_u64().unwrap(), r[1].as_str().unwrap().to_string())
        })
        .collect()
}

/// `[transactions_undone, rows_undone, schema_changes_not_undone]` of an undo's answer.
fn counts(answer: &Value) -> Value {
    assert_eq!(
        answer["columns"],
        json!([
            "transactions_undone",
            "rows_undone",
            "schema_changes_not_undone"
        ]),
        "{answer}"
    );
    answer["rows"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undoe_and_undot_revert_overlapping_transactions_on_every_node() {
    let nodes = cluster(1, &[]).await;
    nodes[0]
        .sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        .await
        .unwrap();
    converged(&nodes, ROWS).await;
    transaction(
        &nodes[0],
        &["INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')"],
    )
    .await;
    converged(&nodes, ROWS).await;
    // T2 on node 2 touches rows 1 and 2; T3 on node 1 touches rows 2 (again) and 3.
    transaction(
        &nodes[1],
        &[
            "UPDATE t SET v = 'a2' WHERE id = 1",
            "UPDATE t SET v = 'b2' WHERE id = 2",
        ],
    )
    .await;
    converged(&nodes, ROWS).await;
    transaction(
        &nodes[0],
        &[
            "UPDATE t SET v = 'b3' WHERE id = 2",
            "UPDATE t SET v = 'c3' WHERE id = 3",
        ],
    )
    .await;
    converged(&nodes, ROWS).await;
    transaction(&nodes[1], &["INSERT INTO t VALUES (4, 'd')"]).await;
    let all = json!([[1, "a2"], [2, "b3"], [3, "c3"], [4, "d"]]);
    assert_eq!(converged(&nodes, ROWS).await, all);

    let log = history(&nodes[0]).await;
    assert_eq!(log.len(), 5, "{log:#?}");
    assert!(log[0].1.contains("CREATE TABLE"), "{log:#?}");
    assert!(log[1].1.contains("INSERT INTO \"t\""), "{log:#?}");
    assert!(
        log[2].1.contains("'a2'") && log[2].1.contains("'b2'"),
        "{log:#?}"
    );
    assert_eq!(
        history(&nodes[1]).await,
        log,
        "the same history on every node"
    );
    let t2 = log[2].0;

    // UNDOT: T2 and T3 (which touched row 2) are reverted whole; T4 stays.
    let (status, answer) = nodes[1]
        .post(&format!("/undot/{t2}"), &json!({}))
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(counts(&answer), json!([2, 4, 0]));
    let before_t2 = json!([[1, "a"], [2, "b"], [3, "c"], [4, "d"]]);
    assert_eq!(converged(&nodes, ROWS).await, before_t2);

    // The undo is a transaction of the log like any other: undone, everything is back.
    let undot = history(&nodes[0]).await.last().unwrap().0;
    let answer = nodes[0].sql(&format!("UNDO {undot}")).await.unwrap();
    assert_eq!(counts(&answer), json!([1, 4, 0]));
    assert_eq!(converged(&nodes, ROWS).await, all);

    // UNDOE: only rows 1 and 2 (T2's), through every later change to them; row 3 keeps c3.
    let answer = nodes[0].sql(&format!("UNDOE '{t2}'")).await.unwrap();
    assert_eq!(
        counts(&answer)[0],
        json!(4),
        "T2, T3 and the two undos touched them"
    );
    assert_eq!(
        converged(&nodes, ROWS).await,
        json!([[1, "a"], [2, "b"], [3, "c3"], [4, "d"]])
    );

    // UNDO over a span of time, unquoted: every row change of the hour; the table stays.
    let (status, recent) = nodes[1]
        .post("/query", &json!({"sql": "HISTORY '1h'"}))
        .await
        .unwrap();
    assert_eq!(status, 200, "{recent}");
    assert_eq!(recent["rows"].as_array().unwrap().len(), 8);
    let answer = nodes[1].sql("UNDO 1h").await.unwrap();
    assert_eq!(
        counts(&answer)[2],
        json!(1),
        "the CREATE TABLE is not undone"
    );
    assert_eq!(converged(&nodes, ROWS).await, json!([]));

    // Bad arguments and unknown transactions are clear errors.
    for (path, code) in [
        ("/undoe/999999", "bad_request"),
        ("/undo/soon", "bad_request"),
    ] {
        let (status, answer) = nodes[0].post(path, &json!({})).await.unwrap();
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some(code)),
            "{path}"
        );
    }
    let response = nodes[0]
        .client()
        .get(nodes[0].url("/history/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn undo_inside_a_transaction_is_refused_over_the_wire() {
    let node = pg_node(&[]).await;
    let client = connect_with(&crate::pg::conninfo(&node, "")).await.unwrap();
    client.batch_execute("BEGIN").await.unwrap();
    let error = client.simple_query("UNDO 5").await.unwrap_err();
    assert_eq!(sqlstate(&error), "25000", "{error}");
    client.batch_execute("ROLLBACK").await.unwrap();
    // This node does not replicate: no log to read.
    let error = client.simple_query("HISTORY '5m'").await.unwrap_err();
    let message = error.as_db_error().map(|e| e.message().to_string());
    assert!(
        message
            .as_deref()
            .is_some_and(|m| m.contains("replicated log")),
        "{error:?}"
    );
}
