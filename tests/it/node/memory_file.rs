//! `ha -m mydatabase.db`: an existing file is loaded into memory and never written.

use serde_json::json;

use crate::support::{
    assert_no_panic, exec_result, files_in, names_in_file, sqlite_file, start_in,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_file_is_served_from_memory_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mydatabase.db");
    sqlite_file(&file, &["alice", "bob"]);
    let before = std::fs::read(&file).unwrap();
    let listing_before = files_in(dir.path());

    let node = start_in(dir.path(), &["-m", "mydatabase.db"]).await;
    let answer = node
        .sql("SELECT id, name FROM t ORDER BY id")
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({ "columns": ["id", "name"], "rows": [[1, "alice"], [2, "bob"]] })
    );

    assert_eq!(
        node.sql("INSERT INTO t(name) VALUES ('carol')")
            .await
            .unwrap(),
        exec_result(1, 3)
    );
    node.sql("UPDATE t SET name = 'ALICE' WHERE id = 1")
        .await
        .unwrap();
    node.sql("CREATE TABLE extra(x)").await.unwrap();
    let answer = node.sql("SELECT name FROM t ORDER BY id").await.unwrap();
    assert_eq!(answer["rows"], json!([["ALICE"], ["bob"], ["carol"]]));
    // Neither the file nor its directory changed while the node runs...
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the file changed while served with -m"
    );
    assert_eq!(files_in(dir.path()), listing_before);
    assert_no_panic(&node);

    // ...nor after it stops.
    assert_eq!(node.stop().await.unwrap(), Some(0));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the file changed after the node stopped"
    );
    assert_eq!(files_in(dir.path()), listing_before);
    assert_eq!(names_in_file(&file), ["alice", "bob"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_node_with_a_missing_file_starts_empty_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_in(dir.path(), &["-m", "absent.db"]).await;
    assert_eq!(
        node.sql("SHOW DATABASES").await.unwrap()["rows"],
        json!([["absent.db"]])
    );
    node.sql("CREATE TABLE t(x)").await.unwrap();
    assert_eq!(
        node.sql("SELECT count(*) FROM t").await.unwrap()["rows"],
        json!([[0]])
    );
    assert_eq!(node.stop().await.unwrap(), Some(0));
    assert_eq!(files_in(dir.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wal_mode_file_is_served_from_memory_and_left_unchanged() {
    // Every file a disk node wrote is in WAL mode: serving it with -m is the common case.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t(name) VALUES ('w1'), ('w2');")
            .unwrap();
    }
    let before = std::fs::read(&file).unwrap();
    assert_eq!(files_in(dir.path()), ["app.db"]);

    let node = start_in(dir.path(), &["-m", "app.db"]).await;
    let (status, answer) = node
        .post(
            "/query",
            &json!({ "sql": "SELECT name FROM t ORDER BY id" }),
        )
        .await
        .unwrap();
    assert_eq!(
        (status, answer),
        (
            200,
            json!({ "columns": ["name"], "rows": [["w1"], ["w2"]] })
        )
    );
    let (status, answer) = node
        .post(
            "/query",
            &json!({ "sql": "INSERT INTO t(name) VALUES ('w3')" }),
        )
        .await
        .unwrap();
    assert_eq!((status, answer), (200, exec_result(1, 3)));
    assert_eq!(node.stop().await.unwrap(), Some(0));

    assert_eq!(std::fs::read(&file).unwrap(), before, "the file changed");
    assert_eq!(
        files_in(dir.path()),
        ["app.db"],
        "files were written beside the source"
    );
}
