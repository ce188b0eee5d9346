//! Sessions of the wire protocols through the registry: transactions, savepoints, the
//! difference between aborting on errors (PostgreSQL) and not (MySQL), and the writer only
//! being taken by a transaction that writes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ha_core::{
    DatabaseOptions, DatabaseSpec, Registry, RegistryOptions, Session, Storage, TransactionStatus,
};
use ha_types::{ErrorCode, Statement, StatementResult, Value};

fn registry(idle: Duration) -> Registry {
    let options = RegistryOptions {
        memory: true,
        data_dir: std::env::temp_dir(),
        db_params: String::new(),
        database: DatabaseOptions {
            transaction_idle_timeout: idle,
            ..DatabaseOptions::default()
        },
    };
    let spec = DatabaseSpec {
        id: "s.db".into(),
        storage: Storage::Memory { load_from: None },
    };
    Registry::open(vec![spec], options).unwrap()
}

async fn run(
    registry: &Registry,
    session: &mut Session,
    sql: &str,
) -> Result<StatementResult, ErrorCode> {
    registry
        .execute_in(session, vec![Statement::new(sql)])
        .await
        .map(|mut e| e.results.remove(0))
        .map_err(|e| e.code())
}

async fn ids(registry: &Registry) -> Vec<i64> {
    let mut session = Session::new(None, true);
    match run(registry, &mut session, "SELECT id FROM t ORDER BY id")
        .await
        .unwrap()
    {
        StatementResult::Rows { rows, .. } => rows
            .into_iter()
            .map(|r| match r[0] {
                Value::Integer(i) => i,
                ref other => panic!("{other:?}"),
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_aborts_a_postgresql_transaction_but_not_a_mysql_one() {
    let registry = registry(Duration::from_secs(30));
    let mut setup = Session::new(None, true);
    run(
        &registry,
        &mut setup,
        "CREATE TABLE t(id INTEGER PRIMARY KEY)",
    )
    .await
    .unwrap();

    let mut pg = Session::new(None, true);
    run(&registry, &mut pg, "BEGIN").await.unwrap();
    run(&registry, &mut pg, "INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    assert_eq!(
        run(&registry, &mut pg, "INSERT INTO t VALUES (1)")
            .await
            .unwrap_err(),
        ErrorCode::SqlConstraint
    );
    assert_eq!(pg.transaction_status(), TransactionStatus::Failed);
    assert_eq!(
        run(&registry, &mut pg, "INSERT INTO t VALUES (2)")
            .await
            .unwrap_err(),
        ErrorCode::TransactionAborted
    );
    run(&registry, &mut pg, "COMMIT").await.unwrap();
    assert_eq!(pg.transaction_status(), TransactionStatus::Idle);
    assert_eq!(
        ids(&registry).await,
        Vec::<i64>::new(),
        "COMMIT of a failed transaction rolls back"
    );

    let mut mysql = Session::new(None, false);
    run(&registry, &mut mysql, "BEGIN").await.unwrap();
    run(&registry, &mut mysql, "INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    assert_eq!(
        run(&registry, &mut mysql, "INSERT INTO t VALUES (1)")
            .await
            .unwrap_err(),
        ErrorCode::SqlConstraint
    );
    assert_eq!(mysql.transaction_status(), TransactionStatus::Open);
    run(&registry, &mut mysql, "INSERT INTO t VALUES (2)")
        .await
        .unwrap();
    run(&registry, &mut mysql, "COMMIT").await.unwrap();
    assert_eq!(
        ids(&registry).await,
        vec![1, 2],
        "only the failed statement was undone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn savepoints_nest_and_unknown_ones_are_errors() {
    let registry = registry(Duration::from_secs(30));
    let mut session = Session::new(None, true);
    run(
        &registry,
        &mut session,
        "CREATE TABLE t(id INTEGER PRIMARY KEY)",
    )
    .await
    .unwrap();
    assert_eq!(
        run(&registry, &mut session, "SAVEPOINT a")
            .await
            .unwrap_err(),
        ErrorCode::TransactionState,
        "outside a transaction"
    );
    for sql in [
        "BEGIN",
        "INSERT INTO t VALUES (1)",
        "SAVEPOINT a",
        "INSERT INTO t VALUES (2)",
        "SAVEPOINT b",
        "INSERT INTO t VALUES (3)",
        "ROLLBACK TO SAVEPOINT a",
        "INSERT INTO t VALUES (4)",
    ] {
        run(&registry, &mut session, sql).await.unwrap();
    }
    // `b` went with the rollback to `a`.
    assert_eq!(
        run(&registry, &mut session, "RELEASE b").await.unwrap_err(),
        ErrorCode::TransactionState
    );
    assert_eq!(session.transaction_status(), TransactionStatus::Failed);
    run(&registry, &mut session, "ROLLBACK TO a").await.unwrap();
    run(&registry, &mut session, "RELEASE SAVEPOINT a")
        .await
        .unwrap();
    run(&registry, &mut session, "COMMIT").await.unwrap();
    assert_eq!(ids(&registry).await, vec![1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reading_transaction_never_takes_the_writer() {
    let registry = registry(Duration::from_secs(30));
    let mut setup = Session::new(None, true);
    run(
        &registry,
        &mut setup,
        "CREATE TABLE t(id INTEGER PRIMARY KEY)",
    )
    .await
    .unwrap();
    let mut reader = Session::new(None, true);
    run(&registry, &mut reader, "BEGIN").await.unwrap();
    run(&registry, &mut reader, "SELECT count(*) FROM t")
        .await
        .unwrap();
    // Another session writes at once: the reading transaction holds no writer.
    let mut writer = Session::new(None, true);
    tokio::time::timeout(
        Duration::from_secs(2),
        run(&registry, &mut writer, "INSERT INTO t VALUES (1)"),
    )
    .await
    .expect("the write did not wait")
    .unwrap();
    // READ COMMITTED: the next read of the open transaction sees it.
    match run(&registry, &mut reader, "SELECT count(*) FROM t")
        .await
        .unwrap()
    {
        StatementResult::Rows { rows, .. } => assert_eq!(rows[0][0], Value::Integer(1)),
        other => panic!("{other:?}"),
    }
    run(&registry, &mut reader, "COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_and_database_switches_are_refused_inside_a_transaction() {
    let registry = registry(Duration::from_secs(30));
    let mut session = Session::new(None, true);
    run(&registry, &mut session, "BEGIN").await.unwrap();
    let batch = registry
        .execute_in(
            &mut session,
            vec![Statement::new("SELECT 1"), Statement::new("SELECT 2")],
        )
        .await
        .unwrap_err();
    assert_eq!(batch.code(), ErrorCode::BadRequest);
    assert_eq!(
        run(&registry, &mut session, "SET DATABASE TO s.db")
            .await
            .unwrap_err(),
        ErrorCode::TransactionState
    );
    run(&registry, &mut session, "ROLLBACK").await.unwrap();
    assert_eq!(session.transaction_status(), TransactionStatus::Idle);
}
