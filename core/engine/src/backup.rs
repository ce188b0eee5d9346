//! Consistent copies of a database as a standalone SQLite file.

use std::fs::File;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::CoreError;
use crate::open::Conn;
use crate::replication::{Outbox, RowIdentify, undo_outbox_after};
use crate::snapshot::SNAPSHOT_POSITION;

/// What a copy is for.
pub(crate) enum CopyKind<'a> {
    /// `GET /download`: the file as it is, without identity and outbox.
    Download,
    /// A snapshot: also its one position row is the position of this consumer (SPEC §8), and
    /// it holds exactly the log up to there (own change sets not stored yet are left out).
    Snapshot {
        consumer: &'a str,
        identify: RowIdentify,
    },
}

/// Copies the database that `source` reads into an unlinked temporary file and returns it opened
/// at its start, with its length and, for a snapshot, the log position it contains. One backup
/// step copies every page inside one read transaction, so the copy is consistent; in WAL mode
/// writers go on meanwhile (they are never blocked for the copy's duration).
pub(crate) fn backup_to_temp_file(
    source: &Conn,
    kind: CopyKind<'_>,
) -> Result<(File, u64, Option<u64>), CoreError> {
    let io = |context: &'static str| {
        move |source: std::io::Error| CoreError::Io {
            context: context.into(),
            source,
        }
    };
    let temp = tempfile::Builder::new()
        .prefix("ha-backup-")
        .suffix(".db")
        .tempfile()
        .map_err(io("creating the backup file"))?;
    let seq = {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut target = Connection::open_with_flags(temp.path(), flags)
            .map_err(CoreError::storage("opening the backup file"))?;
        let backup = rusqlite::backup::Backup::new(&source.conn, &mut target)
            .map_err(CoreError::storage("starting the backup"))?;
        backup
            .step(-1)
            .map_err(CoreError::storage("copying pages"))?;
        drop(backup);
        if let CopyKind::Snapshot { identify, .. } = &kind {
            leave_out_unsettled(&target, *identify)?;
        }
        // A copy is a new database instance wherever it is opened (identity.rs): it must not
        // claim this one's origin, nor publish this one's unpublished change sets.
        target
            .execute_batch(
                "DELETE FROM _ha_identity WHERE 1;
                 DELETE FROM _ha_outbox WHERE 1;",
            )
            .or_else(absent_table)
            .map_err(CoreError::storage("clearing the copy's outbox"))?;
        let seq = match kind {
            CopyKind::Download => None,
            CopyKind::Snapshot { consumer, .. } => {
                let seq = Outbox::applied_seq(&target, consumer)
                    .map_err(CoreError::storage("reading the snapshot's position"))?;
                target
                    .execute("DELETE FROM _ha_replication WHERE 1", [])
                    .map_err(CoreError::storage("recording the snapshot's position"))?;
                Outbox::set_applied_seq(&target, SNAPSHOT_POSITION, seq)
                    .map_err(CoreError::storage("recording the snapshot's position"))?;
                Some(seq)
            }
        };
        // A copy of a WAL database is itself in WAL mode; a download must be one plain file.
        target
            .query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
            .map_err(CoreError::storage("finishing the backup file"))?;
        seq
    };
    let file = temp.reopen().map_err(io("reopening the backup file"))?;
    let len = file
        .metadata()
        .map_err(io("reading the backup file size"))?
        .len();
    Ok((file, len, seq))
}

/// Undoes, in a snapshot's copy, the own change sets its outbox holds that had not come back
/// from the log when it was copied: the copy's position says which log entries it holds, and
/// these are not among them (in leader mode the log may even refuse them). Restored elsewhere,
/// the copy gets them from the log, in their place, once they are stored. One that changed the
/// schema cannot be undone: then the copy keeps them all, as it did before this existed.
fn leave_out_unsettled(copy: &Connection, identify: RowIdentify) -> Result<(), CoreError> {
    let storage = CoreError::storage("leaving unpublished change sets out of the snapshot");
    let origin: Option<String> = copy
        .query_row("SELECT origin FROM _ha_identity LIMIT 1", [], |r| r.get(0))
        .optional()
        .or_else(absent_table)
        .map_err(CoreError::storage("reading the copy's identity"))?;
    let Some(origin) = origin else {
        return Ok(());
    };
    let consumed = Outbox::origin_last_id(copy, &origin).map_err(storage)?;
    copy.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER,
        false,
    )
    .map_err(CoreError::storage("switching the copy's triggers off"))?;
    copy.execute_batch("BEGIN IMMEDIATE")
        .map_err(CoreError::storage(
            "leaving unpublished change sets out of the snapshot",
        ))?;
    match undo_outbox_after(copy, consumed, identify) {
        Ok(_) => copy.execute_batch("COMMIT").map_err(CoreError::storage(
            "leaving unpublished change sets out of the snapshot",
        )),
        Err(e) => {
            // A schema change has no known inverse: the copy keeps them (they are published
            // later, and appliers take them again in their place in the log).
            let _ = copy.execute_batch("ROLLBACK");
            tracing::warn!(error = %e, "a snapshot keeps this node's unpublished change sets");
            Ok(())
        }
    }
}

/// A database that never replicated has no `_ha_*` tables: for the copy, nothing to clear.
fn absent_table<T: Default>(e: rusqlite::Error) -> rusqlite::Result<T> {
    match e.to_string().contains("no such table") {
        true => Ok(T::default()),
        false => Err(e),
    }
}
