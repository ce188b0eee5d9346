//! `ha` with no database, `-m`, and `file:` DSNs: what is served and what lands on disk.

use serde_json::{Value, json};

use crate::support::{
    assert_no_panic, builder, eventually, exec_result, files_in, get, names_in_file, scalar,
    start_in,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_node_serves_ha_db_and_writes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_in(dir.path(), &["-n", "node1", "-m"]).await;
    let shown = node.sql("SHOW DATABASES").await.unwrap();
    assert_eq!(
        shown,
        json!({ "columns": ["database"], "rows": [["ha.db"]] })
    );
    assert_eq!(
        get(&node, "/databases").await,
        (200, json!({ "databases": ["ha.db"] }))
    );

    node.sql("CREATE TABLE t(x INTEGER)").await.unwrap();
    assert_eq!(
        node.sql("INSERT INTO t VALUES (7)").await.unwrap(),
        exec_result(1, 1)
    );
    assert_eq!(scalar(&node, "SELECT x FROM t").await, json!(7));

    // The node name given with -n is the one it reports.
    let listening: Value = node
        .logs()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|record| record["fields"]["message"] == "listening")
        .expect("a listening record");
    assert_eq!(listening["fields"]["node"], "node1");

    assert_eq!(
        files_in(dir.path()),
        Vec::<String>::new(),
        "a memory node wrote files"
    );
    assert_no_panic(&node);
    assert_eq!(node.stop().await.unwrap(), Some(0));
    assert_eq!(
        files_in(dir.path()),
        Vec::<String>::new(),
        "a memory node wrote files"
    );
}

/// The async worker threads the node's `listening` record reports, once it is logged.
async fn workers_of(node: &ha_test_harness::TestNode) -> u64 {
    eventually(std::time::Duration::from_secs(10), || async {
        node.logs()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find(|record| record["fields"]["message"] == "listening")
            .ok_or_else(|| "no listening record yet".to_string())
            .and_then(|record| {
                record["fields"]["workers"]
                    .as_u64()
                    .ok_or_else(|| format!("the record names no workers: {record}"))
            })
    })
    .await
}

/// `--workers N` (or `HA_WORKERS`) runs the node on N async threads; without it, one per core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_runs_on_the_workers_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let one = start_in(dir.path(), &["-m", "--workers", "1"]).await;
    assert_eq!(workers_of(&one).await, 1);
    assert_eq!(one.sql("SELECT 1").await.unwrap()["rows"], json!([[1]]));
    let three = builder()
        .arg("-m")
        .env("HA_WORKERS", "3")
        .dir(dir.path())
        .start()
        .await
        .unwrap();
    assert_eq!(workers_of(&three).await, 3);
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        let default = start_in(dir.path(), &["-m"]).await;
        let cores = std::thread::available_parallelism().unwrap().get() as u64;
        assert_eq!(workers_of(&default).await, cores);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_ha_db_is_a_wal_file_that_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_in(dir.path(), &[]).await;
    assert_eq!(
        get(&node, "/databases").await,
        (200, json!({ "databases": ["ha.db"] }))
    );
    assert_eq!(scalar(&node, "PRAGMA journal_mode").await, json!("wal"));
    assert!(
        dir.path().join("ha.db").is_file(),
        "ha.db not created in the working directory"
    );

    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
        .await
        .unwrap();
    node.sql("INSERT INTO t(name) VALUES ('kept'), ('also kept')")
        .await
        .unwrap();
    assert_eq!(node.stop().await.unwrap(), Some(0));

    // The rows are in the files the node left.
    assert_eq!(
        names_in_file(&dir.path().join("ha.db")),
        ["kept", "also kept"]
    );

    let node = start_in(dir.path(), &[]).await;
    let rows = node
        .sql("SELECT id, name FROM t ORDER BY id")
        .await
        .unwrap();
    assert_eq!(
        rows,
        json!({ "columns": ["id", "name"], "rows": [[1, "kept"], [2, "also kept"]] })
    );
    assert_eq!(scalar(&node, "PRAGMA journal_mode").await, json!("wal"));
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_dsn_is_on_disk_in_wal_mode_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_in(dir.path(), &["file:mydatabase.db"]).await;
    assert_eq!(
        get(&node, "/databases").await,
        (200, json!({ "databases": ["mydatabase.db"] }))
    );
    assert_eq!(scalar(&node, "PRAGMA journal_mode").await, json!("wal"));
    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
        .await
        .unwrap();
    node.sql("INSERT INTO t(name) VALUES ('one')")
        .await
        .unwrap();
    assert_eq!(node.stop().await.unwrap(), Some(0));
    assert!(dir.path().join("mydatabase.db").is_file());
    assert!(
        !dir.path().join("ha.db").exists(),
        "ha.db created although a database was given"
    );

    let node = start_in(dir.path(), &["file:mydatabase.db"]).await;
    assert_eq!(scalar(&node, "SELECT name FROM t").await, json!("one"));
    assert_no_panic(&node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_dsn_parameters_are_accepted_and_replace_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let node = builder()
        .args([
            "file:x.db?cache=shared",
            "file:y.db?journal_mode=WAL&busy_timeout=1234",
        ])
        .dir(dir.path())
        .start()
        .await
        .unwrap();
    assert_eq!(
        get(&node, "/databases").await,
        (200, json!({ "databases": ["x.db", "y.db"] }))
    );
    // SPEC §1: parameters in the DSN replace --db-params, so x.db keeps SQLite's default journal.
    assert_eq!(scalar(&node, "PRAGMA journal_mode").await, json!("delete"));
    let (status, answer) = node
        .post("/databases/y.db", &json!({ "sql": "PRAGMA journal_mode" }))
        .await
        .unwrap();
    assert_eq!((status, answer["rows"].clone()), (200, json!([["wal"]])));
    node.sql("CREATE TABLE t(x)").await.unwrap();
    node.sql("INSERT INTO t VALUES (1)").await.unwrap();
    assert_eq!(node.stop().await.unwrap(), Some(0));
    assert!(dir.path().join("x.db").is_file() && dir.path().join("y.db").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_leaves_the_database_file_complete() {
    // After SIGTERM the node has closed its databases: ha.db alone holds every committed row, so
    // an operator can copy or move it (SQLite checkpoints and removes the WAL on a clean close).
    let dir = tempfile::tempdir().unwrap();
    let node = start_in(dir.path(), &[]).await;
    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
        .await
        .unwrap();
    assert_eq!(scalar(&node, "SELECT count(*) FROM t").await, json!(0));
    node.sql("INSERT INTO t(name) VALUES ('committed before the stop')")
        .await
        .unwrap();
    assert_eq!(scalar(&node, "SELECT count(*) FROM t").await, json!(1));
    assert_eq!(node.stop().await.unwrap(), Some(0));

    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("ha.db"), copy.path().join("ha.db")).unwrap();
    let conn = rusqlite::Connection::open(copy.path().join("ha.db")).unwrap();
    let rows: Result<i64, _> = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0));
    let left: Vec<String> = files_in(dir.path());
    assert_eq!(
        rows.ok(),
        Some(1),
        "ha.db alone lacks the committed rows after a clean stop (files left: {left:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_keeps_its_database_file_to_itself() {
    // A change written to the file by another program would never be captured or replicated,
    // and a second node on the same file would be a second writer: both are refused while the
    // node runs, and the file is anyone's again once it stops.
    let dir = tempfile::tempdir().unwrap();
    let node = start_in(dir.path(), &["file:app.db"]).await;
    node.sql("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)")
        .await
        .unwrap();
    node.sql("INSERT INTO t(name) VALUES ('by the node')")
        .await
        .unwrap();

    let file = dir.path().join("app.db");
    let outsider = rusqlite::Connection::open(&file).unwrap();
    outsider.busy_timeout(std::time::Duration::ZERO).unwrap();
    let written = outsider.execute("INSERT INTO t(name) VALUES ('behind its back')", []);
    let code = written.as_ref().err().and_then(|e| e.sqlite_error_code());
    assert_eq!(
        code,
        Some(rusqlite::ErrorCode::DatabaseBusy),
        "another program wrote the node's file: {written:?}"
    );
    drop(outsider);

    // A second node on the same file stops with a clear error (after its busy timeout, 5 s).
    let second = crate::support::builder()
        .args(["-n", "second", "file:app.db"])
        .dir(dir.path())
        .run_to_exit()
        .await
        .unwrap();
    assert_ne!(second.code, Some(0), "a second node served the same file");
    assert!(
        second.stderr.contains("held by another process"),
        "the second node's error does not say why: {}",
        second.stderr
    );
    assert_eq!(
        scalar(&node, "SELECT group_concat(name) FROM t").await,
        json!("by the node")
    );

    assert_eq!(node.stop().await.unwrap(), Some(0));
    assert_eq!(names_in_file(&file), ["by the node"]);
}
