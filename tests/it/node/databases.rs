//! Several databases: ids are file base names, the first is the default, glob patterns are
//! expanded by the node, and two databases with the same id are refused.

use serde_json::json;

use crate::support::{assert_no_panic, builder, get, query, sqlite_file};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_databases_are_reached_by_id_and_the_first_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    sqlite_file(&dir.path().join("sub/a.db"), &["in a"]);
    sqlite_file(&dir.path().join("b.db"), &["in b"]);
    let node = builder()
        .args(["sub/a.db", "b.db"])
        .dir(dir.path())
        .start()
        .await
        .unwrap();

    assert_eq!(
        get(&node, "/databases").await,
        (200, json!({ "databases": ["a.db", "b.db"] }))
    );
    let select = "SELECT name FROM t";
    let in_a = json!({ "columns": ["name"], "rows": [["in a"]] });
    let in_b = json!({ "columns": ["name"], "rows": [["in b"]] });
    assert_eq!(
        query(&node, "/", select, json!(null)).await,
        (200, in_a.clone())
    );
    assert_eq!(
        query(&node, "/query", select, json!(null)).await,
        (200, in_a.clone())
    );
    assert_eq!(
        query(&node, "/databases/a.db", select, json!(null)).await,
        (200, in_a)
    );
    assert_eq!(
        query(&node, "/databases/b.db", select, json!(null)).await,
        (200, in_b.clone())
    );
    assert_eq!(
        query(&node, "/databases/b.db/query", select, json!(null)).await,
        (200, in_b)
    );

    // A write to b.db lands in b.db only.
    let (status, _) = query(
        &node,
        "/databases/b.db",
        "INSERT INTO t(name) VALUES ('b2')",
        json!(null),
    )
    .await;
    assert_eq!(status, 200);
    let count = "SELECT count(*) FROM t";
    assert_eq!(
        query(&node, "/databases/b.db/query", count, json!(null))
            .await
            .1["rows"],
        json!([[2]])
    );
    assert_eq!(
        query(&node, "/query", count, json!(null)).await.1["rows"],
        json!([[1]])
    );
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quoted_glob_pattern_is_expanded_by_the_node() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["c.db", "a.db", "b.db"] {
        sqlite_file(&dir.path().join(name), &[name]);
    }
    std::fs::write(dir.path().join("notes.txt"), "not a database").unwrap();
    let node = builder().arg("*.db").dir(dir.path()).start().await.unwrap();

    assert_eq!(
        get(&node, "/databases").await,
        (200, json!({ "databases": ["a.db", "b.db", "c.db"] }))
    );
    let select = "SELECT name FROM t";
    assert_eq!(
        query(&node, "/query", select, json!(null)).await.1["rows"],
        json!([["a.db"]])
    );
    assert_eq!(
        query(&node, "/databases/b.db", select, json!(null)).await.1["rows"],
        json!([["b.db"]])
    );
    assert_eq!(
        query(&node, "/databases/c.db/query", select, json!(null))
            .await
            .1["rows"],
        json!([["c.db"]])
    );
    assert!(!dir.path().join("ha.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_databases_with_the_same_id_are_a_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["one", "two"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        sqlite_file(&dir.path().join(sub).join("x.db"), &[sub]);
    }
    let finished = builder()
        .args(["one/x.db", "two/x.db"])
        .dir(dir.path())
        .run_to_exit()
        .await
        .unwrap();
    assert_ne!(finished.code, Some(0), "{finished:?}");
    assert!(finished.code.is_some(), "killed by a signal: {finished:?}");
    assert!(
        finished.stderr.contains("x.db"),
        "the error does not name the id: {}",
        finished.stderr
    );
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pattern_that_matches_nothing_is_a_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let finished = builder()
        .arg("*.sqlite")
        .dir(dir.path())
        .run_to_exit()
        .await
        .unwrap();
    assert_ne!(finished.code, Some(0), "{finished:?}");
    assert!(finished.stderr.contains("*.sqlite"), "{}", finished.stderr);
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_database_is_a_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = "these bytes are not a SQLite database, whatever the file is called\n".repeat(20);
    std::fs::write(dir.path().join("bad.db"), &text).unwrap();
    for args in [&["bad.db"][..], &["-m", "bad.db"][..]] {
        let finished = builder()
            .args(args.iter().copied())
            .dir(dir.path())
            .run_to_exit()
            .await
            .unwrap();
        assert!(
            finished.code.is_some_and(|c| c != 0),
            "{args:?}: {finished:?}"
        );
        assert!(
            finished.stderr.contains("bad.db"),
            "{args:?}: the error does not name the file: {}",
            finished.stderr
        );
        assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bad.db")).unwrap(),
        text,
        "the file was changed"
    );
}
