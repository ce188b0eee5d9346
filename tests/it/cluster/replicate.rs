use serde_json::json;

use reqwest::Method;

use super::{cluster, converged, get_json, rows, send};

/// The seed's quick start over HTTP: node1 with its embedded broker, node2 joining through
/// `--replication-url`; writes on either node are visible on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_either_node_are_visible_on_both() {
    let nodes = cluster(1, &[]).await;
    let response = nodes[0]
        .client()
        .post(nodes[0].url("/query"))
        .json(&json!({"sql": "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seq: u64 = response.headers()["x-ha-seq"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seq >= 1);
    converged(
        &nodes,
        "SELECT name FROM sqlite_master WHERE name = 'users'",
    )
    .await;
    nodes[0]
        .post(
            "/query",
            &json!({"sql": "INSERT INTO users(name) VALUES(:name)", "params": {"name": "HA user"}}),
        )
        .await
        .unwrap();
    nodes[1]
        .post(
            "/query",
            &json!({"sql": "INSERT INTO users(id, name) VALUES(100, 'from node2')"}),
        )
        .await
        .unwrap();
    let all = converged(&nodes, "SELECT id, name FROM users ORDER BY id").await;
    assert_eq!(all, json!([[1, "HA user"], [100, "from node2"]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_round_trip_exactly() {
    let nodes = cluster(1, &[]).await;
    nodes[0]
        .sql("CREATE TABLE v(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n)")
        .await
        .unwrap();
    let (status, answer) = nodes[0]
        .post(
            "/query",
            &json!([
                {"sql": "INSERT INTO v VALUES (1, ?, ?, ?, ?, NULL)",
                 "params": [9223372036854775807_i64, 0.1, "héllo \u{1F600}", {"base64": "AAEC/w=="}]},
                {"sql": "INSERT INTO v VALUES (2, ?, ?, '', x'', NULL)", "params": [-9223372036854775808_i64, -1.5e300]},
            ]),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let want = rows(
        &nodes[0],
        "SELECT id, i, r, t, b, n, typeof(b), hex(b) FROM v ORDER BY id",
    )
    .await;
    assert_eq!(want[0][1], json!(9223372036854775807_i64));
    let got = converged(
        &nodes,
        "SELECT id, i, r, t, b, n, typeof(b), hex(b) FROM v ORDER BY id",
    )
    .await;
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_changes_replicate_and_redelivery_is_harmless() {
    let nodes = cluster(1, &[]).await;
    for sql in [
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT)",
        "CREATE INDEX t_a ON t(a)",
        "ALTER TABLE t ADD COLUMN b INTEGER",
        "INSERT INTO t VALUES (1, 'x', 2)",
        "CREATE TABLE gone(x)",
        "DROP TABLE gone",
        "CREATE TABLE nokey(v)",
        "INSERT INTO nokey(rowid, v) VALUES (42, 'answer')",
    ] {
        nodes[0].sql(sql).await.unwrap();
    }
    let schema = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE '\\_ha\\_%' ESCAPE '\\' ORDER BY name";
    let got = converged(&nodes, schema).await;
    assert_eq!(
        got,
        json!([["table", "nokey"], ["table", "t"], ["index", "t_a"]])
    );
    assert_eq!(
        converged(&nodes, "SELECT * FROM t").await,
        json!([[1, "x", 2]])
    );
    assert_eq!(
        converged(&nodes, "SELECT rowid, v FROM nokey").await,
        json!([[42, "answer"]])
    );
}

/// A 5 MB transaction replicates whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_five_megabyte_transaction_replicates() {
    use base64::Engine as _;
    let nodes = cluster(1, &[]).await;
    nodes[0]
        .sql("CREATE TABLE big(id INTEGER PRIMARY KEY, b BLOB)")
        .await
        .unwrap();
    let blob: Vec<u8> = (0..5 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&blob);
    let (status, answer) = nodes[0]
        .post(
            "/query",
            &json!([
                {"sql": "INSERT INTO big VALUES (1, ?)", "params": [{"base64": encoded}]},
                {"sql": "INSERT INTO big VALUES (2, zeroblob(10))"},
            ]),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let got = converged(
        &nodes,
        "SELECT id, length(b), hex(substr(b, 1000, 4)) FROM big ORDER BY id",
    )
    .await;
    assert_eq!(got, json!([[1, 5 * 1024 * 1024, "F6F7F8F9"], [2, 10, ""]]));
}

/// `GET /replications` lists every node's consumer of the database with its position and lag;
/// `DELETE /replications/{name}` removes one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replications_are_listed_and_removable() {
    let nodes = cluster(1, &[]).await;
    nodes[0].sql("CREATE TABLE t(x)").await.unwrap();
    nodes[0].sql("INSERT INTO t VALUES (1)").await.unwrap();
    converged(&nodes, "SELECT count(*) FROM t").await;
    // Node 1 reads its own two change sets back (that ends their rows' pending state).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let list = loop {
        let response = send(&nodes[0], Method::GET, "/replications").await;
        assert_eq!(response.status(), 200);
        let list: serde_json::Value = response.json().await.unwrap();
        if list["replications"][0]["applied_seq"].as_u64().unwrap_or(0) >= 2 {
            break list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node1 never read its own changes: {list}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let names: Vec<&str> = list["replications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["node1_ha_db", "node2_ha_db"], "{list}");
    let own = &list["replications"][0];
    assert!(own["error"].is_null());
    let other = send(
        &nodes[0],
        Method::GET,
        "/databases/ha.db/replications/node2_ha_db",
    )
    .await;
    assert_eq!(other.status(), 200);
    let other: serde_json::Value = other.json().await.unwrap();
    assert!(other["delivered_seq"].as_u64().unwrap() >= 2, "{other}");
    assert!(
        other["applied_seq"].is_null(),
        "another node's applied position is its own business"
    );
    let missing = send(&nodes[0], Method::DELETE, "/replications/nobody_ha_db").await;
    assert_eq!(missing.status(), 404);
    let removed = send(&nodes[0], Method::DELETE, "/replications/node2_ha_db").await;
    assert_eq!(removed.status(), 200);
    let list: serde_json::Value = get_json(&nodes[0], "/replications").await.1;
    assert_eq!(list["replications"].as_array().unwrap().len(), 1, "{list}");
}

/// A change set that cannot be applied never stalls silently: `/readyz` and `/replications`
/// name the failing entry and the error, and the node keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_error_is_visible() {
    let nodes = cluster(1, &["--disable-ddl-sync"]).await;
    // Each node creates its own, different table t (schema changes are not published).
    nodes[1].sql("CREATE TABLE t(a)").await.unwrap();
    nodes[0].sql("CREATE TABLE t(a, b)").await.unwrap();
    nodes[0].sql("INSERT INTO t VALUES (1, 2)").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let reason = loop {
        let ready = send(&nodes[1], Method::GET, "/readyz").await;
        if ready.status() == 503 {
            let body: serde_json::Value = ready.json().await.unwrap();
            break body["reason"].as_str().unwrap().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node2 never reported the apply error"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        reason.contains("fails to apply") && reason.contains("b"),
        "{reason}"
    );
    let own: serde_json::Value = get_json(&nodes[1], "/replications/node2_ha_db").await.1;
    assert!(
        own["failing_seq"].as_u64().is_some() && own["error"].is_string(),
        "{own}"
    );
    assert_eq!(
        nodes[1].sql("SELECT count(*) FROM t").await.unwrap()["rows"],
        json!([[0]])
    );
    let ready = send(&nodes[0], Method::GET, "/readyz").await;
    assert_eq!(ready.status(), 200, "node1 applies nothing and is fine");
}

/// Rows written by triggers are captured where the trigger ran and arrive elsewhere as rows:
/// the trigger does not run a second time on apply. The `_ha_*` tables can't be changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_run_once_and_internal_tables_are_read_only() {
    let nodes = cluster(1, &[]).await;
    for sql in [
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)",
        "CREATE TABLE audit(id INTEGER PRIMARY KEY, t_id INTEGER, what TEXT)",
        "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO audit(t_id, what) VALUES (new.id, 'insert'); END",
        "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
    ] {
        nodes[0].sql(sql).await.unwrap();
    }
    let audit = "SELECT t_id, what FROM audit ORDER BY t_id";
    assert_eq!(
        converged(&nodes, audit).await,
        json!([[1, "insert"], [2, "insert"]])
    );
    nodes[1].sql("INSERT INTO t VALUES (3, 'c')").await.unwrap();
    converged(&nodes, "SELECT count(*) FROM t WHERE id = 3").await;
    assert_eq!(
        converged(&nodes, audit).await,
        json!([[1, "insert"], [2, "insert"], [3, "insert"]])
    );
    let (status, answer) = nodes[0]
        .post("/query", &json!({"sql": "DELETE FROM _ha_outbox"}))
        .await
        .unwrap();
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("_ha_"),
        "{answer}"
    );
    let (status, _) = nodes[0]
        .post(
            "/query",
            &json!({"sql": "SELECT count(*) FROM _ha_replication"}),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "reading them is fine");
}

/// Updates and deletes find their rows with every `--row-identify` mode, in WITHOUT ROWID
/// tables (by key), key-less tables (by rowid) and tables whose names need quoting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_are_found_with_every_row_identify_mode() {
    for mode in ["pk", "rowid", "full"] {
        eprintln!("--row-identify {mode}");
        let nodes = cluster(1, &["--row-identify", mode]).await;
        for sql in [
            r#"CREATE TABLE "odd ""name"""(k TEXT PRIMARY KEY, "v a l" INTEGER) WITHOUT ROWID"#,
            "CREATE TABLE loose(a, b)",
            r#"INSERT INTO "odd ""name"""(k, "v a l") VALUES ('x', 1), ('y', 2), ('z', 3)"#,
            "INSERT INTO loose VALUES (1, 'one'), (2, 'two'), (2, 'two')",
            r#"UPDATE "odd ""name""" SET "v a l" = 20 WHERE k = 'y'"#,
            r#"DELETE FROM "odd ""name""" WHERE k = 'z'"#,
            "UPDATE loose SET b = 'uno' WHERE a = 1",
            "DELETE FROM loose WHERE rowid = 3",
        ] {
            nodes[0].sql(sql).await.unwrap();
        }
        let odd = converged(&nodes, r#"SELECT * FROM "odd ""name""" ORDER BY k"#).await;
        assert_eq!(odd, json!([["x", 1], ["y", 20]]), "{mode}");
        let loose = converged(&nodes, "SELECT rowid, a, b FROM loose ORDER BY rowid").await;
        assert_eq!(loose, json!([[1, 1, "uno"], [2, 2, "two"]]), "{mode}");
    }
}

/// A database created while the node runs gets its consumer too; dropping it stops it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_database_is_consumed_and_a_dropped_one_stops() {
    let nodes = cluster(0, &[]).await;
    nodes[0].sql("CREATE DATABASE extra.db").await.unwrap();
    let (status, answer) = nodes[0]
        .post(
            "/databases/extra.db",
            &json!([{"sql": "CREATE TABLE t(x)"}, {"sql": "INSERT INTO t VALUES (1)"}]),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list: serde_json::Value = get_json(&nodes[0], "/databases/extra.db/replications")
            .await
            .1;
        let own = &list["replications"][0];
        if own["name"] == "node1_extra_db" && own["applied_seq"].as_u64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no consumer for extra.db: {list}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    nodes[0].sql("DROP DATABASE extra.db").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !nodes[0]
        .logs()
        .iter()
        .any(|l| l.contains("database closed; consumer stopped"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the consumer of a dropped database goes on"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Read-your-writes: a write's `X-Ha-Seq` sent as `X-Ha-Min-Seq` to another node makes the
/// read wait until that node has applied it; a position never reached answers 503 busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_wait_for_a_minimum_sequence() {
    let nodes = cluster(1, &["--replication-timeout=2s"]).await;
    nodes[0].sql("CREATE TABLE t(x)").await.unwrap();
    for i in 0..20 {
        let written = nodes[0]
            .client()
            .post(nodes[0].url("/query"))
            .json(&json!({"sql": "INSERT INTO t VALUES (?)", "params": [i]}))
            .send()
            .await
            .unwrap();
        let seq = written.headers()["x-ha-seq"].to_str().unwrap().to_string();
        let read: serde_json::Value = nodes[1]
            .client()
            .post(nodes[1].url("/query"))
            .header("X-Ha-Min-Seq", &seq)
            .json(&json!({"sql": "SELECT count(*) FROM t WHERE x = ?", "params": [i]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            read["rows"],
            json!([[1]]),
            "write {i} (seq {seq}) not visible: {read}"
        );
    }
    let future = nodes[1]
        .client()
        .post(nodes[1].url("/query"))
        .header("X-Ha-Min-Seq", "999999")
        .json(&json!({"sql": "SELECT 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(future.status(), 503);
    let bad = nodes[1]
        .client()
        .post(nodes[1].url("/query"))
        .header("X-Ha-Min-Seq", "soon")
        .json(&json!({"sql": "SELECT 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

/// `--replication-policy new`: a node joining later starts at the end of the log (it has no
/// recorded position), so it gets only what is written after it joined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_node_with_policy_new_starts_at_the_end_of_the_log() {
    let port = ha_test_harness::free_port().unwrap();
    let node1 = ha_test_harness::NodeBuilder::new(crate::support::BIN)
        .args(["-n", "node1", "-m"])
        .embedded_nats(port)
        .start()
        .await
        .unwrap();
    node1.sql("CREATE TABLE t(x)").await.unwrap();
    node1.sql("INSERT INTO t VALUES ('before')").await.unwrap();
    let node2 = ha_test_harness::NodeBuilder::new(crate::support::BIN)
        .args(["-n", "node2", "-m", "--replication-policy", "new"])
        .replication_url(format!("nats://127.0.0.1:{port}"))
        .start()
        .await
        .unwrap();
    node2.sql("CREATE TABLE t(x)").await.unwrap();
    node1.sql("INSERT INTO t VALUES ('after')").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let rows = node2.sql("SELECT x FROM t ORDER BY x").await.unwrap()["rows"].clone();
        if rows == json!([["after"]]) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "node2 has {rows}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Under `-m` the embedded broker's store is temporary: a directory of its own while the node
/// runs, gone after it stops. (A stale store left by an earlier node was once replayed by a
/// later one whose pid matched.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_node_removes_its_broker_store_when_it_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let listing = || -> Vec<String> {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let node = ha_test_harness::NodeBuilder::new(crate::support::BIN)
        .env("TMPDIR", tmp.path().to_string_lossy())
        .args(["-n", "node1", "-m"])
        .embedded_nats(ha_test_harness::free_port().unwrap())
        .start()
        .await
        .unwrap();
    node.sql("CREATE TABLE t(x)").await.unwrap();
    let running = listing();
    assert!(
        running
            .iter()
            .any(|name| name.starts_with("ha-nats-node1-")),
        "no broker store in TMPDIR while running: {running:?}"
    );
    assert_eq!(node.stop().await.unwrap(), Some(0));
    assert_eq!(listing(), Vec::<String>::new());
}
