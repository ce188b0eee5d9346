//! Every statement that returns rows returns them, whatever its first word; the others answer
//! rows_affected and last_insert_id (SPEC §4.2).

use serde_json::json;

use crate::support::{exec_result, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_with_result_columns_return_their_rows() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)")
        .await
        .unwrap();
    assert_eq!(
        node.sql("INSERT INTO users(name) VALUES ('a'), ('b'), ('c')")
            .await
            .unwrap(),
        exec_result(3, 3)
    );

    let cases = [
        (
            "SELECT id, name FROM users WHERE id < 3 ORDER BY id",
            json!({ "columns": ["id", "name"], "rows": [[1, "a"], [2, "b"]] }),
        ),
        (
            "  select name from users where id = 3",
            json!({ "columns": ["name"], "rows": [["c"]] }),
        ),
        (
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x FROM c",
            json!({ "columns": ["x"], "rows": [[1], [2], [3]] }),
        ),
        (
            "VALUES (1, 'one'), (2, 'two')",
            json!({ "columns": ["column1", "column2"], "rows": [[1, "one"], [2, "two"]] }),
        ),
        (
            "PRAGMA table_info(users)",
            json!({
                "columns": ["cid", "name", "type", "notnull", "dflt_value", "pk"],
                "rows": [[0, "id", "INTEGER", 0, null, 1], [1, "name", "TEXT", 0, null, 0]]
            }),
        ),
        (
            "SELECT name FROM users WHERE id > 100",
            json!({ "columns": ["name"], "rows": [] }),
        ),
        (
            "/* a comment first */ SELECT 1 AS one",
            json!({ "columns": ["one"], "rows": [[1]] }),
        ),
        (
            "INSERT INTO users(name) VALUES ('d') RETURNING id, name",
            json!({ "columns": ["id", "name"], "rows": [[4, "d"]] }),
        ),
        (
            "UPDATE users SET name = upper(name) WHERE id IN (1, 2) RETURNING id, name",
            json!({ "columns": ["id", "name"], "rows": [[1, "A"], [2, "B"]] }),
        ),
        (
            "DELETE FROM users WHERE id = 4 RETURNING name",
            json!({ "columns": ["name"], "rows": [["d"]] }),
        ),
        (
            "WITH n(v) AS (VALUES ('e')) INSERT INTO users(name) SELECT v FROM n RETURNING id",
            json!({ "columns": ["id"], "rows": [[4]] }),
        ),
    ];
    for (sql, expected) in cases {
        assert_eq!(node.sql(sql).await.unwrap(), expected, "{sql}");
    }

    let explain = node.sql("EXPLAIN SELECT 1").await.unwrap();
    assert_eq!(
        explain["columns"],
        json!(["addr", "opcode", "p1", "p2", "p3", "p4", "p5", "comment"])
    );
    assert!(
        explain["rows"]
            .as_array()
            .is_some_and(|rows| rows.len() > 2),
        "{explain}"
    );
    let plan = node
        .sql("EXPLAIN QUERY PLAN SELECT * FROM users WHERE id = 1")
        .await
        .unwrap();
    assert_eq!(
        plan["columns"],
        json!(["id", "parent", "notused", "detail"])
    );
    assert!(
        plan["rows"][0][3]
            .as_str()
            .is_some_and(|d| d.contains("users")),
        "{plan}"
    );

    // The RETURNING statements wrote what they returned.
    let all = node
        .sql("SELECT id, name FROM users ORDER BY id")
        .await
        .unwrap();
    assert_eq!(all["rows"], json!([[1, "A"], [2, "B"], [3, "c"], [4, "e"]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_statements_answer_rows_affected_and_ddl_answers_zero() {
    let node = start(&["-m"]).await;
    assert_eq!(
        node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)")
            .await
            .unwrap(),
        exec_result(0, 0)
    );
    assert_eq!(
        node.sql("INSERT INTO t(v) VALUES (1), (2), (3)")
            .await
            .unwrap(),
        exec_result(3, 3)
    );
    // DDL right after a write still answers 0 rows affected.
    let ddl = [
        "CREATE INDEX t_v ON t(v)",
        "CREATE VIEW tv AS SELECT v FROM t",
        "ALTER TABLE t ADD COLUMN w TEXT",
        "CREATE TABLE u(x)",
        "DROP VIEW tv",
        "DROP INDEX t_v",
        "DROP TABLE u",
    ];
    for sql in ddl {
        let answer = node.sql(sql).await.unwrap();
        assert_eq!(
            answer["columns"],
            json!(["rows_affected", "last_insert_id"]),
            "{sql}"
        );
        assert_eq!(answer["rows"][0][0], json!(0), "{sql}: {answer}");
    }
    assert_eq!(
        node.sql("UPDATE t SET v = v * 10 WHERE v >= 2")
            .await
            .unwrap(),
        exec_result(2, 3)
    );
    assert_eq!(
        node.sql("UPDATE t SET v = 0 WHERE v > 1000").await.unwrap(),
        exec_result(0, 3)
    );
    assert_eq!(
        node.sql("DELETE FROM t WHERE v = 1").await.unwrap(),
        exec_result(1, 3)
    );
    assert_eq!(
        node.sql("REPLACE INTO t(id, v) VALUES (7, 70)")
            .await
            .unwrap(),
        exec_result(1, 7)
    );
    let rows = node
        .sql("SELECT id, v, w FROM t ORDER BY id")
        .await
        .unwrap();
    assert_eq!(
        rows["rows"],
        json!([[2, 20, null], [3, 30, null], [7, 70, null]])
    );
}

/// A large answer (its JSON written off the runtime's workers) arrives whole, alone and in a
/// batch, and a small one after it still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_answer_arrives_whole() {
    let node = start(&["-m", "--workers", "1"]).await;
    let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000) \
               SELECT x, 'row ' || x FROM c";
    let answer = node.sql(sql).await.unwrap();
    let rows = answer["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 30000);
    assert_eq!(rows[0], json!([1, "row 1"]));
    assert_eq!(rows[29999], json!([30000, "row 30000"]));
    let (status, batch) = node
        .post("/query", &json!([{ "sql": sql }, { "sql": "SELECT 2" }]))
        .await
        .unwrap();
    assert_eq!(status, 200, "{batch}");
    assert_eq!(batch["results"][0]["rows"].as_array().unwrap().len(), 30000);
    assert_eq!(batch["results"][1]["rows"], json!([[2]]));
    assert_eq!(node.sql("SELECT 1").await.unwrap()["rows"], json!([[1]]));
}
