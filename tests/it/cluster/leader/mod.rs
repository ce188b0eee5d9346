//! Leader mode (SPEC §7): one node writes, the others forward; read-modify-write stays exact
//! across nodes; the lease moves when the leader dies, and a paused leader that wakes up past
//! its lease writes nothing.

use std::time::{Duration, Instant};

mod partition;
mod tls;

use ha_test_harness::{NatsServer, NodeBuilder, TestNode, free_port};
use serde_json::{Value, json};

use crate::support::{BIN, eventually};

const TOKEN: &str = "s3cret";

/// `count` nodes in leader mode (with `--token`) on a broker of their own, so that killing or
/// pausing a node never takes the broker with it.
async fn leader_cluster(count: usize) -> (Vec<TestNode>, NatsServer) {
    leader_cluster_with(count, |_| Vec::new()).await
}

/// [`leader_cluster`] with `more(i)` added to node `i`'s arguments (its own ports).
async fn leader_cluster_with(
    count: usize,
    more: impl Fn(usize) -> Vec<String>,
) -> (Vec<TestNode>, NatsServer) {
    let broker = NatsServer::start(None).await.unwrap();
    let mut nodes = Vec::new();
    for i in 1..=count {
        let node = leader_mode(&format!("node{i}"), broker.url())
            .args(more(i))
            .start()
            .await
            .unwrap();
        nodes.push(node);
    }
    (nodes, broker)
}

/// Node `name` in leader mode (advertising 127.0.0.1, with `--token`) on the broker at
/// `broker_url`.
fn leader_mode(name: &str, broker_url: String) -> NodeBuilder {
    NodeBuilder::new(BIN)
        .args([
            "-n",
            name,
            "-m",
            "--leader-addr",
            "127.0.0.1",
            "--token",
            TOKEN,
        ])
        .replication_url(broker_url)
}

/// One node in leader mode named `name`, advertising `addr`, with `token`.
async fn leader_mode_node(broker: &NatsServer, name: &str, addr: &str, token: &str) -> TestNode {
    NodeBuilder::new(BIN)
        .args(["-n", name, "-m", "--leader-addr", addr, "--token", token])
        .replication_url(broker.url())
        .start()
        .await
        .unwrap()
}

/// A node that does not hold the lease.
async fn a_follower(nodes: &[TestNode]) -> &TestNode {
    for node in nodes {
        if leader_of(node).await["this_node"] == json!(false) {
            return node;
        }
    }
    panic!("no node follows")
}

async fn post(node: &TestNode, body: &Value) -> (u16, Value) {
    let response = node
        .client()
        .post(node.url("/query"))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `post`, retried while the cluster answers that the write did not run (no leader ready
/// yet: a new leader catches up with the log before it writes); fails on anything else.
async fn post_ok(node: &TestNode, body: &Value) -> Value {
    eventually(Duration::from_secs(15), || async {
        match post(node, body).await {
            (200, answer) => Ok(answer),
            (503, answer) if answer["code"] == json!("unavailable") => {
                Err(format!("not written yet: {answer}"))
            }
            (status, answer) => panic!("{body}: {status} {answer}"),
        }
    })
    .await
}

/// Waits until `sql` answers `want` on every node.
async fn everywhere(nodes: &[TestNode], sql: &str, want: Value) {
    for (i, node) in nodes.iter().enumerate() {
        eventually(Duration::from_secs(30), || async {
            let (status, answer) = post(node, &json!({ "sql": sql })).await;
            if status == 200 && answer["rows"] == want {
                Ok(())
            } else {
                Err(format!("node {i}: {sql}: {status} {answer}"))
            }
        })
        .await;
    }
}

/// The `/leader` answer of `node`, once it knows a leader.
async fn leader_of(node: &TestNode) -> Value {
    eventually(Duration::from_secs(20), || async {
        let response = node
            .client()
            .get(node.url("/leader"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        if status == 200 {
            Ok(body)
        } else {
            Err(format!("no leader yet: {status} {body}"))
        }
    })
    .await
}

/// Sends `n` increments of counter `c` to `node`, one after another; returns how many were
/// acknowledged. A refusal that says the write did not run (no leader yet, or the leader
/// cannot be reached: 503 `unavailable`) is retried, as clients do, for up to 15 s.
async fn increments(node: &TestNode, n: usize) -> usize {
    let mut acknowledged = 0;
    for _ in 0..n {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (status, answer) =
                post(node, &json!({"sql": "UPDATE c SET n = n + 1 WHERE id = 1"})).await;
            if status == 200 {
                acknowledged += 1;
                break;
            }
            assert!(
                status == 503
                    && answer["code"] == json!("unavailable")
                    && Instant::now() < deadline,
                "{status} {answer}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    acknowledged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increments_from_every_node_are_exact_and_the_lease_moves_when_the_leader_dies() {
    let (nodes, _broker) = leader_cluster(3).await;
    let leader = leader_of(&nodes[0]).await;
    for node in &nodes {
        let seen = leader_of(node).await;
        assert_eq!(seen["term"], leader["term"], "one term everywhere");
        assert_eq!(seen["addr"], leader["addr"]);
    }
    let leaders = {
        let mut count = 0;
        for node in &nodes {
            if leader_of(node).await["this_node"] == json!(true) {
                count += 1;
            }
        }
        count
    };
    assert_eq!(leaders, 1, "exactly one node leads");
    post_ok(
        &nodes[1],
        &json!([
            {"sql": "CREATE TABLE c(id INTEGER PRIMARY KEY, n INTEGER)"},
            {"sql": "INSERT INTO c VALUES (1, 0)"}
        ]),
    )
    .await;

    // 3 x 60 concurrent read-modify-writes, each node's its own: exact everywhere.
    let counts = futures::future::join_all(nodes.iter().map(|node| increments(node, 60))).await;
    assert_eq!(counts, [60, 60, 60], "every increment acknowledged");
    everywhere(&nodes, "SELECT n FROM c WHERE id = 1", json!([[180]])).await;

    // Kill the leader: another node leads within seconds, and writes go on through it.
    let leading = nodes
        .iter()
        .position(|n| n.url("").contains(leader["addr"].as_str().unwrap()))
        .expect("the leader is one of the nodes");
    let mut nodes = nodes;
    let dead = nodes.remove(leading);
    let killed_at = Instant::now();
    dead.kill().await.unwrap();
    let new_leader = eventually(Duration::from_secs(15), || async {
        let seen = leader_of(&nodes[0]).await;
        if seen["term"] != leader["term"] {
            Ok(seen)
        } else {
            Err(format!("still the old leader: {seen}"))
        }
    })
    .await;
    let failover = killed_at.elapsed();
    assert!(
        failover < Duration::from_secs(5),
        "fail-over took {failover:?}"
    );
    assert_ne!(new_leader["addr"], leader["addr"]);
    let done = futures::future::join_all(nodes.iter().map(|node| increments(node, 20))).await;
    assert_eq!(done, [20, 20]);
    everywhere(&nodes, "SELECT n FROM c WHERE id = 1", json!([[220]])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_leader_writes_nothing_after_its_lease() {
    let (nodes, _broker) = leader_cluster(2).await;
    let leader = leader_of(&nodes[0]).await;
    post_ok(&nodes[0], &json!({"sql": "CREATE TABLE t(x)"})).await;
    let leading = nodes
        .iter()
        .position(|n| n.url("").contains(leader["addr"].as_str().unwrap()))
        .unwrap();
    let other = 1 - leading;
    nodes[leading].pause().unwrap();
    // The other node takes over once the lease runs out.
    eventually(Duration::from_secs(15), || async {
        let seen = leader_of(&nodes[other]).await;
        if seen["this_node"] == json!(true) {
            Ok(())
        } else {
            Err(format!("not leading yet: {seen}"))
        }
    })
    .await;
    nodes[leading].resume().unwrap();
    // Woken up, the old leader accepts no write under its old term: it forwards, or refuses
    // until it knows the new leader; every row written is in the new term's log.
    let (status, answer) = post(&nodes[leading], &json!({"sql": "INSERT INTO t VALUES (1)"})).await;
    assert!(
        status == 200 || answer["code"] == json!("unavailable"),
        "{status} {answer}"
    );
    eventually(Duration::from_secs(15), || async {
        let now = leader_of(&nodes[leading]).await;
        if now["term"] != leader["term"] && now["this_node"] == json!(false) {
            Ok(())
        } else {
            Err(format!(
                "the old leader has not learned the new term: {now}"
            ))
        }
    })
    .await;
    let written = if status == 200 { 1 } else { 0 };
    everywhere(&nodes, "SELECT count(*) FROM t", json!([[written]])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_with_a_savepoint_over_postgresql_goes_to_the_leader() {
    let (nodes, _broker) = leader_cluster_with(2, |_| {
        vec!["--pg-port".into(), free_port().unwrap().to_string()]
    })
    .await;
    let follower = a_follower(&nodes).await;
    post_ok(
        follower,
        &json!({"sql": "CREATE TABLE t(x INTEGER PRIMARY KEY)"}),
    )
    .await;
    let client = crate::pg::connect(follower).await;
    client
        .batch_execute("BEGIN; INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    client.batch_execute("SAVEPOINT s").await.unwrap();
    client
        .batch_execute("INSERT INTO t VALUES (2)")
        .await
        .unwrap();
    client
        .batch_execute("ROLLBACK TO SAVEPOINT s")
        .await
        .unwrap();
    client
        .batch_execute("INSERT INTO t VALUES (3)")
        .await
        .unwrap();
    // A failing statement aborts the transaction, as PostgreSQL does, until ROLLBACK TO.
    client.batch_execute("SAVEPOINT t").await.unwrap();
    let error = client
        .batch_execute("INSERT INTO t VALUES (1)")
        .await
        .unwrap_err();
    assert_eq!(crate::pg::sqlstate(&error), "23505", "{error:?}");
    let error = client
        .batch_execute("INSERT INTO t VALUES (4)")
        .await
        .unwrap_err();
    assert_eq!(crate::pg::sqlstate(&error), "25P02", "{error:?}");
    client
        .batch_execute("ROLLBACK TO SAVEPOINT t")
        .await
        .unwrap();
    client.batch_execute("COMMIT").await.unwrap();
    // Read-your-writes: the follower's next read sees the commit.
    let rows = client
        .query("SELECT x FROM t ORDER BY x", &[])
        .await
        .unwrap();
    let seen: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(seen, [1, 3]);
    everywhere(&nodes, "SELECT x FROM t ORDER BY x", json!([[1], [3]])).await;
}

/// What happened to one increment sent during a fail-over.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    acknowledged: u64,
    /// Answered in a way that leaves the outcome unknown (the node or its leader died while
    /// the write ran): it may or may not be in.
    unknown: u64,
}

/// Sends increments to `node` until `stop`; refusals that say the write did not run are
/// retried, as clients do.
async fn increment_until(
    node: &TestNode,
    stop: tokio::sync::watch::Receiver<bool>,
    errors: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    acknowledged: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> Tally {
    let mut tally = Tally::default();
    while !*stop.borrow() {
        let sent = node
            .client()
            .post(node.url("/query"))
            .bearer_auth(TOKEN)
            .json(&json!({"sql": "UPDATE c SET n = n + 1 WHERE id = 1"}))
            .send()
            .await;
        let Ok(response) = sent else {
            // The node itself is gone: nothing to send to any more.
            tally.unknown += 1;
            break;
        };
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        match (status, answer["code"].as_str()) {
            (200, _) => {
                tally.acknowledged += 1;
                acknowledged.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            (503, Some("unavailable")) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (503, Some("replication_pending")) => {
                errors.lock().unwrap().push(format!("{status} {answer}"));
                tally.unknown += 1;
            }
            _ => panic!("an increment failed: {status} {answer}"),
        }
    }
    tally
}

/// Waits until the load has had `count` increments acknowledged.
async fn at_least(acked: &std::sync::atomic::AtomicU64, count: u64) {
    eventually(Duration::from_secs(30), || async {
        let now = acked.load(std::sync::atomic::Ordering::Relaxed);
        if now >= count {
            Ok(())
        } else {
            Err(format!("{now} of {count} increments acknowledged"))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_under_load_loses_no_acknowledged_increment_and_applies_none_twice() {
    let (mut nodes, _broker) = leader_cluster(3).await;
    let leader = leader_of(&nodes[0]).await;
    post_ok(
        &nodes[0],
        &json!([
            {"sql": "CREATE TABLE c(id INTEGER PRIMARY KEY, n INTEGER)"},
            {"sql": "INSERT INTO c VALUES (1, 0)"}
        ]),
    )
    .await;
    let leading = nodes
        .iter()
        .position(|n| n.url("").contains(leader["addr"].as_str().unwrap()))
        .unwrap();
    let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let dead = {
        let nodes_ref = &nodes;
        let load = futures::future::join_all(
            nodes_ref
                .iter()
                .map(|node| increment_until(node, stopped.clone(), errors.clone(), acked.clone())),
        );
        let chaos = async {
            // Some load first, then the leader dies under it, then more load.
            at_least(&acked, 100).await;
            let pid = nodes_ref[leading].pid().unwrap();
            // SAFETY: kill(2) on the child we started.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
            let killed = Instant::now();
            let new_leader = eventually(Duration::from_secs(15), || async {
                let other = &nodes_ref[(leading + 1) % nodes_ref.len()];
                let seen = leader_of(other).await;
                if seen["term"] != leader["term"] {
                    Ok(seen)
                } else {
                    Err(format!("still the old leader: {seen}"))
                }
            })
            .await;
            let failover = killed.elapsed();
            let before = acked.load(std::sync::atomic::Ordering::Relaxed);
            at_least(&acked, before + 100).await;
            let _ = stop.send(true);
            (failover, new_leader)
        };
        let (tallies, (failover, new_leader)) = tokio::join!(load, chaos);
        assert!(
            failover < Duration::from_secs(5),
            "fail-over took {failover:?}"
        );
        assert_ne!(new_leader["addr"], leader["addr"]);
        tallies
    };
    let acknowledged: u64 = dead.iter().map(|t| t.acknowledged).sum();
    let unknown: u64 = dead.iter().map(|t| t.unknown).sum();
    nodes.remove(leading);
    // The survivors agree, every acknowledged increment is in, and none is in twice.
    let mut finals = Vec::new();
    for node in &nodes {
        let n = eventually(Duration::from_secs(30), || async {
            let (status, answer) = post(node, &json!({"sql": "SELECT n FROM c"})).await;
            match answer["rows"][0][0].as_u64() {
                Some(n) if status == 200 && n >= acknowledged => Ok(n),
                _ => Err(format!("{status} {answer}: fewer than {acknowledged}")),
            }
        })
        .await;
        finals.push(n);
    }
    eprintln!(
        "acknowledged {acknowledged}, outcome unknown {unknown}, final {finals:?}, errors {:?}",
        errors.lock().unwrap()
    );

    assert!(acknowledged > 0);
    assert!(finals.windows(2).all(|w| w[0] == w[1]), "{finals:?}");
    assert!(
        finals[0] <= acknowledged + unknown,
        "applied twice: {} > {acknowledged} + {unknown}",
        finals[0]
    );
}

/// A misconfigured cluster says what is wrong, to the client and in the log: a leader whose
/// `--leader-addr` others cannot reach, and nodes whose tokens differ.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_leader_address_and_a_different_token_are_clear_errors() {
    let broker = NatsServer::start(None).await.unwrap();
    // Started first, it leads, but advertises an address nobody listens on.
    let unreachable = leader_mode_node(&broker, "lost", "127.0.0.1:1", TOKEN).await;
    let leader = leader_of(&unreachable).await;
    assert_eq!(leader["this_node"], json!(true), "{leader}");
    let follower = leader_mode_node(&broker, "follower", "127.0.0.1", TOKEN).await;
    assert_eq!(leader_of(&follower).await["addr"], json!("127.0.0.1:1"));
    let (status, answer) = post(&follower, &json!({"sql": "CREATE TABLE t(x)"})).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (503, Some("unavailable")),
        "{answer}"
    );
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:1 cannot be reached"),
        "{answer}"
    );
    assert!(
        follower
            .logs()
            .iter()
            .any(|l| l.contains("the leader cannot be reached")),
        "logged"
    );
    drop(follower);
    drop(unreachable);

    // A follower whose token the leader does not share.
    let broker = NatsServer::start(None).await.unwrap();
    let leading = leader_mode_node(&broker, "a", "127.0.0.1", TOKEN).await;
    assert_eq!(leader_of(&leading).await["this_node"], json!(true));
    let other = leader_mode_node(&broker, "b", "127.0.0.1", "another").await;
    let response = other
        .client()
        .post(other.url("/query"))
        .bearer_auth("another")
        .json(&json!({"sql": "CREATE TABLE t(x)"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        (status, answer["code"].as_str()),
        (503, Some("unavailable")),
        "{answer}"
    );
    assert!(
        answer["error"].as_str().unwrap().contains("same --token"),
        "{answer}"
    );
    assert!(
        other
            .logs()
            .iter()
            .any(|l| l.contains("refused this node's --token")),
        "logged"
    );
}

/// The other doors forward too: a gRPC client (`ha-client`, as the SDKs' remote connections)
/// and a MySQL client on a follower, with a transaction each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_and_mysql_clients_of_a_follower_write_through_the_leader() {
    use ha_client::{Client, ClientOptions, Statement};
    use mysql_async::prelude::Queryable;
    let (nodes, _broker) = leader_cluster_with(2, |_| {
        let mysql = free_port().unwrap().to_string();
        ["--mysql-port", mysql.as_str(), "--mysql-pass", "pw"]
            .map(String::from)
            .to_vec()
    })
    .await;
    let follower = a_follower(&nodes).await;

    let options = ClientOptions {
        token: Some(TOKEN.into()),
        ..ClientOptions::default()
    };
    let client = Client::open(&format!("http://{}", follower.http_addr), options)
        .await
        .unwrap();
    // The new leader may still be catching up with the log: written through HTTP first.
    post_ok(follower, &json!({"sql": "SELECT 1"})).await;
    client
        .execute(vec![Statement::new(
            "CREATE TABLE t(x INTEGER PRIMARY KEY, via TEXT)",
        )])
        .await
        .unwrap();
    let mut session = client.session().await.unwrap();
    session.execute(Statement::new("BEGIN")).await.unwrap();
    session
        .execute(Statement::new("INSERT INTO t VALUES (1, 'grpc')"))
        .await
        .unwrap();
    session.execute(Statement::new("COMMIT")).await.unwrap();

    let addr = follower.mysql_addr.unwrap();
    let url = format!("mysql://ha:pw@{addr}/ha.db");
    let mut conn = mysql_async::Conn::new(mysql_async::Opts::from_url(&url).unwrap())
        .await
        .unwrap();
    let mut tx = conn
        .start_transaction(mysql_async::TxOpts::default())
        .await
        .unwrap();
    tx.exec_drop("INSERT INTO t VALUES (?, ?)", (2, "mysql"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    conn.exec_drop("INSERT INTO t VALUES (?, ?)", (3, "mysql autocommit"))
        .await
        .unwrap();
    // Read-your-writes on the follower's own connection.
    let seen: Vec<(i64, String)> = conn.query("SELECT x, via FROM t ORDER BY x").await.unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    conn.disconnect().await.unwrap();
    everywhere(
        &nodes,
        "SELECT x, via FROM t ORDER BY x",
        json!([[1, "grpc"], [2, "mysql"], [3, "mysql autocommit"]]),
    )
    .await;
}

/// An in-process read/write replica of a leader-mode cluster writes through the leader too
/// (SPEC §7, §11): a single write and a transaction, then read back on the replica itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_process_replica_writes_through_the_leader() {
    use ha_client::{Client, ClientOptions, Statement, StatementResult, Value};
    let (nodes, broker) = leader_cluster(2).await;
    post_ok(
        &nodes[0],
        &json!({"sql": "CREATE TABLE t(x INTEGER PRIMARY KEY, via TEXT)"}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "file:{}?replication_url={}&node=replica1&database=ha.db",
        dir.path().join("replica.db").display(),
        broker.url()
    );
    let options = ClientOptions {
        token: Some(TOKEN.into()),
        ..ClientOptions::default()
    };
    let replica = Client::open(&url, options).await.unwrap();
    let written = replica
        .execute(vec![Statement::new("INSERT INTO t VALUES (1, 'replica')")])
        .await
        .unwrap();
    let seq = written.seq.expect("the leader's sequence");
    let mut session = replica.session().await.unwrap();
    session.execute(Statement::new("BEGIN")).await.unwrap();
    session
        .execute(Statement::new("INSERT INTO t VALUES (2, 'replica tx')"))
        .await
        .unwrap();
    let committed = session.execute(Statement::new("COMMIT")).await.unwrap();
    let seq = committed.seq.unwrap_or(seq);
    replica
        .wait_for(seq, Duration::from_secs(20))
        .await
        .unwrap();
    let read = replica
        .execute(vec![Statement::new("SELECT x, via FROM t ORDER BY x")])
        .await
        .unwrap();
    let StatementResult::Rows { rows, .. } = &read.results[0] else {
        panic!("{read:?}");
    };
    assert_eq!(
        rows,
        &vec![
            vec![Value::Integer(1), Value::Text("replica".into())],
            vec![Value::Integer(2), Value::Text("replica tx".into())],
        ]
    );
    everywhere(
        &nodes,
        "SELECT x, via FROM t ORDER BY x",
        json!([[1, "replica"], [2, "replica tx"]]),
    )
    .await;
    replica.close().await.unwrap();
    // Nothing was written in the replica's own name: its origin gave no change set.
    let file = rusqlite::Connection::open(dir.path().join("replica.db")).unwrap();
    let own: i64 = file
        .query_row(
            "SELECT coalesce(max(last_id), 0) FROM _ha_origins \
             WHERE origin = (SELECT origin FROM _ha_identity)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let outbox: i64 = file
        .query_row("SELECT count(*) FROM _ha_outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!((own, outbox), (0, 0), "the replica wrote locally");
}

/// `--leader-static ADDR`: no election; the node started without the flag leads, and a node
/// with it forwards its writes there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_leader_takes_the_writes_of_its_followers() {
    let broker = NatsServer::start(None).await.unwrap();
    let leader = NodeBuilder::new(BIN)
        .args(["-n", "leader", "-m", "--token", TOKEN])
        .replication_url(broker.url())
        .start()
        .await
        .unwrap();
    let follower = NodeBuilder::new(BIN)
        .args(["-n", "follower", "-m", "--token", TOKEN])
        .args(["--leader-static", &leader.http_addr.to_string()])
        .replication_url(broker.url())
        .start()
        .await
        .unwrap();
    let seen = leader_of(&follower).await;
    assert_eq!(seen["addr"], json!(leader.http_addr.to_string()));
    assert_eq!(seen["this_node"], json!(false));
    post_ok(&follower, &json!({"sql": "CREATE TABLE t(x)"})).await;
    post_ok(&follower, &json!({"sql": "INSERT INTO t VALUES (1)"})).await;
    let nodes = [leader, follower];
    everywhere(&nodes, "SELECT x FROM t", json!([[1]])).await;
    // The follower never writes itself: with its leader gone, writes are refused (reads go on).
    let [leader, follower] = nodes;
    leader.stop().await.unwrap();
    let (status, answer) = post(&follower, &json!({"sql": "INSERT INTO t VALUES (2)"})).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (503, Some("unavailable")),
        "{answer}"
    );
    let (status, answer) = post(&follower, &json!({"sql": "SELECT count(*) FROM t"})).await;
    assert_eq!((status, &answer["rows"]), (200, &json!([[1]])), "{answer}");
}
