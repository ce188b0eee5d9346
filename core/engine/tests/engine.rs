//! The engine through its public API: transactions, group commit, routing, storage modes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ha_core::{
    CoreError, Database, DatabaseOptions, DatabaseSpec, Registry, RegistryOptions, Storage,
};
use ha_types::{ErrorCode, Params, Statement, StatementResult, Value};

fn memory(id: &str) -> DatabaseSpec {
    DatabaseSpec {
        id: id.into(),
        storage: Storage::Memory { load_from: None },
    }
}

fn file(path: &std::path::Path) -> DatabaseSpec {
    DatabaseSpec {
        id: path.file_name().unwrap().to_string_lossy().into(),
        storage: Storage::File {
            path: path.into(),
            params: "journal_mode=WAL&busy_timeout=5000&synchronous=NORMAL".into(),
        },
    }
}

async fn one(db: &Database, sql: &str) -> Result<StatementResult, CoreError> {
    db.execute(vec![Statement::new(sql)])
        .await
        .map(|mut r| r.results.remove(0))
}

async fn count(db: &Database, table: &str) -> i64 {
    match one(db, &format!("SELECT count(*) FROM {table}"))
        .await
        .unwrap()
    {
        StatementResult::Rows { rows, .. } => match rows[0][0] {
            Value::Integer(n) => n,
            ref other => panic!("count is {other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_keeps_nothing() {
    let db = Database::open(memory("a.db"), DatabaseOptions::default()).unwrap();
    one(
        &db,
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
    )
    .await
    .unwrap();
    let err = db
        .execute(vec![
            Statement::new("INSERT INTO t(v) VALUES ('kept?')"),
            Statement::new("INSERT INTO t(v) VALUES ('also?')"),
            Statement::new("INSERT INTO t(v) VALUES (NULL)"),
        ])
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SqlConstraint);
    assert_eq!(err.statement_index(), Some(2));
    assert_eq!(count(&db, "t").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_jobs_commit_or_fail_alone() {
    let db = Arc::new(Database::open(memory("g.db"), DatabaseOptions::default()).unwrap());
    one(
        &db,
        "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER UNIQUE)",
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..400i64 {
        let db = Arc::clone(&db);
        tasks.push(tokio::spawn(async move {
            // Every key is written twice: exactly one of the two must win.
            let sql = if i % 7 == 0 {
                "INSERT OR ROLLBACK INTO t(k) VALUES (?)"
            } else {
                "INSERT INTO t(k) VALUES (?)"
            };
            let params = Params::Positional(vec![Value::Integer(i / 2)]);
            db.execute(vec![Statement::with_params(sql, params)]).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), ErrorCode::SqlConstraint, "{e}"),
        }
    }
    assert_eq!(ok, 200);
    assert_eq!(count(&db, "t").await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_see_committed_writes_and_cannot_write() {
    let db = Database::open(memory("r.db"), DatabaseOptions::default()).unwrap();
    one(&db, "CREATE TABLE t(x)").await.unwrap();
    one(&db, "INSERT INTO t VALUES (1), (2)").await.unwrap();
    assert_eq!(count(&db, "t").await, 2);
    // A read-looking text that writes is still run, on the writer.
    let r = one(&db, "SELECT 1; INSERT INTO t VALUES (3)")
        .await
        .unwrap();
    assert!(matches!(
        r,
        StatementResult::Exec {
            rows_affected: 1,
            ..
        }
    ));
    assert_eq!(count(&db, "t").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loaded_file_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("src.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let spec = DatabaseSpec {
        id: "src.db".into(),
        storage: Storage::Memory {
            load_from: Some(path.clone()),
        },
    };
    let db = Database::open(spec, DatabaseOptions::default()).unwrap();
    assert_eq!(count(&db, "t").await, 2);
    one(&db, "INSERT INTO t VALUES (3)").await.unwrap();
    assert_eq!(count(&db, "t").await, 3);
    db.close();
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_are_consistent_while_writing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(
        Database::open(file(&dir.path().join("b.db")), DatabaseOptions::default()).unwrap(),
    );
    one(&db, "CREATE TABLE pairs(x)").await.unwrap();
    let writer = {
        let db = Arc::clone(&db);
        tokio::spawn(async move {
            for i in 0..300i64 {
                let p = Params::Positional(vec![Value::Integer(i)]);
                db.execute(vec![
                    Statement::with_params("INSERT INTO pairs VALUES (?)", p.clone()),
                    Statement::with_params("INSERT INTO pairs VALUES (?)", p),
                ])
                .await
                .unwrap();
            }
        })
    };
    for _ in 0..10 {
        let (file, len) = db.backup().await.unwrap();
        assert!(len > 0);
        let copy = dir.path().join("copy.db");
        let mut out = std::fs::File::create(&copy).unwrap();
        std::io::copy(&mut std::io::BufReader::new(file), &mut out).unwrap();
        let conn = rusqlite::Connection::open(&copy).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM pairs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n % 2, 0, "a backup saw half a transaction");
    }
    writer.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_database_answers_busy() {
    let options = DatabaseOptions {
        concurrent_queries: 1,
        queue_wait: Duration::from_millis(100),
        ..DatabaseOptions::default()
    };
    let db = Arc::new(Database::open(memory("busy.db"), options).unwrap());
    let slow = {
        let db = Arc::clone(&db);
        tokio::spawn(async move {
            one(&db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 5000000) SELECT count(*) FROM c").await
        })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    let err = one(&db, "SELECT 1").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Busy);
    slow.await.unwrap().unwrap();
    one(&db, "SELECT 1").await.unwrap();
}

/// Reads start on the async worker that received them; one that overruns its budget must move
/// off it. On a one-thread runtime a slow read kept inline would hold every other task back
/// until it ended: here point reads are answered while it still runs, and it still answers.
#[tokio::test(flavor = "current_thread")]
async fn a_long_read_never_holds_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(
        Database::open(
            file(&dir.path().join("long.db")),
            DatabaseOptions::default(),
        )
        .unwrap(),
    );
    one(&db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        .await
        .unwrap();
    one(&db, "INSERT INTO t VALUES (1, 'one')").await.unwrap();
    // An idle reader, so the slow read starts inline.
    one(&db, "SELECT v FROM t WHERE id = 1").await.unwrap();
    let slow = {
        let db = Arc::clone(&db);
        tokio::spawn(async move {
            one(&db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000000) SELECT count(*) FROM c").await
        })
    };
    // Runs the slow read's task up to its first await: past its budget it is on the pool.
    tokio::task::yield_now().await;
    for _ in 0..200 {
        let row = one(&db, "SELECT v FROM t WHERE id = 1").await.unwrap();
        assert_eq!(rows(row), vec![vec![Value::Text("one".into())]]);
    }
    assert!(
        !slow.is_finished(),
        "the point reads waited for the slow read"
    );
    let counted = slow.await.unwrap().unwrap();
    assert_eq!(rows(counted), vec![vec![Value::Integer(20_000_000)]]);
}

fn rows(result: StatementResult) -> Vec<Vec<Value>> {
    match result {
        StatementResult::Rows { rows, .. } => rows,
        other => panic!("expected rows, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_creates_switches_and_drops() {
    let dir = tempfile::tempdir().unwrap();
    let options = RegistryOptions {
        memory: false,
        data_dir: dir.path().into(),
        db_params: "journal_mode=WAL".into(),
        database: DatabaseOptions::default(),
    };
    let registry = Registry::open(vec![file(&dir.path().join("main.db"))], options).unwrap();
    let mut current = None;
    registry
        .execute(
            &mut current,
            vec![Statement::new("CREATE DATABASE 'other.db'")],
        )
        .await
        .unwrap();
    assert!(dir.path().join("other.db").exists());
    registry
        .execute(
            &mut current,
            vec![Statement::new("SET DATABASE TO other.db")],
        )
        .await
        .unwrap();
    assert_eq!(current.as_deref(), Some("other.db"));
    registry
        .execute(
            &mut current,
            vec![Statement::new("CREATE TABLE only_here(x)")],
        )
        .await
        .unwrap();
    assert!(registry.get(Some("other.db")).is_ok());
    let err = registry
        .execute(&mut None, vec![Statement::new("SELECT * FROM only_here")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SqlUnknownObject);
    let shown = registry
        .execute(&mut current, vec![Statement::new("SHOW DATABASES")])
        .await
        .unwrap();
    assert_eq!(
        shown.results[0],
        StatementResult::Rows {
            columns: vec!["database".into()],
            rows: vec![
                vec![Value::Text("main.db".into())],
                vec![Value::Text("other.db".into())]
            ],
            declared_types: vec![Some("TEXT".into())],
            origins: Default::default(),
        }
    );
    let err = registry.drop_database("main.db").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    registry
        .execute(&mut current, vec![Statement::new("DROP DATABASE other.db")])
        .await
        .unwrap();
    assert_eq!(current, None);
    assert!(!dir.path().join("other.db").exists());
    assert!(!dir.path().join("other.db-wal").exists());
    assert_eq!(
        registry.get(Some("other.db")).unwrap_err().code(),
        ErrorCode::UnknownDatabase
    );
}
