//! Rows with a local change that this node has not yet consumed back from the log (SPEC §6.5).
//! Their local change comes later in the log than any other node's change to them that arrives
//! meanwhile, so those older changes are skipped: the local one will replace them everywhere.

use std::collections::HashMap;

use ha_types::{Change, ChangeSet, RowChange, Value};

#[derive(Default)]
pub(crate) struct PendingRows {
    rows: HashMap<(String, String), u32>,
}

impl PendingRows {
    /// A local change set was committed.
    pub(crate) fn add(&mut self, set: &ChangeSet) {
        for key in keys_of_set(set) {
            *self.rows.entry(key).or_insert(0) += 1;
        }
    }

    /// This node's own change set came back from the log.
    pub(crate) fn consumed(&mut self, set: &ChangeSet) {
        for key in keys_of_set(set) {
            if let Some(count) = self.rows.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    self.rows.remove(&key);
                }
            }
        }
    }

    /// Whether another node's change touches a pending row.
    pub(crate) fn touches(&self, change: &RowChange) -> bool {
        !self.rows.is_empty()
            && keys_of_row(change)
                .iter()
                .any(|key| self.rows.contains_key(key))
    }

    /// Whether `table` has pending rows at all (the cheap test before a closer look).
    pub(crate) fn has_table(&self, table: &str) -> bool {
        !self.rows.is_empty() && self.rows.keys().any(|(t, _)| t == table)
    }

    /// Whether the row of `table` with this key (primary-key values in key order, or the rowid
    /// when the table has no declared key) is pending.
    pub(crate) fn contains(&self, table: &str, key: &RowKey<'_>) -> bool {
        self.rows
            .contains_key(&(table.to_string(), render_key(key)))
    }
}

fn keys_of_set(set: &ChangeSet) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = set
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Row(row) => Some(keys_of_row(row)),
            Change::Sql { .. } => None,
        })
        .flatten()
        .collect();
    // A transaction that touches a row twice makes it pending once.
    keys.sort();
    keys.dedup();
    keys
}

/// The identities of a row change: its old and new key (primary key values, or the rowid).
fn keys_of_row(row: &RowChange) -> Vec<(String, String)> {
    let mut keys = Vec::with_capacity(2);
    for (values, rowid) in [
        (&row.old_values, row.old_rowid),
        (&row.new_values, row.new_rowid),
    ] {
        let Some(values) = values else { continue };
        let key = if row.pk_columns.is_empty() {
            RowKey::Rowid(rowid.unwrap_or_default())
        } else {
            RowKey::Primary(
                row.pk_columns
                    .iter()
                    .filter_map(|pk| row.columns.iter().position(|c| c == pk))
                    .filter_map(|i| values.get(i))
                    .collect(),
            )
        };
        let key = render_key(&key);
        keys.push((row.table.clone(), key));
    }
    keys.dedup();
    keys
}

/// A row's identity.
pub(crate) enum RowKey<'a> {
    Rowid(i64),
    Primary(Vec<&'a Value>),
}

fn render_key(key: &RowKey<'_>) -> String {
    match key {
        RowKey::Rowid(rowid) => format!("rowid:{rowid}"),
        RowKey::Primary(values) => values
            .iter()
            .map(|v| render(v))
            .collect::<Vec<_>>()
            .join("\u{1f}"),
    }
}

fn render(value: &Value) -> String {
    value.to_tagged_json().to_string()
}
