//! Undoing own change sets that the log will never hold (SPEC §7). In leader mode a change set
//! is committed here under a lease term and published after; when the log was fenced for a
//! later term before it stored it (this node lost the lease while the publish was on its way),
//! no other node will ever apply it, so this file must not keep it either. The same undo makes
//! a snapshot copy hold exactly the log up to its position: the copy leaves out the change sets
//! that its outbox still waits to see stored.
//!
//! An undo applies each change set's inverse (its old images), newest first, with triggers and
//! foreign-key actions off like any apply. Schema changes have no inverse that can be known
//! from the change set: such an outbox row is refused, and the caller stops rather than guess.

use ha_types::{Change, ChangeSet, RowChange, RowOperation};
use rusqlite::Connection;

use super::{PendingRows, RowIdentify, apply_change_set, join_change_sets, stored_messages};

/// Why an outbox row could not be undone.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UndoError {
    #[error("own change set {id} changed the schema, which cannot be undone")]
    Schema { id: u64 },
    #[error("own change set {id} cannot be read: {reason}")]
    Unreadable { id: u64, reason: String },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Undoes the change sets of the outbox rows with an id above `after`, newest first, inside the
/// caller's transaction (whose apply mode has triggers and foreign-key actions off), and
/// deletes those rows. Returns the ids undone, oldest first.
pub(crate) fn undo_outbox_after(
    conn: &Connection,
    after: u64,
    identify: RowIdentify,
) -> Result<Vec<u64>, UndoError> {
    let rows: Vec<(u64, String, Vec<u8>)> = conn
        .prepare("SELECT id, msg_id, payload FROM _ha_outbox WHERE id > ?1 ORDER BY id DESC")?
        .query_map([after as i64], |r| {
            Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let none_pending = PendingRows::default();
    let mut undone = Vec::with_capacity(rows.len());
    for (id, msg_id, payload) in rows {
        let set = whole_change_set(id, &msg_id, payload)?;
        apply_change_set(conn, &inverse(&set, id)?, &none_pending, identify)?;
        undone.push(id);
    }
    conn.execute("DELETE FROM _ha_outbox WHERE id > ?1", [after as i64])?;
    undone.reverse();
    Ok(undone)
}

/// An outbox row's change set, its parts joined when it was split.
fn whole_change_set(id: u64, msg_id: &str, payload: Vec<u8>) -> Result<ChangeSet, UndoError> {
    let parts = stored_messages(msg_id, payload)
        .into_iter()
        .map(|(_, part)| ChangeSet::decode(&part))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UndoError::Unreadable {
            id,
            reason: e.to_string(),
        })?;
    join_change_sets(parts).ok_or_else(|| UndoError::Unreadable {
        id,
        reason: "the outbox row holds no change set".into(),
    })
}

/// The change set that takes a file from `set`'s new images back to its old ones.
fn inverse(set: &ChangeSet, id: u64) -> Result<ChangeSet, UndoError> {
    let changes = set
        .changes
        .iter()
        .rev()
        .map(|change| match change {
            Change::Row(row) => Ok(Change::Row(inverse_row(row))),
            Change::Sql { .. } => Err(UndoError::Schema { id }),
        })
        .collect::<Result<_, _>>()?;
    Ok(ChangeSet {
        changes,
        chunk: None,
        ..set.clone()
    })
}

fn inverse_row(row: &RowChange) -> RowChange {
    let operation = match row.operation {
        RowOperation::Insert => RowOperation::Delete,
        RowOperation::Delete => RowOperation::Insert,
        RowOperation::Update => RowOperation::Update,
    };
    RowChange {
        operation,
        old_rowid: row.new_rowid,
        new_rowid: row.old_rowid,
        old_values: row.new_values.clone(),
        new_values: row.old_values.clone(),
        ..row.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replication::{Outbox, build_change_set};
    use ha_types::Value;

    fn row(operation: RowOperation, old: Option<(i64, &str)>, new: Option<(i64, &str)>) -> Change {
        let image = |(id, v): (i64, &str)| vec![Value::Integer(id), Value::Text(v.into())];
        Change::Row(RowChange {
            database: "main".into(),
            table: "t".into(),
            columns: vec!["id".into(), "v".into()],
            pk_columns: vec!["id".into()],
            operation,
            old_rowid: old.map(|(id, _)| id),
            new_rowid: new.map(|(id, _)| id),
            old_values: old.map(image),
            new_values: new.map(image),
        })
    }

    fn outbox_row(conn: &Connection, id: u64, changes: Vec<Change>) {
        let set = build_change_set("n", "db", "o", id, Some(1), changes);
        Outbox::append(conn, id as i64, &format!("o.{id}"), &set.to_json().unwrap()).unwrap();
    }

    fn contents(conn: &Connection) -> Vec<(i64, String)> {
        conn.prepare("SELECT id, v FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn the_rows_after_a_point_are_undone_newest_first_and_leave_the_outbox() {
        let conn = Connection::open_in_memory().unwrap();
        Outbox::create_tables(&conn).unwrap();
        conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');")
            .unwrap();
        // Stored already (id 1): stays. Then three the log refused: an update, an insert, and a
        // change set that updates the new row, moves a key and deletes another.
        outbox_row(
            &conn,
            1,
            vec![row(RowOperation::Insert, None, Some((2, "b")))],
        );
        conn.execute_batch(
            "UPDATE t SET v = 'a2' WHERE id = 1; INSERT INTO t VALUES (3, 'c');
             UPDATE t SET v = 'c2' WHERE id = 3; UPDATE t SET id = 4 WHERE id = 1; DELETE FROM t WHERE id = 2;",
        )
        .unwrap();
        outbox_row(
            &conn,
            2,
            vec![row(RowOperation::Update, Some((1, "a")), Some((1, "a2")))],
        );
        outbox_row(
            &conn,
            3,
            vec![row(RowOperation::Insert, None, Some((3, "c")))],
        );
        outbox_row(
            &conn,
            4,
            vec![
                row(RowOperation::Update, Some((3, "c")), Some((3, "c2"))),
                row(RowOperation::Update, Some((1, "a2")), Some((4, "a2"))),
                row(RowOperation::Delete, Some((2, "b")), None),
            ],
        );
        assert_eq!(contents(&conn), [(3, "c2".into()), (4, "a2".into())]);
        let undone = undo_outbox_after(&conn, 1, RowIdentify::PrimaryKey).unwrap();
        assert_eq!(undone, [2, 3, 4]);
        assert_eq!(contents(&conn), [(1, "a".into()), (2, "b".into())]);
        let left: i64 = conn
            .query_row("SELECT count(*) FROM _ha_outbox", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
    }

    #[test]
    fn a_schema_change_is_not_guessed_at() {
        let conn = Connection::open_in_memory().unwrap();
        Outbox::create_tables(&conn).unwrap();
        conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        outbox_row(
            &conn,
            1,
            vec![Change::Sql {
                command: "CREATE TABLE u(x)".into(),
            }],
        );
        let error = undo_outbox_after(&conn, 0, RowIdentify::PrimaryKey).unwrap_err();
        assert!(matches!(error, UndoError::Schema { id: 1 }), "{error}");
    }
}
