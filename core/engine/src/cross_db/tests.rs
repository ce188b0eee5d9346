//! The registry's doors to cross-database queries: execute, stream, describe, the bindings'
//! read on the calling thread, and the refusal inside a transaction.

use ha_types::{ErrorCode, Params, Statement, StatementResult, Value};

use super::CrossDatabaseQuery;
use crate::{DatabaseOptions, DatabaseSpec, Registry, RegistryOptions, Session, Storage};

#[test]
fn the_pattern_must_be_a_regex_and_matches_whole_ids() {
    let query = |sql: &str| CrossDatabaseQuery::of_statement(&Statement::new(sql));
    let error = query("SELECT 1 /*+ db=db[ */").err().unwrap();
    assert_eq!(error.code(), ErrorCode::BadRequest);
    let error = query("SELECT 1 /*+ db=a)|(b */").err().unwrap();
    assert_eq!(error.code(), ErrorCode::BadRequest);
    let found = query("SELECT 1 /*+ db=db[0-9] */").unwrap().unwrap();
    assert!(found.regex.is_match("db1"));
    assert!(!found.regex.is_match("db12") && !found.regex.is_match("xdb1"));
    assert!(query("SELECT '/*+ db=x */'").unwrap().is_none());
    let batch = CrossDatabaseQuery::of_request(&[
        Statement::new("SELECT 1 /*+ db=.* */"),
        Statement::new("SELECT 2"),
    ]);
    assert_eq!(batch.err().unwrap().code(), ErrorCode::BadRequest);
}

/// `main.db` (no table) and `s1.db`, `s2.db` with `t(k, v)`.
async fn registry() -> Registry {
    let spec = |id: &str| DatabaseSpec {
        id: id.into(),
        storage: Storage::Memory { load_from: None },
    };
    let options = RegistryOptions {
        memory: true,
        data_dir: std::env::temp_dir(),
        db_params: String::new(),
        database: DatabaseOptions::default(),
    };
    let registry = tokio::task::spawn_blocking(move || {
        Registry::open(vec![spec("main.db"), spec("s1.db"), spec("s2.db")], options)
    })
    .await
    .unwrap()
    .unwrap();
    for (id, rows) in [
        ("s1.db", "('a', 1), ('b', 2)"),
        ("s2.db", "('a', 3), (NULL, 4)"),
    ] {
        let mut current = Some(id.to_string());
        for sql in [
            "CREATE TABLE t(k TEXT, v INTEGER)".to_string(),
            format!("INSERT INTO t VALUES {rows}"),
        ] {
            registry
                .execute(&mut current, vec![Statement::new(sql)])
                .await
                .unwrap();
        }
    }
    registry
}

fn rows(result: &StatementResult) -> Vec<Vec<Value>> {
    match result {
        StatementResult::Rows { rows, .. } => rows.clone(),
        other => panic!("no rows: {other:?}"),
    }
}

const GROUPED: &str = "SELECT k, sum(v) AS s FROM t /*+ db=s[0-9]\\.db */ GROUP BY k ORDER BY k";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_door_of_the_registry_runs_the_hint() {
    let registry = registry().await;
    let want = vec![
        vec![Value::Null, Value::Integer(4)],
        vec![Value::Text("a".into()), Value::Integer(4)],
        vec![Value::Text("b".into()), Value::Integer(2)],
    ];
    let executed = registry
        .execute(&mut None, vec![Statement::new(GROUPED)])
        .await
        .unwrap();
    assert_eq!(rows(&executed.results[0]), want);
    if let StatementResult::Rows {
        columns,
        declared_types,
        ..
    } = &executed.results[0]
    {
        assert_eq!(columns, &["k", "s"]);
        assert_eq!(declared_types, &[Some("TEXT".to_string()), None]);
    }

    let mut stream = registry
        .stream(None, Statement::new(GROUPED), 2)
        .await
        .unwrap();
    assert_eq!(stream.columns, vec!["k", "s"]);
    let mut streamed = Vec::new();
    while let Some(batch) = stream.next_batch().await {
        streamed.extend(batch.unwrap());
    }
    assert_eq!(streamed, want);

    // The bindings' fast path leaves it to execute.
    assert!(
        registry
            .read_on_this_thread(None, &Statement::new(GROUPED))
            .unwrap()
            .is_none()
    );
    // Described on the first matching database (the default one has no table t).
    let session = Session::new(None, true);
    let described = registry.describe(&session, GROUPED).await.unwrap();
    let names: Vec<&str> = described.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["k", "s"]);

    // Parameters are bound on every database, also where the plan repeats them.
    let with_params = Statement::with_params(
        "SELECT avg(v + ?), count(*) FROM t /*+ db=s.* */ WHERE v > ?",
        Params::Positional(vec![Value::Integer(10), Value::Integer(1)]),
    );
    let executed = registry
        .execute(&mut None, vec![with_params])
        .await
        .unwrap();
    assert_eq!(
        rows(&executed.results[0]),
        vec![vec![Value::Real(13.0), Value::Integer(3)]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_inside_a_transaction_and_when_nothing_matches() {
    let registry = registry().await;
    let mut session = Session::new(Some("s1.db".into()), true);
    registry
        .execute_in(&mut session, vec![Statement::new("BEGIN")])
        .await
        .unwrap();
    let error = registry
        .execute_in(&mut session, vec![Statement::new(GROUPED)])
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotSupported);
    registry
        .execute_in(&mut session, vec![Statement::new("ROLLBACK")])
        .await
        .unwrap();
    let merged = registry
        .execute_in(&mut session, vec![Statement::new(GROUPED)])
        .await
        .unwrap();
    assert_eq!(rows(&merged.results[0]).len(), 3);

    let error = registry
        .execute(&mut None, vec![Statement::new("SELECT 1 /*+ db=x.* */")])
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::UnknownDatabase);
    let error = registry
        .execute(
            &mut None,
            vec![Statement::new("SELECT * FROM t /*+ db=.* */")],
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::SqlUnknownObject);
    assert!(error.to_string().starts_with("main.db: "), "{error}");
}
