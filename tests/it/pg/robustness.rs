//! Bad bytes on the wire: garbage after startup, truncated and oversized messages, and
//! clients vanishing mid-query. The server answers with an error or closes that connection,
//! and keeps serving everyone else.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{connect, connect_with, conninfo, pg_node};

/// A StartupMessage (protocol 3.0) for user ha, database ha.
fn startup() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&196608_i32.to_be_bytes());
    for part in ["user", "ha", "database", "ha"] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    message.extend_from_slice(&body);
    message
}

/// Sends `bytes`, then reads what the server answers until it closes or goes quiet.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(bytes).await;
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
        }
    }
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bytes_never_take_the_server_down() {
    let node = pg_node(&[]).await;
    let addr = node.pg_addr.unwrap();
    let healthy = connect(&node).await;
    healthy
        .batch_execute("CREATE TABLE t(id INTEGER PRIMARY KEY)")
        .await
        .unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "garbage instead of a startup",
            b"\x00\x00\x00\x08garbage!".to_vec(),
        ),
        (
            "a startup length of 2 GiB",
            b"\x7f\xff\xff\xff\x00\x03\x00\x00".to_vec(),
        ),
        ("a truncated startup", startup()[..10].to_vec()),
        (
            "random bytes",
            (0..512_u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
    ];
    // After a complete startup (the password exchange is never finished): unknown message
    // types, truncated and oversized messages.
    let mut after_startup = startup();
    after_startup.extend_from_slice(b"Z\x00\x00\x00\x04garbage");
    cases.push(("garbage after startup", after_startup));
    let mut oversized = startup();
    oversized.extend_from_slice(b"Q\x7f\xff\xff\xffSELECT 1");
    cases.push(("an oversized query", oversized));
    for (what, bytes) in &cases {
        let answer = exchange(addr, bytes).await;
        assert!(answer.len() < 1 << 20, "{what}: an unbounded answer");
        // Everyone else is still served.
        healthy
            .execute(
                "INSERT INTO t VALUES ((SELECT coalesce(max(id), 0) + 1 FROM t))",
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("after {what}: {e}"));
    }
    let fresh = connect(&node).await;
    let n: i64 = fresh
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, cases.len() as i64);
}

/// Logs in with a cleartext password over a raw socket; returns the socket once the server
/// said ReadyForQuery.
pub(super) async fn logged_in(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&startup()).await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0_u8; 4096];
    let mut password_sent = false;
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
            .await
            .expect("the server answers the login")
            .unwrap();
        assert!(n > 0, "the server closed during login: {seen:?}");
        seen.extend_from_slice(&buffer[..n]);
        // AuthenticationCleartextPassword: 'R', length 8, code 3.
        if !password_sent
            && seen
                .windows(9)
                .any(|w| w == b"R\x00\x00\x00\x08\x00\x00\x00\x03")
        {
            let mut message = b"p".to_vec();
            message.extend_from_slice(&7_i32.to_be_bytes());
            message.extend_from_slice(b"ha\0");
            stream.write_all(&message).await.unwrap();
            password_sent = true;
        }
        // ReadyForQuery: 'Z', length 5, status 'I'.
        if seen.windows(6).any(|w| w == b"Z\x00\x00\x00\x05I") {
            return stream;
        }
    }
}

/// Sends `bytes` on a logged-in connection; true when the server answered an ErrorResponse
/// or closed the connection (it never hangs or crashes).
async fn answered_or_closed(mut stream: TcpStream, bytes: &[u8]) -> bool {
    let _ = stream.write_all(bytes).await;
    let mut buffer = [0_u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(n)) if buffer[..n].contains(&b'E') => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_after_login_get_an_error_or_a_closed_connection() {
    let node = pg_node(&["--pg-auth", "password"]).await;
    let addr = node.pg_addr.unwrap();
    let healthy = connect(&node).await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "an unknown message type",
            b"\x01\x00\x00\x00\x08garbage!".to_vec(),
        ),
        ("an oversized query", b"Q\x7f\xff\xff\xffSELECT 1".to_vec()),
        ("a Bind of a statement never parsed", {
            let mut m = b"B".to_vec();
            let body = b"\0nope\0\0\0\0\0\0\0\0";
            m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
            m.extend_from_slice(body);
            m.extend_from_slice(b"S\x00\x00\x00\x04");
            m
        }),
        (
            "a query that is not UTF-8",
            b"Q\x00\x00\x00\x09\xff\xfe\xfd\xfc\0".to_vec(),
        ),
    ];
    for (what, bytes) in cases {
        let stream = logged_in(addr).await;
        assert!(
            answered_or_closed(stream, &bytes).await,
            "{what}: no answer and not closed"
        );
        let n: i64 = healthy
            .query_one("SELECT 40 + 2", &[])
            .await
            .unwrap_or_else(|e| panic!("after {what}: {e}"))
            .get(0);
        assert_eq!(n, 42);
    }
    // A truncated message, a length shorter than its own header (pgwire waits for more bytes
    // on both), and a hang-up mid-message leave the server serving too.
    let mut truncated = logged_in(addr).await;
    truncated
        .write_all(b"Q\x00\x00\x01\x00SELECT")
        .await
        .unwrap();
    let mut short = logged_in(addr).await;
    short.write_all(b"Q\x00\x00\x00\x02").await.unwrap();
    drop(truncated);
    let fresh = connect(&node).await;
    let n: i64 = fresh.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
    drop(short);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_vanishing_mid_query_leave_the_server_serving() {
    let node = pg_node(&[]).await;
    let healthy = connect(&node).await;
    for _ in 0..5 {
        let client = connect_with(&conninfo(&node, "")).await.unwrap();
        let slow = tokio::spawn(async move {
            let _ = client
                .query(
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c",
                    &[],
                )
                .await;
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        slow.abort();
    }
    let n: i64 = healthy
        .query_one("SELECT 40 + 2", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 42);
}
