//! What one change set costs to write and read in each `--replication-format`: bytes, and
//! nanoseconds per encode and per decode of a one-row insert (what the speed suite's writes
//! publish) and of a 100-row update, in the same run. Pure CPU: no node, no broker.

use std::time::{Duration, Instant};

use ha_types::{
    CHANGE_SET_VERSION, Change, ChangeSet, ChangeSetFormat, RowChange, RowOperation, Value,
};

/// One format's figures for one change set.
pub struct CodecFigure {
    pub bytes: usize,
    pub encode_ns: f64,
    pub decode_ns: f64,
}

/// `(case, JSON, protobuf)` for each case.
pub fn measure(
    duration: Duration,
) -> anyhow::Result<Vec<(&'static str, CodecFigure, CodecFigure)>> {
    let mut figures = Vec::new();
    for (name, set) in [
        ("one-row insert", change_set(1, RowOperation::Insert)),
        ("100-row update", change_set(100, RowOperation::Update)),
    ] {
        let json = codec(&set, ChangeSetFormat::Json, duration)?;
        let protobuf = codec(&set, ChangeSetFormat::Protobuf, duration)?;
        figures.push((name, json, protobuf));
    }
    Ok(figures)
}

fn change_set(rows: i64, operation: RowOperation) -> ChangeSet {
    let image = |id: i64| {
        Some(vec![
            Value::Integer(id),
            Value::Text(format!("row {id}")),
            Value::Integer(id * 7),
        ])
    };
    ChangeSet {
        v: CHANGE_SET_VERSION,
        node: "node1".into(),
        database_id: Some("ha.db".into()),
        origin: Some("4c1f3b8e-2d6a-4f0e-9b7a-0e5d2c9a1f33".into()),
        id: Some(123_456),
        chunk: None,
        term: None,
        changes: (1..=rows)
            .map(|id| {
                Change::Row(RowChange {
                    database: "main".into(),
                    table: "bench".into(),
                    columns: vec!["id".into(), "name".into(), "n".into()],
                    pk_columns: vec!["id".into()],
                    operation,
                    old_rowid: (operation != RowOperation::Insert).then_some(id),
                    new_rowid: Some(id),
                    old_values: (operation != RowOperation::Insert)
                        .then(|| image(id))
                        .flatten(),
                    new_values: image(id + 1),
                })
            })
            .collect(),
        timestamp_ns: 1_765_000_000_000_000_000,
    }
}

/// Encodes, then decodes, `set` for half of `duration` each.
fn codec(
    set: &ChangeSet,
    format: ChangeSetFormat,
    duration: Duration,
) -> anyhow::Result<CodecFigure> {
    let half = duration / 2;
    let encoded = set.encode(format).map_err(anyhow::Error::msg)?;
    let (mut n, start) = (0u64, Instant::now());
    while start.elapsed() < half {
        for _ in 0..64 {
            std::hint::black_box(set.encode(format).map_err(anyhow::Error::msg)?);
        }
        n += 64;
    }
    let encode_ns = start.elapsed().as_nanos() as f64 / n as f64;
    let (mut n, start) = (0u64, Instant::now());
    while start.elapsed() < half {
        for _ in 0..64 {
            std::hint::black_box(ChangeSet::decode(&encoded).map_err(anyhow::Error::msg)?);
        }
        n += 64;
    }
    let decode_ns = start.elapsed().as_nanos() as f64 / n as f64;
    Ok(CodecFigure {
        bytes: encoded.len(),
        encode_ns,
        decode_ns,
    })
}
