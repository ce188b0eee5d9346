use rand::{Rng, SeedableRng};
use serde_json::json;

use super::{cluster, converged};

/// Three nodes, three concurrent writers on the same 10 keys (insert, update, delete, upsert,
/// unique conflicts) for 20 rounds: afterwards every node holds the same rows (SPEC §6.5, §16).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_with_conflicting_writers_converge() {
    let nodes = cluster(2, &[]).await;
    nodes[0]
        .sql("CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT, u INTEGER UNIQUE)")
        .await
        .unwrap();
    converged(&nodes, "SELECT name FROM sqlite_master WHERE name = 'kv'").await;
    let seed: u64 = std::env::var("IT_CONVERGE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    for round in 0..20 {
        let mut writers = Vec::new();
        for (n, node) in nodes.iter().enumerate() {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed * 1000 + round * 10 + n as u64);
            let statements: Vec<serde_json::Value> = (0..5)
                .map(|_| {
                    let k = rng.random_range(0..10);
                    let u = rng.random_range(0..10);
                    let v = format!("r{round}n{n}");
                    match rng.random_range(0..4) {
                        0 => json!({"sql": "INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", "params": [k, v, u]}),
                        1 => json!({"sql": "UPDATE kv SET v = ? WHERE k = ?", "params": [v, k]}),
                        2 => json!({"sql": "DELETE FROM kv WHERE k = ?", "params": [k]}),
                        _ => json!({"sql": "INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                                    "params": [k, v, u]}),
                    }
                })
                .collect();
            let client = node.client().clone();
            let url = node.url("/query");
            writers.push(tokio::spawn(async move {
                for statement in statements {
                    // Unique conflicts answer 400; that is part of the game.
                    let _ = client.post(&url).json(&statement).send().await.unwrap();
                }
            }));
        }
        for writer in writers {
            writer.await.unwrap();
        }
    }
    if std::env::var("IT_NODE_LOG").is_ok() {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        for (i, node) in nodes.iter().enumerate() {
            for line in node
                .logs()
                .iter()
                .filter(|l| l.contains("ha_core::replication"))
            {
                eprintln!("node{} {line}", i + 1);
            }
        }
    }
    // converged() waits until every node applied all the broker holds, then compares them.
    let final_rows = converged(&nodes, "SELECT k, v, u FROM kv ORDER BY k").await;
    let rows = final_rows.as_array().expect("rows");
    let mut unique: Vec<&serde_json::Value> = rows.iter().map(|r| &r[2]).collect();
    unique.sort_by_key(|u| u.as_i64());
    unique.dedup();
    assert_eq!(
        unique.len(),
        rows.len(),
        "UNIQUE u held on every node: {final_rows}"
    );
    assert!(
        rows.iter()
            .all(|r| r[1].as_str().is_some_and(|v| v.starts_with('r')))
    );
}
