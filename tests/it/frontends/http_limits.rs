//! `--max-body-size`: larger bodies get 413 with a JSON error, however they are sent, and the
//! node goes on serving.

use std::net::SocketAddr;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{assert_error, assert_no_panic, assert_serving, curl, post_bytes, start};

/// Sends raw bytes on a new connection and reads the answer until the server closes it:
/// the status and the body.
pub(crate) async fn raw_http(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        stream.read_to_end(&mut answer),
    );
    read.await.expect("the server answers").unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{head}"));
    (status, body.to_string())
}

/// A batch inserting into `t` whose JSON text is at least `size` bytes long.
fn insert_body(size: usize) -> Vec<u8> {
    let filler = "x".repeat(size);
    serde_json::to_vec(&json!([
        { "sql": "INSERT INTO t(v) VALUES (?)", "params": ["first"] },
        { "sql": "INSERT INTO t(v) VALUES (?)", "params": [filler] },
    ]))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413() {
    let node = start(&["-m", "--max-body-size", "1KiB"]).await;
    node.sql("CREATE TABLE t(v TEXT)").await.unwrap();

    let small = insert_body(700);
    assert!(small.len() < 1024);
    let (status, answer) = post_bytes(&node, "/query", small).await;
    assert_eq!(status, 200, "{answer}");

    for size in [1100, 4096] {
        let big = insert_body(size);
        let (status, answer) = post_bytes(&node, "/query", big.clone()).await;
        assert_error(status, &answer, 413, "payload_too_large");
        let (status, answer) = post_bytes(&node, "/databases/ha.db", big).await;
        assert_error(status, &answer, 413, "payload_too_large");
    }
    let (status, answer) = post_bytes(
        &node,
        "/databases",
        serde_json::to_vec(&json!({ "dsn": "x".repeat(2000) })).unwrap(),
    )
    .await;
    assert_error(status, &answer, 413, "payload_too_large");

    // A much larger body, sent by curl as a user would: still a clean 413.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.json");
    std::fs::write(&file, insert_body(4 << 20)).unwrap();
    let out = curl(&[
        "-w",
        "\n%{http_code}",
        "--data-binary",
        &format!("@{}", file.display()),
        &node.url("/query"),
    ])
    .await;
    let (text, status) = out.rsplit_once('\n').unwrap();
    assert_eq!(status, "413", "{text}");
    assert_error(
        413,
        &serde_json::from_str(text).unwrap(),
        413,
        "payload_too_large",
    );

    // Chunked, with no Content-Length to refuse it up front.
    let body = insert_body(3000);
    let mut request = b"POST /query HTTP/1.1\r\nHost: ha\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for chunk in body.chunks(500) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = raw_http(node.http_addr, &request).await;
    assert_error(
        status,
        &serde_json::from_str(&text).unwrap(),
        413,
        "payload_too_large",
    );

    assert_eq!(
        node.sql("SELECT count(*) FROM t").await.unwrap()["rows"],
        json!([[2]])
    );
    assert_serving(&node).await;
    assert_no_panic(&node);
}
