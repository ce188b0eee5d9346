//! `--concurrent-queries`: queries beyond the limit wait, then get a clear "busy" error; the
//! default limit lets ordinary concurrency through.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{assert_error, read_json, slow_query, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_beyond_the_limit_waits_then_gets_busy() {
    let node = start(&[
        "-m",
        "--concurrent-queries",
        "1",
        "--concurrent-queries-wait",
        "300ms",
    ])
    .await;
    node.sql("CREATE TABLE t(x)").await.unwrap();
    let (slow, _) = slow_query(&node).await;

    let client = node.client().clone();
    let url = node.url("/query");
    let slow_request = tokio::spawn(async move {
        read_json(
            client
                .post(url)
                .json(&json!({ "sql": slow }))
                .send()
                .await
                .unwrap(),
        )
        .await
    });

    let mut busy = None;
    for _ in 0..100 {
        if slow_request.is_finished() {
            break;
        }
        let started = Instant::now();
        let (status, body) = node
            .post(
                "/query",
                &json!([{ "sql": "INSERT INTO t VALUES (1)" }, { "sql": "SELECT 1" }]),
            )
            .await
            .unwrap();
        if status == 503 {
            busy = Some((body, started.elapsed()));
            break;
        }
        // A request that got in before the slow one.
        assert_eq!(status, 200, "{body}");
    }
    let (body, waited) = busy.expect("no request was refused while the slow query ran");
    assert_error(503, &body, 503, "busy");
    assert!(
        waited >= Duration::from_millis(250),
        "refused after {waited:?}, without waiting"
    );
    assert!(
        waited < Duration::from_secs(5),
        "waited {waited:?}, far more than 300ms"
    );

    let (status, answer) = slow_request.await.unwrap();
    assert_eq!(status, 200, "{answer}");
    // The refused batch wrote nothing; the ones that got in wrote all they had.
    let before = node.sql("SELECT count(*) FROM t").await.unwrap()["rows"][0][0]
        .as_i64()
        .unwrap();
    let (status, answer) = node
        .post("/query", &json!({ "sql": "SELECT 1" }))
        .await
        .unwrap();
    assert_eq!(
        (status, answer),
        (200, json!({ "columns": ["1"], "rows": [[1]] }))
    );
    let after = node.sql("SELECT count(*) FROM t").await.unwrap()["rows"][0][0]
        .as_i64()
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_requests_succeed_with_the_default_limit() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, who INTEGER)")
        .await
        .unwrap();
    let requests = (0..16).map(|i| {
        let node = &node;
        async move {
            if i % 2 == 0 {
                let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT count(*) FROM c";
                let (status, answer) = node.post("/query", &json!({ "sql": sql })).await.unwrap();
                assert_eq!((status, answer["rows"].clone()), (200, json!([[100000]])), "request {i}");
            } else {
                let (status, answer) = node.post("/query", &json!({ "sql": "INSERT INTO t(who) VALUES (?)", "params": [i] })).await.unwrap();
                assert_eq!(status, 200, "request {i}: {answer}");
            }
        }
    });
    futures::future::join_all(requests).await;
    let answer = node
        .sql("SELECT group_concat(who) FROM (SELECT who FROM t ORDER BY who)")
        .await
        .unwrap();
    assert_eq!(answer["rows"], json!([["1,3,5,7,9,11,13,15"]]));
}
