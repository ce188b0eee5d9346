//! Small helpers shared by the tests: starting nodes, reading answers, checking error bodies.

use std::path::Path;
use std::time::{Duration, Instant};

use ha_test_harness::{Finished, NodeBuilder, TestNode};
use serde_json::{Value, json};

/// Polls `probe` until it answers `Ok`, for at most `within`; otherwise fails with what the last
/// probe saw. Waiting for a condition, never for a fixed time.
pub async fn eventually<T, F, Fut>(within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(seen) => assert!(tokio::time::Instant::now() < deadline, "{seen}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `ha` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ha");

pub fn builder() -> NodeBuilder {
    NodeBuilder::new(BIN)
}

/// Starts a node with these extra arguments in its own temporary directory.
pub async fn start(args: &[&str]) -> TestNode {
    builder()
        .args(args.iter().copied())
        .start()
        .await
        .expect("the node starts")
}

/// Starts a node with these extra arguments in `dir`.
pub async fn start_in(dir: &Path, args: &[&str]) -> TestNode {
    builder()
        .args(args.iter().copied())
        .dir(dir)
        .start()
        .await
        .expect("the node starts")
}

/// Runs the binary with these extra arguments until it exits.
pub async fn run_to_exit(args: &[&str]) -> Finished {
    builder()
        .args(args.iter().copied())
        .run_to_exit()
        .await
        .expect("the process runs")
}

/// Posts raw bytes (declared as JSON); returns the status and the answer parsed as JSON.
pub async fn post_bytes(
    node: &TestNode,
    path: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = node
        .client()
        .post(node.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent");
    read_json(response).await
}

pub async fn get(node: &TestNode, path: &str) -> (u16, Value) {
    let response = node
        .client()
        .get(node.url(path))
        .send()
        .await
        .expect("request sent");
    read_json(response).await
}

pub async fn delete(node: &TestNode, path: &str) -> (u16, Value) {
    let response = node
        .client()
        .delete(node.url(path))
        .send()
        .await
        .expect("request sent");
    read_json(response).await
}

pub async fn read_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("answer body read");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("answer is not JSON (status {status}, {e}): {text:?}"));
    (status, json)
}

/// Posts one statement to `path`.
pub async fn query(node: &TestNode, path: &str, sql: &str, params: Value) -> (u16, Value) {
    let body = if params.is_null() {
        json!({ "sql": sql })
    } else {
        json!({ "sql": sql, "params": params })
    };
    node.post(path, &body).await.expect("request sent")
}

/// The rows of a successful SELECT on the default database.
pub async fn rows(node: &TestNode, sql: &str) -> Value {
    let answer = node.sql(sql).await.expect("query succeeds");
    answer["rows"].clone()
}

/// The single value a successful one-row, one-column query answers.
pub async fn scalar(node: &TestNode, sql: &str) -> Value {
    let rows = rows(node, sql).await;
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{sql}: {rows}");
    rows[0][0].clone()
}

/// `{"columns": ["rows_affected", "last_insert_id"], "rows": [[n, id]]}`.
pub fn exec_result(rows_affected: i64, last_insert_id: i64) -> Value {
    json!({ "columns": ["rows_affected", "last_insert_id"], "rows": [[rows_affected, last_insert_id]] })
}

/// Asserts an error answer: the status, the stable code, a non-empty message, and nothing else
/// than `error`, `code` and (for batches) `statement`.
pub fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "status of {body}");
    assert_eq!(body["code"], want_code, "code of {body}");
    let message = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {body}"));
    assert!(!message.is_empty(), "empty error message in {body}");
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("error body is not an object: {body}"));
    for key in object.keys() {
        assert!(
            ["error", "code", "statement"].contains(&key.as_str()),
            "unexpected field {key} in {body}"
        );
    }
}

/// The node still answers: `/healthz` is ok and a query runs.
pub async fn assert_serving(node: &TestNode) {
    let (status, body) = get(node, "/healthz").await;
    assert_eq!((status, body), (200, json!({ "status": "ok" })));
    let answer = node
        .sql("SELECT 41 + 1")
        .await
        .expect("a query after the failure runs");
    assert_eq!(answer, json!({ "columns": ["41 + 1"], "rows": [[42]] }));
}

/// No panic in what the node logged so far.
pub fn assert_no_panic(node: &TestNode) {
    let logs = node.logs();
    assert!(
        !logs.iter().any(|line| line.contains("panicked")),
        "the node panicked:\n{}",
        logs.join("\n")
    );
}

/// Creates a SQLite file with a table `t(id INTEGER PRIMARY KEY, name TEXT)` holding `names`.
pub fn sqlite_file(path: &Path, names: &[&str]) {
    let conn = rusqlite::Connection::open(path).expect("create a SQLite file");
    conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
        .expect("create table");
    for name in names {
        conn.execute("INSERT INTO t(name) VALUES (?1)", [name])
            .expect("insert");
    }
}

/// The names in `t` of a SQLite file, in id order.
pub fn names_in_file(path: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the SQLite file");
    let mut stmt = conn
        .prepare("SELECT name FROM t ORDER BY id")
        .expect("prepare");
    stmt.query_map([], |row| row.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The file names in a directory, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Runs the real `curl` program; returns its stdout.
pub async fn curl(args: &[&str]) -> String {
    let output = tokio::process::Command::new("/usr/bin/curl")
        .args(["--silent", "--show-error", "--max-time", "30"])
        .args(args)
        .output()
        .await
        .expect("curl runs");
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("curl printed UTF-8")
}

/// A read that takes more than a second on this machine, and how long it took alone.
pub async fn slow_query(node: &TestNode) -> (String, Duration) {
    let mut n: u64 = 2_000_000;
    for _ in 0..4 {
        let sql = format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT count(*) FROM c"
        );
        let started = Instant::now();
        let answer = node.sql(&sql).await.unwrap();
        let took = started.elapsed();
        assert_eq!(answer["rows"], json!([[n]]));
        if took > Duration::from_millis(1200) {
            return (sql, took);
        }
        n = (n * 1600 / (took.as_millis() as u64).max(1)).max(n * 2);
    }
    panic!("no query found that takes more than a second");
}

/// `INSERT INTO table SELECT ...` of as many rows as make the write take more than `at_least`
/// on this machine: its SQL, its row count and how long it took (the rows are deleted again).
pub async fn slow_insert(
    node: &TestNode,
    table: &str,
    at_least: Duration,
) -> (String, i64, Duration) {
    let mut n: i64 = 200_000;
    for _ in 0..6 {
        let sql = format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) INSERT INTO {table} SELECT x FROM c"
        );
        let started = Instant::now();
        node.sql(&sql).await.unwrap();
        let took = started.elapsed();
        node.sql(&format!("DELETE FROM {table}")).await.unwrap();
        if took > at_least {
            return (sql, n, took);
        }
        n *= 3;
    }
    panic!("no write found that takes more than {at_least:?}");
}

fn openssl(args: &[&str], dir: &Path) {
    let made = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        made.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&made.stderr)
    );
}

/// A test certificate authority (`ca.crt`) and, signed by it, a certificate for `localhost`
/// and 127.0.0.1 (`front.crt`, `front.key`), in `dir`.
pub fn certificates(dir: &Path) {
    std::fs::write(
        dir.join("front.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=ha test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
        dir,
    );
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "front.key",
            "-out",
            "front.csr",
        ],
        dir,
    );
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "front.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "front.ext",
            "-out",
            "front.crt",
        ],
        dir,
    );
}
