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

/// Joins the entries into logical sets; problems (not JSON, chunks out of order or
/// incomplete) are returned as violations.
pub fn logical_sets(entries: &[Entry]) -> (Vec<LogicalSet>, Vec<String>) {
    let mut sets = Vec::new();
    let mut problems = Vec::new();
    // (origin, id) -> (next chunk index, count, changes so far)
    let mut open: BTreeMap<(String, u64), (u64, u64, Vec<Value>)> = BTreeMap::new();
    for entry in entries {
        let set = match &entry.set {
            Ok(set) => set,
            Err(text) => {
                let shown: String = text.chars().take(200).collect();
                problems.push(format!("stream message {} is not JSON: {shown}", entry.seq));
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
            let state = open.entry(key.clone()).or_insert((0, count, Vec::new()));
            if index != state.0 || count != state.1 {
                problems.push(format!(
                    "stream message {}: chunk {index}/{count} of {origin} #{id}, expected chunk {}/{}",
                    entry.seq, state.0, state.1
                ));
                open.remove(&key);
                continue;
            }
            state.0 += 1;
            state.2.extend(changes);
            if state.0 == count {
                let (_, _, changes) = open.remove(&key).unwrap_or_default();
                sets.push(LogicalSet {
                    seq: entry.seq,
                    origin: Some(origin),
                    id: Some(id),
                    changes,
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
    for ((origin, id), (got, count, _)) in open {
        problems.push(format!(
            "change set {origin} #{id}: only {got} of its {count} chunks are in the stream"
        ));
    }
    (sets, problems)
}

/// Per origin, ids in stream order must be consecutive and increasing (commit order), each
/// stored once. `None` when no set carries `origin` and `id` (the check does not apply yet).
pub fn origin_order(sets: &[LogicalSet]) -> Option<Vec<String>> {
    if !sets.iter().any(|s| s.origin.is_some() && s.id.is_some()) {
        return None;
    }
    let mut problems = Vec::new();
    // Per origin: the highest id so far and where it was; every (origin, id) seen.
    let mut highest: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut seen: BTreeMap<(&str, u64), u64> = BTreeMap::new();
    for set in sets {
        let (Some(origin), Some(id)) = (set.origin.as_deref(), set.id) else {
            problems.push(format!(
                "stream seq {}: a change set without origin/id among sets with them",
                set.seq
            ));
            continue;
        };
        if let Some(first) = seen.get(&(origin, id)) {
            problems.push(format!(
                "origin {origin}: id {id} stored twice, at seq {first} and {}",
                set.seq
            ));
            continue;
        }
        seen.insert((origin, id), set.seq);
        match highest.get(origin) {
            Some((max, at)) if id < *max => problems.push(format!(
                "origin {origin}: id {id} at seq {} after id {max} at seq {at} (out of commit order)",
                set.seq
            )),
            Some((max, at)) if id != max + 1 => problems.push(format!(
                "origin {origin}: id {id} at seq {} follows id {max} at seq {at} (ids {}..{} missing there)",
                set.seq,
                max + 1,
                id - 1
            )),
            _ => {}
        }
        if highest.get(origin).is_none_or(|(max, _)| id > *max) {
            highest.insert(origin, (id, set.seq));
        }
    }
    Some(problems)
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
