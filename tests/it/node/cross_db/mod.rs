//! Cross-database queries (SPEC §9) against an oracle: four databases hold random rows, a fifth
//! (`union.db`) holds all of them, and every random query run across the four with
//! `/*+ db=db[0-9]+\.db */` must answer what the same query answers on the union.

mod compare;
mod data;
mod queries;

use ha_test_harness::TestNode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::pg::{connect, pg_node, sqlstate};
use crate::support::{assert_error, assert_no_panic, query};

const DATABASES: usize = 4;
const QUERIES: usize = 300;
/// The default seed; `IT_CROSS_DB_SEED=<n>` runs another sequence (a failure prints its seed).
const SEED: u64 = 0xc055_db5e;

fn seed() -> u64 {
    std::env::var("IT_CROSS_DB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED)
}

/// Creates `db0.db` ... and `union.db` holding all their rows; returns the rows per database.
async fn fill(node: &TestNode, rng: &mut StdRng) -> Vec<usize> {
    let mut all = Vec::new();
    let mut sizes = Vec::new();
    for index in 0..DATABASES {
        // One database is nearly empty, one may be empty: merges must cope.
        let size = match index {
            2 => rng.random_range(0..3),
            _ => rng.random_range(15..40),
        };
        let rows = data::rows(rng, (index as i64 + 1) * 1000, size);
        create(node, &format!("db{index}.db"), &rows).await;
        all.extend(rows);
        sizes.push(size);
    }
    create(node, "union.db", &all).await;
    sizes
}

async fn create(node: &TestNode, id: &str, rows: &[String]) {
    let answer = node.sql(&format!("CREATE DATABASE {id}")).await.unwrap();
    assert!(answer.get("error").is_none(), "{answer}");
    let path = format!("/databases/{id}");
    let (status, body) = query(node, &path, data::SCHEMA, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    if rows.is_empty() {
        return;
    }
    let insert = format!("INSERT INTO t VALUES {}", rows.join(", "));
    let (status, body) = query(node, &path, &insert, Value::Null).await;
    assert_eq!(status, 200, "{insert}: {body}");
}

async fn answer(node: &TestNode, path: &str, sql: &str) -> Value {
    let (status, body) = query(node, path, sql, Value::Null).await;
    assert_eq!(status, 200, "{sql}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_queries_across_databases_answer_what_the_union_answers() {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let node = pg_node(&[]).await;
    let sizes = fill(&node, &mut rng).await;
    for i in 0..QUERIES {
        let q = queries::random(&mut rng);
        let (status, merged) = query(&node, "/query", &q.hinted, Value::Null).await;
        assert_eq!(
            status, 200,
            "query {i} (seed {seed}, rows {sizes:?}): {}\n{merged}",
            q.hinted
        );
        let union = answer(&node, "/databases/union.db", &q.sql).await;
        if let Err(difference) = compare::same_answer(&merged, &union, &q.check) {
            panic!(
                "query {i} (seed {seed}, rows {sizes:?}) differs: {difference}\n\
                 across: {}\nmerged: {merged}\nunion:  {union}",
                q.hinted
            );
        }
    }
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chosen_queries_answer_what_the_union_answers() {
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let node = pg_node(&[]).await;
    fill(&node, &mut rng).await;
    // (query, parameters, whether its ORDER BY fixes the answer's order)
    let cases: &[(&str, Value, bool)] = &[
        (
            "SELECT * FROM t ORDER BY id DESC LIMIT 3",
            Value::Null,
            true,
        ),
        (
            "SELECT *, n * 2 AS d FROM t ORDER BY d, id LIMIT 5 OFFSET 2",
            Value::Null,
            true,
        ),
        (
            "WITH c AS (SELECT n, grp FROM t WHERE n > 0) SELECT grp, count(*) AS k FROM c \
             GROUP BY grp ORDER BY grp",
            Value::Null,
            true,
        ),
        (
            "SELECT grp, count(*) FROM (SELECT * FROM t WHERE n > 0) GROUP BY grp ORDER BY 1",
            Value::Null,
            true,
        ),
        (
            "SELECT s, id FROM t ORDER BY s COLLATE NOCASE DESC, id",
            Value::Null,
            true,
        ),
        (
            "SELECT count(*) FROM t GROUP BY grp COLLATE NOCASE",
            Value::Null,
            false,
        ),
        (
            "SELECT lower(grp) AS g, count(*) FROM t GROUP BY g ORDER BY g",
            Value::Null,
            true,
        ),
        (
            "SELECT count(*), cat FROM t GROUP BY 2 ORDER BY 2",
            Value::Null,
            true,
        ),
        (
            "SELECT DISTINCT grp FROM t ORDER BY grp NULLS LAST",
            Value::Null,
            true,
        ),
        (
            "SELECT avg(n) AS a, grp FROM t GROUP BY grp HAVING a > 0 ORDER BY grp",
            Value::Null,
            true,
        ),
        (
            "SELECT count(*) AS k, cat FROM t GROUP BY cat HAVING k > 1 AND cat > 0 ORDER BY cat",
            Value::Null,
            true,
        ),
        (
            "SELECT max(n, x) AS m, id FROM t ORDER BY 1, 2 LIMIT 5",
            Value::Null,
            true,
        ),
        (
            "SELECT x IS DISTINCT FROM n AS d, id FROM t ORDER BY id",
            Value::Null,
            true,
        ),
        (
            "SELECT count(*), sum(n) FROM t WHERE n > ? AND grp = ?",
            json!([0, "a"]),
            true,
        ),
        (
            "SELECT avg(n + ?), count(*) FILTER (WHERE n > ?) FROM t",
            json!([1, 0]),
            true,
        ),
        (
            "SELECT n, id FROM t WHERE n > :low ORDER BY n, id LIMIT 4",
            json!({"low": 5}),
            true,
        ),
    ];
    for (sql, params, ordered) in cases {
        let hinted = format!(r"/*+ db=db[0-9]+\.db */ {sql}");
        let (status, merged) = query(&node, "/query", &hinted, params.clone()).await;
        assert_eq!(status, 200, "{hinted} (seed {seed}): {merged}");
        let (status, union) = query(&node, "/databases/union.db", sql, params.clone()).await;
        assert_eq!(status, 200, "{sql}: {union}");
        let check = queries::Check {
            concatenated: Vec::new(),
            order: if *ordered {
                queries::Order::Total
            } else {
                queries::Order::Unordered
            },
        };
        if let Err(difference) = compare::same_answer(&merged, &union, &check) {
            panic!(
                "{hinted} (seed {seed}) differs: {difference}\nmerged: {merged}\nunion:  {union}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_refusals_are_clear() {
    let mut rng = StdRng::seed_from_u64(seed());
    let node = pg_node(&[]).await;
    fill(&node, &mut rng).await;
    let across = |sql: &str| format!(r"{sql} /*+ db=db[0-9]+\.db */");

    // Nothing matches the filter: an empty answer that still names its columns; aggregates
    // over nothing are SQLite's (count 0, sum NULL, total 0.0).
    let empty = answer(&node, "/query", &across("SELECT id, n AS m FROM t WHERE 0")).await;
    assert_eq!(empty, json!({"columns": ["id", "m"], "rows": []}));
    let sql = across("SELECT count(*), sum(n), total(x), avg(x), group_concat(s) FROM t WHERE 0");
    assert_eq!(
        answer(&node, "/query", &sql).await["rows"],
        json!([[0, null, 0.0, null, null]])
    );
    // Every column an aggregate: one row with the totals.
    let counted = answer(&node, "/query", &across("SELECT COUNT(*) FROM t")).await;
    let union = answer(&node, "/databases/union.db", "SELECT COUNT(*) FROM t").await;
    assert_eq!(counted, union);
    // The hint in a string literal is not a hint: this runs on the default database.
    let literal = answer(&node, "/query", "SELECT '/*+ db=.* */' AS hint").await;
    assert_eq!(literal["rows"], json!([["/*+ db=.* */"]]));

    let refused = |sql: String| {
        let node = &node;
        async move { query(node, "/query", &sql, Value::Null).await }
    };
    let (status, body) = refused("SELECT 1 /*+ db=db[ */".into()).await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = refused(across("DELETE FROM t")).await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = refused(across("CREATE TABLE u(a)")).await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = refused(across("SELECT count(DISTINCT n) FROM t")).await;
    assert_error(status, &body, 501, "not_supported");
    let (status, body) = refused(across("SELECT n FROM t UNION SELECT cat FROM t")).await;
    assert_error(status, &body, 501, "not_supported");
    let (status, body) = refused("SELECT 1 /*+ db=nothing.* */".into()).await;
    assert_error(status, &body, 404, "unknown_database");
    // `.*` takes the default database too, which has no table t: the error names it.
    let (status, body) = refused("SELECT count(*) FROM t /*+ db=.* */".into()).await;
    assert_error(status, &body, 400, "sql_unknown_object");
    assert!(
        body["error"].as_str().unwrap().contains("no such table"),
        "{body}"
    );
    // Nothing was written by the refused writes.
    let counted_again = answer(&node, "/query", &across("SELECT COUNT(*) FROM t")).await;
    assert_eq!(counted_again, counted);
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgresql_door_runs_cross_database_queries_too() {
    let mut rng = StdRng::seed_from_u64(seed());
    let node = pg_node(&[]).await;
    fill(&node, &mut rng).await;
    let sql = "SELECT grp, count(*) AS n, sum(n) AS sum_n FROM t GROUP BY grp ORDER BY grp";
    let union = answer(&node, "/databases/union.db", sql).await;
    let want: Vec<(Option<String>, i64, Option<i64>)> = union["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().map(str::to_string),
                r[1].as_i64().unwrap(),
                r[2].as_i64(),
            )
        })
        .collect();
    let client = connect(&node).await;
    let hinted = format!(r"{sql} /*+ db=db[0-9]+\.db */");
    // The extended protocol: Parse, Describe (on the first database), Execute.
    let rows = client.query(hinted.as_str(), &[]).await.unwrap();
    let got: Vec<(Option<String>, i64, Option<i64>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(got, want);
    // With a parameter, kept on each database.
    let filtered = r"SELECT count(*) FROM t /*+ db=db[0-9]+\.db */ WHERE n > $1";
    let count: i64 = client.query_one(filtered, &[&0_i64]).await.unwrap().get(0);
    let union = answer(
        &node,
        "/databases/union.db",
        "SELECT count(*) FROM t WHERE n > 0",
    )
    .await;
    assert_eq!(json!(count), union["rows"][0][0]);
    // The simple protocol.
    let messages = client.simple_query(&hinted).await.unwrap();
    let simple_rows = messages
        .iter()
        .filter(|m| matches!(m, tokio_postgres::SimpleQueryMessage::Row(_)))
        .count();
    assert_eq!(simple_rows, want.len());
    // Inside a transaction a statement belongs to one database: refused.
    client.batch_execute("BEGIN").await.unwrap();
    let error = client.query(hinted.as_str(), &[]).await.unwrap_err();
    assert_eq!(sqlstate(&error), "0A000", "{error}");
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_no_panic(&node);
}
