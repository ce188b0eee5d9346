//! `--create-db-dir DIR`: SQLite files found there are served; CREATE/DROP DATABASE and
//! POST/DELETE /databases create and delete files there.

use serde_json::json;

use crate::support::{
    assert_error, assert_no_panic, assert_serving, delete, exec_result, files_in, get, query,
    sqlite_file, start,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_in_the_directory_are_served_and_databases_are_created_and_dropped_there() {
    let dbs = tempfile::tempdir().unwrap();
    let dir = dbs.path();
    sqlite_file(&dir.join("one.sqlite"), &["from one"]);
    // Named like a database but not one: detected by its header, so ignored.
    std::fs::write(
        dir.join("notes.db"),
        "just some text, long enough to hold a header",
    )
    .unwrap();
    let dir_arg = dir.to_str().unwrap();
    let node = start(&["--create-db-dir", dir_arg]).await;

    assert_eq!(
        get(&node, "/databases").await,
        (200, json!({ "databases": ["one.sqlite"] }))
    );
    assert_eq!(
        node.sql("SELECT name FROM t").await.unwrap()["rows"],
        json!([["from one"]])
    );

    // CREATE DATABASE through SQL, POST /databases through the API.
    assert_eq!(
        node.sql("CREATE DATABASE new.db").await.unwrap(),
        exec_result(0, 0)
    );
    let created = node
        .post("/databases", &json!({ "dsn": "new2.db" }))
        .await
        .unwrap();
    assert_eq!(created, (201, json!({ "database": "new2.db" })));
    assert!(
        dir.join("new.db").is_file() && dir.join("new2.db").is_file(),
        "{:?}",
        files_in(dir)
    );
    assert!(
        !node.dir().join("new.db").exists(),
        "created in the working directory instead"
    );
    let shown = node.sql("SHOW DATABASES").await.unwrap();
    assert_eq!(
        shown["rows"],
        json!([["one.sqlite"], ["new.db"], ["new2.db"]])
    );

    // The new databases work, and their data is in their files.
    for id in ["new.db", "new2.db"] {
        let path = format!("/databases/{id}");
        assert_eq!(
            query(
                &node,
                &path,
                "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)",
                json!(null)
            )
            .await
            .0,
            200
        );
        assert_eq!(
            query(&node, &path, "INSERT INTO t(name) VALUES (?)", json!([id])).await,
            (200, exec_result(1, 1))
        );
        assert_eq!(
            query(&node, &path, "SELECT name FROM t", json!(null))
                .await
                .1["rows"],
            json!([[id]])
        );
    }

    // DROP DATABASE through SQL and DELETE /databases/{id}: the files are gone.
    assert_eq!(
        node.sql("DROP DATABASE new.db").await.unwrap(),
        exec_result(0, 0)
    );
    assert_eq!(
        delete(&node, "/databases/new2.db").await,
        (200, json!({ "database": "new2.db" }))
    );
    let left: Vec<String> = files_in(dir)
        .into_iter()
        .filter(|f| !f.starts_with("one.sqlite-"))
        .collect();
    assert_eq!(
        left,
        ["notes.db", "one.sqlite"],
        "the dropped databases' files (with -wal, -shm) must be gone"
    );
    assert_eq!(
        get(&node, "/databases").await.1,
        json!({ "databases": ["one.sqlite"] })
    );
    let (status, body) = query(&node, "/databases/new.db", "SELECT 1", json!(null)).await;
    assert_error(status, &body, 404, "unknown_database");
    assert_serving(&node).await;
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_creations_and_drops() {
    let dbs = tempfile::tempdir().unwrap();
    let dir = dbs.path();
    let node = start(&["--create-db-dir", dir.to_str().unwrap()]).await;
    // An empty directory: the node serves ha.db, in that directory.
    assert_eq!(
        get(&node, "/databases").await.1,
        json!({ "databases": ["ha.db"] })
    );
    assert!(dir.join("ha.db").is_file(), "{:?}", files_in(dir));

    // The default database can't be dropped.
    let (status, body) = delete(&node, "/databases/ha.db").await;
    assert_error(status, &body, 409, "conflict");
    let (status, body) = query(&node, "/query", "DROP DATABASE ha.db", json!(null)).await;
    assert_error(status, &body, 409, "conflict");
    assert!(dir.join("ha.db").is_file());

    // Unknown databases.
    let (status, body) = delete(&node, "/databases/nope.db").await;
    assert_error(status, &body, 404, "unknown_database");
    let (status, body) = query(&node, "/query", "DROP DATABASE nope.db", json!(null)).await;
    assert_error(status, &body, 404, "unknown_database");

    // Creating one that exists: as a database, and as a file already in the directory.
    assert_eq!(
        node.post("/databases", &json!({ "dsn": "x.db" }))
            .await
            .unwrap()
            .0,
        201
    );
    let (status, body) = node
        .post("/databases", &json!({ "dsn": "x.db" }))
        .await
        .unwrap();
    assert_error(status, &body, 409, "database_exists");
    let (status, body) = query(&node, "/query", "CREATE DATABASE x.db", json!(null)).await;
    assert_error(status, &body, 409, "database_exists");
    let (status, body) = query(&node, "/query", "CREATE DATABASE ha.db", json!(null)).await;
    assert_error(status, &body, 409, "database_exists");
    std::fs::write(dir.join("stray.db"), "x").unwrap();
    let (status, body) = node
        .post("/databases", &json!({ "dsn": "stray.db" }))
        .await
        .unwrap();
    assert_error(status, &body, 409, "database_exists");
    assert_eq!(
        std::fs::read(dir.join("stray.db")).unwrap(),
        b"x",
        "an existing file was overwritten"
    );

    // Names that would leave the directory, or are no names.
    for dsn in ["../x.db", "/tmp/x.db", "sub/x.db", "", ".."] {
        let (status, body) = node
            .post("/databases", &json!({ "dsn": dsn }))
            .await
            .unwrap();
        assert_error(status, &body, 400, "bad_request");
    }
    assert!(!dir.parent().unwrap().join("x.db").exists());
    for body in [json!({}), json!({ "dsn": 1 }), json!(["x.db"])] {
        let (status, answer) = node.post("/databases", &body).await.unwrap();
        assert_error(status, &answer, 400, "bad_request");
    }

    let databases: Vec<String> = files_in(dir)
        .into_iter()
        .filter(|f| !f.ends_with("-wal") && !f.ends_with("-shm"))
        .collect();
    assert_eq!(databases, ["ha.db", "stray.db", "x.db"]);
    assert_eq!(
        get(&node, "/databases").await.1,
        json!({ "databases": ["ha.db", "x.db"] })
    );
    assert_serving(&node).await;
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_node_creates_databases_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let node = crate::support::start_in(dir.path(), &["-m"]).await;
    assert_eq!(
        node.post("/databases", &json!({ "dsn": "extra.db" }))
            .await
            .unwrap()
            .0,
        201
    );
    assert_eq!(
        node.sql("CREATE DATABASE other.db").await.unwrap(),
        exec_result(0, 0)
    );
    for id in ["extra.db", "other.db"] {
        let path = format!("/databases/{id}/query");
        assert_eq!(
            query(&node, &path, "CREATE TABLE t(x)", json!(null))
                .await
                .0,
            200
        );
        assert_eq!(
            query(&node, &path, "INSERT INTO t VALUES (?)", json!([id])).await,
            (200, exec_result(1, 1))
        );
        assert_eq!(
            query(&node, &path, "SELECT x FROM t", json!(null)).await.1["rows"],
            json!([[id]])
        );
    }
    assert_eq!(
        get(&node, "/databases").await.1,
        json!({ "databases": ["ha.db", "extra.db", "other.db"] })
    );
    assert_eq!(
        files_in(dir.path()),
        Vec::<String>::new(),
        "a memory node wrote files"
    );

    // Dropped and created again: a new, empty database.
    assert_eq!(delete(&node, "/databases/extra.db").await.0, 200);
    assert_eq!(
        node.post("/databases", &json!({ "dsn": "extra.db" }))
            .await
            .unwrap()
            .0,
        201
    );
    let (status, body) = query(&node, "/databases/extra.db", "SELECT x FROM t", json!(null)).await;
    assert_error(status, &body, 400, "sql_unknown_object");
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_file_database_created_again_is_empty() {
    let dbs = tempfile::tempdir().unwrap();
    let node = start(&["--create-db-dir", dbs.path().to_str().unwrap()]).await;
    assert_eq!(
        node.sql("CREATE DATABASE again.db").await.unwrap(),
        exec_result(0, 0)
    );
    let path = "/databases/again.db";
    assert_eq!(
        query(&node, path, "CREATE TABLE t(x)", json!(null)).await.0,
        200
    );
    assert_eq!(
        query(&node, path, "INSERT INTO t VALUES (1)", json!(null))
            .await
            .0,
        200
    );
    assert_eq!(
        query(&node, path, "SELECT count(*) FROM t", json!(null))
            .await
            .1["rows"],
        json!([[1]])
    );
    assert_eq!(
        node.sql("DROP DATABASE again.db").await.unwrap(),
        exec_result(0, 0)
    );
    assert!(!dbs.path().join("again.db").exists());
    assert_eq!(
        node.sql("CREATE DATABASE again.db").await.unwrap(),
        exec_result(0, 0)
    );
    let (status, body) = query(&node, path, "SELECT count(*) FROM t", json!(null)).await;
    assert_error(status, &body, 400, "sql_unknown_object");
    assert_serving(&node).await;
}
