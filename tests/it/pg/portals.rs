//! Portals of the extended protocol: rows fetched a few at a time, and a portal bound again
//! before its Execute.

use tokio::io::AsyncWriteExt;

use super::dynamic_types::{message, read_through};
use super::{connect, pg_node};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_hands_out_its_rows_a_few_at_a_time() {
    let node = pg_node(&[]).await;
    let mut client = connect(&node).await;
    client
        .batch_execute(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e');",
        )
        .await
        .unwrap();
    let transaction = client.transaction().await.unwrap();
    let portal = transaction
        .bind("SELECT name FROM t WHERE id >= $1 ORDER BY id", &[&2_i64])
        .await
        .unwrap();
    let mut names = Vec::new();
    let mut rounds = 0;
    loop {
        let rows = transaction.query_portal(&portal, 2).await.unwrap();
        rounds += 1;
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() <= 2, "{} rows at once", rows.len());
        names.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    }
    assert_eq!(names, ["b", "c", "d", "e"]);
    assert_eq!(rounds, 3, "2 + 2 rows, then none");
    // Exactly as many rows as asked for: all of them, the portal done.
    let portal = transaction
        .bind("SELECT name FROM t WHERE id <= $1 ORDER BY id", &[&2_i64])
        .await
        .unwrap();
    let rows = transaction.query_portal(&portal, 2).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        transaction
            .query_portal(&portal, 2)
            .await
            .unwrap()
            .is_empty()
    );
    transaction.commit().await.unwrap();
}

/// Bind of the unnamed statement to the unnamed portal with one text parameter.
fn bind(value: &str) -> Vec<u8> {
    let mut body = b"\0\0\0\0\0\x01".to_vec();
    body.extend_from_slice(&(value.len() as i32).to_be_bytes());
    body.extend_from_slice(value.as_bytes());
    body.extend_from_slice(b"\0\0");
    message(b'B', &body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_bound_again_runs_with_its_new_parameters() {
    // Cleartext passwords: the raw client below logs in without SCRAM.
    let node = pg_node(&["--pg-auth", "password"]).await;
    let client = connect(&node).await;
    client
        .batch_execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two');")
        .await
        .unwrap();
    let mut stream = super::robustness::logged_in(node.pg_addr.unwrap()).await;
    // A read runs at its portal's Describe; binding the portal again before its Execute
    // makes a new portal, which runs with the new value.
    let round = [
        message(b'P', b"\0SELECT name FROM t WHERE id = $1\0\0\0"),
        bind("1"),
        message(b'D', b"P\0"),
        bind("2"),
        message(b'E', b"\0\0\0\0\0"),
        message(b'S', b""),
    ]
    .concat();
    stream.write_all(&round).await.unwrap();
    let answer = read_through(&mut stream, b'Z').await;
    let kinds: Vec<u8> = answer.iter().map(|m| m.0).collect();
    assert_eq!(kinds, b"12T2DCZ", "{answer:?}");
    let row = &answer[4].1;
    // DataRow: 1 column, length 3, "two".
    assert_eq!(row.as_slice(), b"\0\x01\0\0\0\x03two", "{answer:?}");
}
