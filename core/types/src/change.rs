//! The change-data-capture format (SPEC §6.2): one [`ChangeSet`] per committed transaction, in the
//! JSON shape of the system `ha` replaces, plus a version field. Values are lossless: integers
//! keep 64 bits, a BLOB is `{"base64": "..."}`. Unknown fields are ignored when reading.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Value;
use crate::change_proto::{WireChangeSet, WireChangeSets};

/// The format version written by this build. 2 added `origin`, `id` and `chunk` (a reader of
/// version 1 would apply one chunk as a whole transaction); readers refuse newer versions.
pub const CHANGE_SET_VERSION: u32 = 2;

/// Everything one committed transaction changed in one database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// Format version (absent in the seed's messages: read as 0).
    #[serde(default)]
    pub v: u32,
    /// The node that committed the transaction.
    pub node: String,
    /// The database id (an extra field; the subject names the database too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_id: Option<String>,
    /// The database instance that committed it: one file's lifetime (a new one for a memory
    /// database, a re-created database or a restored copy). Absent in older messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Position in its origin's commit order: 1, 2, 3... with no gaps, so an applier can tell a
    /// duplicate (already applied) from a gap (one still to come) and keep commit order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Set when the transaction was too large for one message: this is part `index` of `count`,
    /// all with the same origin and id, applied together once all have arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk: Option<Chunk>,
    /// Leader mode: the lease term of the leader that committed it (SPEC §7). Appliers refuse
    /// a change set whose term is older than one they applied (a deposed leader's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<u64>,
    pub changes: Vec<Change>,
    pub timestamp_ns: i64,
}

/// Which part of a split change set a message holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    pub index: u32,
    pub count: u32,
}

/// One row change or one schema statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Row(RowChange),
    /// DDL as idempotent SQL text.
    Sql {
        command: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RowOperation {
    Insert,
    Update,
    Delete,
}

/// A row's old and/or new image, with every column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowChange {
    /// The SQLite schema name (`main`).
    pub database: String,
    pub table: String,
    pub columns: Vec<String>,
    /// Columns of the primary key (empty for a table without a declared key: rows are found
    /// by rowid).
    #[serde(default)]
    pub pk_columns: Vec<String>,
    pub operation: RowOperation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_rowid: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_rowid: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::tagged_values"
    )]
    pub old_values: Option<Vec<Value>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::tagged_values"
    )]
    pub new_values: Option<Vec<Value>>,
}

/// A log message holds one change set, or several consecutive ones of one origin that a node
/// published together (one message per group commit costs the broker and every consumer far
/// less than one per transaction). Several go one per line (JSON Lines), each line exactly the
/// one-change-set form, and this header says how many; a message without it is one change set.
pub const CHANGE_SETS_HEADER: &str = "Ha-Change-Sets";

/// How a node writes the change sets it commits (`--replication-format`). Readers take both,
/// told apart by their first byte (`{` for JSON; a protobuf change set starts with its
/// version's field), so nodes of either setting share one log and a node's outbox may hold
/// both after a change of setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChangeSetFormat {
    /// `ha.cdc.v1.ChangeSet` (core/types/proto/ha/cdc/v1/change_set.proto): about a quarter of
    /// the JSON's bytes, and nothing to parse but lengths and numbers.
    #[default]
    Protobuf,
    /// The seed's JSON (SPEC §6.2), for CDC consumers that read the log as JSON.
    Json,
}

impl ChangeSetFormat {
    /// The format of one encoded change set, or of a message of several.
    pub fn of(payload: &[u8]) -> ChangeSetFormat {
        // Not past whitespace: a protobuf `ChangeSets` starts with 0x0a, a newline.
        match payload.first() {
            Some(b'{') => ChangeSetFormat::Json,
            _ => ChangeSetFormat::Protobuf,
        }
    }
}

impl ChangeSet {
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    pub fn from_json(bytes: &[u8]) -> Result<ChangeSet, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// One change set in `format` (what an outbox row and a one-change-set message hold).
    pub fn encode(&self, format: ChangeSetFormat) -> Result<Vec<u8>, String> {
        match format {
            ChangeSetFormat::Json => self.to_json().map_err(|e| e.to_string()),
            ChangeSetFormat::Protobuf => Ok(crate::change_proto::encode_change_set(self)),
        }
    }

    /// One change set in either format (see [`ChangeSetFormat::of`]).
    pub fn decode(bytes: &[u8]) -> Result<ChangeSet, String> {
        let set = match ChangeSetFormat::of(bytes) {
            ChangeSetFormat::Json => ChangeSet::from_json(bytes).map_err(|e| e.to_string())?,
            ChangeSetFormat::Protobuf => {
                let wire: WireChangeSet =
                    prost::Message::decode(bytes).map_err(|e| e.to_string())?;
                ChangeSet::try_from(wire)?
            }
        };
        Ok(set)
    }

    /// One message's payload for change sets already encoded, all in one format (JSON: one
    /// per line, as JSON escapes every newline in strings; protobuf: a `ChangeSets` message,
    /// whose repeated field is exactly each set's bytes behind a tag and a length).
    pub fn join(payloads: &[impl AsRef<[u8]>]) -> Vec<u8> {
        let first = payloads.first().map(AsRef::as_ref).unwrap_or_default();
        let format = ChangeSetFormat::of(first);
        let mut joined = Vec::new();
        for payload in payloads {
            let payload = payload.as_ref();
            match format {
                ChangeSetFormat::Json => {
                    if !joined.is_empty() {
                        joined.push(b'\n');
                    }
                }
                ChangeSetFormat::Protobuf => {
                    // Field 1, length-delimited.
                    joined.push(0x0a);
                    prost::encoding::encode_varint(payload.len() as u64, &mut joined);
                }
            }
            joined.extend_from_slice(payload);
        }
        joined
    }

    /// Where each change set lies in a protobuf message [`ChangeSet::join`] made of several
    /// (`None`: `joined` is not one), without decoding them.
    pub fn joined_parts(joined: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
        crate::change_proto::joined_parts(joined)
    }

    /// Bytes [`ChangeSet::join`] adds for one more change set of `len` bytes, at most.
    pub const JOIN_OVERHEAD: usize = 11;

    /// The change sets of one log message whose [`CHANGE_SETS_HEADER`] said `count` (`None`:
    /// the header was absent, one change set), or why this build cannot apply them.
    pub fn read_message(payload: &[u8], count: Option<&str>) -> Result<Vec<ChangeSet>, String> {
        let sets = match count {
            None => vec![ChangeSet::decode(payload)?],
            Some(count) => {
                let count: usize = count
                    .trim()
                    .parse()
                    .map_err(|_| format!("{CHANGE_SETS_HEADER} is not a count: {count:?}"))?;
                let sets = match ChangeSetFormat::of(payload) {
                    ChangeSetFormat::Json => payload
                        .split(|byte| *byte == b'\n')
                        .map(|line| ChangeSet::from_json(line).map_err(|e| e.to_string()))
                        .collect::<Result<Vec<_>, _>>()?,
                    ChangeSetFormat::Protobuf => {
                        let wire: WireChangeSets =
                            prost::Message::decode(payload).map_err(|e| e.to_string())?;
                        wire.sets
                            .into_iter()
                            .map(ChangeSet::try_from)
                            .collect::<Result<Vec<_>, _>>()?
                    }
                };
                if sets.len() != count {
                    return Err(format!(
                        "{CHANGE_SETS_HEADER} says {count} change sets, the message holds {}",
                        sets.len()
                    ));
                }
                sets
            }
        };
        if let Some(set) = sets.iter().find(|set| set.v > CHANGE_SET_VERSION) {
            return Err(format!(
                "format version {} is newer than this node's ({CHANGE_SET_VERSION}): upgrade it",
                set.v
            ));
        }
        Ok(sets)
    }
}

impl Change {
    /// The bytes this change adds to a change set in `format`, at most.
    pub fn encoded_len(&self, format: ChangeSetFormat) -> Result<usize, String> {
        match format {
            ChangeSetFormat::Json => {
                Ok(serde_json::to_vec(self).map_err(|e| e.to_string())?.len() + 1)
            }
            ChangeSetFormat::Protobuf => {
                Ok(crate::change_proto::encoded_change_len(self) + ChangeSet::JOIN_OVERHEAD)
            }
        }
    }
}

/// The wire form of [`Change`]: row changes carry `operation` INSERT/UPDATE/DELETE, statements
/// carry `operation: "SQL"` and `command`.
#[derive(Serialize, Deserialize)]
struct SqlChange {
    operation: String,
    command: String,
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Change::Row(row) => row.serialize(s),
            Change::Sql { command } => SqlChange {
                operation: "SQL".into(),
                command: command.clone(),
            }
            .serialize(s),
        }
    }
}

/// Every field either form of a change may carry; read in one pass (no intermediate JSON tree:
/// change sets of large transactions are megabytes).
#[derive(Deserialize)]
struct WireChange {
    operation: String,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    database: Option<String>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default)]
    pk_columns: Vec<String>,
    #[serde(default)]
    old_rowid: Option<i64>,
    #[serde(default)]
    new_rowid: Option<i64>,
    #[serde(default, with = "crate::tagged_values")]
    old_values: Option<Vec<Value>>,
    #[serde(default, with = "crate::tagged_values")]
    new_values: Option<Vec<Value>>,
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Change, D::Error> {
        let wire = WireChange::deserialize(d)?;
        let operation = match wire.operation.as_str() {
            "SQL" => {
                let command = wire
                    .command
                    .ok_or_else(|| D::Error::missing_field("command"))?;
                return Ok(Change::Sql { command });
            }
            "INSERT" => RowOperation::Insert,
            "UPDATE" => RowOperation::Update,
            "DELETE" => RowOperation::Delete,
            other => {
                return Err(D::Error::unknown_variant(
                    other,
                    &["INSERT", "UPDATE", "DELETE", "SQL"],
                ));
            }
        };
        Ok(Change::Row(RowChange {
            database: wire.database.unwrap_or_else(|| "main".into()),
            table: wire.table.ok_or_else(|| D::Error::missing_field("table"))?,
            columns: wire
                .columns
                .ok_or_else(|| D::Error::missing_field("columns"))?,
            pk_columns: wire.pk_columns,
            operation,
            old_rowid: wire.old_rowid,
            new_rowid: wire.new_rowid,
            old_values: wire.old_values,
            new_values: wire.new_values,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's example message reads, and writes back with the same meaning.
    #[test]
    fn reads_the_seed_format() {
        let seed = r#"{"node": "node1", "changes": [
           {"database": "main", "table": "users", "columns": ["id", "name"], "pk_columns": ["id"],
            "operation": "INSERT", "new_rowid": 2, "new_values": [2, "new HA user"]},
           {"database": "main", "table": "users", "columns": ["id", "name"], "pk_columns": ["id"],
            "operation": "DELETE", "old_rowid": 2, "old_values": [2, "new HA user"]},
           {"operation": "SQL", "command": "CREATE TABLE IF NOT EXISTS t(x)"}],
         "timestamp_ns": 1758574275504509677}"#;
        let set = ChangeSet::from_json(seed.as_bytes()).unwrap();
        assert_eq!(set.v, 0);
        assert_eq!(set.changes.len(), 3);
        let Change::Row(insert) = &set.changes[0] else {
            panic!()
        };
        assert_eq!(insert.operation, RowOperation::Insert);
        assert_eq!(
            insert.new_values,
            Some(vec![Value::Integer(2), Value::Text("new HA user".into())])
        );
        assert_eq!(
            set.changes[2],
            Change::Sql {
                command: "CREATE TABLE IF NOT EXISTS t(x)".into()
            }
        );
        let again = ChangeSet::from_json(&set.to_json().unwrap()).unwrap();
        assert_eq!(again, set);
    }

    #[test]
    fn values_are_lossless() {
        let set = ChangeSet {
            v: CHANGE_SET_VERSION,
            node: "n".into(),
            database_id: Some("a.db".into()),
            origin: Some("o".into()),
            id: Some(7),
            chunk: None,
            term: None,
            changes: vec![Change::Row(RowChange {
                database: "main".into(),
                table: "t".into(),
                columns: vec!["a".into(), "b".into(), "c".into(), "d".into()],
                pk_columns: vec![],
                operation: RowOperation::Update,
                old_rowid: Some(1),
                new_rowid: Some(1),
                old_values: Some(vec![
                    Value::Integer(i64::MAX),
                    Value::Real(f64::INFINITY),
                    Value::Null,
                    Value::Blob(vec![0, 255]),
                ]),
                new_values: Some(vec![
                    Value::Integer(i64::MIN),
                    Value::Real(f64::NEG_INFINITY),
                    Value::Text("x".into()),
                    Value::Blob(vec![]),
                ]),
            })],
            timestamp_ns: 1,
        };
        let json = String::from_utf8(set.to_json().unwrap()).unwrap();
        assert!(json.contains("9223372036854775807"), "{json}");
        assert!(json.contains(r#"{"base64":"AP8="}"#), "{json}");
        assert_eq!(ChangeSet::from_json(json.as_bytes()).unwrap(), set);
    }
}
