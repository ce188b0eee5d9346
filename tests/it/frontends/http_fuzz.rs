//! Robustness: random bytes, random JSON and random SQL never make the node answer 500, answer
//! anything but JSON, or stop.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use crate::support::{assert_no_panic, get, start};

const ITERATIONS: usize = 300;
/// The default seed; `IT_FUZZ_SEED=<n>` runs another sequence (the failing one is printed).
const SEED: u64 = 0x5eed_4a11;

const WORDS: &[&str] = &[
    "SELECT",
    "INSERT",
    "INTO",
    "VALUES",
    "FROM",
    "WHERE",
    "UPDATE",
    "SET",
    "DELETE",
    "CREATE",
    "TABLE",
    "DROP",
    "DATABASE",
    "DATABASES",
    "SHOW",
    "USE",
    "UNSET",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "ATTACH",
    "PRAGMA",
    "WITH",
    "RETURNING",
    "EXPLAIN",
    "ORDER",
    "BY",
    "NULL",
    "AND",
    "OR",
    "t",
    "a",
    "b",
    "x.db",
    "ha.db",
    "*",
    "(",
    ")",
    ",",
    ";",
    "=",
    "?",
    "?2",
    "$1",
    ":a",
    "@b",
    "$c",
    "'text'",
    "\"q\"",
    "1",
    "-1",
    "9223372036854775807",
    "1.5e3",
    "x'00ff'",
    "count(*)",
    "hex(b)",
    "--",
    "/*",
    "`",
];

/// Statements that are valid with the right parameters (how many, or `None` for the names
/// `a`, `b`, `c`), so that some requests get through.
const TEMPLATES: &[(&str, Option<usize>)] = &[
    ("SELECT ?", Some(1)),
    ("SELECT ?, ?2", Some(2)),
    ("SELECT :a, @b, $c", None),
    ("SELECT * FROM t", Some(0)),
    ("SELECT count(*) FROM t WHERE a = ?", Some(1)),
    ("INSERT INTO t VALUES (?, ?, ?)", Some(3)),
    (
        "INSERT INTO t(a, b, c) VALUES (:a, :b, :c) RETURNING *",
        None,
    ),
    ("UPDATE t SET b = ? WHERE a = ?", Some(2)),
    ("SHOW DATABASES", Some(0)),
    ("VALUES (1, 'x')", Some(0)),
];

/// A scalar that binds: null, integer, real, text, boolean or BLOB.
fn random_scalar(rng: &mut StdRng) -> Value {
    match rng.random_range(0..6) {
        0 => Value::Null,
        1 => json!(rng.random::<i64>()),
        2 => json!(rng.random::<f64>()),
        3 => Value::String(random_string(rng)),
        4 => Value::Bool(rng.random()),
        _ => json!({ "base64": "AAEC/w==" }),
    }
}

/// A template statement with parameters that fit it.
fn fitting_statement(rng: &mut StdRng) -> Value {
    let (sql, arity) = *TEMPLATES.choose(rng).unwrap();
    match arity {
        Some(0) => json!({ "sql": sql }),
        Some(n) => {
            json!({ "sql": sql, "params": (0..n).map(|_| random_scalar(rng)).collect::<Vec<_>>() })
        }
        None => {
            json!({ "sql": sql, "params": { "a": random_scalar(rng), ":b": random_scalar(rng), "$c": random_scalar(rng) } })
        }
    }
}

fn random_sql(rng: &mut StdRng) -> String {
    if rng.random_bool(0.3) {
        return TEMPLATES.choose(rng).unwrap().0.to_string();
    }
    let len = rng.random_range(0..12);
    let mut sql = Vec::with_capacity(len);
    for _ in 0..len {
        if rng.random_bool(0.1) {
            sql.push(random_string(rng));
        } else {
            sql.push((*WORDS.choose(rng).unwrap()).to_string());
        }
    }
    sql.join(" ")
}

fn random_string(rng: &mut StdRng) -> String {
    let len = rng.random_range(0..16);
    (0..len)
        .map(|_| match rng.random_range(0..4) {
            0 => char::from(rng.random_range(0x20u8..0x7f)),
            1 => *['é', '✓', '😀', '\u{0}', '\n', '"', '\\', '\u{7f}']
                .choose(rng)
                .unwrap(),
            2 => char::from_u32(rng.random_range(0..0x11000)).unwrap_or('?'),
            _ => char::from(rng.random_range(b'a'..=b'z')),
        })
        .collect()
}

fn random_number(rng: &mut StdRng) -> Value {
    match rng.random_range(0..6) {
        0 => json!(rng.random::<i64>()),
        1 => json!(rng.random::<u64>()),
        2 => json!(rng.random::<f64>() * 1e10 - 5e9),
        3 => json!(i64::MAX),
        4 => json!(i64::MIN),
        _ => json!(rng.random_range(-3..3)),
    }
}

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    let kinds = if depth == 0 { 5 } else { 8 };
    match rng.random_range(0..kinds) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => random_number(rng),
        3 => Value::String(random_string(rng)),
        4 => {
            json!({ "base64": if rng.random_bool(0.5) { "AAEC/w==".to_string() } else { random_string(rng) } })
        }
        5 => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        6 => {
            let mut map = Map::new();
            for _ in 0..rng.random_range(0..4) {
                let key = ["sql", "params", "dsn", "base64", "a", ":a", "@b"]
                    .choose(rng)
                    .unwrap()
                    .to_string();
                map.insert(key, random_value(rng, depth - 1));
            }
            Value::Object(map)
        }
        _ => random_statement(rng),
    }
}

fn random_params(rng: &mut StdRng) -> Value {
    match rng.random_range(0..4) {
        0 => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_value(rng, 1))
                .collect(),
        ),
        1 => {
            let mut map = Map::new();
            for key in ["a", ":a", "b", "@b", "c", "$c"] {
                if rng.random_bool(0.4) {
                    map.insert(key.to_string(), random_value(rng, 1));
                }
            }
            Value::Object(map)
        }
        2 => Value::Null,
        _ => random_value(rng, 1),
    }
}

fn random_statement(rng: &mut StdRng) -> Value {
    if rng.random_bool(0.3) {
        return fitting_statement(rng);
    }
    let mut map = Map::new();
    map.insert("sql".into(), Value::String(random_sql(rng)));
    if rng.random_bool(0.6) {
        map.insert("params".into(), random_params(rng));
    }
    Value::Object(map)
}

/// One random request body.
fn random_body(rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..8) {
        0 => {
            let mut bytes = vec![0u8; rng.random_range(0..200)];
            rng.fill(&mut bytes[..]);
            bytes
        }
        1 => {
            // Valid JSON cut short or with a byte changed.
            let mut bytes = serde_json::to_vec(&random_statement(rng)).unwrap();
            if !bytes.is_empty() {
                let at = rng.random_range(0..bytes.len());
                if rng.random_bool(0.5) {
                    bytes.truncate(at);
                } else {
                    bytes[at] = rng.random();
                }
            }
            bytes
        }
        2 => serde_json::to_vec(&random_value(rng, 3)).unwrap(),
        3 => serde_json::to_vec(&Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_statement(rng))
                .collect(),
        ))
        .unwrap(),
        4 if rng.random_bool(0.5) => {
            serde_json::to_vec(&json!({ "dsn": format!("fuzz{}.db", rng.random::<u32>()) }))
                .unwrap()
        }
        4 => serde_json::to_vec(&json!({ "dsn": random_value(rng, 1) })).unwrap(),
        5 => serde_json::to_vec(&random_statement(rng)).unwrap(),
        6 => serde_json::to_vec(&fitting_statement(rng)).unwrap(),
        _ => {
            let batch: Vec<Value> = (0..rng.random_range(1..4))
                .map(|_| fitting_statement(rng))
                .collect();
            serde_json::to_vec(&batch).unwrap()
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_requests_never_break_the_node() {
    let mut node = start(&["-m"]).await;
    node.sql("CREATE TABLE t(a, b, c)").await.unwrap();
    node.sql("INSERT INTO t VALUES (1, 'one', x'01'), (2, 'two', NULL)")
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let seed = std::env::var("IT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let mut rng = StdRng::seed_from_u64(seed);
    let paths = [
        "/query",
        "/",
        "/databases",
        "/databases/x",
        "/databases/ha.db",
        "/databases/ha.db/query",
    ];

    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for iteration in 0..ITERATIONS {
        let path = *paths.choose(&mut rng).unwrap();
        let body = random_body(&mut rng);
        let method = if path.starts_with("/databases/") && rng.random_bool(0.05) {
            reqwest::Method::GET
        } else {
            reqwest::Method::POST
        };
        let shown = String::from_utf8_lossy(&body).into_owned();
        let context = format!("seed {seed}, iteration {iteration}: {method} {path} {shown:?}");
        let response = client
            .request(method, node.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{context}: no answer: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let answer: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{context}: not JSON ({status}): {text}"));
        *statuses.entry(status).or_default() += 1;
        match status {
            200 | 201 => assert!(answer.is_object(), "{context}: {text}"),
            400..=499 => {
                assert!(answer["error"].is_string(), "{context}: {text}");
                assert!(
                    answer["code"].as_str().is_some_and(|c| !c.is_empty()),
                    "{context}: {text}"
                );
            }
            _ => panic!("{context}: status {status}: {text}"),
        }
    }
    // The generator reaches both sides: some requests are valid, most are not.
    let ok: usize = statuses
        .iter()
        .filter(|(s, _)| **s < 300)
        .map(|(_, n)| n)
        .sum();
    assert!(
        (30..ITERATIONS - 50).contains(&ok),
        "statuses: {statuses:?}"
    );
    assert!(node.is_running(), "the node stopped");
    assert_eq!(
        get(&node, "/healthz").await,
        (200, json!({ "status": "ok" }))
    );
    assert_eq!(node.sql("SELECT 1").await.unwrap()["rows"], json!([[1]]));
    assert_no_panic(&node);
}
