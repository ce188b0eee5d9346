//! The Rust client (`ha-client`, SPEC §11) against real nodes and a real broker: a remote
//! client over gRPC, and in-process replicas that follow the cluster, write into it, refuse
//! writes when read-only, and bootstrap from a snapshot.

use std::time::Duration;

use ha_client::{Client, ClientOptions, ErrorCode, Params, Statement, StatementResult, Value};
use ha_test_harness::{NatsServer, NodeBuilder, TestNode, free_port};
use serde_json::json;

use crate::support::{BIN, eventually};

fn sql(text: &str) -> Statement {
    Statement::new(text)
}

fn with(text: &str, params: Vec<Value>) -> Statement {
    Statement::with_params(text, Params::Positional(params))
}

fn rows(result: &StatementResult) -> Vec<Vec<Value>> {
    match result {
        StatementResult::Rows { rows, .. } => rows.clone(),
        StatementResult::Exec { .. } => panic!("not rows: {result:?}"),
    }
}

async fn count(client: &Client, table: &str) -> Result<i64, String> {
    let executed = client
        .execute(vec![sql(&format!("SELECT count(*) FROM {table}"))])
        .await
        .map_err(|e| e.to_string())?;
    match rows(&executed.results[0]).as_slice() {
        [row] => match row.as_slice() {
            [Value::Integer(n)] => Ok(*n),
            other => Err(format!("{other:?}")),
        },
        other => Err(format!("{other:?}")),
    }
}

async fn node_count(node: &TestNode, table: &str) -> Result<i64, String> {
    let (status, body) = node
        .post(
            "/query",
            &json!({"sql": format!("SELECT count(*) FROM {table}")}),
        )
        .await
        .map_err(|e| e.to_string())?;
    body["rows"][0][0]
        .as_i64()
        .ok_or_else(|| format!("{status} {body}"))
}

/// `node1` (in memory, `extra` flags) running the cluster's embedded broker, and the broker's URL.
async fn node1_with_broker(extra: &[&str]) -> (TestNode, String) {
    let port = free_port().unwrap();
    let node = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m"])
        .args(extra.iter().copied())
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    (node, format!("nats://127.0.0.1:{port}"))
}

fn replica_url(dir: &std::path::Path, broker: &str, node: &str, extra: &str) -> String {
    format!(
        "file:{}?replication_url={broker}&node={node}{extra}",
        dir.join("ha.db").display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_follows_the_cluster_and_its_writes_reach_every_node() {
    let (node1, broker) = node1_with_broker(&[]).await;
    let node2 = NodeBuilder::new(BIN)
        .args(["-n", "node2", "-m"])
        .replication_url(&broker)
        .start()
        .await
        .unwrap();
    node1
        .post(
            "/query",
            &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"},
                    {"sql": "INSERT INTO t VALUES (1, 'from node1')"}]),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let replica = Client::open(
        &replica_url(dir.path(), &broker, "replica1", ""),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(20), || async {
        match count(&replica, "t").await {
            Ok(1) => Ok(()),
            other => Err(format!("replica: {other:?}")),
        }
    })
    .await;
    let written = replica
        .execute(vec![with(
            "INSERT INTO t VALUES (?, ?)",
            vec![Value::Integer(2), Value::Text("from the replica".into())],
        )])
        .await
        .unwrap();
    assert!(written.seq.is_some(), "a replica's write is in the log");
    for node in [&node1, &node2] {
        eventually(Duration::from_secs(20), || async {
            match node_count(node, "t").await {
                Ok(2) => Ok(()),
                other => Err(format!("node: {other:?}")),
            }
        })
        .await;
    }
    // An interactive transaction on the replica, rolled back, then committed.
    let mut session = replica.session().await.unwrap();
    session.execute(sql("BEGIN")).await.unwrap();
    assert!(session.in_transaction());
    session
        .execute(sql("INSERT INTO t VALUES (3, 'rolled back')"))
        .await
        .unwrap();
    session.execute(sql("ROLLBACK")).await.unwrap();
    session.execute(sql("BEGIN")).await.unwrap();
    session
        .execute(sql("INSERT INTO t VALUES (4, 'committed')"))
        .await
        .unwrap();
    session.execute(sql("COMMIT")).await.unwrap();
    assert!(!session.in_transaction());
    eventually(Duration::from_secs(20), || async {
        match node_count(&node2, "t").await {
            Ok(3) => Ok(()),
            other => Err(format!("node2: {other:?}")),
        }
    })
    .await;
    let status = eventually(Duration::from_secs(20), || async {
        match replica.status() {
            status if status.lag == 0 && status.applied_seq >= 3 => Ok(status),
            status => Err(format!("not caught up: {status:?}")),
        }
    })
    .await;
    assert_eq!(status.error, None);
    replica.close().await.unwrap();

    // Reopened on its file: it carries on where it was, and still follows.
    node1
        .post(
            "/query",
            &json!({"sql": "INSERT INTO t VALUES (5, 'while closed')"}),
        )
        .await
        .unwrap();
    let replica = Client::open(
        &replica_url(dir.path(), &broker, "replica1", ""),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(20), || async {
        match count(&replica, "t").await {
            Ok(4) => Ok(()),
            other => Err(format!("replica: {other:?}")),
        }
    })
    .await;
    replica.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_replica_refuses_writes() {
    let (node, broker) = node1_with_broker(&[]).await;
    node.post(
        "/query",
        &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY)"},
                {"sql": "INSERT INTO t VALUES (1)"}]),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let replica = Client::open(
        &replica_url(dir.path(), &broker, "reader", "&read_only=true"),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(20), || async {
        match count(&replica, "t").await {
            Ok(1) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let refused = replica
        .execute(vec![sql("INSERT INTO t VALUES (2)")])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ReadOnly, "{refused}");
    let mut session = replica.session().await.unwrap();
    session.execute(sql("BEGIN")).await.unwrap();
    let refused = session.execute(sql("DELETE FROM t")).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ReadOnly, "{refused}");
    drop(session);
    // Still following.
    node.post("/query", &json!({"sql": "INSERT INTO t VALUES (3)"}))
        .await
        .unwrap();
    eventually(Duration::from_secs(20), || async {
        match count(&replica, "t").await {
            Ok(2) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    replica.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_replica_on_an_aged_log_starts_from_the_snapshot() {
    let broker = NatsServer::start(None).await.unwrap();
    let node = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m", "--replication-max-age", "1s"])
        .replication_url(broker.url())
        .start()
        .await
        .unwrap();
    node.post(
        "/query",
        &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY)"},
                {"sql": "INSERT INTO t VALUES (1), (2)"}]),
    )
    .await
    .unwrap();
    let client = async_nats::connect(broker.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let js = &js;
    eventually(Duration::from_secs(20), || async move {
        let mut stream = js.get_stream("ha_replication").await.unwrap();
        match stream.info().await.unwrap().state.first_sequence > 1 {
            true => Ok(()),
            false => Err("the log never aged out".to_string()),
        }
    })
    .await;
    let (status, taken) = crate::cluster::post_snapshot(&node, "/snapshot").await;
    assert_eq!(status, 201, "{taken}");
    let dir = tempfile::tempdir().unwrap();
    let replica = Client::open(
        &replica_url(dir.path(), &broker.url(), "fresh", ""),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(20), || async {
        match count(&replica, "t").await {
            Ok(2) => Ok(()),
            other => Err(format!("{other:?} (status {:?})", replica.status())),
        }
    })
    .await;
    replica.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_client_speaks_grpc_to_a_node() {
    let node = crate::support::start(&["-m", "--token", "t0k"]).await;
    let url = format!("http://{}", node.http_addr);
    let refused = Client::open(&url, ClientOptions::default())
        .await
        .unwrap()
        .execute(vec![sql("SELECT 1")])
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Unauthorized);
    let client = Client::open(
        &format!("{url}/ha.db"),
        ClientOptions {
            token: Some("t0k".into()),
            ..ClientOptions::default()
        },
    )
    .await
    .unwrap();
    let executed = client
        .execute(vec![
            sql("CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB, big INTEGER)"),
            with(
                "INSERT INTO t VALUES (1, ?, ?)",
                vec![Value::Blob(vec![0, 1, 255]), Value::Integer(i64::MIN)],
            ),
            sql("SELECT b, big FROM t"),
        ])
        .await
        .unwrap();
    assert_eq!(
        rows(&executed.results[2]),
        vec![vec![Value::Blob(vec![0, 1, 255]), Value::Integer(i64::MIN)]]
    );
    let failed = client
        .execute(vec![
            sql("INSERT INTO t VALUES (2, NULL, 0)"),
            sql("INSERT INTO t VALUES (1, NULL, 0)"),
        ])
        .await
        .unwrap_err();
    assert_eq!(failed.code(), ErrorCode::SqlConstraint);
    let mut session = client.session().await.unwrap();
    session.execute(sql("BEGIN")).await.unwrap();
    session
        .execute(sql("INSERT INTO t VALUES (3, NULL, 0)"))
        .await
        .unwrap();
    let duplicate = session
        .execute(sql("INSERT INTO t VALUES (3, NULL, 0)"))
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), ErrorCode::SqlConstraint);
    assert!(session.in_transaction(), "the session goes on");
    session.execute(sql("ROLLBACK")).await.unwrap();
    assert_eq!(count(&client, "t").await, Ok(1));
}

/// Writes made on a replica while the broker is down are committed locally (answered
/// `replication_pending`) and published when it returns; the node gets them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_writes_during_a_broker_outage_are_published_when_it_returns() {
    let mut broker = NatsServer::start(None).await.unwrap();
    let node = NodeBuilder::new(BIN)
        .args(["-n", "node1", "-m"])
        .replication_url(broker.url())
        .start()
        .await
        .unwrap();
    node.post(
        "/query",
        &json!({"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"}),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let replica = Client::open(
        &replica_url(dir.path(), &broker.url(), "offline", "&timeout_ms=500"),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(20), || async {
        count(&replica, "t").await.map(|_| ())
    })
    .await;
    broker.kill().await.unwrap();
    for id in 1..=3 {
        let answer = replica
            .execute(vec![with(
                "INSERT INTO t VALUES (?, 'offline')",
                vec![Value::Integer(id)],
            )])
            .await;
        match answer {
            Ok(_) => {}
            Err(e) => assert_eq!(e.code(), ErrorCode::ReplicationPending, "{e}"),
        }
    }
    assert_eq!(count(&replica, "t").await, Ok(3), "committed locally");
    broker.restart().await.unwrap();
    eventually(Duration::from_secs(30), || async {
        match node_count(&node, "t").await {
            Ok(3) => Ok(()),
            other => Err(format!("node: {other:?}")),
        }
    })
    .await;
    replica.close().await.unwrap();
}

/// Two nodes and two replicas, each writing to the same rows at once: when the writers stop,
/// all four hold the same table (the log's order decides every row).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_and_two_nodes_converge_under_conflicting_writers() {
    let (node1, broker) = node1_with_broker(&[]).await;
    let node2 = NodeBuilder::new(BIN)
        .args(["-n", "node2", "-m"])
        .replication_url(&broker)
        .start()
        .await
        .unwrap();
    node1
        .post(
            "/query",
            &json!({"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)"}),
        )
        .await
        .unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut replicas = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let replica = Client::open(
            &replica_url(dir.path(), &broker, &format!("replica{i}"), ""),
            ClientOptions::default(),
        )
        .await
        .unwrap();
        eventually(Duration::from_secs(20), || async {
            count(&replica, "t").await.map(|_| ())
        })
        .await;
        replicas.push(replica);
    }
    // 40 rounds; in each, all four write the same 5 rows (upserts and deletes).
    let http = reqwest::Client::new();
    for round in 0..40i64 {
        let id = round % 5;
        let statement = |who: &str| {
            if round % 7 == 3 {
                format!("DELETE FROM t WHERE id = {id}")
            } else {
                format!("INSERT OR REPLACE INTO t VALUES ({id}, '{who}', {round})")
            }
        };
        let (s0, s1, s2, s3) = (
            statement("node1"),
            statement("node2"),
            statement("replica0"),
            statement("replica1"),
        );
        let (a, b, c, d) = tokio::join!(
            http.post(node1.url("/query"))
                .json(&json!({"sql": s0}))
                .send(),
            http.post(node2.url("/query"))
                .json(&json!({"sql": s1}))
                .send(),
            replicas[0].execute(vec![sql(&s2)]),
            replicas[1].execute(vec![sql(&s3)]),
        );
        assert!(a.unwrap().status().is_success() && b.unwrap().status().is_success());
        c.unwrap();
        d.unwrap();
    }
    let dump = "SELECT id, v, n FROM t ORDER BY id";
    let nodes = [node1, node2];
    let on_nodes = crate::cluster::converged(&nodes, dump).await;
    for replica in &replicas {
        eventually(Duration::from_secs(30), || async {
            let executed = replica
                .execute(vec![sql(dump)])
                .await
                .map_err(|e| e.to_string())?;
            let rows: Vec<serde_json::Value> = rows(&executed.results[0])
                .into_iter()
                .map(|row| {
                    serde_json::Value::Array(
                        row.into_iter()
                            .map(|v| match v {
                                Value::Integer(i) => json!(i),
                                Value::Text(t) => json!(t),
                                other => json!(format!("{other:?}")),
                            })
                            .collect(),
                    )
                })
                .collect();
            match serde_json::Value::Array(rows.clone()) == on_nodes {
                true => Ok(()),
                false => Err(format!("replica {rows:?} vs nodes {on_nodes}")),
            }
        })
        .await;
    }
    for replica in replicas {
        replica.close().await.unwrap();
    }
}

/// `ha-ffi`'s blocking client, from plain threads as the bindings call it: a remote node and a
/// replica, reads on the calling thread, writes through the runtime, a session, the error
/// classes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_client_serves_plain_threads() {
    let (node, broker) = node1_with_broker(&[]).await;
    node.post(
        "/query",
        &json!({"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)"}),
    )
    .await
    .unwrap();
    let remote_url = format!("http://{}", node.http_addr);
    let dir = tempfile::tempdir().unwrap();
    let replica_url = replica_url(dir.path(), &broker, "blocking", "");
    let outcome = std::thread::spawn(move || -> Result<(), String> {
        use ha_ffi::{BlockingClient, ErrorClass, class_for};
        let e = |e: ha_ffi::ClientError| e.to_string();
        let remote =
            BlockingClient::open(&remote_url, ha_ffi::ClientOptions::default(), &mut || false)
                .map_err(e)?;
        remote
            .execute(vec![sql("INSERT INTO t VALUES (1, 'remote')")], &mut || {
                false
            })
            .map_err(e)?;
        let failed = remote
            .execute(vec![sql("INSERT INTO t VALUES (1, 'again')")], &mut || {
                false
            })
            .unwrap_err();
        assert_eq!(class_for(failed.code()), ErrorClass::Integrity);
        let mut replica =
            BlockingClient::open(&replica_url, ha_ffi::ClientOptions::default(), &mut || {
                false
            })
            .map_err(e)?;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            // Until the replica has applied the table, the read fails.
            let answer = replica.execute(vec![sql("SELECT v FROM t WHERE id = 1")], &mut || false);
            if let Ok(answer) = answer
                && rows(&answer.results[0]) == vec![vec![Value::Text("remote".into())]]
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the replica never saw the row"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut session = replica.session().map_err(e)?;
        session.execute(sql("BEGIN"), &mut || false).map_err(e)?;
        session
            .execute(sql("INSERT INTO t VALUES (2, 'replica')"), &mut || false)
            .map_err(e)?;
        session.execute(sql("COMMIT"), &mut || false).map_err(e)?;
        let unknown = replica
            .execute(vec![sql("SELECT * FROM nope")], &mut || false)
            .unwrap_err();
        assert_eq!(class_for(unknown.code()), ErrorClass::Programming);
        replica.close().map_err(e)?;
        let closed = replica
            .execute(vec![sql("SELECT 1")], &mut || false)
            .unwrap_err();
        assert!(closed.to_string().contains("closed"), "{closed}");
        Ok(())
    })
    .join()
    .unwrap();
    outcome.unwrap();
    eventually(Duration::from_secs(20), || async {
        match node_count(&node, "t").await {
            Ok(2) => Ok(()),
            other => Err(format!("node: {other:?}")),
        }
    })
    .await;
}

async fn read_all(mut rows: ha_client::Rows) -> (usize, usize) {
    let (mut batches, mut total) = (0, 0);
    while let Some(batch) = rows.next_batch().await {
        let batch = batch.unwrap();
        assert!(batch.len() <= ha_client::BATCH_ROWS);
        batches += 1;
        total += batch.len();
    }
    (batches, total)
}

/// `Client::query` streams a read's rows in batches, on a remote node and on a replica; a
/// write is refused; a stream dropped half-way frees what it held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_streams_rows_in_batches_remote_and_local() {
    let (node, broker) = node1_with_broker(&["--concurrent-queries", "2"]).await;
    node.post(
        "/query",
        &json!([{"sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, pad TEXT)"},
                {"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2345) \
                         INSERT INTO t SELECT x, hex(randomblob(20)) FROM c"}]),
    )
    .await
    .unwrap();
    let remote = Client::open(
        &format!("http://{}", node.http_addr),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let replica = Client::open(
        &replica_url(dir.path(), &broker, "streamer", ""),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(20), || async {
        match count(&replica, "t").await {
            Ok(2345) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    for client in [&remote, &replica] {
        let rows = client
            .query(sql("SELECT id, pad FROM t ORDER BY id"))
            .await
            .unwrap();
        assert_eq!(rows.columns, vec!["id".to_string(), "pad".to_string()]);
        assert_eq!(
            rows.declared_types,
            vec![Some("INTEGER".to_string()), Some("TEXT".to_string())]
        );
        assert_eq!(read_all(rows).await, (5, 2345));
        let refused = match client.query(sql("DELETE FROM t")).await {
            Ok(rows) => read_all(rows).await.1.to_string(),
            Err(e) => format!("{:?}", e.code()),
        };
        assert_eq!(refused, "BadRequest", "a write is not streamed");
        // Streams dropped half-way, more of them than the node's query slots: each frees its
        // reader and slot.
        for _ in 0..4 {
            let mut rows = client.query(sql("SELECT * FROM t")).await.unwrap();
            assert!(rows.next_batch().await.unwrap().is_ok());
        }
        assert_eq!(count(client, "t").await, Ok(2345));
    }
    replica.close().await.unwrap();
}

/// A blocking call cancelled from another thread (a host's Ctrl-C) returns `cancelled`, and the
/// node's read is interrupted: with one query slot, the next query runs at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_call_can_be_cancelled_from_another_thread() {
    let node = crate::support::start(&["-m", "--concurrent-queries", "1"]).await;
    let url = format!("http://{}", node.http_addr);
    let outcome = std::thread::spawn(move || -> Result<(), String> {
        let client =
            ha_ffi::BlockingClient::open(&url, ha_ffi::ClientOptions::default(), &mut || false)
                .map_err(|e| e.to_string())?;
        let token = ha_ffi::CancelToken::new();
        let canceller = {
            let token = token.clone();
            // The user gives up a little later, while the query runs.
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                token.cancel();
            })
        };
        let forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                       SELECT count(*) FROM c WHERE x < 0";
        let started = std::time::Instant::now();
        let cancelled = client
            .execute_cancellable(vec![sql(forever)], &token)
            .unwrap_err();
        assert_eq!(cancelled.code(), ErrorCode::Cancelled, "{cancelled}");
        assert!(started.elapsed() < Duration::from_secs(5));
        canceller.join().unwrap();
        token.reset();
        let answer = client
            .execute_cancellable(vec![sql("SELECT 1")], &token)
            .map_err(|e| e.to_string())?;
        assert_eq!(rows(&answer.results[0]), vec![vec![Value::Integer(1)]]);
        Ok(())
    })
    .join()
    .unwrap();
    outcome.unwrap();
}

/// A replica's `replication_format=` chooses how its own change sets go to the log (a cluster
/// whose CDC consumer reads JSON gives it `json`); the nodes apply either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_writes_its_change_sets_in_the_format_its_url_names() {
    let (node1, broker) = node1_with_broker(&[]).await;
    node1
        .sql("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        .await
        .unwrap();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for (dir, (name, extra)) in dirs.iter().zip([
        ("replica-json", "&replication_format=json"),
        ("replica-pb", ""),
    ]) {
        let replica = Client::open(
            &replica_url(dir.path(), &broker, name, extra),
            ClientOptions::default(),
        )
        .await
        .unwrap();
        eventually(Duration::from_secs(20), || async {
            count(&replica, "t").await.map(|_| ())
        })
        .await;
        replica
            .execute(vec![with(
                "INSERT INTO t(v) VALUES (?)",
                vec![Value::Text(name.into())],
            )])
            .await
            .unwrap();
        replica.close().await.unwrap();
    }
    eventually(Duration::from_secs(20), || async {
        match node_count(&node1, "t").await {
            Ok(2) => Ok(()),
            other => Err(format!("node1: {other:?}")),
        }
    })
    .await;
    let js = async_nats::jetstream::new(async_nats::connect(&broker).await.unwrap());
    let mut stream = js.get_stream("ha_replication").await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut formats = std::collections::BTreeMap::new();
    for seq in 1..=last {
        let Ok(message) = stream.get_raw_message(seq).await else {
            continue;
        };
        let count = message
            .headers
            .get(ha_types::CHANGE_SETS_HEADER)
            .map(|v| v.as_str().to_string());
        let Ok(sets) = ha_types::ChangeSet::read_message(&message.payload, count.as_deref()) else {
            continue;
        };
        for set in sets {
            formats.insert(set.node, ha_types::ChangeSetFormat::of(&message.payload));
        }
    }
    assert_eq!(
        formats.get("replica-json"),
        Some(&ha_types::ChangeSetFormat::Json)
    );
    assert_eq!(
        formats.get("replica-pb"),
        Some(&ha_types::ChangeSetFormat::Protobuf)
    );
}
