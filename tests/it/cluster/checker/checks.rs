//! The checks run on a settled cluster: what the clients were told (the workload's record),
//! what the nodes hold (one dump, the others being equal to it) and what the broker stored.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::dump::Dump;
use super::log::{self, LogicalSet};
use super::model;
use super::workload::{Outcome, Write};

/// What the checks found: violations (the run fails) and notes (printed).
#[derive(Debug, Default)]
pub struct Findings {
    pub violations: Vec<String>,
    pub notes: Vec<String>,
}

impl Findings {
    fn fail(&mut self, what: String) {
        self.violations.push(what);
    }
}

/// At most this many examples per kind of violation.
const EXAMPLES: usize = 10;

fn examples<T: std::fmt::Debug>(items: &[T]) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(EXAMPLES)
        .map(|i| format!("{i:?}"))
        .collect();
    let more = items.len().saturating_sub(EXAMPLES);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Every check; `dump` is node 1's (equal to the others').
pub fn run(writes: &[Write], dump: &Dump, sets: &[LogicalSet]) -> Findings {
    let mut findings = Findings::default();
    let present: BTreeSet<&str> = dump
        .column("acked", "token")
        .into_iter()
        .filter_map(Value::as_str)
        .collect();

    // Acknowledged writes are on the nodes; refused or unsent ones left no trace.
    let lost: Vec<&str> = writes
        .iter()
        .filter(|w| w.acked() && !present.contains(w.token.as_str()))
        .map(|w| w.token.as_str())
        .collect();
    if !lost.is_empty() {
        findings.fail(format!(
            "{} acknowledged writes lost (token not in acked): {}",
            lost.len(),
            examples(&lost)
        ));
    }
    let ghosts: Vec<(&str, &Outcome)> = writes
        .iter()
        .filter(|w| {
            matches!(w.outcome, Outcome::Failed { .. } | Outcome::NotSent)
                && present.contains(w.token.as_str())
        })
        .map(|w| (w.token.as_str(), &w.outcome))
        .collect();
    if !ghosts.is_empty() {
        findings.fail(format!(
            "{} refused or unsent writes are on the nodes: {}",
            ghosts.len(),
            examples(&ghosts)
        ));
    }
    let unknown_present = writes
        .iter()
        .filter(|w| matches!(w.outcome, Outcome::Unknown(_)) && present.contains(w.token.as_str()))
        .count();
    let unknown = writes
        .iter()
        .filter(|w| matches!(w.outcome, Outcome::Unknown(_)))
        .count();
    findings.notes.push(format!(
        "{unknown} writes of unknown outcome, {unknown_present} of them committed"
    ));

    // Acknowledged writes are in the stream, at the sequence the client was told.
    let mut token_seq: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for set in sets {
        for change in &set.changes {
            if change["table"] == "acked"
                && change["operation"] == "INSERT"
                && let Some(token) =
                    log::value(change, "new_values", "token").and_then(Value::as_str)
            {
                token_seq.entry(token).or_default().push(set.seq);
            }
        }
    }
    let mut not_in_stream = Vec::new();
    let mut wrong_seq = Vec::new();
    for w in writes.iter().filter(|w| w.acked()) {
        match (token_seq.get(w.token.as_str()), &w.outcome) {
            (None, _) => not_in_stream.push(w.token.as_str()),
            (
                Some(seqs),
                Outcome::Acked {
                    seq: Some(told), ..
                },
            ) if !seqs.contains(told) => {
                wrong_seq.push(format!("{} told {told}, stored at {seqs:?}", w.token));
            }
            _ => {}
        }
    }
    if !not_in_stream.is_empty() {
        findings.fail(format!(
            "{} acknowledged writes not in the stream: {}",
            not_in_stream.len(),
            examples(&not_in_stream)
        ));
    }
    if !wrong_seq.is_empty() {
        findings.fail(format!(
            "{} writes stored elsewhere than their X-Ha-Seq: {}",
            wrong_seq.len(),
            examples(&wrong_seq)
        ));
    }
    let twice: Vec<(&&str, &Vec<u64>)> = token_seq
        .iter()
        .filter(|(_, seqs)| seqs.len() > 1)
        .collect();
    if !twice.is_empty() {
        findings.fail(format!(
            "{} transactions stored more than once in the stream: {}",
            twice.len(),
            examples(&twice)
        ));
    }

    // The trigger ran on the origin, once, and its row replicated.
    let audit: BTreeSet<&str> = dump
        .column("audit", "entry")
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    let unaudited: Vec<&str> = writes
        .iter()
        .filter(|w| {
            w.acked() && w.kind == "parent" && !audit.contains(format!("ins:{}", w.token).as_str())
        })
        .map(|w| w.token.as_str())
        .collect();
    if !unaudited.is_empty() {
        findings.fail(format!(
            "{} acknowledged parent inserts without their audit row: {}",
            unaudited.len(),
            examples(&unaudited)
        ));
    }

    counters(writes, dump, sets, &mut findings);

    // Last in stream wins, row by row.
    let (replayed, problems) = model::replay(dump, sets);
    if !problems.is_empty() {
        findings.fail(format!(
            "the stream does not replay: {}",
            examples(&problems)
        ));
    }
    for (table, rows) in replayed {
        let held: Vec<Value> = dump
            .tables
            .get(&table)
            .map(|t| {
                let skip = usize::from(t.columns.first().is_some_and(|c| c == "(rowid)"));
                t.rows
                    .iter()
                    .map(|r| {
                        Value::from(r.as_array().map(|a| a[skip..].to_vec()).unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default();
        if held != rows {
            let only_nodes: Vec<&Value> = held.iter().filter(|r| !rows.contains(r)).collect();
            let only_replay: Vec<&Value> = rows.iter().filter(|r| !held.contains(r)).collect();
            findings.fail(format!(
                "table {table} differs from the last-in-stream-wins replay: only on the nodes: {}; only in the replay: {}",
                examples(&only_nodes),
                examples(&only_replay)
            ));
        }
    }
    findings
}

/// Node n alone increments `ctr` row n, one increment per transaction: its images in the
/// stream must be 1, 2, 3... in the order nodes apply them (no gap: nothing committed is lost; no repeat or
/// step back: nothing stored twice or reordered), and the nodes end on the last one, between
/// the acknowledged count and that plus the increments of unknown outcome.
fn counters(writes: &[Write], dump: &Dump, sets: &[LogicalSet], findings: &mut Findings) {
    for n in 1..=3_i64 {
        let images: Vec<(u64, i64)> = sets
            .iter()
            .flat_map(|set| set.changes.iter().map(move |c| (set.seq, c)))
            .filter(|(_, c)| c["table"] == "ctr" && c["operation"] == "UPDATE")
            .filter(|(_, c)| log::value(c, "new_values", "id").and_then(Value::as_i64) == Some(n))
            .filter_map(|(seq, c)| Some((seq, log::value(c, "new_values", "v")?.as_i64()?)))
            .collect();
        let broken: Vec<String> = images
            .iter()
            .enumerate()
            .filter(|(i, (_, v))| *v != *i as i64 + 1)
            .map(|(i, (seq, v))| format!("#{} is {v} at seq {seq}", i + 1))
            .collect();
        if !broken.is_empty() {
            findings.fail(format!(
                "counter of node{n}: its increments in the stream are not 1, 2, 3...: {}",
                examples(&broken)
            ));
        }
        let held = dump
            .pairs("ctr", "id", "v")
            .into_iter()
            .find(|(id, _)| **id == n)
            .and_then(|(_, v)| v.as_i64())
            .unwrap_or(-1);
        let mine = writes
            .iter()
            .filter(|w| w.node == n as usize && w.kind == "counter");
        let acked = mine.clone().filter(|w| w.acked()).count() as i64;
        let unknown = mine
            .filter(|w| matches!(w.outcome, Outcome::Unknown(_)))
            .count() as i64;
        let last = images.last().map_or(0, |(_, v)| *v);
        if held != last || held < acked || held > acked + unknown {
            findings.fail(format!(
                "counter of node{n}: nodes hold {held}, last image in the stream {last}, {acked} increments acknowledged, {unknown} of unknown outcome"
            ));
        }
    }
}
