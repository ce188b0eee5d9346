//! Rows with a local change that this node has not yet consumed back from the log (SPEC §6.5).
//! Their local change comes later in the log than any other node's change to them that arrives
//! meanwhile, so those older changes are skipped: the local one will replace them everywhere.

use std::collections::{BTreeMap, HashMap};

use ha_types::{Change, ChangeSet, RowChange, Value};

/// Pending rows, keyed by the own change sets that touched them: a row stops being pending
/// when the last of those is consumed back, exactly, also across restarts (rebuilt from the
/// outbox rows not consumed back yet).
#[derive(Default)]
pub(crate) struct PendingRows {
    /// Each pending row and the highest own id that touched it.
    rows: HashMap<(String, String), u64>,
    /// The rows each own id touched, to end them in id order.
    by_id: BTreeMap<u64, Vec<(String, String)>>,
    /// The new images each own id wrote (table, columns, values): the other nodes will write
    /// them at that change set's place in the log, displacing what holds their UNIQUE values
    /// then, even where the local row has moved on since.
    images: BTreeMap<u64, Vec<Image>>,
}

/// A new image a pending own change set wrote: its table, columns and values.
type Image = (String, Vec<String>, Vec<Value>);

impl PendingRows {
    /// A local change set with id `id` was committed. Taken whole: its new images are kept,
    /// moved rather than copied (this runs for every write of a busy node).
    pub(crate) fn add(&mut self, set: ChangeSet, id: u64) {
        let keys = keys_of_set(&set);
        for key in &keys {
            let highest = self.rows.entry(key.clone()).or_insert(id);
            *highest = (*highest).max(id);
        }
        self.by_id.entry(id).or_default().extend(keys);
        let images = set.changes.into_iter().filter_map(|change| match change {
            Change::Row(row) => row
                .new_values
                .map(|values| (row.table, row.columns, values)),
            Change::Sql { .. } => None,
        });
        self.images.entry(id).or_default().extend(images);
    }

    /// The new images (columns, values) that pending own change sets wrote to `table`.
    pub(crate) fn images<'a>(
        &'a self,
        table: &'a str,
    ) -> impl Iterator<Item = (&'a [String], &'a [Value])> + 'a {
        self.images
            .values()
            .flatten()
            .filter(move |(t, _, _)| t == table)
            .map(|(_, columns, values)| (columns.as_slice(), values.as_slice()))
    }

    /// This node's own change sets up to `id` came back from the log.
    pub(crate) fn consumed_through(&mut self, id: u64) {
        let later_images = self.images.split_off(&(id + 1));
        self.images = later_images;
        let later = self.by_id.split_off(&(id + 1));
        let done = std::mem::replace(&mut self.by_id, later);
        for key in done.into_values().flatten() {
            if self.rows.get(&key).is_some_and(|highest| *highest <= id) {
                self.rows.remove(&key);
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

    /// Whether the row of `table` with this key (see [`image_key`]) is pending.
    pub(crate) fn contains(&self, table: &str, key: &[Value]) -> bool {
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

/// A row's key as change sets give it: its primary-key values in key order, or `[rowid]` for
/// a table without a declared key.
pub(crate) fn image_key(row: &RowChange, values: &[Value], rowid: Option<i64>) -> Vec<Value> {
    if row.pk_columns.is_empty() {
        return vec![Value::Integer(rowid.unwrap_or_default())];
    }
    row.pk_columns
        .iter()
        .filter_map(|pk| row.columns.iter().position(|c| c == pk))
        .filter_map(|i| values.get(i).cloned())
        .collect()
}

/// The keys a row change touches: its old one and its new one, each once.
pub(crate) fn row_keys(row: &RowChange) -> Vec<Vec<Value>> {
    let mut keys: Vec<Vec<Value>> = Vec::with_capacity(2);
    for (values, rowid) in [
        (&row.old_values, row.old_rowid),
        (&row.new_values, row.new_rowid),
    ] {
        let Some(values) = values else { continue };
        let key = image_key(row, values, rowid);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

fn keys_of_row(row: &RowChange) -> Vec<(String, String)> {
    row_keys(row)
        .iter()
        .map(|key| (row.table.clone(), render_key(key)))
        .collect()
}

/// One table's keys are all of one kind (key values, or rowids), so they render apart.
fn render_key(key: &[Value]) -> String {
    let mut text = String::new();
    for (i, value) in key.iter().enumerate() {
        if i > 0 {
            text.push('\u{1f}');
        }
        text.push_str(&value.to_tagged_json_text());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use ha_types::RowOperation;

    fn touching(k: i64) -> ChangeSet {
        ChangeSet {
            v: ha_types::CHANGE_SET_VERSION,
            node: "n".into(),
            database_id: None,
            origin: None,
            id: None,
            chunk: None,
            term: None,
            changes: vec![Change::Row(row(k))],
            timestamp_ns: 0,
        }
    }

    fn row(k: i64) -> RowChange {
        RowChange {
            database: "main".into(),
            table: "t".into(),
            columns: vec!["k".into()],
            pk_columns: vec!["k".into()],
            operation: RowOperation::Insert,
            old_rowid: None,
            new_rowid: Some(k),
            old_values: None,
            new_values: Some(vec![Value::Integer(k)]),
        }
    }

    #[test]
    fn a_row_is_pending_until_its_last_own_change_comes_back() {
        let mut pending = PendingRows::default();
        pending.add(touching(1), 1);
        pending.add(touching(2), 2);
        pending.add(touching(1), 3);
        pending.consumed_through(1);
        assert!(pending.touches(&row(1)), "id 3 touched it too");
        assert!(pending.touches(&row(2)));
        pending.consumed_through(2);
        assert!(!pending.touches(&row(2)));
        pending.consumed_through(2);
        assert!(pending.touches(&row(1)));
        pending.consumed_through(3);
        assert!(!pending.touches(&row(1)));
    }
}
