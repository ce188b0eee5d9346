//! The checks fail when they should: each is fed a small made-up stream, dump and record
//! holding one fault (no node, no broker).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::broker::Entry;
use super::checks;
use super::dump::{self, Dump, Table};
use super::log::{in_applied_order, logical_sets};
use super::workload::{Outcome, Write};

fn entry(seq: u64, set: Value) -> Entry {
    Entry { seq, set: Ok(set) }
}

fn kv(op: &str, k: i64, v: &str) -> Value {
    let image = json!([k, v, k]);
    json!({"table": "kv", "columns": ["k", "v", "u"], "pk_columns": ["k"], "operation": op,
           "old_values": if op == "INSERT" { Value::Null } else { image.clone() },
           "new_values": if op == "DELETE" { Value::Null } else { image }})
}

fn acked(token: &str) -> Value {
    json!({"table": "acked", "columns": ["token", "node", "kind"], "pk_columns": ["token"],
           "operation": "INSERT", "new_values": [token, 1, "kv"]})
}

fn set(origin: &str, id: u64, changes: Vec<Value>) -> Value {
    json!({"v": 1, "node": "node1", "origin": origin, "id": id, "changes": changes})
}

/// A dump with the kv table as created by the workload and the given rows.
fn dump(kv_rows: Vec<Value>, tokens: &[&str]) -> Dump {
    let mut tables = BTreeMap::new();
    tables.insert(
        "kv".to_string(),
        Table {
            columns: vec![json!("(rowid)"), json!("k"), json!("v"), json!("u")],
            rows: kv_rows,
        },
    );
    tables.insert(
        "acked".to_string(),
        Table {
            columns: vec![json!("token"), json!("node"), json!("kind")],
            rows: tokens.iter().map(|t| json!([t, 1, "kv"])).collect(),
        },
    );
    let schema = vec![
        json!([
            "table",
            "kv",
            "kv",
            "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT, u INTEGER UNIQUE)"
        ]),
        json!([
            "table",
            "wr",
            "wr",
            "CREATE TABLE wr(k TEXT PRIMARY KEY, v TEXT, n INT NOT NULL DEFAULT 0) WITHOUT ROWID"
        ]),
        json!([
            "table",
            "gen",
            "gen",
            "CREATE TABLE gen(id INTEGER PRIMARY KEY, x INT)"
        ]),
    ];
    Dump { schema, tables }
}

fn write(token: &str) -> Write {
    Write {
        token: token.into(),
        node: 1,
        kind: "kv",
        outcome: Outcome::Acked {
            seq: None,
            pending: false,
        },
    }
}

#[test]
fn out_of_turn_sets_wait_repeats_drop_and_a_missing_id_is_reported() {
    let entries = vec![
        entry(1, set("a", 1, vec![])),
        entry(2, set("a", 3, vec![])),
        entry(3, set("a", 2, vec![])),
        entry(4, set("a", 3, vec![])),
        entry(5, set("b", 2, vec![])),
    ];
    let (sets, problems) = logical_sets(&entries);
    assert!(problems.is_empty(), "{problems:?}");
    let (applied, notes, problems) = in_applied_order(sets);
    let order: Vec<(Option<String>, Option<u64>, u64)> = applied
        .iter()
        .map(|s| (s.origin.clone(), s.id, s.seq))
        .collect();
    assert_eq!(
        order,
        [
            (Some("a".into()), Some(1), 1),
            (Some("a".into()), Some(2), 3),
            (Some("a".into()), Some(3), 3),
        ]
    );
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert_eq!(problems.len(), 1, "b #1 never came: {problems:?}");
}

#[test]
fn chunks_join_and_a_missing_chunk_is_reported() {
    let chunk = |seq, index, count, k| {
        let mut s = set("a", 7, vec![kv("INSERT", k, "x")]);
        s["chunk"] = json!({"index": index, "count": count});
        entry(seq, s)
    };
    let (sets, problems) = logical_sets(&[chunk(1, 0, 2, 1), chunk(2, 1, 2, 2)]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!((sets.len(), sets[0].seq, sets[0].changes.len()), (1, 2, 2));
    let (sets, problems) = logical_sets(&[chunk(1, 0, 3, 1), chunk(2, 1, 3, 2)]);
    assert!(sets.is_empty() && problems.len() == 1, "{problems:?}");
    // Parts stored out of order (a retried publish) still join, in part order.
    let (sets, problems) = logical_sets(&[chunk(1, 1, 2, 2), chunk(2, 0, 2, 1)]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(sets[0].changes[0]["new_values"][0], 1);
    let bad = Entry {
        seq: 3,
        set: Err("not json".into()),
    };
    assert_eq!(logical_sets(&[bad]).1.len(), 1);
}

#[test]
fn an_older_image_winning_over_the_last_in_the_stream_is_reported() {
    let entries = vec![
        entry(1, set("a", 1, vec![kv("INSERT", 1, "old"), acked("t1")])),
        entry(2, set("a", 2, vec![kv("UPDATE", 1, "new"), acked("t2")])),
    ];
    let (sets, _) = logical_sets(&entries);
    let writes = [write("t1"), write("t2")];
    let good = checks::run(
        &writes,
        &dump(vec![json!([1, 1, "new", 1])], &["t1", "t2"]),
        &sets,
    );
    assert!(
        good.violations.iter().all(|v| v.contains("counter")),
        "{:?}",
        good.violations
    );
    let stale = checks::run(
        &writes,
        &dump(vec![json!([1, 1, "old", 1])], &["t1", "t2"]),
        &sets,
    );
    assert!(
        stale
            .violations
            .iter()
            .any(|v| v.contains("last-in-stream-wins")),
        "{:?}",
        stale.violations
    );
    let lost = checks::run(
        &writes,
        &dump(vec![json!([1, 1, "new", 1])], &["t1"]),
        &sets,
    );
    assert!(
        lost.violations
            .iter()
            .any(|v| v.contains("acknowledged writes lost")),
        "{:?}",
        lost.violations
    );
}

#[test]
fn a_counter_step_back_is_reported() {
    let ctr = |v: i64| {
        json!({"table": "ctr", "columns": ["id", "v"], "pk_columns": ["id"], "operation": "UPDATE",
               "old_values": [1, v - 1], "new_values": [1, v]})
    };
    let entries = vec![
        entry(1, set("a", 1, vec![ctr(2)])),
        entry(2, set("a", 2, vec![ctr(1)])),
    ];
    let (sets, _) = logical_sets(&entries);
    let findings = checks::run(&[], &dump(vec![], &[]), &sets);
    assert!(
        findings
            .violations
            .iter()
            .any(|v| v.contains("counter of node1: its increments")),
        "{:?}",
        findings.violations
    );
}

#[test]
fn a_row_on_one_node_only_is_a_difference() {
    let a = dump(vec![json!([1, 1, "x", 1])], &[]);
    let b = dump(vec![json!([1, 1, "x", 1]), json!([2, 2, "y", 2])], &[]);
    let lines = dump::diff("node1", &a, "node2", &b);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("only on node2: [2,2,\"y\",2]")),
        "{lines:?}"
    );
    assert!(dump::diff("node1", &a, "node2", &a).is_empty());
}
