//! The compact form of change sets: protobuf messages `ha.cdc.v1.ChangeSet` and
//! `ha.cdc.v1.ChangeSets`, described for consumers in other languages by
//! `core/types/proto/ha/cdc/v1/change_set.proto` (a test decodes our bytes with that file).
//! Under half the JSON's bytes for a typical row, and no text to scan or numbers to parse: an
//! applier reads every change set it applies, and every byte crosses the network once per node
//! and sits in the log and in the outbox.
//!
//! Read through prost's derive, used by hand (no code generation step: these few messages change
//! rarely, and the test keeps them and the .proto file in step); written straight from the
//! change set by [`encode_change_set`], checked against the derive's encoding.

use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len};

use crate::{Change, ChangeSet, Chunk, RowChange, RowOperation, Value};

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WireChangeSets {
    #[prost(message, repeated, tag = "1")]
    pub sets: Vec<WireChangeSet>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WireChangeSet {
    #[prost(uint32, tag = "1")]
    pub v: u32,
    #[prost(string, tag = "2")]
    pub node: String,
    #[prost(string, optional, tag = "3")]
    pub database_id: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub origin: Option<String>,
    #[prost(uint64, optional, tag = "5")]
    pub id: Option<u64>,
    #[prost(message, optional, tag = "6")]
    pub chunk: Option<WireChunk>,
    #[prost(uint64, optional, tag = "7")]
    pub term: Option<u64>,
    #[prost(message, repeated, tag = "8")]
    pub changes: Vec<WireChange>,
    #[prost(int64, tag = "9")]
    pub timestamp_ns: i64,
}

#[derive(Clone, Copy, PartialEq, prost::Message)]
pub(crate) struct WireChunk {
    #[prost(uint32, tag = "1")]
    pub index: u32,
    #[prost(uint32, tag = "2")]
    pub count: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WireChange {
    #[prost(oneof = "WireChangeKind", tags = "1, 2")]
    pub kind: Option<WireChangeKind>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub(crate) enum WireChangeKind {
    #[prost(message, tag = "1")]
    Row(WireRowChange),
    /// DDL as idempotent SQL text.
    #[prost(string, tag = "2")]
    Sql(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, prost::Enumeration)]
pub(crate) enum WireOperation {
    Unspecified = 0,
    Insert = 1,
    Update = 2,
    Delete = 3,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WireRowChange {
    #[prost(string, tag = "1")]
    pub database: String,
    #[prost(string, tag = "2")]
    pub table: String,
    #[prost(string, repeated, tag = "3")]
    pub columns: Vec<String>,
    #[prost(string, repeated, tag = "4")]
    pub pk_columns: Vec<String>,
    #[prost(enumeration = "WireOperation", tag = "5")]
    pub operation: i32,
    #[prost(int64, optional, tag = "6")]
    pub old_rowid: Option<i64>,
    #[prost(int64, optional, tag = "7")]
    pub new_rowid: Option<i64>,
    #[prost(message, optional, tag = "8")]
    pub old_values: Option<WireValues>,
    #[prost(message, optional, tag = "9")]
    pub new_values: Option<WireValues>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WireValues {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<WireValue>,
}

/// One SQL value; no field set is NULL.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WireValue {
    #[prost(oneof = "WireValueKind", tags = "1, 2, 3, 4")]
    pub kind: Option<WireValueKind>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub(crate) enum WireValueKind {
    #[prost(sint64, tag = "1")]
    Integer(i64),
    #[prost(double, tag = "2")]
    Real(f64),
    #[prost(string, tag = "3")]
    Text(String),
    #[prost(bytes = "vec", tag = "4")]
    Blob(Vec<u8>),
}

impl TryFrom<WireChangeSet> for ChangeSet {
    type Error = String;

    fn try_from(wire: WireChangeSet) -> Result<ChangeSet, String> {
        Ok(ChangeSet {
            v: wire.v,
            node: wire.node,
            database_id: wire.database_id,
            origin: wire.origin,
            id: wire.id,
            chunk: wire.chunk.map(|c| Chunk {
                index: c.index,
                count: c.count,
            }),
            term: wire.term,
            changes: wire
                .changes
                .into_iter()
                .map(Change::try_from)
                .collect::<Result<_, _>>()?,
            timestamp_ns: wire.timestamp_ns,
        })
    }
}

impl TryFrom<WireChange> for Change {
    type Error = String;

    fn try_from(wire: WireChange) -> Result<Change, String> {
        match wire.kind {
            Some(WireChangeKind::Sql(command)) => Ok(Change::Sql { command }),
            Some(WireChangeKind::Row(row)) => {
                let operation = match WireOperation::try_from(row.operation) {
                    Ok(WireOperation::Insert) => RowOperation::Insert,
                    Ok(WireOperation::Update) => RowOperation::Update,
                    Ok(WireOperation::Delete) => RowOperation::Delete,
                    _ => return Err(format!("unknown row operation {}", row.operation)),
                };
                Ok(Change::Row(RowChange {
                    database: row.database,
                    table: row.table,
                    columns: row.columns,
                    pk_columns: row.pk_columns,
                    operation,
                    old_rowid: row.old_rowid,
                    new_rowid: row.new_rowid,
                    old_values: row.old_values.map(values),
                    new_values: row.new_values.map(values),
                }))
            }
            None => Err("a change that is neither a row nor a statement".into()),
        }
    }
}

fn values(wire: WireValues) -> Vec<Value> {
    wire.values
        .into_iter()
        .map(|value| match value.kind {
            None => Value::Null,
            Some(WireValueKind::Integer(i)) => Value::Integer(i),
            Some(WireValueKind::Real(f)) => Value::Real(f),
            Some(WireValueKind::Text(text)) => Value::Text(text),
            Some(WireValueKind::Blob(bytes)) => Value::Blob(bytes),
        })
        .collect()
}

/// `set`'s protobuf bytes, written from the change set itself: the same bytes prost writes for
/// [`WireChangeSet::from`]`(set)` (a test compares them), without first copying every string
/// and value into the derived structs, which made encoding slower than the JSON's. Each message
/// is measured before it is written (protobuf puts a nested message's length before it).
pub(crate) fn encode_change_set(set: &ChangeSet) -> Vec<u8> {
    let mut out = Vec::with_capacity(change_set_len(set));
    varint_field(1, u64::from(set.v), &mut out);
    string_field(2, &set.node, &mut out);
    if let Some(database_id) = &set.database_id {
        always_string(3, database_id, &mut out);
    }
    if let Some(origin) = &set.origin {
        always_string(4, origin, &mut out);
    }
    if let Some(id) = set.id {
        always_varint(5, id, &mut out);
    }
    if let Some(chunk) = set.chunk {
        let len = chunk_len(chunk);
        message_header(6, len, &mut out);
        varint_field(1, u64::from(chunk.index), &mut out);
        varint_field(2, u64::from(chunk.count), &mut out);
    }
    if let Some(term) = set.term {
        always_varint(7, term, &mut out);
    }
    for change in &set.changes {
        message_header(8, change_len(change), &mut out);
        match change {
            Change::Sql { command } => always_string(2, command, &mut out),
            Change::Row(row) => {
                message_header(1, row_len(row), &mut out);
                string_field(1, &row.database, &mut out);
                string_field(2, &row.table, &mut out);
                for column in &row.columns {
                    always_string(3, column, &mut out);
                }
                for column in &row.pk_columns {
                    always_string(4, column, &mut out);
                }
                varint_field(5, operation(row.operation), &mut out);
                if let Some(rowid) = row.old_rowid {
                    always_varint(6, rowid as u64, &mut out);
                }
                if let Some(rowid) = row.new_rowid {
                    always_varint(7, rowid as u64, &mut out);
                }
                for (tag, values) in [(8, &row.old_values), (9, &row.new_values)] {
                    if let Some(values) = values {
                        message_header(tag, values_len(values), &mut out);
                        for value in values {
                            message_header(1, value_len(value), &mut out);
                            encode_value(value, &mut out);
                        }
                    }
                }
            }
        }
    }
    if set.timestamp_ns != 0 {
        always_varint(9, set.timestamp_ns as u64, &mut out);
    }
    out
}

fn operation(operation: RowOperation) -> u64 {
    match operation {
        RowOperation::Insert => 1,
        RowOperation::Update => 2,
        RowOperation::Delete => 3,
    }
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => {}
        Value::Integer(i) => always_varint(1, zigzag(*i), out),
        Value::Real(f) => {
            encode_key(2, WireType::SixtyFourBit, out);
            out.extend_from_slice(&f.to_le_bytes());
        }
        Value::Text(text) => always_string(3, text, out),
        Value::Blob(bytes) => always_bytes(4, bytes, out),
    }
}

fn value_len(value: &Value) -> usize {
    match value {
        Value::Null => 0,
        // A oneof's field is written even when it is 0.
        Value::Integer(i) => always_varint_len(1, zigzag(*i)),
        Value::Real(_) => key_len(2) + 8,
        Value::Text(text) => bytes_len(3, text.len()),
        Value::Blob(bytes) => bytes_len(4, bytes.len()),
    }
}

fn values_len(values: &[Value]) -> usize {
    values
        .iter()
        .map(|value| bytes_len(1, value_len(value)))
        .sum()
}

fn row_len(row: &RowChange) -> usize {
    optional_bytes_len(1, row.database.len())
        + optional_bytes_len(2, row.table.len())
        + row
            .columns
            .iter()
            .map(|c| bytes_len(3, c.len()))
            .sum::<usize>()
        + row
            .pk_columns
            .iter()
            .map(|c| bytes_len(4, c.len()))
            .sum::<usize>()
        + varint_len(5, operation(row.operation))
        + row.old_rowid.map_or(0, |r| always_varint_len(6, r as u64))
        + row.new_rowid.map_or(0, |r| always_varint_len(7, r as u64))
        + row
            .old_values
            .as_ref()
            .map_or(0, |v| bytes_len(8, values_len(v)))
        + row
            .new_values
            .as_ref()
            .map_or(0, |v| bytes_len(9, values_len(v)))
}

/// Where each change set's bytes lie in a protobuf `ChangeSets` (field 1, length-delimited,
/// repeated: what [`ChangeSet::join`] writes), or `None` when `joined` is not one.
pub(crate) fn joined_parts(joined: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
    let mut parts = Vec::new();
    let mut rest = joined;
    while let Some((&key, after_key)) = rest.split_first() {
        if key != 0x0a {
            return None;
        }
        rest = after_key;
        let len = usize::try_from(prost::encoding::decode_varint(&mut rest).ok()?).ok()?;
        let start = joined.len() - rest.len();
        rest = rest.get(len..)?;
        parts.push(start..start + len);
    }
    Some(parts)
}

/// The bytes `change` takes in a change set's `changes`, its field's tag and length included.
pub(crate) fn encoded_change_len(change: &Change) -> usize {
    bytes_len(8, change_len(change))
}

fn change_len(change: &Change) -> usize {
    match change {
        Change::Sql { command } => bytes_len(2, command.len()),
        Change::Row(row) => bytes_len(1, row_len(row)),
    }
}

fn chunk_len(chunk: Chunk) -> usize {
    varint_len(1, u64::from(chunk.index)) + varint_len(2, u64::from(chunk.count))
}

fn change_set_len(set: &ChangeSet) -> usize {
    varint_len(1, u64::from(set.v))
        + optional_bytes_len(2, set.node.len())
        + set
            .database_id
            .as_ref()
            .map_or(0, |d| bytes_len(3, d.len()))
        + set.origin.as_ref().map_or(0, |o| bytes_len(4, o.len()))
        + set.id.map_or(0, |id| always_varint_len(5, id))
        + set.chunk.map_or(0, |c| bytes_len(6, chunk_len(c)))
        + set.term.map_or(0, |t| always_varint_len(7, t))
        + set
            .changes
            .iter()
            .map(|c| bytes_len(8, change_len(c)))
            .sum::<usize>()
        + varint_len(9, set.timestamp_ns as u64)
}

/// A proto3 scalar: left out when it is its default (0).
fn varint_field(tag: u32, value: u64, out: &mut Vec<u8>) {
    if value != 0 {
        always_varint(tag, value, out);
    }
}

fn varint_len(tag: u32, value: u64) -> usize {
    if value == 0 {
        0
    } else {
        always_varint_len(tag, value)
    }
}

fn always_varint_len(tag: u32, value: u64) -> usize {
    key_len(tag) + encoded_len_varint(value)
}

/// An `optional` scalar, a repeated one or a oneof's: written whatever its value.
fn always_varint(tag: u32, value: u64, out: &mut Vec<u8>) {
    encode_key(tag, WireType::Varint, out);
    encode_varint(value, out);
}

/// A proto3 string: left out when empty.
fn string_field(tag: u32, text: &str, out: &mut Vec<u8>) {
    if !text.is_empty() {
        always_string(tag, text, out);
    }
}

fn always_string(tag: u32, text: &str, out: &mut Vec<u8>) {
    always_bytes(tag, text.as_bytes(), out);
}

fn always_bytes(tag: u32, bytes: &[u8], out: &mut Vec<u8>) {
    message_header(tag, bytes.len(), out);
    out.extend_from_slice(bytes);
}

fn message_header(tag: u32, len: usize, out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(len as u64, out);
}

fn bytes_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

fn optional_bytes_len(tag: u32, len: usize) -> usize {
    if len == 0 { 0 } else { bytes_len(tag, len) }
}

#[cfg(test)]
mod tests {
    use prost_reflect::{DescriptorPool, DynamicMessage, Value as Field};

    use super::*;
    use crate::{CHANGE_SET_VERSION, ChangeSetFormat};

    // prost's encoding of these structs is the reference `encode_change_set` is checked against.
    impl From<&ChangeSet> for WireChangeSet {
        fn from(set: &ChangeSet) -> WireChangeSet {
            WireChangeSet {
                v: set.v,
                node: set.node.clone(),
                database_id: set.database_id.clone(),
                origin: set.origin.clone(),
                id: set.id,
                chunk: set.chunk.map(|c| WireChunk {
                    index: c.index,
                    count: c.count,
                }),
                term: set.term,
                changes: set.changes.iter().map(WireChange::from).collect(),
                timestamp_ns: set.timestamp_ns,
            }
        }
    }

    impl From<&Change> for WireChange {
        fn from(change: &Change) -> WireChange {
            let kind = match change {
                Change::Sql { command } => WireChangeKind::Sql(command.clone()),
                Change::Row(row) => WireChangeKind::Row(WireRowChange {
                    database: row.database.clone(),
                    table: row.table.clone(),
                    columns: row.columns.clone(),
                    pk_columns: row.pk_columns.clone(),
                    operation: match row.operation {
                        RowOperation::Insert => WireOperation::Insert,
                        RowOperation::Update => WireOperation::Update,
                        RowOperation::Delete => WireOperation::Delete,
                    } as i32,
                    old_rowid: row.old_rowid,
                    new_rowid: row.new_rowid,
                    old_values: row.old_values.as_deref().map(WireValues::from),
                    new_values: row.new_values.as_deref().map(WireValues::from),
                }),
            };
            WireChange { kind: Some(kind) }
        }
    }

    impl From<&[Value]> for WireValues {
        fn from(values: &[Value]) -> WireValues {
            let values = values
                .iter()
                .map(|value| WireValue {
                    kind: match value {
                        Value::Null => None,
                        Value::Integer(i) => Some(WireValueKind::Integer(*i)),
                        Value::Real(f) => Some(WireValueKind::Real(*f)),
                        Value::Text(text) => Some(WireValueKind::Text(text.clone())),
                        Value::Blob(bytes) => Some(WireValueKind::Blob(bytes.clone())),
                    },
                })
                .collect();
            WireValues { values }
        }
    }

    fn every_kind() -> ChangeSet {
        ChangeSet {
            v: CHANGE_SET_VERSION,
            node: "node1".into(),
            database_id: Some("ha.db".into()),
            origin: Some("0b6f0c1e-9a0e-4d52-9d0c-6a3e8f2c1b11".into()),
            id: Some(7),
            chunk: Some(Chunk { index: 1, count: 3 }),
            term: Some(4),
            changes: vec![
                Change::Row(RowChange {
                    database: "main".into(),
                    table: "t".into(),
                    columns: vec!["a".into(), "b".into(), "c".into(), "d".into(), "e".into()],
                    pk_columns: vec!["a".into()],
                    operation: RowOperation::Update,
                    old_rowid: Some(-1),
                    new_rowid: Some(i64::MAX),
                    old_values: Some(vec![
                        Value::Integer(i64::MIN),
                        Value::Real(f64::NEG_INFINITY),
                        Value::Null,
                        Value::Blob(vec![]),
                        Value::Text(String::new()),
                    ]),
                    new_values: Some(vec![
                        Value::Integer(0),
                        Value::Real(-0.5),
                        Value::Text("é\n\"".into()),
                        Value::Blob(vec![0, 255]),
                        Value::Null,
                    ]),
                }),
                Change::Row(RowChange {
                    database: "main".into(),
                    table: "u".into(),
                    columns: vec!["x".into()],
                    pk_columns: vec![],
                    operation: RowOperation::Delete,
                    old_rowid: Some(3),
                    new_rowid: None,
                    old_values: Some(vec![]),
                    new_values: None,
                }),
                Change::Sql {
                    command: "CREATE TABLE IF NOT EXISTS v(x)".into(),
                },
            ],
            timestamp_ns: 1_758_574_275_504_509_677,
        }
    }

    /// The hand-written encoder writes exactly what prost's derive writes, for every field
    /// present and absent, default and not.
    #[test]
    fn the_encoder_writes_what_prost_writes() {
        let full = every_kind();
        let bare = ChangeSet {
            v: 0,
            node: String::new(),
            database_id: None,
            origin: None,
            id: None,
            chunk: None,
            term: None,
            changes: vec![
                Change::Sql {
                    command: String::new(),
                },
                Change::Row(RowChange {
                    database: String::new(),
                    table: String::new(),
                    columns: vec![String::new()],
                    pk_columns: vec![],
                    operation: RowOperation::Insert,
                    old_rowid: Some(0),
                    new_rowid: None,
                    old_values: None,
                    new_values: Some(vec![Value::Integer(0), Value::Real(0.0), Value::Null]),
                }),
            ],
            timestamp_ns: 0,
        };
        let zeros = ChangeSet {
            id: Some(0),
            term: Some(0),
            chunk: Some(Chunk { index: 0, count: 0 }),
            database_id: Some(String::new()),
            timestamp_ns: -1,
            ..bare.clone()
        };
        for set in [full, bare, zeros] {
            let by_prost = prost::Message::encode_to_vec(&WireChangeSet::from(&set));
            assert_eq!(encode_change_set(&set), by_prost, "{set:?}");
            assert_eq!(change_set_len(&set), by_prost.len());
            assert_eq!(ChangeSet::decode(&by_prost).unwrap(), set);
        }
    }

    #[test]
    fn both_formats_carry_every_field_and_value() {
        let set = every_kind();
        for format in [ChangeSetFormat::Protobuf, ChangeSetFormat::Json] {
            let bytes = set.encode(format).unwrap();
            assert_eq!(ChangeSetFormat::of(&bytes), format);
            assert_eq!(ChangeSet::decode(&bytes).unwrap(), set, "{format:?}");
        }
    }

    /// The .proto file given to consumers in other languages reads these bytes, field by field.
    #[test]
    fn the_proto_file_describes_the_bytes() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("proto");
        let files = protox::compile(["ha/cdc/v1/change_set.proto"], [root]).unwrap();
        let pool = DescriptorPool::from_file_descriptor_set(files).unwrap();
        let descriptor = pool.get_message_by_name("ha.cdc.v1.ChangeSet").unwrap();
        let bytes = every_kind().encode(ChangeSetFormat::Protobuf).unwrap();
        let message = DynamicMessage::decode(descriptor, bytes.as_slice()).unwrap();
        // Every field is known to the file, and the file's reading writes the same bytes.
        assert_eq!(message.unknown_fields().count(), 0);
        assert_eq!(prost::Message::encode_to_vec(&message), bytes);
        let field =
            |m: &DynamicMessage, name: &str| m.get_field_by_name(name).unwrap().into_owned();
        assert_eq!(field(&message, "node"), Field::String("node1".into()));
        assert_eq!(field(&message, "term"), Field::U64(4));
        let Field::List(changes) = field(&message, "changes") else {
            panic!("changes")
        };
        let Field::Message(first) = &changes[0] else {
            panic!("a change")
        };
        let Field::Message(row) = field(first, "row") else {
            panic!("a row")
        };
        assert_eq!(field(&row, "operation"), Field::EnumNumber(2));
        assert_eq!(field(&row, "new_rowid"), Field::I64(i64::MAX));
        let Field::Message(new_values) = field(&row, "new_values") else {
            panic!("new values")
        };
        let Field::List(values) = field(&new_values, "values") else {
            panic!("values")
        };
        let Field::Message(text) = &values[2] else {
            panic!("a value")
        };
        assert_eq!(field(text, "text"), Field::String("é\n\"".into()));
        let Field::Message(null) = &values[4] else {
            panic!("a value")
        };
        assert!(
            null.fields().next().is_none(),
            "NULL is a Value with no field set"
        );
        let Field::Message(sql) = &changes[2] else {
            panic!("a change")
        };
        assert_eq!(
            field(sql, "sql"),
            Field::String("CREATE TABLE IF NOT EXISTS v(x)".into())
        );
    }

    /// Several change sets make one message in either format, and read back as they were.
    #[test]
    fn a_message_of_several_change_sets_reads_back() {
        let sets: Vec<ChangeSet> = (1..=3)
            .map(|id| ChangeSet {
                id: Some(id),
                chunk: None,
                ..every_kind()
            })
            .collect();
        for format in [ChangeSetFormat::Protobuf, ChangeSetFormat::Json] {
            let encoded: Vec<Vec<u8>> = sets.iter().map(|s| s.encode(format).unwrap()).collect();
            let message = ChangeSet::join(&encoded);
            assert!(
                message.len()
                    <= encoded
                        .iter()
                        .map(|e| e.len() + ChangeSet::JOIN_OVERHEAD)
                        .sum()
            );
            assert_eq!(ChangeSet::read_message(&message, Some("3")).unwrap(), sets);
            let error = ChangeSet::read_message(&message, Some("2")).unwrap_err();
            assert!(error.contains("says 2"), "{error}");
            // One change set goes as it is, without the header.
            assert_eq!(
                ChangeSet::read_message(&encoded[0], None).unwrap(),
                sets[..1]
            );
            let one = ChangeSet::join(&encoded[..1]);
            assert_eq!(ChangeSet::read_message(&one, Some("1")).unwrap(), sets[..1]);
        }
    }

    /// A typical row's change set is far smaller than its JSON.
    #[test]
    fn protobuf_is_compact() {
        let set = ChangeSet {
            chunk: None,
            term: None,
            changes: vec![Change::Row(RowChange {
                database: "main".into(),
                table: "bench".into(),
                columns: vec!["id".into(), "name".into(), "n".into()],
                pk_columns: vec!["id".into()],
                operation: RowOperation::Insert,
                old_rowid: None,
                new_rowid: Some(123_456),
                old_values: None,
                new_values: Some(vec![
                    Value::Integer(123_456),
                    Value::Text("speed".into()),
                    Value::Integer(1),
                ]),
            })],
            ..every_kind()
        };
        let json = set.encode(ChangeSetFormat::Json).unwrap().len();
        let protobuf = set.encode(ChangeSetFormat::Protobuf).unwrap().len();
        assert!(
            protobuf * 2 < json,
            "protobuf {protobuf} bytes, JSON {json}"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_change_set() {
        for bad in [&b"\x08\x02\x12"[..], b"\xff\xff", b"{\"v\": 2"] {
            assert!(ChangeSet::decode(bad).is_err(), "{bad:?}");
        }
        let no_kind = WireChangeSet {
            changes: vec![WireChange { kind: None }],
            ..WireChangeSet::from(&every_kind())
        };
        assert!(ChangeSet::decode(&prost::Message::encode_to_vec(&no_kind)).is_err());
    }
}
