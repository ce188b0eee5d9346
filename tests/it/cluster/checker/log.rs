//! The stream as logical change sets: chunks (`"chunk": {"index", "count"}`) of one set, keyed
//! by `origin` + `id`, are joined into one set at the sequence of their last chunk; and the
//! per-origin order check on those fields (skipped for sets without them).

use std::collections::BTreeMap;

use serde_json::Value;

use super::broker::Entry;

/// One whole change set of the stream.
#[derive(Debug, Clone)]
pub struct LogicalSet {
    /// The stream sequence of its (last) message.
    pub seq: u64,
    pub origin: Option<String>,
    pub id: Option<u64>,
    pub changes: Vec<Value>,
}

/// Joins the entries into logical sets; problems (not a change set, chunks out of order or
/// incomplete) are returned as violations.
pub fn logical_sets(entries: &[Entry]) -> (Vec<LogicalSet>, Vec<String>) {
    let mut sets = Vec::new();
    let mut problems = Vec::new();
    // (origin, id) -> (count, parts by index). Parts may arrive in any order (a retried
    // publish), as the appliers accept them.
    type Parts = (u64, BTreeMap<u64, Vec<Value>>);
    let mut open: BTreeMap<(String, u64), Parts> = BTreeMap::new();
    for entry in entries {
        let set = match &entry.set {
            Ok(set) => set,
            Err(text) => {
                let shown: String = text.chars().take(200).collect();
                problems.push(format!(
                    "stream message {} is not a change set: {shown}",
                    entry.seq
                ));
                continue;
            }
        };
        let origin = set["origin"].as_str().map(String::from);
        let id = set["id"].as_u64();
        let changes = set["changes"].as_array().cloned().unwrap_or_default();
        let chunk = &set["chunk"];
        if chunk.is_object() {
            let (Some(origin), Some(id)) = (origin.clone(), id) else {
                problems.push(format!(
                    "stream message {}: a chunk without origin and id",
                    entry.seq
                ));
                continue;
            };
            let index = chunk["index"].as_u64().unwrap_or(u64::MAX);
            let count = chunk["count"].as_u64().unwrap_or(0);
            let key = (origin.clone(), id);
            let state = open.entry(key.clone()).or_insert((count, BTreeMap::new()));
            if index >= count || count != state.0 {
                problems.push(format!(
                    "stream message {}: chunk {index}/{count} of {origin} #{id}, expected one of {} parts",
                    entry.seq, state.0
                ));
                continue;
            }
            state.1.insert(index, changes);
            if state.1.len() as u64 == count {
                let (_, parts) = open.remove(&key).unwrap_or_default();
                sets.push(LogicalSet {
                    seq: entry.seq,
                    origin: Some(origin),
                    id: Some(id),
                    changes: parts.into_values().flatten().collect(),
                });
            }
        } else {
            sets.push(LogicalSet {
                seq: entry.seq,
                origin,
                id,
                changes,
            });
        }
    }
    for ((origin, id), (count, parts)) in open {
        problems.push(format!(
            "change set {origin} #{id}: only {} of its {count} chunks are in the stream",
            parts.len()
        ));
    }
    (sets, problems)
}

/// The stream as every node must apply it (SPEC §6.3, written here independently of the
/// engine): per origin, ids in commit order, each once. A set stored again is dropped; one
/// stored before its predecessor waits for it and takes effect at the predecessor's place. The
/// stream cannot rule those out (a publish retried after a later one was stored), so they are
/// notes; an id that never arrives (what came after it would wait forever) is a problem.
pub fn in_applied_order(sets: Vec<LogicalSet>) -> (Vec<LogicalSet>, Vec<String>, Vec<String>) {
    let mut applied = Vec::with_capacity(sets.len());
    let mut notes = Vec::new();
    let mut next: BTreeMap<String, u64> = BTreeMap::new();
    let mut waiting: BTreeMap<String, BTreeMap<u64, LogicalSet>> = BTreeMap::new();
    for set in sets {
        let (Some(origin), Some(id)) = (set.origin.clone(), set.id) else {
            applied.push(set);
            continue;
        };
        let expected = next.entry(origin.clone()).or_insert(1);
        if id < *expected || waiting.get(&origin).is_some_and(|w| w.contains_key(&id)) {
            notes.push(format!(
                "{origin} #{id} stored again at seq {} (dropped)",
                set.seq
            ));
            continue;
        }
        if id > *expected {
            notes.push(format!(
                "{origin} #{id} stored at seq {} before #{} (held until it came)",
                set.seq, *expected
            ));
            waiting.entry(origin).or_default().insert(id, set);
            continue;
        }
        let at = set.seq;
        applied.push(set);
        *expected += 1;
        while let Some(mut held) = waiting.get_mut(&origin).and_then(|w| w.remove(&*expected)) {
            held.seq = at;
            applied.push(held);
            *expected += 1;
        }
    }
    let problems = waiting
        .into_iter()
        .filter(|(_, held)| !held.is_empty())
        .map(|(origin, held)| {
            format!(
                "{origin}: #{} never came, so {} later change sets of it can never apply",
                next.get(&origin).copied().unwrap_or(1),
                held.len()
            )
        })
        .collect();
    (applied, notes, problems)
}

/// The value of `column` in a row change's new (or old) image.
pub fn value<'a>(change: &'a Value, image: &str, column: &str) -> Option<&'a Value> {
    let columns = change["columns"].as_array()?;
    let at = columns.iter().position(|c| c == column)?;
    change[image].as_array()?.get(at)
}

/// The tokens the stream's sets insert into `acked`.
pub fn tokens(sets: &[LogicalSet]) -> std::collections::BTreeSet<String> {
    sets.iter()
        .flat_map(|set| set.changes.iter())
        .filter(|c| c["table"] == "acked" && c["operation"] == "INSERT")
        .filter_map(|c| value(c, "new_values", "token")?.as_str().map(String::from))
        .collect()
}
