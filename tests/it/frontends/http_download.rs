//! `GET /download`: a consistent SQLite file of the database, also while it is being written.

use std::path::Path;
use std::time::{Duration, Instant};

use ha_test_harness::TestNode;
use serde_json::json;

use crate::support::{assert_error, curl, get, sqlite_file, start, start_in};

/// Downloads `path`; returns the Content-Disposition header and the bytes.
async fn download(node: &TestNode, path: &str) -> (String, Vec<u8>) {
    let response = node.client().get(node.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let disposition = response
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (disposition, response.bytes().await.unwrap().to_vec())
}

/// Opens a downloaded file: its integrity check and `SELECT count(*) FROM table`.
fn check_file(path: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "{}", path.display());
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_returns_a_valid_sqlite_file_named_after_the_database() {
    let dir = tempfile::tempdir().unwrap();
    sqlite_file(&dir.path().join("b.db"), &["x", "y", "z"]);
    let node = start_in(dir.path(), &["a.db", "b.db"]).await;
    node.sql("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)")
        .await
        .unwrap();
    node.sql("INSERT INTO users(name) VALUES ('ann'), ('ben')")
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();

    let (disposition, bytes) = download(&node, "/download").await;
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(
        disposition.contains("filename=\"a.db\"") || disposition.contains("filename=a.db"),
        "{disposition}"
    );
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    let file = out.path().join("default.db");
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(check_file(&file, "users"), 2);

    let (disposition, bytes) = download(&node, "/databases/b.db/download").await;
    assert!(disposition.contains("b.db"), "{disposition}");
    let file = out.path().join("b-copy.db");
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(check_file(&file, "t"), 3);
    let names: Vec<String> = {
        let conn = rusqlite::Connection::open(&file).unwrap();
        let mut stmt = conn.prepare("SELECT name FROM t ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(names, ["x", "y", "z"]);

    // With curl, as a user saves it: -OJ names the file from the header.
    let saved = out.path().join("curl");
    std::fs::create_dir(&saved).unwrap();
    curl(&[
        "-OJ",
        "--output-dir",
        saved.to_str().unwrap(),
        &node.url("/databases/a.db/download"),
    ])
    .await;
    assert_eq!(check_file(&saved.join("a.db"), "users"), 2);

    let (status, body) = get(&node, "/databases/nope.db/download").await;
    assert_error(status, &body, 404, "unknown_database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_of_a_memory_database() {
    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(x)").await.unwrap();
    node.sql("INSERT INTO t VALUES (1), (2), (3), (4)")
        .await
        .unwrap();
    let (disposition, bytes) = download(&node, "/download").await;
    assert!(disposition.contains("ha.db"), "{disposition}");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("m.db");
    std::fs::write(&file, bytes).unwrap();
    assert_eq!(check_file(&file, "t"), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_while_writing_are_consistent() {
    let node = start(&[]).await;
    node.sql("CREATE TABLE pairs(id INTEGER PRIMARY KEY, payload TEXT)")
        .await
        .unwrap();
    let pair = json!([
        { "sql": "INSERT INTO pairs(payload) VALUES (hex(randomblob(64)))" },
        { "sql": "INSERT INTO pairs(payload) VALUES (hex(randomblob(64)))" },
    ]);
    let writing = async {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut batches = 0;
        while Instant::now() < deadline && batches < 2500 {
            let (status, answer) = node.post("/query", &pair).await.unwrap();
            assert_eq!(status, 200, "{answer}");
            batches += 1;
        }
        batches
    };
    let downloading = async {
        let out = tempfile::tempdir().unwrap();
        let mut counts = Vec::new();
        for i in 0..6 {
            let (_, bytes) = download(&node, "/download").await;
            let file = out.path().join(format!("copy-{i}.db"));
            std::fs::write(&file, bytes).unwrap();
            let count = check_file(&file, "pairs");
            assert_eq!(
                count % 2,
                0,
                "download {i} holds half a transaction: {count} rows"
            );
            counts.push(count);
        }
        counts
    };
    let (batches, counts) = tokio::join!(writing, downloading);
    assert!(batches > 0);
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "downloads went back in time: {counts:?}"
    );
    let total = node.sql("SELECT count(*) FROM pairs").await.unwrap()["rows"][0][0]
        .as_i64()
        .unwrap();
    assert_eq!(total, 2 * batches);
    assert!(counts.iter().all(|&c| c <= total));
}
