//! Interactive transactions over the wire: they hold the database's writer from their first
//! write, other writers wait for them, an idle one is rolled back, and a dropped connection
//! rolls back what it left open.

use std::time::{Duration, Instant};

use super::{connect, ids, pg_file_node, pg_node, sqlstate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_commit_roll_back_and_recover_at_savepoints() {
    let node = pg_node(&[]).await;
    let mut client = connect(&node).await;
    client
        .batch_execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        .await
        .unwrap();
    let tx = client.transaction().await.unwrap();
    tx.execute("INSERT INTO t VALUES ($1, 'a')", &[&1_i64])
        .await
        .unwrap();
    // The transaction reads its own write.
    let n: i64 = tx
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    tx.commit().await.unwrap();

    let tx = client.transaction().await.unwrap();
    tx.execute("INSERT INTO t VALUES (2, 'b')", &[])
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    let mut tx = client.transaction().await.unwrap();
    tx.execute("INSERT INTO t VALUES (3, 'c')", &[])
        .await
        .unwrap();
    {
        let savepoint = tx.savepoint("s1").await.unwrap();
        let error = savepoint
            .execute("INSERT INTO t VALUES (3, 'dup')", &[])
            .await
            .unwrap_err();
        assert_eq!(sqlstate(&error), "23505");
        let error = savepoint.execute("SELECT 1", &[]).await.unwrap_err();
        assert_eq!(sqlstate(&error), "25P02", "the transaction is aborted");
        savepoint.rollback().await.unwrap();
    }
    tx.execute("INSERT INTO t VALUES (4, 'd')", &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let ids = ids(&client, "SELECT id FROM t ORDER BY id").await;
    assert_eq!(ids, vec![1, 3, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_waits_for_an_open_transaction_and_reads_do_not() {
    // In a file database and in a memory one (-m) alike.
    for node in [pg_file_node(&[]).await, pg_node(&[]).await] {
        writer_waits_reader_does_not(&node).await;
    }
}

async fn writer_waits_reader_does_not(node: &ha_test_harness::TestNode) {
    let mut first = connect(node).await;
    let second = connect(node).await;
    first
        .batch_execute("CREATE TABLE t(id INTEGER PRIMARY KEY)")
        .await
        .unwrap();
    let tx = first.transaction().await.unwrap();
    tx.execute("INSERT INTO t VALUES (1)", &[]).await.unwrap();
    // Reads elsewhere don't wait, and don't see the uncommitted row.
    let n: i64 = second
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        second
            .execute("INSERT INTO t VALUES (2)", &[])
            .await
            .unwrap();
        second
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !writer.is_finished(),
        "the other write waits for the transaction"
    );
    tx.commit().await.unwrap();
    let second = writer.await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let n: i64 = second
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_transaction_is_rolled_back_and_frees_the_writer() {
    let node = pg_node(&["--transaction-idle-timeout", "1s"]).await;
    let mut idle = connect(&node).await;
    let other = connect(&node).await;
    other
        .batch_execute("CREATE TABLE t(id INTEGER PRIMARY KEY)")
        .await
        .unwrap();
    let tx = idle.transaction().await.unwrap();
    tx.execute("INSERT INTO t VALUES (1)", &[]).await.unwrap();
    // Another writer is not blocked forever by the forgotten transaction.
    tokio::time::timeout(
        Duration::from_secs(10),
        other.execute("INSERT INTO t VALUES (2)", &[]),
    )
    .await
    .expect("the idle transaction was rolled back within its timeout")
    .unwrap();
    let error = tx
        .execute("INSERT INTO t VALUES (3)", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&error), "25000", "{error:?}");
    drop(tx);
    let ids = ids(&other, "SELECT id FROM t ORDER BY id").await;
    assert_eq!(
        ids,
        vec![2],
        "nothing of the rolled-back transaction remains"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_rolls_back_its_transaction() {
    let node = pg_node(&[]).await;
    let other = connect(&node).await;
    other
        .batch_execute("CREATE TABLE t(id INTEGER PRIMARY KEY)")
        .await
        .unwrap();
    {
        let client = connect(&node).await;
        client
            .batch_execute("BEGIN; INSERT INTO t VALUES (1);")
            .await
            .unwrap();
        // The client goes away without COMMIT.
    }
    tokio::time::timeout(
        Duration::from_secs(10),
        other.execute("INSERT INTO t VALUES (2)", &[]),
    )
    .await
    .expect("the writer was freed when the connection closed")
    .unwrap();
    let n: i64 = other
        .query_one("SELECT count(*) FROM t WHERE id = 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_stops_promptly_with_a_transaction_open() {
    let node = pg_node(&[]).await;
    let client = connect(&node).await;
    client
        .batch_execute("CREATE TABLE t(id INTEGER PRIMARY KEY); BEGIN; INSERT INTO t VALUES (1);")
        .await
        .unwrap();
    let started = Instant::now();
    let code = tokio::time::timeout(Duration::from_secs(15), node.stop())
        .await
        .expect("the node stopped without waiting for the idle transaction")
        .unwrap();
    assert_eq!(code, Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
