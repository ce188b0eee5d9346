//! tokio-postgres (the extended protocol with binary parameters and results) against a node.

use super::{connect, pg_node, sqlstate};

const SCHEMA: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB, flag BOOLEAN)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_parameters_and_results_round_trip() {
    let node = pg_node(&[]).await;
    let client = connect(&node).await;
    client.batch_execute(SCHEMA).await.unwrap();
    let inserted = client
        .execute(
            "INSERT INTO t(id, name, score, data, flag) VALUES ($1, $2, $3, $4, $5)",
            &[&1_i64, &"héllo", &1.5_f64, &vec![0_u8, 255], &true],
        )
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    client
        .execute(
            "INSERT INTO t(id, name, score, data, flag) VALUES ($1, $2, $3, $4, $5)",
            &[&2_i64, &"b", &None::<f64>, &None::<Vec<u8>>, &None::<bool>],
        )
        .await
        .unwrap();
    let row = client
        .query_one(
            "SELECT id, name, score, data, flag FROM t WHERE id = $1",
            &[&1_i64],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    assert_eq!(row.get::<_, String>(1), "héllo");
    assert_eq!(row.get::<_, f64>(2), 1.5);
    assert_eq!(row.get::<_, Vec<u8>>(3), vec![0, 255]);
    assert!(row.get::<_, bool>(4));
    let row = client
        .query_one("SELECT score, data, flag FROM t WHERE id = $1", &[&2_i64])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<f64>>(0), None);
    assert_eq!(row.get::<_, Option<Vec<u8>>>(1), None);
    assert_eq!(row.get::<_, Option<bool>>(2), None);
    // Expressions: count(*) is an integer, a literal too.
    let row = client
        .query_one("SELECT count(*), 1, avg(score) FROM t", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 2);
    assert_eq!(row.get::<_, i64>(1), 1);
    assert_eq!(row.get::<_, f64>(2), 1.5);
    // Text-typed parameters compare with integer columns (LIMIT included).
    let rows = client
        .query(
            "SELECT id FROM t WHERE name <> $1 ORDER BY id LIMIT $2",
            &[&"zzz", &5_i64],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_prepared_statement_gives_fresh_results() {
    let node = pg_node(&[]).await;
    let client = connect(&node).await;
    client.batch_execute(SCHEMA).await.unwrap();
    let count = client
        .prepare("SELECT count(*) FROM t WHERE id > $1")
        .await
        .unwrap();
    let insert = client
        .prepare("INSERT INTO t(id, name) VALUES ($1, $2)")
        .await
        .unwrap();
    for id in 1..=5_i64 {
        client
            .execute(&insert, &[&id, &format!("n{id}")])
            .await
            .unwrap();
        let n: i64 = client.query_one(&count, &[&0_i64]).await.unwrap().get(0);
        assert_eq!(n, id);
    }
    // Parse and Describe run nothing: an INSERT prepared but never executed writes nothing.
    let never = client
        .prepare("INSERT INTO t(id, name) VALUES (100, 'never')")
        .await
        .unwrap();
    drop(never);
    let n: i64 = client.query_one(&count, &[&99_i64]).await.unwrap().get(0);
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_have_postgresql_sqlstates() {
    let node = pg_node(&[]).await;
    let client = connect(&node).await;
    client.batch_execute(SCHEMA).await.unwrap();
    client
        .execute("INSERT INTO t(id, name) VALUES (1, 'a')", &[])
        .await
        .unwrap();
    let cases = [
        ("SELEC 1", "42601"),
        ("SELECT * FROM nope", "42P01"),
        ("SELECT nope FROM t", "42703"),
        ("INSERT INTO t(id, name) VALUES (1, 'dup')", "23505"),
        ("INSERT INTO t(id, name) VALUES (2, NULL)", "23502"),
    ];
    for (sql, want) in cases {
        let error = client.execute(sql, &[]).await.unwrap_err();
        assert_eq!(sqlstate(&error), want, "{sql}: {error:?}");
        // Simple protocol too.
        let error = client.batch_execute(sql).await.unwrap_err();
        assert_eq!(sqlstate(&error), want, "{sql} (simple): {error:?}");
    }
    let n: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        n, 1,
        "nothing partial was written, and the connection still works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_connect_time_queries_are_answered() {
    let node = pg_node(&[]).await;
    let client = connect(&node).await;
    let version: String = client
        .query_one("SELECT version()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(version.starts_with("PostgreSQL 16"), "{version}");
    let schema: String = client
        .query_one("select current_schema()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(schema, "public");
    let db: String = client
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(db, "ha.db");
    for (setting, want) in [
        ("standard_conforming_strings", "on"),
        ("transaction isolation level", "read committed"),
        ("server_version", "16.6"),
    ] {
        let row = client
            .query_one(&format!("SHOW {setting}"), &[])
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), want);
    }
    client
        .batch_execute("SET application_name = 'tests'; SET extra_float_digits TO 3")
        .await
        .unwrap();
    let name: String = client
        .query_one("SHOW application_name", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, "tests");
    let error = client
        .query_one("SHOW no_such_setting", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&error), "42704");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_request_stops_the_running_statement() {
    let node = pg_node(&[]).await;
    let client = connect(&node).await;
    let token = client.cancel_token();
    let started = std::time::Instant::now();
    let slow = tokio::spawn(async move {
        let result = client
            .query(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000000) \
                 SELECT count(*) FROM c",
                &[],
            )
            .await;
        (client, result)
    });
    // Cancel until it lands: a cancel that arrives before the statement starts cancels nothing
    // (as in PostgreSQL), and a slow machine may start it late.
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if slow.is_finished() {
            break;
        }
        token.cancel_query(tokio_postgres::NoTls).await.unwrap();
    }
    let (client, result) = slow.await.unwrap();
    let error = result.expect_err("the statement was cancelled");
    assert_eq!(sqlstate(&error), "57014");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    // The connection goes on.
    let n: i64 = client.query_one("SELECT 41 + 1", &[]).await.unwrap().get(0);
    assert_eq!(n, 42);
}
