//! Clients that go away mid-request: the node keeps serving and writes all or nothing.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::http_limits::raw_http;
use crate::support::{assert_no_panic, assert_serving, slow_insert, slow_query, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_during_a_slow_read_frees_its_slot() {
    let node = start(&["-m", "--concurrent-queries", "1"]).await;
    let (slow, took) = slow_query(&node).await;
    let impatient = reqwest::Client::builder()
        .timeout(took / 5)
        .build()
        .unwrap();
    let gone = impatient
        .post(node.url("/query"))
        .json(&json!({ "sql": slow }))
        .send()
        .await;
    assert!(
        gone.is_err_and(|e| e.is_timeout()),
        "the slow query answered before the client left"
    );

    // With one slot, the next query runs only once the abandoned one stopped: it must not have
    // to wait for it to finish.
    let started = Instant::now();
    assert_serving(&node).await;
    let waited = started.elapsed();
    assert!(
        waited < took / 2,
        "the abandoned query kept its slot: the next one waited {waited:?} (it takes {took:?})"
    );
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_during_a_write_gets_all_or_nothing() {
    let node = start(&[]).await;
    node.sql("CREATE TABLE big(x INTEGER)").await.unwrap();
    // A write that takes a while, so the client can leave in the middle.
    let (sql, n, took) = slow_insert(&node, "big", Duration::from_millis(800)).await;
    let impatient = reqwest::Client::builder()
        .timeout(took / 5)
        .build()
        .unwrap();
    let gone = impatient
        .post(node.url("/query"))
        .json(&json!({ "sql": sql }))
        .send()
        .await;
    assert!(gone.is_err(), "the write answered before the client left");

    // Every read sees none of the rows or all of them, never a part.
    let deadline = Instant::now() + took * 4 + Duration::from_secs(2);
    let mut counts = Vec::new();
    while Instant::now() < deadline {
        let count = node.sql("SELECT count(*) FROM big").await.unwrap()["rows"][0][0]
            .as_i64()
            .unwrap();
        assert!(count == 0 || count == n, "a read saw {count} of {n} rows");
        counts.push(count);
        if count == n {
            break;
        }
    }
    assert!(!counts.is_empty());
    assert_serving(&node).await;
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_and_junk_connections_change_nothing() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(v TEXT)").await.unwrap();
    let body = serde_json::to_vec(&json!([
        { "sql": "INSERT INTO t(v) VALUES ('a')" },
        { "sql": "INSERT INTO t(v) VALUES ('b')" },
    ]))
    .unwrap();

    // Half a body, then the client closes its connection.
    let mut stream = tokio::net::TcpStream::connect(node.http_addr)
        .await
        .unwrap();
    let head = format!(
        "POST /query HTTP/1.1\r\nHost: ha\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..body.len() / 2]).await.unwrap();
    stream.shutdown().await.unwrap();
    drop(stream);

    // Headers only; a connection opened and closed; bytes that are not HTTP.
    let mut stream = tokio::net::TcpStream::connect(node.http_addr)
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    drop(stream);
    drop(
        tokio::net::TcpStream::connect(node.http_addr)
            .await
            .unwrap(),
    );
    let mut stream = tokio::net::TcpStream::connect(node.http_addr)
        .await
        .unwrap();
    let _ = stream
        .write_all(b"\x16\x03\x01\x00\xa5 not http at all\r\n\r\n")
        .await;
    drop(stream);

    // The complete request, on its own connection, does what it says: the node is fine.
    let mut request = format!("POST /query HTTP/1.1\r\nHost: ha\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    request.extend_from_slice(&body);
    let (status, text) = raw_http(node.http_addr, &request).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        node.sql("SELECT v FROM t ORDER BY rowid").await.unwrap()["rows"],
        json!([["a"], ["b"]])
    );
    assert_serving(&node).await;
    assert_no_panic(&node);
}
