//! The seeded workload: one writer per node posting transactions (HTTP arrays) on overlapping
//! keys until a deadline. Every transaction ends with an insert of its unique token into the
//! append-only table `acked`, so an acknowledged write can be found later whatever became of
//! the rows it changed. Node 1 alone changes the schema (add column, index, table rebuild): one
//! origin keeps schema changes in one commit order; the others write the same tables meanwhile.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The schema every run starts with (created on node 1 before the writers start).
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE acked(token TEXT PRIMARY KEY, node INT NOT NULL, kind TEXT NOT NULL)",
    "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT, u INTEGER UNIQUE)",
    "CREATE TABLE wr(k TEXT PRIMARY KEY, v TEXT, n INT NOT NULL DEFAULT 0) WITHOUT ROWID",
    "CREATE TABLE gen(id INTEGER PRIMARY KEY, x INT, twice INT GENERATED ALWAYS AS (x * 2) STORED, \
     thrice INT GENERATED ALWAYS AS (x * 3) VIRTUAL)",
    "CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE child(id TEXT PRIMARY KEY, parent_id INT REFERENCES parent(id) ON DELETE CASCADE, note TEXT)",
    "CREATE TABLE audit(entry TEXT PRIMARY KEY, parent_id INT)",
    "CREATE TRIGGER parent_audit AFTER INSERT ON parent BEGIN \
     INSERT OR IGNORE INTO audit(entry, parent_id) VALUES ('ins:' || new.name, new.id); END",
    "CREATE TABLE ctr(id INTEGER PRIMARY KEY, v INT NOT NULL)",
    "INSERT INTO ctr(id, v) VALUES (1, 0), (2, 0), (3, 0)",
    "CREATE TABLE doc(id INTEGER PRIMARY KEY, body TEXT)",
    "CREATE TABLE rb(id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INT)",
    "CREATE TABLE big(id INTEGER PRIMARY KEY, token TEXT NOT NULL, pad TEXT)",
];

/// What the workload includes. Everything by default; `IT_CHECKER_WITHOUT=gen,ddl` leaves parts
/// out, only to tell one known failure from another while the core is fixed (never in CI).
#[derive(Debug, Clone, Copy)]
pub struct Features {
    pub generated: bool,
    pub ddl: bool,
}

impl Features {
    pub fn from_env() -> Features {
        let without = std::env::var("IT_CHECKER_WITHOUT").unwrap_or_default();
        let has = |name: &str| !without.split(',').any(|w| w.trim() == name);
        Features {
            generated: has("gen"),
            ddl: has("ddl"),
        }
    }
}

/// How a transaction ended, as its client saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// 200 (`seq` from `X-Ha-Seq`), or 503 `replication_pending`: committed, must survive.
    Acked { seq: Option<u64>, pending: bool },
    /// A 4xx answer: refused, must leave no trace.
    Failed { status: u16, body: String },
    /// Never reached the node (connection refused): must leave no trace.
    NotSent,
    /// Sent, but no usable answer (timeout, connection lost, other 5xx): either way.
    Unknown(String),
}

/// One transaction the workload sent.
#[derive(Debug, Clone)]
pub struct Write {
    pub token: String,
    /// 1-based node number.
    pub node: usize,
    pub kind: &'static str,
    pub outcome: Outcome,
}

impl Write {
    pub fn acked(&self) -> bool {
        matches!(self.outcome, Outcome::Acked { .. })
    }
}

/// Where each node's writer sends its requests; a restarted node listens on a new port.
pub type Targets = Vec<Arc<RwLock<String>>>;

/// The schema changes node 1 has made so far.
#[derive(Default)]
struct DdlState {
    columns: u32,
    index: bool,
    rebuilds: u32,
}

fn st(sql: &str, params: Value) -> Value {
    json!({ "sql": sql, "params": params })
}

/// The statements of the `i`th transaction of node `node` (before the token insert) and its kind.
fn transaction(
    rng: &mut StdRng,
    node: usize,
    i: u64,
    token: &str,
    features: Features,
    ddl: &mut DdlState,
) -> (&'static str, Vec<Value>) {
    let n = node as i64;
    let i = i as i64;
    let pick = rng.random_range(0..100);
    if node == 1 && features.ddl && pick < 14 {
        return schema_change(rng, i, token, ddl);
    }
    match pick {
        0..=29 => {
            let count = rng.random_range(1..=3);
            let statements = (0..count).map(|_| kv_statement(rng, token)).collect();
            ("kv", statements)
        }
        30..=41 => {
            let k = format!("k{}", rng.random_range(0..10));
            if rng.random_bool(0.8) {
                (
                    "wr",
                    vec![st(
                        "INSERT INTO wr(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v, n = wr.n + 1",
                        json!([k, token]),
                    )],
                )
            } else {
                ("wr", vec![st("DELETE FROM wr WHERE k = ?", json!([k]))])
            }
        }
        42..=53 if features.generated => {
            let id = rng.random_range(0..10);
            if rng.random_bool(0.8) {
                let x: i64 = rng.random_range(-1000..1000);
                (
                    "gen",
                    vec![st(
                        "INSERT INTO gen(id, x) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET x = excluded.x",
                        json!([id, x]),
                    )],
                )
            } else {
                ("gen", vec![st("DELETE FROM gen WHERE id = ?", json!([id]))])
            }
        }
        54..=65 => {
            let id = rng.random_range(0..6);
            (
                "parent",
                vec![
                    st(
                        "INSERT OR REPLACE INTO parent(id, name) VALUES (?, ?)",
                        json!([id, token]),
                    ),
                    st(
                        "INSERT INTO child(id, parent_id, note) VALUES (?, ?, ?)",
                        json!([token, id, i]),
                    ),
                ],
            )
        }
        66..=70 => {
            let id = rng.random_range(0..6);
            (
                "parent_delete",
                vec![st("DELETE FROM parent WHERE id = ?", json!([id]))],
            )
        }
        71..=82 => (
            "counter",
            vec![st("UPDATE ctr SET v = v + 1 WHERE id = ?", json!([n]))],
        ),
        _ => (
            "doc",
            vec![st(
                "INSERT INTO doc(id, body) VALUES (?, ?)",
                json!([n * 1_000_000 + i, token]),
            )],
        ),
    }
}

/// Overlapping keys 0..16 and unique values 0..24: upserts, replaces (which displace through
/// the UNIQUE index), updates, deletes and plain inserts (which may fail on either key).
fn kv_statement(rng: &mut StdRng, token: &str) -> Value {
    let k = rng.random_range(0..16);
    let u = rng.random_range(0..24);
    match rng.random_range(0..5) {
        0 => st(
            "INSERT INTO kv(k, v, u) VALUES (?, ?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v, u = excluded.u",
            json!([k, token, u]),
        ),
        1 => st(
            "INSERT OR REPLACE INTO kv(k, v, u) VALUES (?, ?, ?)",
            json!([k, token, u]),
        ),
        2 => st("UPDATE kv SET v = ? WHERE k = ?", json!([token, k])),
        3 => st("DELETE FROM kv WHERE k = ?", json!([k])),
        _ => st(
            "INSERT INTO kv(k, v, u) VALUES (?, ?, ?)",
            json!([k, token, u]),
        ),
    }
}

/// Node 1's schema changes, each with data changes in the same transaction.
fn schema_change(
    rng: &mut StdRng,
    i: i64,
    token: &str,
    ddl: &mut DdlState,
) -> (&'static str, Vec<Value>) {
    match rng.random_range(0..4) {
        0 if ddl.columns < 6 => {
            let c = format!("c{}", ddl.columns);
            ddl.columns += 1;
            (
                "add_column",
                vec![
                    st(&format!("ALTER TABLE doc ADD COLUMN {c} INT"), Value::Null),
                    st(
                        &format!("UPDATE doc SET {c} = length(body) WHERE id % 3 = 0"),
                        Value::Null,
                    ),
                    st(
                        &format!("INSERT INTO doc(id, body, {c}) VALUES (?, ?, ?)"),
                        json!([1_000_000 + i, token, i]),
                    ),
                ],
            )
        }
        1 => {
            ddl.index = !ddl.index;
            let change = if ddl.index {
                "CREATE INDEX IF NOT EXISTS doc_body ON doc(body)"
            } else {
                "DROP INDEX IF EXISTS doc_body"
            };
            (
                "index",
                vec![
                    st(change, Value::Null),
                    st(
                        "INSERT INTO doc(id, body) VALUES (?, ?)",
                        json!([1_000_000 + i, token]),
                    ),
                ],
            )
        }
        2 => {
            // SQLite's recipe for changing a table: new table, copy, drop, rename; then a row.
            ddl.rebuilds += 1;
            let r = ddl.rebuilds;
            (
                "rebuild",
                vec![
                    st(
                        &format!(
                            "CREATE TABLE rb_new(id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INT, r{r} TEXT DEFAULT 'v{r}')"
                        ),
                        Value::Null,
                    ),
                    st(
                        "INSERT INTO rb_new(id, a, b) SELECT id, a, b FROM rb",
                        Value::Null,
                    ),
                    st("DROP TABLE rb", Value::Null),
                    st("ALTER TABLE rb_new RENAME TO rb", Value::Null),
                    st(
                        "INSERT INTO rb(id, a, b) VALUES (?, ?, ?)",
                        json!([i, token, r]),
                    ),
                ],
            )
        }
        _ => (
            "rb",
            vec![st(
                "INSERT INTO rb(id, a, b) VALUES (?, ?, ?)",
                json!([i, token, rng.random_range(0..100)]),
            )],
        ),
    }
}

/// Posts one transaction; classifies the answer.
pub async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Outcome {
    let response = match client
        .post(format!("{url}/query"))
        .json(body)
        .timeout(Duration::from_secs(20))
        .send()
        .await
    {
        Ok(response) => response,
        Err(e) if e.is_connect() => return Outcome::NotSent,
        Err(e) => return Outcome::Unknown(e.to_string()),
    };
    let status = response.status().as_u16();
    let seq = response
        .headers()
        .get("x-ha-seq")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let text = match response.text().await {
        Ok(text) => text,
        Err(e) => return Outcome::Unknown(format!("status {status}, body lost: {e}")),
    };
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match status {
        200 => Outcome::Acked {
            seq,
            pending: false,
        },
        503 if answer["code"] == "replication_pending" => Outcome::Acked {
            seq: None,
            pending: true,
        },
        400..=499 => Outcome::Failed { status, body: text },
        _ => Outcome::Unknown(format!("status {status}: {text}")),
    }
}

/// Writers per node (`IT_CHECKER_WRITERS`, default 2): with more than one, a node commits
/// transactions together and publishes them as one log message.
fn writers_per_node() -> u64 {
    std::env::var("IT_CHECKER_WRITERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2)
        .max(1)
}

/// Runs the writers of every target until `until`; returns every transaction they sent.
pub async fn run(targets: &Targets, seed: u64, until: Instant, features: Features) -> Vec<Write> {
    let mut writers = Vec::new();
    let targets = targets.iter().enumerate().flat_map(|(index, target)| {
        (0..writers_per_node()).map(move |writer| (index, writer, target))
    });
    for (index, writer, target) in targets {
        let target = Arc::clone(target);
        // Schema changes come from one writer (of node 1), as before.
        let features = Features {
            ddl: features.ddl && writer == 0,
            ..features
        };
        writers.push(tokio::spawn(async move {
            let node = index + 1;
            let stream = (node as u64).wrapping_add(writer.wrapping_mul(1_000));
            let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(stream));
            let client = reqwest::Client::new();
            let mut ddl = DdlState::default();
            let mut writes = Vec::new();
            // Each writer's numbers (in tokens and row ids) are its own.
            let mut i = writer * 100_000;
            while Instant::now() < until {
                i += 1;
                let token = format!("s{seed}-n{node}-{i}");
                let (kind, mut statements) =
                    transaction(&mut rng, node, i, &token, features, &mut ddl);
                statements.push(st(
                    "INSERT INTO acked(token, node, kind) VALUES (?, ?, ?)",
                    json!([token, node, kind]),
                ));
                let url = target.read().map(|u| u.clone()).unwrap_or_default();
                let outcome = post(&client, &url, &Value::Array(statements)).await;
                if outcome == Outcome::NotSent {
                    // The node is down (killed, restarting): try again a little later.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // A refused schema change was not made: node 1 may try it again.
                if kind == "add_column"
                    && !matches!(outcome, Outcome::Acked { .. } | Outcome::Unknown(_))
                {
                    ddl.columns -= 1;
                }
                writes.push(Write {
                    token,
                    node,
                    kind,
                    outcome,
                });
            }
            writes
        }));
    }
    let mut all = Vec::new();
    for writer in writers {
        all.extend(writer.await.expect("a writer panicked"));
    }
    all
}
