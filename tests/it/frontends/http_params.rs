//! Parameters and values (SPEC §4.2): named and positional binding, and every JSON type in and out.

use serde_json::{Value, json};

use crate::support::{assert_error, exec_result, query, start};

async fn select(node: &ha_test_harness::TestNode, sql: &str, params: Value) -> Value {
    let (status, answer) = query(node, "/query", sql, params.clone()).await;
    assert_eq!(status, 200, "{sql} with {params}: {answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_parameters_with_any_prefix_and_keys_with_or_without_it() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
        .await
        .unwrap();
    let cases = [
        (
            "INSERT INTO t(name) VALUES (:name)",
            json!({ "name": "colon" }),
        ),
        (
            "INSERT INTO t(name) VALUES (:name)",
            json!({ ":name": "colon key" }),
        ),
        (
            "INSERT INTO t(name) VALUES (@name)",
            json!({ "name": "at" }),
        ),
        (
            "INSERT INTO t(name) VALUES (@name)",
            json!({ "@name": "at key" }),
        ),
        (
            "INSERT INTO t(name) VALUES ($name)",
            json!({ "name": "dollar" }),
        ),
        (
            "INSERT INTO t(name) VALUES ($name)",
            json!({ "$name": "dollar key" }),
        ),
    ];
    for (i, (sql, params)) in cases.iter().enumerate() {
        let (status, answer) = query(&node, "/query", sql, params.clone()).await;
        assert_eq!(
            (status, answer),
            (200, exec_result(1, i as i64 + 1)),
            "{sql} with {params}"
        );
    }
    let answer = select(&node, "SELECT name FROM t ORDER BY id", json!(null)).await;
    assert_eq!(
        answer["rows"],
        json!([
            ["colon"],
            ["colon key"],
            ["at"],
            ["at key"],
            ["dollar"],
            ["dollar key"]
        ])
    );
    // One name used twice, and several names.
    let answer = select(
        &node,
        "SELECT :a + :a, :b || @c",
        json!({ "a": 20, "b": "x", "c": "y" }),
    )
    .await;
    assert_eq!(answer["rows"], json!([[40, "xy"]]));
    // A missing name is an error, not a NULL.
    let (status, body) = query(&node, "/query", "SELECT :missing", json!({ "other": 1 })).await;
    assert_error(status, &body, 400, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positional_parameters() {
    let node = start(&["-m"]).await;
    let answer = select(&node, "SELECT ?, ?", json!([1, "two"])).await;
    assert_eq!(
        answer,
        json!({ "columns": ["?", "?"], "rows": [[1, "two"]] })
    );
    let answer = select(&node, "SELECT ?2, ?1, ?2", json!(["first", "second"])).await;
    assert_eq!(answer["rows"], json!([["second", "first", "second"]]));
    let answer = select(&node, "SELECT $1 * 10 + $2", json!([4, 2])).await;
    assert_eq!(answer["rows"], json!([[42]]));
    for (sql, params) in [
        ("SELECT ?, ?", json!([1])),
        ("SELECT ?", json!([1, 2])),
        ("SELECT ?", json!({ "a": 1 })),
    ] {
        let (status, body) = query(&node, "/query", sql, params).await;
        assert_error(status, &body, 400, "bad_request");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integers_keep_all_64_bits() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE n(v INTEGER)").await.unwrap();
    let values = [
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        i64::MIN + 1,
        0,
        -1,
        9_007_199_254_740_993,
    ];
    for v in values {
        let (status, _) = query(&node, "/query", "INSERT INTO n(v) VALUES (?)", json!([v])).await;
        assert_eq!(status, 200);
    }
    let answer = select(
        &node,
        "SELECT v, typeof(v) FROM n ORDER BY rowid",
        json!(null),
    )
    .await;
    let expected: Vec<Value> = values.iter().map(|v| json!([v, "integer"])).collect();
    assert_eq!(answer["rows"], Value::Array(expected));
    // The text of the answer carries the exact digits (no float rounding on the way).
    let text = node
        .client()
        .post(node.url("/query"))
        .json(&json!({ "sql": "SELECT ?, ?", "params": [i64::MAX, i64::MIN] }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        r#"{"columns":["?","?"],"rows":[[9223372036854775807,-9223372036854775808]]}"#
    );
    // Integers computed by SQLite come back exact too.
    let answer = select(
        &node,
        "SELECT 9223372036854775807, -9223372036854775807 - 1",
        json!(null),
    )
    .await;
    assert_eq!(answer["rows"], json!([[i64::MAX, i64::MIN]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reals_booleans_null_and_text() {
    let node = start(&["-m"]).await;
    let answer = select(
        &node,
        "SELECT ?1, typeof(?1), ?2, typeof(?2), ?3, typeof(?3), ?4, typeof(?4), ?5, typeof(?5), ?6",
        json!([1.5, -2.25e-10, true, false, null, "héllo ✓ 😀 \"q\""]),
    )
    .await;
    assert_eq!(
        answer["rows"],
        json!([[
            1.5,
            "real",
            -2.25e-10,
            "real",
            1,
            "integer",
            0,
            "integer",
            null,
            "null",
            "héllo ✓ 😀 \"q\""
        ]])
    );
    // A JSON number written with a fraction is a REAL even when it is whole.
    let answer = select(&node, "SELECT typeof(?), ?2 / 2", json!([2.0, 3.0])).await;
    assert_eq!(answer["rows"], json!([["real", 1.5]]));
    let answer = select(&node, "SELECT 0.1 + 0.2, 1e300 * 10, 1.0", json!(null)).await;
    assert_eq!(answer["rows"][0][0], json!(0.1 + 0.2));
    assert_eq!(answer["rows"][0][2], json!(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_go_in_as_base64_objects_and_come_out_as_base64_strings() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE b(id INTEGER PRIMARY KEY, b BLOB)")
        .await
        .unwrap();
    let (status, _) = query(
        &node,
        "/query",
        "INSERT INTO b(b) VALUES (?)",
        json!([{ "base64": "AAEC/w==" }]),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = query(
        &node,
        "/query",
        "INSERT INTO b(b) VALUES (:b)",
        json!({ "b": { "base64": "aGVsbG8=" } }),
    )
    .await;
    assert_eq!(status, 200);
    let answer = select(
        &node,
        "SELECT b, hex(b), typeof(b), length(b) FROM b ORDER BY id",
        json!(null),
    )
    .await;
    assert_eq!(
        answer,
        json!({
            "columns": ["b", "hex(b)", "typeof(b)", "length(b)"],
            "rows": [["AAEC/w==", "000102FF", "blob", 4], ["aGVsbG8=", "68656C6C6F", "blob", 5]]
        })
    );
    // A BLOB made by SQLite comes out the same way.
    let answer = select(&node, "SELECT x'00ff10', zeroblob(2)", json!(null)).await;
    assert_eq!(answer["rows"], json!([["AP8Q", "AAA="]]));
    // A stored BLOB can be matched with a BLOB parameter.
    let answer = select(
        &node,
        "SELECT id FROM b WHERE b = ?",
        json!([{ "base64": "aGVsbG8=" }]),
    )
    .await;
    assert_eq!(answer["rows"], json!([[2]]));
}
