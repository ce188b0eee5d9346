//! The gRPC API (SPEC §5) through a tonic client generated from the same .proto, against the
//! real binary: typed values without loss, batch atomicity, the `Query` session stream with a
//! transaction and a rollback, errors as status codes carrying the stable code, the token,
//! reflection, and files (download, latest snapshot) as streamed chunks.

use ha_proto::v1;
use ha_proto::v1::database_client::DatabaseClient;
use ha_test_harness::{NodeBuilder, TestNode, free_port};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

use crate::support::{BIN, start};

async fn client(node: &TestNode) -> DatabaseClient<Channel> {
    DatabaseClient::connect(format!("http://{}", node.http_addr))
        .await
        .expect("a gRPC connection on the HTTP port")
}

fn int(i: i64) -> v1::Value {
    v1::Value {
        kind: Some(v1::value::Kind::Integer(i)),
    }
}

fn text(t: &str) -> v1::Value {
    v1::Value {
        kind: Some(v1::value::Kind::Text(t.into())),
    }
}

fn statement(sql: &str, params: Vec<v1::Value>) -> v1::Statement {
    v1::Statement {
        sql: sql.into(),
        params,
        named_params: Default::default(),
    }
}

fn execute(statements: Vec<v1::Statement>) -> v1::ExecuteRequest {
    v1::ExecuteRequest {
        database: String::new(),
        statements,
        min_seq: None,
    }
}

/// The stable code a status carries in its details (the standard `ErrorInfo`), and for a
/// batch the failing statement.
struct Detail {
    code: String,
    statement_index: Option<u32>,
}

fn detail(status: &Status) -> Detail {
    use tonic_types::StatusExt;
    let info = status
        .get_details_error_info()
        .expect("an ErrorInfo in the status details");
    assert_eq!(info.domain, "ha");
    Detail {
        code: info.reason,
        statement_index: info
            .metadata
            .get("statement_index")
            .map(|i| i.parse().unwrap()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_round_trip_without_loss() {
    let node = start(&["-m"]).await;
    let mut db = client(&node).await;
    let values = vec![
        int(i64::MAX),
        int(i64::MIN),
        v1::Value {
            kind: Some(v1::value::Kind::Real(-0.1)),
        },
        text("é ☃ \u{0}"),
        v1::Value {
            kind: Some(v1::value::Kind::Blob(vec![0, 255, 1])),
        },
        v1::Value {
            kind: Some(v1::value::Kind::Null(v1::Null {})),
        },
    ];
    let answer = db
        .execute(execute(vec![
            statement(
                "CREATE TABLE t(a INTEGER, b INTEGER, c REAL, d TEXT, e BLOB, f ANY)",
                vec![],
            ),
            statement("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", values.clone()),
            statement("SELECT a, b, c, d, e, f, 1 + 1 AS two FROM t", vec![]),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.results.len(), 3);
    assert!(!answer.results[1].returns_rows);
    assert_eq!(answer.results[1].rows_affected, 1);
    assert_eq!(answer.results[1].last_insert_id, 1);
    let select = &answer.results[2];
    assert!(select.returns_rows);
    let mut expected = values;
    expected.push(int(2));
    assert_eq!(select.rows, vec![v1::Row { values: expected }]);
    let declared: Vec<&str> = select
        .columns
        .iter()
        .map(|c| c.declared_type.as_str())
        .collect();
    assert_eq!(
        declared,
        ["INTEGER", "INTEGER", "REAL", "TEXT", "BLOB", "ANY", ""]
    );
    // Named parameters, with or without their prefix.
    let mut named = std::collections::HashMap::new();
    named.insert(":a".to_string(), int(7));
    named.insert("d".to_string(), text("named"));
    let answer = db
        .execute(execute(vec![
            v1::Statement {
                sql: "INSERT INTO t(a, d) VALUES (:a, :d)".into(),
                params: vec![],
                named_params: named,
            },
            statement("SELECT d FROM t WHERE a = 7", vec![]),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.results[1].rows[0].values, vec![text("named")]);
    let listed = db
        .list_databases(v1::ListDatabasesRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.databases, vec!["ha.db".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_writes_nothing_and_errors_are_status_codes() {
    let node = start(&["-m"]).await;
    let mut db = client(&node).await;
    db.execute(execute(vec![statement(
        "CREATE TABLE t(id INTEGER PRIMARY KEY)",
        vec![],
    )]))
    .await
    .unwrap();
    let status = db
        .execute(execute(vec![
            statement("INSERT INTO t VALUES (1)", vec![]),
            statement("INSERT INTO t VALUES (1)", vec![]),
        ]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let error = detail(&status);
    assert_eq!(error.code, "sql_constraint");
    assert_eq!(error.statement_index, Some(1));
    assert_eq!(
        status.metadata().get("ha-error-code").unwrap(),
        "sql_constraint"
    );
    let count = db
        .execute(execute(vec![statement("SELECT count(*) FROM t", vec![])]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(count.results[0].rows[0].values, vec![int(0)], "rolled back");

    let status = db
        .execute(execute(vec![statement("SELECT * FROM nope", vec![])]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(detail(&status).code, "sql_unknown_object");
    let status = db
        .execute(execute(vec![statement("SELEC 1", vec![])]))
        .await
        .unwrap_err();
    assert_eq!(detail(&status).code, "sql_syntax");
    let status = db
        .execute(v1::ExecuteRequest {
            database: "missing.db".into(),
            ..execute(vec![statement("SELECT 1", vec![])])
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(detail(&status).code, "unknown_database");
    let status = db.execute(execute(vec![])).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    // The node goes on serving.
    db.execute(execute(vec![statement("SELECT 1", vec![])]))
        .await
        .unwrap();
}

/// A `Query` stream is a session: BEGIN ... ROLLBACK and BEGIN ... COMMIT, an error inside the
/// transaction answered in order without ending the stream, `SET DATABASE`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_stream_is_a_session_with_transactions() {
    let node = start(&["-m"]).await;
    let mut db = client(&node).await;
    db.execute(execute(vec![statement(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)",
        vec![],
    )]))
    .await
    .unwrap();
    let requests = [
        "BEGIN",
        "INSERT INTO t VALUES (1, 'rolled back')",
        "SELECT count(*) FROM t",
        "ROLLBACK",
        "SELECT count(*) FROM t",
        "BEGIN",
        "INSERT INTO t VALUES (2, 'kept')",
        "INSERT INTO t VALUES (2, 'duplicate')",
        "COMMIT",
        "SELECT id, v FROM t",
    ];
    let outbound = futures::stream::iter(requests.map(|sql| v1::QueryRequest {
        sql: sql.into(),
        ..Default::default()
    }));
    let mut inbound = db.query(outbound).await.unwrap().into_inner();
    let mut answers = Vec::new();
    while let Some(answer) = inbound.message().await.unwrap() {
        answers.push(answer);
    }
    assert_eq!(answers.len(), requests.len(), "one response per request");
    let open = v1::TransactionStatus::Open as i32;
    let idle = v1::TransactionStatus::Idle as i32;
    assert_eq!(answers[0].transaction, open);
    assert_eq!(
        answers[2].results[0].rows[0].values,
        vec![int(1)],
        "sees its own write"
    );
    assert_eq!(answers[3].transaction, idle);
    assert_eq!(answers[4].results[0].rows[0].values, vec![int(0)]);
    let error = answers[7].error.as_ref().expect("the duplicate fails");
    assert_eq!(error.code, "sql_constraint");
    assert_eq!(answers[7].transaction, open, "the session goes on");
    assert!(answers[8].error.is_none(), "{:?}", answers[8].error);
    assert!(answers[8].seq.is_none(), "no replication: no log sequence");
    assert_eq!(
        answers[9].results[0].rows,
        vec![v1::Row {
            values: vec![int(2), text("kept")]
        }]
    );
}

/// An answer larger than the request limit (`--max-body-size`) and than gRPC's usual 4 MiB
/// reaches `ha-client` whole: requests are bounded, answers are not (as over HTTP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_answer_reaches_the_client() {
    let node = start(&["-m", "--max-body-size", "1MiB"]).await;
    let client = ha_client::Client::open(
        &format!("http://{}", node.http_addr),
        ha_client::ClientOptions::default(),
    )
    .await
    .unwrap();
    let executed = client
        .execute(vec![ha_client::Statement::new(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000) \
             SELECT x, printf('%060d', x) FROM n",
        )])
        .await
        .unwrap();
    match &executed.results[0] {
        ha_client::StatementResult::Rows { rows, .. } => assert_eq!(rows.len(), 100_000),
        other => panic!("{other:?}"),
    }
}

/// A client that keeps a `Query` stream open (an idle session of a driver) does not hold a
/// stopping node up: SIGTERM stops it within the grace period, cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_session_does_not_hold_up_a_stopping_node() {
    let node = start(&["-m"]).await;
    let mut db = client(&node).await;
    let (requests, outbound) = futures::channel::mpsc::unbounded::<v1::QueryRequest>();
    requests
        .unbounded_send(v1::QueryRequest {
            sql: "SELECT 1".into(),
            ..Default::default()
        })
        .unwrap();
    let mut inbound = db.query(outbound).await.unwrap().into_inner();
    assert!(
        inbound.message().await.unwrap().is_some(),
        "the session answers"
    );
    // The stream stays open (`requests` is alive) while the node stops.
    let started = std::time::Instant::now();
    let code = node.stop().await.unwrap();
    assert_eq!(code, Some(0));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "stopped after {:?}",
        started.elapsed()
    );
    drop(requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_required_as_metadata_and_reflection_lists_the_service() {
    let node = start(&["-m", "--token", "s3cret"]).await;
    let mut db = client(&node).await;
    let status = db
        .list_databases(v1::ListDatabasesRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(detail(&status).code, "unauthorized");
    for token in ["s3cret", "Bearer s3cret"] {
        let mut request = Request::new(v1::ListDatabasesRequest {});
        request
            .metadata_mut()
            .insert("authorization", token.parse().unwrap());
        assert!(db.list_databases(request).await.is_ok(), "{token}");
    }
    let mut request = Request::new(v1::ListDatabasesRequest {});
    request
        .metadata_mut()
        .insert("authorization", "Bearer wrong".parse().unwrap());
    assert_eq!(
        db.list_databases(request).await.unwrap_err().code(),
        Code::Unauthenticated
    );

    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let channel = Channel::from_shared(format!("http://{}", node.http_addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(names.contains(&"ha.v1.Database".to_string()), "{names:?}");
    // The HTTP API on the same port is unchanged.
    let (status, _) = crate::support::get(&node, "/databases").await;
    assert_eq!(status, 401);
}

async fn collect(
    mut chunks: tonic::Streaming<v1::FileChunk>,
) -> (Vec<u8>, Option<u64>, Option<u64>) {
    let mut data = Vec::new();
    let (mut size, mut seq) = (None, None);
    while let Some(chunk) = chunks.message().await.unwrap() {
        if chunk.size.is_some() {
            size = chunk.size;
            seq = chunk.seq;
        }
        data.extend_from_slice(&chunk.data);
    }
    (data, size, seq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_and_the_latest_snapshot_stream_as_chunks() {
    let port = free_port().unwrap();
    let node = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m"])
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    let mut db = client(&node).await;
    db.execute(execute(vec![
        statement("CREATE TABLE t(id INTEGER PRIMARY KEY, pad BLOB)", vec![]),
        statement(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) \
             INSERT INTO t SELECT x, randomblob(500) FROM c",
            vec![],
        ),
    ]))
    .await
    .unwrap();
    let request = || v1::FileRequest {
        database: String::new(),
    };
    let status = db.latest_snapshot(request()).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(detail(&status).code, "no_snapshot");

    let (data, size, _) = collect(db.download(request()).await.unwrap().into_inner()).await;
    assert!(data.len() > 1 << 20, "several chunks: {}", data.len());
    assert_eq!(size, Some(data.len() as u64));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("download.db");
    std::fs::write(&file, &data).unwrap();
    let count: i64 = rusqlite::Connection::open(&file)
        .unwrap()
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 2000);

    let (status, taken) = crate::cluster::post_snapshot(&node, "/snapshot").await;
    assert_eq!(status, 201, "{taken}");
    let (data, size, seq) =
        collect(db.latest_snapshot(request()).await.unwrap().into_inner()).await;
    assert_eq!(size, Some(data.len() as u64));
    assert_eq!(seq, taken["seq"].as_u64());
    assert_eq!(Some(data.len() as u64), taken["size"].as_u64());
}

/// A session dropped while its transaction runs an endless statement (a client's Ctrl-C) stops
/// that statement: the transaction rolls back, the database's writer is free for the next
/// write, and the node still stops on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_session_interrupts_its_running_statement() {
    use ha_client::{Client, ClientOptions, Statement};
    let node = start(&["-m"]).await;
    let url = format!("http://{}", node.http_addr);
    let client = Client::open(&url, ClientOptions::default()).await.unwrap();
    client
        .execute(vec![Statement::new("CREATE TABLE t(x)")])
        .await
        .unwrap();
    let mut session = client.session().await.unwrap();
    session.execute(Statement::new("BEGIN")).await.unwrap();
    // The first write takes the writer for this transaction.
    session
        .execute(Statement::new("INSERT INTO t VALUES (1)"))
        .await
        .unwrap();
    let endless = Statement::new(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c",
    );
    let running = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        session.execute(endless),
    )
    .await;
    assert!(running.is_err(), "the endless statement is still running");
    drop(session);
    // The writer is free again: a write on another connection is answered, and the rolled
    // back row is not there.
    let written = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        client.execute(vec![Statement::new("INSERT INTO t VALUES (2)")]),
    )
    .await
    .expect("the write is not held up by the dropped session's statement");
    written.unwrap();
    let rows = client
        .execute(vec![Statement::new("SELECT x FROM t")])
        .await
        .unwrap();
    match &rows.results[0] {
        ha_client::StatementResult::Rows { rows, .. } => {
            assert_eq!(rows, &vec![vec![ha_client::Value::Integer(2)]])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(node.stop().await.unwrap(), Some(0));
}
