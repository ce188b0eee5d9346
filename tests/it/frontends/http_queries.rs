//! Queries with the exact shapes of the seed (SPEC §4.2): one statement, an array, every query
//! route.

use serde_json::{Value, json};

use crate::support::{assert_no_panic, curl, exec_result, query, start};

const SEED_INSERT: &str =
    r#"{"sql": "INSERT INTO users(name) VALUES(:name)", "params": {"name": "HA user"}}"#;

async fn seeded() -> ha_test_harness::TestNode {
    let node = start(&["-m"]).await;
    assert_eq!(
        node.sql("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)")
            .await
            .unwrap(),
        exec_result(0, 0)
    );
    assert_eq!(
        node.sql("INSERT INTO users(name) VALUES ('first')")
            .await
            .unwrap(),
        exec_result(1, 1)
    );
    assert_eq!(
        node.sql("INSERT INTO users(name) VALUES ('second')")
            .await
            .unwrap(),
        exec_result(1, 2)
    );
    node
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_example_with_curl() {
    let node = seeded().await;
    let answer = curl(&["-d", SEED_INSERT, &node.url("/")]).await;
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        answer,
        json!({ "columns": ["rows_affected", "last_insert_id"], "rows": [[1, 3]] })
    );

    let answer = curl(&["-d", SEED_INSERT, &node.url("/query")]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap(),
        exec_result(1, 4)
    );

    let answer = curl(&[
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"sql": "SELECT id, name FROM users ORDER BY id"}"#,
        &node.url("/query"),
    ])
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&answer).unwrap(),
        json!({
            "columns": ["id", "name"],
            "rows": [[1, "first"], [2, "second"], [3, "HA user"], [4, "HA user"]]
        })
    );
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_route_runs_on_the_right_database() {
    let node = seeded().await;
    let seed: Value = serde_json::from_str(SEED_INSERT).unwrap();
    let routes = ["/", "/query", "/databases/ha.db", "/databases/ha.db/query"];
    for (i, route) in routes.iter().enumerate() {
        let expected_id = 3 + i as i64;
        assert_eq!(
            node.post(route, &seed).await.unwrap(),
            (200, exec_result(1, expected_id)),
            "{route}"
        );
        let (status, answer) =
            query(&node, route, "SELECT count(*) AS n FROM users", json!(null)).await;
        assert_eq!(
            (status, answer),
            (200, json!({ "columns": ["n"], "rows": [[expected_id]] })),
            "{route}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_array_answers_results_in_order() {
    let node = seeded().await;
    let batch = json!([
        { "sql": "INSERT INTO users(name) VALUES (?)", "params": ["third"] },
        { "sql": "UPDATE users SET name = upper(name) WHERE id <= 2" },
        { "sql": "SELECT id, name FROM users ORDER BY id" },
        { "sql": "DELETE FROM users WHERE id = :id", "params": { "id": 1 } },
    ]);
    let (status, answer) = node.post("/query", &batch).await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({ "results": [
            exec_result(1, 3),
            exec_result(2, 3),
            { "columns": ["id", "name"], "rows": [[1, "FIRST"], [2, "SECOND"], [3, "third"]] },
            exec_result(1, 3),
        ] })
    );
    // A one-element array still answers {"results": [...]}.
    let (status, answer) = node
        .post("/", &json!([{ "sql": "SELECT count(*) FROM users" }]))
        .await
        .unwrap();
    assert_eq!(
        (status, answer),
        (
            200,
            json!({ "results": [{ "columns": ["count(*)"], "rows": [[2]] }] })
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_array_is_one_transaction_seen_whole_by_readers() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE pairs(id INTEGER PRIMARY KEY, v INTEGER)")
        .await
        .unwrap();
    let insert = json!({ "sql": "INSERT INTO pairs(v) VALUES (1)" });
    let batch = json!([insert, insert]);
    let writer = async {
        for _ in 0..100 {
            assert_eq!(node.post("/query", &batch).await.unwrap().0, 200);
        }
    };
    let reader = async {
        let mut seen = Vec::new();
        for _ in 0..100 {
            let n = node.sql("SELECT count(*) FROM pairs").await.unwrap()["rows"][0][0]
                .as_i64()
                .unwrap();
            assert_eq!(n % 2, 0, "a reader saw half a batch: {n} rows");
            seen.push(n);
        }
        seen
    };
    let ((), seen) = tokio::join!(writer, reader);
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "counts went backwards: {seen:?}"
    );
    assert_eq!(
        node.sql("SELECT count(*) FROM pairs").await.unwrap()["rows"],
        json!([[200]])
    );
}
