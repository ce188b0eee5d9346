//! The seed's PostgreSQL quick start: psql on node1 writes, node2 (its own `--pg-port`) shows
//! the rows; a transaction on node2 replicates as one change set; `SHOW ha.last_seq` and
//! `SET ha.min_seq` give read-your-writes across nodes.

use ha_test_harness::{NodeBuilder, free_port};
use tokio_postgres::NoTls;

use crate::support::BIN;

async fn client(node: &ha_test_harness::TestNode) -> tokio_postgres::Client {
    let addr = node.pg_addr.unwrap();
    let (client, connection) = tokio_postgres::connect(
        &format!(
            "host={} port={} user=ha password=ha",
            addr.ip(),
            addr.port()
        ),
        NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_over_postgresql_replicate_to_the_other_node() {
    let nats = free_port().unwrap();
    let node1 = NodeBuilder::new(BIN)
        .args([
            "-n",
            "node1",
            "-m",
            "--pg-port",
            &free_port().unwrap().to_string(),
        ])
        .embedded_nats(nats)
        .start()
        .await
        .unwrap();
    let node2 = NodeBuilder::new(BIN)
        .args([
            "-n",
            "node2",
            "-m",
            "--pg-port",
            &free_port().unwrap().to_string(),
        ])
        .replication_url(format!("nats://127.0.0.1:{nats}"))
        .start()
        .await
        .unwrap();
    let nodes = vec![node1, node2];
    // psql, exactly as a user would.
    let on_node1 = crate::pg::conninfo(&nodes[0], "");
    let output = crate::pg::psql_as(
        &on_node1,
        &[
            "-c",
            "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)",
            "-c",
            "INSERT INTO users(name) VALUES ('HA user')",
        ],
        "",
    )
    .await;
    assert!(output.status.success(), "{}", crate::pg::text(&output).1);
    // psql's \dt lists the user's tables, not the server's own `_ha_*` tables.
    let listed = crate::pg::psql_as(&on_node1, &["-At", "-c", "\\dt"], "").await;
    assert_eq!(crate::pg::text(&listed).0, "public|users|table|ha\n");
    let on_node2 = client(&nodes[1]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Ok(rows) = on_node2.query("SELECT id, name FROM users", &[]).await
            && rows.len() == 1
        {
            assert_eq!(rows[0].get::<_, String>(1), "HA user");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node2 never showed node1's row"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A transaction on node2, then read-your-writes on node1.
    let mut writer = client(&nodes[1]).await;
    let tx = writer.transaction().await.unwrap();
    for i in 0..3_i64 {
        tx.execute("INSERT INTO users(name) VALUES ($1)", &[&format!("tx {i}")])
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let seq: String = writer
        .query_one("SHOW ha.last_seq", &[])
        .await
        .unwrap()
        .get(0);
    assert!(seq.parse::<u64>().unwrap() >= 2, "{seq}");
    let reader = client(&nodes[0]).await;
    reader
        .batch_execute(&format!("SET ha.min_seq = {seq}"))
        .await
        .unwrap();
    let n: i64 = reader
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 4, "the reader waited for the transaction's change set");
    let on_http = super::converged(&nodes, "SELECT count(*) FROM users").await;
    assert_eq!(on_http, serde_json::json!([[4]]));
    // What a savepoint rolled back, and a rolled-back transaction, never replicate.
    writer
        .batch_execute(
            "BEGIN; INSERT INTO users(id, name) VALUES (10, 'kept'); SAVEPOINT s; \
             INSERT INTO users(id, name) VALUES (11, 'undone'); UPDATE users SET name = 'undone' WHERE id = 1; \
             ROLLBACK TO SAVEPOINT s; INSERT INTO users(id, name) VALUES (12, 'kept too'); COMMIT",
        )
        .await
        .unwrap();
    writer
        .batch_execute("BEGIN; INSERT INTO users(id, name) VALUES (13, 'rolled back'); ROLLBACK")
        .await
        .unwrap();
    writer
        .batch_execute("INSERT INTO users(id, name) VALUES (14, 'marker')")
        .await
        .unwrap();
    let rows = super::converged(
        &nodes,
        "SELECT id, name FROM users WHERE id = 1 OR id >= 10 ORDER BY id",
    )
    .await;
    assert_eq!(
        rows,
        serde_json::json!([
            [1, "HA user"],
            [10, "kept"],
            [12, "kept too"],
            [14, "marker"]
        ])
    );
}

/// A write the broker does not confirm in time is committed on the node: the client gets
/// SQLSTATE HA001 (not a retryable state), and the write reaches the other node once the broker
/// is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_write_is_ha001_and_is_not_lost() {
    let nats = free_port().unwrap();
    let node1 = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m", "--replication-timeout=1s"])
        .args(["--pg-port", &free_port().unwrap().to_string()])
        .embedded_nats(nats)
        .start()
        .await
        .unwrap();
    let node2 = NodeBuilder::new(BIN)
        .args(["-n", "node2", "-m"])
        .replication_url(format!("nats://127.0.0.1:{nats}"))
        .start()
        .await
        .unwrap();
    let client = client(&node1).await;
    client
        .batch_execute("CREATE TABLE t(id INTEGER PRIMARY KEY)")
        .await
        .unwrap();
    let nodes = vec![node1, node2];
    super::converged(&nodes, "SELECT name FROM sqlite_master WHERE name = 't'").await;
    let broker = super::faults::child_named(nodes[0].pid().unwrap(), "nats-server")
        .expect("the embedded nats-server runs");
    // SAFETY: kill(2) on a pid just read from /proc; no memory is touched.
    unsafe { libc::kill(broker as libc::pid_t, libc::SIGSTOP) };
    let error = client
        .execute("INSERT INTO t VALUES (1)", &[])
        .await
        .expect_err("the broker can't confirm");
    // SAFETY: as above.
    unsafe { libc::kill(broker as libc::pid_t, libc::SIGCONT) };
    assert_eq!(
        error.code().map(|c| c.code().to_string()).as_deref(),
        Some("HA001"),
        "{error:?}"
    );
    let rows = super::converged(&nodes, "SELECT id FROM t").await;
    assert_eq!(rows, serde_json::json!([[1]]));
}
