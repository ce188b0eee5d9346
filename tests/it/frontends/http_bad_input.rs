//! Bad requests (SPEC §4.1): each answers its status with `{"error", "code"}`, keeps nothing, and
//! the node goes on serving.

use ha_test_harness::TestNode;
use serde_json::{Value, json};

use crate::support::{assert_error, assert_no_panic, assert_serving, post_bytes, query, start};

/// A node with `t` holding one good row.
async fn node_with_table() -> TestNode {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL, v INTEGER CHECK (v > 0))")
        .await
        .unwrap();
    node.sql("INSERT INTO t(u, n, v) VALUES ('taken', 'x', 1)")
        .await
        .unwrap();
    node
}

/// The node holds exactly the one good row and still serves.
async fn assert_unchanged(node: &TestNode) {
    let rows = node.sql("SELECT u, n, v FROM t").await.unwrap();
    assert_eq!(rows["rows"], json!([["taken", "x", 1]]));
    assert_serving(node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_bad_requests() {
    let node = node_with_table().await;
    let bodies: &[&[u8]] = &[
        b"{",
        b"not json",
        b"",
        b"[]",
        b"{}",
        br#"{"params": []}"#,
        br#"{"sql": 1}"#,
        br#"{"sql": null}"#,
        br#"{"sql": ["INSERT INTO t(u, n, v) VALUES ('a', 'b', 1)"]}"#,
        br#"{"SQL": "INSERT INTO t(u, n, v) VALUES ('a', 'b', 1)"}"#,
        b"42",
        b"null",
        b"true",
        br#""INSERT INTO t(u, n, v) VALUES ('a', 'b', 1)""#,
        b"[1]",
        br#"[{"sql": "INSERT INTO t(u, n, v) VALUES ('a', 'b', 1)"}, 2]"#,
        br#"{"sql": "INSERT INTO t(u, n, v) VALUES ('a', 'b', 1)"} trailing"#,
        b"{\"sql\": \"SELECT '\xff\xfe'\"}",
        b"\x00\x01\x02",
    ];
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    for body in bodies.iter().copied().chain([deep.as_slice()]) {
        let (status, answer) = post_bytes(&node, "/query", body.to_vec()).await;
        assert_error(status, &answer, 400, "bad_request");
        let (status, answer) = post_bytes(&node, "/", body.to_vec()).await;
        assert_error(status, &answer, 400, "bad_request");
    }
    // An array names the statement that is wrong.
    let (status, answer) = post_bytes(
        &node,
        "/query",
        br#"[{"sql": "SELECT 1"}, {"sql": 2}]"#.to_vec(),
    )
    .await;
    assert_error(status, &answer, 400, "bad_request");
    assert_eq!(answer["statement"], 1);
    assert_unchanged(&node).await;
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_of_wrong_types_are_bad_requests() {
    let node = node_with_table().await;
    let insert = "INSERT INTO t(u, n, v) VALUES (?, 'n', 1)";
    let named = "INSERT INTO t(u, n, v) VALUES (:a, 'n', 1)";
    let cases = [
        (insert, json!([[1]])),
        (insert, json!([{ "x": 1 }])),
        (insert, json!([{ "base64": "!!" }])),
        (insert, json!([{ "base64": 1 }])),
        (insert, json!([{ "base64": "AA==", "extra": 1 }])),
        (insert, json!([9_223_372_036_854_775_808_u64])),
        (insert, json!([u64::MAX])),
        (insert, json!(3)),
        (insert, json!("u")),
        (insert, json!(true)),
        (insert, json!([])),
        (insert, json!(["a", "b"])),
        (insert, json!({ "a": "u" })),
        (named, json!({ "a": { "x": 1 } })),
        (named, json!({ "a": [1, 2] })),
        (named, json!({ "b": "wrong name" })),
    ];
    for (sql, params) in cases {
        let (status, answer) = query(&node, "/query", sql, params.clone()).await;
        assert!(status == 400, "{sql} with {params}: {answer}");
        assert_error(status, &answer, 400, "bad_request");
    }
    assert_unchanged(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integers_beyond_64_bits_are_refused_not_rounded() {
    let node = node_with_table().await;
    // SPEC §4.2: JSON integers bind as INTEGER exactly; one that does not fit cannot be bound
    // exactly, so it is refused like 2^63 is, never silently turned into a REAL.
    for body in [
        r#"{"sql": "INSERT INTO t(u, n, v) VALUES ('big', 'n', ?)", "params": [9223372036854775808]}"#,
        r#"{"sql": "INSERT INTO t(u, n, v) VALUES ('big', 'n', ?)", "params": [18446744073709551616]}"#,
        r#"{"sql": "INSERT INTO t(u, n, v) VALUES ('big', 'n', ?)", "params": [-9223372036854775809]}"#,
        r#"{"sql": "INSERT INTO t(u, n, v) VALUES ('big', 'n', :v)", "params": {"v": 100000000000000000000000}}"#,
    ] {
        let (status, answer) = post_bytes(&node, "/query", body.as_bytes().to_vec()).await;
        assert_eq!(status, 400, "{body} answered {answer}");
        assert_error(status, &answer, 400, "bad_request");
    }
    assert_unchanged(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_errors_have_their_codes() {
    let node = node_with_table().await;
    let cases = [
        ("SELECT * FROM no_such_table", 400, "sql_unknown_object"),
        (
            "INSERT INTO no_such_table VALUES (1)",
            400,
            "sql_unknown_object",
        ),
        ("SELECT no_such_column FROM t", 400, "sql_unknown_object"),
        ("UPDATE t SET no_such_column = 1", 400, "sql_unknown_object"),
        ("SELEC 1", 400, "sql_syntax"),
        (
            "INSERT INTO t(u, n, v) VALUES ('a', 'b', 1",
            400,
            "sql_syntax",
        ),
        ("SELECT 'unterminated", 400, "sql_syntax"),
        (
            "INSERT INTO t(u, n, v) VALUES ('taken', 'x', 1)",
            400,
            "sql_constraint",
        ),
        (
            "INSERT INTO t(id, u, n, v) VALUES (1, 'other', 'x', 1)",
            400,
            "sql_constraint",
        ),
        (
            "INSERT INTO t(u, n, v) VALUES ('a', NULL, 1)",
            400,
            "sql_constraint",
        ),
        (
            "INSERT INTO t(u, n, v) VALUES ('a', 'b', 0)",
            400,
            "sql_constraint",
        ),
        ("UPDATE t SET v = -1", 400, "sql_constraint"),
        ("", 400, "bad_request"),
        ("   ;  ", 400, "bad_request"),
        ("-- only a comment", 400, "bad_request"),
        ("ATTACH DATABASE 'other.db' AS other", 400, "bad_request"),
    ];
    for (sql, status, code) in cases {
        let (got, answer) = query(&node, "/query", sql, json!(null)).await;
        assert_error(got, &answer, status, code);
        assert!(
            answer.get("statement").is_none(),
            "{sql}: a single statement has no index: {answer}"
        );
    }
    assert_unchanged(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_database_is_not_found() {
    let node = node_with_table().await;
    let insert = json!({ "sql": "INSERT INTO t(u, n, v) VALUES ('a', 'b', 1)" });
    for path in [
        "/databases/nope.db",
        "/databases/nope.db/query",
        "/databases/t/query",
    ] {
        let (status, answer) = node.post(path, &insert).await.unwrap();
        assert_error(status, &answer, 404, "unknown_database");
    }
    for sql in ["SET DATABASE TO nope.db", "USE nope.db"] {
        let (status, answer) = query(&node, "/query", sql, Value::Null).await;
        assert_error(status, &answer, 404, "unknown_database");
    }
    assert_unchanged(&node).await;
}
