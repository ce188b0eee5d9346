//! Arrays are one transaction: the first error rolls everything back and names the failing
//! statement; the node owns transaction boundaries (SPEC §4.2).

use ha_test_harness::TestNode;
use serde_json::{Value, json};

use crate::support::{assert_error, assert_serving, start};

async fn node_with_table() -> TestNode {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, u TEXT UNIQUE NOT NULL)")
        .await
        .unwrap();
    node.sql("INSERT INTO t(u) VALUES ('taken')").await.unwrap();
    node
}

async fn names(node: &TestNode) -> Value {
    node.sql("SELECT u FROM t ORDER BY id").await.unwrap()["rows"].clone()
}

fn insert(u: &str) -> Value {
    json!({ "sql": "INSERT INTO t(u) VALUES (?)", "params": [u] })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_in_the_middle_rolls_back_the_whole_array() {
    let node = node_with_table().await;
    let cases = [
        (
            json!([insert("a"), insert("b"), insert("taken"), insert("c")]),
            2,
            "sql_constraint",
        ),
        (
            json!([insert("a"), { "sql": "INSERT INTO nope VALUES (1)" }]),
            1,
            "sql_unknown_object",
        ),
        (
            json!([insert("a"), insert("b"), insert("c"), { "sql": "INSERT INTO t(u) VALUES (" }]),
            3,
            "sql_syntax",
        ),
        (
            json!([insert("a"), { "sql": "INSERT INTO t(u) VALUES (NULL)" }, insert("b")]),
            1,
            "sql_constraint",
        ),
        (json!([insert("a"), insert("a")]), 1, "sql_constraint"),
        (
            json!([insert("a"), { "sql": "INSERT INTO t(u) VALUES (?)", "params": [[1]] }]),
            1,
            "bad_request",
        ),
        (
            json!([insert("a"), { "sql": "INSERT INTO t(u) VALUES (?)" }]),
            1,
            "bad_request",
        ),
        (json!([insert("a"), { "sql": "" }]), 1, "bad_request"),
        (
            json!([insert("a"), { "sql": "SELECT * FROM nope" }, insert("b")]),
            1,
            "sql_unknown_object",
        ),
        (
            json!([{ "sql": "INSERT INTO t(u) VALUES ('a'); INSERT INTO t(u) VALUES ('taken')" }, insert("b")]),
            0,
            "sql_constraint",
        ),
        (
            json!([insert("a"), { "sql": "INSERT OR ROLLBACK INTO t(u) VALUES ('taken')" }, insert("b")]),
            1,
            "sql_constraint",
        ),
        (
            json!([insert("a"), { "sql": "INSERT OR FAIL INTO t(u) VALUES ('taken')" }]),
            1,
            "sql_constraint",
        ),
    ];
    for (batch, index, code) in cases {
        let (status, answer) = node.post("/query", &batch).await.unwrap();
        assert_error(status, &answer, 400, code);
        assert_eq!(answer["statement"], json!(index), "{batch}: {answer}");
        assert_eq!(
            names(&node).await,
            json!([["taken"]]),
            "{batch} left rows behind"
        );
    }
    // A good array after all that still commits whole.
    let (status, answer) = node
        .post("/query", &json!([insert("a"), insert("b")]))
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(names(&node).await, json!([["taken"], ["a"], ["b"]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_statement_text_keeps_none_of_its_parts() {
    let node = node_with_table().await;
    let sql =
        "INSERT INTO t(u) VALUES ('a'); INSERT INTO t(u) VALUES ('b'); INSERT INTO nope VALUES (1)";
    let (status, answer) = node.post("/query", &json!({ "sql": sql })).await.unwrap();
    assert_error(status, &answer, 400, "sql_unknown_object");
    assert_eq!(names(&node).await, json!([["taken"]]));
    // Several statements in one text all run; the last one answers.
    let sql =
        "INSERT INTO t(u) VALUES ('a'); INSERT INTO t(u) VALUES ('b'); SELECT count(*) FROM t";
    let (status, answer) = node.post("/query", &json!({ "sql": sql })).await.unwrap();
    assert_eq!(
        (status, answer),
        (200, json!({ "columns": ["count(*)"], "rows": [[3]] }))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_control_statements_are_refused() {
    let node = node_with_table().await;
    for sql in [
        "BEGIN",
        "BEGIN IMMEDIATE",
        "COMMIT",
        "END",
        "ROLLBACK",
        "SAVEPOINT s",
        "RELEASE s",
        "ROLLBACK TO s",
    ] {
        let (status, answer) = node.post("/query", &json!({ "sql": sql })).await.unwrap();
        assert_error(status, &answer, 400, "bad_request");
    }
    let batches = [
        (
            json!([{ "sql": "BEGIN" }, insert("a"), { "sql": "COMMIT" }]),
            0,
        ),
        (json!([insert("a"), { "sql": "COMMIT" }, insert("b")]), 1),
        (json!([insert("a"), insert("b"), { "sql": "ROLLBACK" }]), 2),
        (
            json!([insert("a"), { "sql": "INSERT INTO t(u) VALUES ('b'); COMMIT" }]),
            1,
        ),
    ];
    for (batch, index) in batches {
        let (status, answer) = node.post("/query", &batch).await.unwrap();
        assert_error(status, &answer, 400, "bad_request");
        assert_eq!(answer["statement"], json!(index), "{batch}: {answer}");
        assert_eq!(
            names(&node).await,
            json!([["taken"]]),
            "{batch} left rows behind"
        );
    }
    // Database commands go alone.
    let (status, answer) = node
        .post("/query", &json!([insert("a"), { "sql": "SHOW DATABASES" }]))
        .await
        .unwrap();
    assert_error(status, &answer, 400, "bad_request");
    assert_eq!(names(&node).await, json!([["taken"]]));
    assert_serving(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_requests_do_not_take_concurrent_ones_down() {
    let node = node_with_table().await;
    // Requests that arrive together are committed together; the failing ones (even one that
    // makes SQLite roll back the whole transaction) must not cost the others their writes.
    let requests = (0..48).map(|i| {
        let node = &node;
        async move {
            let body = match i % 3 {
                0 => json!([insert(&format!("good-{i}")), insert(&format!("good-{i}-2"))]),
                1 => json!([insert(&format!("bad-{i}")), insert("taken")]),
                _ => json!([insert(&format!("bad-{i}")), { "sql": "INSERT OR ROLLBACK INTO t(u) VALUES ('taken')" }]),
            };
            let (status, answer) = node.post("/query", &body).await.unwrap();
            (i, status, answer)
        }
    });
    for (i, status, answer) in futures::future::join_all(requests).await {
        if i % 3 == 0 {
            assert_eq!(status, 200, "request {i}: {answer}");
        } else {
            assert_error(status, &answer, 400, "sql_constraint");
        }
    }
    let bad = node
        .sql("SELECT count(*) FROM t WHERE u LIKE 'bad-%'")
        .await
        .unwrap();
    assert_eq!(bad["rows"], json!([[0]]));
    let good = node
        .sql("SELECT count(*) FROM t WHERE u LIKE 'good-%'")
        .await
        .unwrap();
    assert_eq!(good["rows"], json!([[32]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_array_commits_whole() {
    let node = node_with_table().await;
    let batch: Vec<Value> = (0..5000).map(|i| insert(&format!("row-{i}"))).collect();
    let (status, answer) = node
        .post("/query", &Value::Array(batch.clone()))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 5000);
    assert_eq!(results[4999], crate::support::exec_result(1, 5001));
    let count = node.sql("SELECT count(*) FROM t").await.unwrap();
    assert_eq!(count["rows"], json!([[5001]]));
    // The same array with one bad statement at its end keeps none of its 5000 rows.
    let mut failing: Vec<Value> = (0..5000).map(|i| insert(&format!("other-{i}"))).collect();
    failing.push(insert("taken"));
    let (status, answer) = node.post("/query", &Value::Array(failing)).await.unwrap();
    assert_error(status, &answer, 400, "sql_constraint");
    assert_eq!(answer["statement"], json!(5000));
    assert_eq!(
        node.sql("SELECT count(*) FROM t").await.unwrap()["rows"],
        json!([[5001]])
    );
}
