//! Change sets larger than the broker's largest message are split into parts (SPEC §6.6), each
//! a change set with the same origin and id and its place (`chunk`); appliers put them back
//! together and apply them as one transaction (`order.rs`).

use bytes::Bytes;
use ha_types::{ChangeSet, ChangeSetFormat, Chunk};

/// Room left in a message for its headers and subject.
const HEADROOM: usize = 8 << 10;

/// The most payload bytes one message carries, leaving room for the headers.
pub(crate) fn message_limit(max_payload: usize) -> usize {
    max_payload.saturating_sub(HEADROOM).max(1024)
}

/// The messages of `set` in `format`: one when it fits in `max_payload`, else its parts.
/// Fails when a single change (one row image) is larger than a message can be.
pub(crate) fn split_into_messages(
    set: &ChangeSet,
    max_payload: usize,
    format: ChangeSetFormat,
) -> Result<Vec<Vec<u8>>, String> {
    let limit = message_limit(max_payload);
    let whole = set.encode(format)?;
    if whole.len() <= limit {
        return Ok(vec![whole]);
    }
    let envelope = ChangeSet {
        changes: Vec::new(),
        chunk: Some(Chunk {
            index: u32::MAX,
            count: u32::MAX,
        }),
        ..set.clone()
    };
    let overhead = envelope.encode(format)?.len();
    let mut groups: Vec<Vec<ha_types::Change>> = vec![Vec::new()];
    let mut size = overhead;
    for change in &set.changes {
        let len = change.encoded_len(format)?;
        if overhead + len > limit {
            return Err(format!(
                "one row change of {len} bytes is larger than the broker's largest message \
                 ({max_payload} bytes): raise max_payload in the nats-server configuration"
            ));
        }
        if size + len > limit {
            groups.push(Vec::new());
            size = overhead;
        }
        size += len;
        if let Some(group) = groups.last_mut() {
            group.push(change.clone());
        }
    }
    let count = groups.len() as u32;
    groups
        .into_iter()
        .enumerate()
        .map(|(index, changes)| {
            ChangeSet {
                changes,
                chunk: Some(Chunk {
                    index: index as u32,
                    count,
                }),
                ..set.clone()
            }
            .encode(format)
        })
        .collect()
}

/// Message ids of a change set's messages: `<origin>.<id>`, with `.<part>` when split.
pub(crate) fn message_ids(msg_id: &str, count: usize) -> Vec<String> {
    if count == 1 {
        return vec![msg_id.to_string()];
    }
    (0..count).map(|part| format!("{msg_id}.{part}")).collect()
}

/// The parts of a split change set, in part order, as the one change set they were cut from.
pub(crate) fn join_change_sets(parts: impl IntoIterator<Item = ChangeSet>) -> Option<ChangeSet> {
    let mut parts = parts.into_iter();
    let mut whole = parts.next()?;
    for part in parts {
        whole.changes.extend(part.changes);
    }
    whole.chunk = None;
    Some(whole)
}

/// A split change set is kept in one outbox row as its parts together: a JSON array of them
/// (JSON parts), or a protobuf `ChangeSets` of them (protobuf parts, whose bytes start with
/// 0x0a where a whole change set's start with its version field, 0x08).
pub(crate) fn join_parts(parts: &[Vec<u8>]) -> Vec<u8> {
    let first = parts.first().map(Vec::as_slice).unwrap_or_default();
    if ChangeSetFormat::of(first) == ChangeSetFormat::Protobuf {
        return ChangeSet::join(parts);
    }
    let mut joined = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum::<usize>() + 1);
    joined.push(b'[');
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            joined.push(b',');
        }
        joined.extend_from_slice(part);
    }
    joined.push(b']');
    joined
}

/// The messages of an outbox row (see [`join_parts`]).
pub(crate) fn stored_messages(msg_id: &str, payload: Vec<u8>) -> Vec<(String, Bytes)> {
    let payload = Bytes::from(payload);
    let parts: Option<Vec<Bytes>> = match payload.first() {
        Some(b'[') => serde_json::from_slice::<Vec<serde_json::Value>>(&payload)
            .ok()
            .map(|parts| {
                parts
                    .into_iter()
                    .map(|part| Bytes::from(part.to_string()))
                    .collect()
            }),
        Some(0x0a) => ChangeSet::joined_parts(&payload)
            .map(|parts| parts.into_iter().map(|part| payload.slice(part)).collect()),
        _ => None,
    };
    match parts {
        Some(parts) => message_ids(msg_id, parts.len())
            .into_iter()
            .zip(parts)
            .collect(),
        None => vec![(msg_id.to_string(), payload)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ha_types::Change;

    #[test]
    fn large_sets_split_in_order_and_small_ones_do_not() {
        for format in [ChangeSetFormat::Protobuf, ChangeSetFormat::Json] {
            let set = ChangeSet {
                v: ha_types::CHANGE_SET_VERSION,
                node: "n".into(),
                database_id: None,
                origin: Some("o".into()),
                id: Some(1),
                chunk: None,
                term: None,
                changes: (0..100)
                    .map(|i| Change::Sql {
                        command: format!("{i:0>100}"),
                    })
                    .collect(),
                timestamp_ns: 0,
            };
            assert_eq!(split_into_messages(&set, 1 << 20, format).unwrap().len(), 1);
            let parts = split_into_messages(&set, HEADROOM + 2048, format).unwrap();
            assert!(parts.len() > 4);
            let mut joined = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                assert!(part.len() <= 2048);
                assert_eq!(ChangeSetFormat::of(part), format);
                let part = ChangeSet::decode(part).unwrap();
                assert_eq!(part.chunk.unwrap().index as usize, i);
                joined.extend(part.changes);
            }
            assert_eq!(joined, set.changes);
            // The outbox row holding the parts gives them back, each under its message id.
            let stored = stored_messages("o.1", join_parts(&parts));
            assert_eq!(stored.len(), parts.len(), "{format:?}");
            for (i, (msg_id, part)) in stored.iter().enumerate() {
                assert_eq!(msg_id, &format!("o.1.{i}"));
                assert_eq!(
                    ChangeSet::decode(part).unwrap(),
                    ChangeSet::decode(&parts[i]).unwrap()
                );
            }
            let whole = split_into_messages(&set, 1 << 20, format)
                .unwrap()
                .remove(0);
            assert_eq!(
                stored_messages("o.1", whole.clone()),
                vec![("o.1".to_string(), Bytes::from(whole))]
            );
            let huge = ChangeSet {
                changes: vec![Change::Sql {
                    command: "x".repeat(5000),
                }],
                ..set
            };
            assert!(split_into_messages(&huge, HEADROOM + 2048, format).is_err());
        }
    }
}
