//! Snapshot files (SPEC §8), the engine's side: a snapshot is a consistent copy of a database
//! that records the log position it contains, and restoring one replaces a database's file
//! atomically. Fetching and storing them (the object store) is `ha-nats`'s side.
//!
//! A snapshot carries the data, what makes replay exact (`_ha_origins`, `_ha_held`) and one
//! position row under [`SNAPSHOT_POSITION`]. It carries no identity and no outbox: whoever
//! opens it is a new database instance, and the change sets its taker had not published yet
//! are its taker's to publish. Replaying the log from the position on is exact: change sets
//! already in the file are dropped by their origin's id, and those the taker wrote but the log
//! stores later are applied again at their place, where they win anyway.

use std::fs::File;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use tracing::info;

use crate::replication::{Outbox, stored_messages};
use crate::{CoreError, DatabaseSpec, Storage};

/// The `_ha_replication` row under which a snapshot file records the log position it contains.
pub const SNAPSHOT_POSITION: &str = "snapshot";

/// A snapshot file made from a live database.
#[derive(Debug)]
pub struct SnapshotFile {
    /// An unlinked temporary file, positioned at its start.
    pub file: File,
    pub len: u64,
    /// The log sequence the file contains: replay starts after it.
    pub seq: u64,
}

/// What a database's file holds before a restore decides whether to replace it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalState {
    /// The file exists (or the memory database has a source file).
    pub exists: bool,
    /// The log position recorded for the consumer (0: none).
    pub applied: u64,
}

/// Reads `path`'s position for `consumer` without changing it. A missing file
/// or one without `_ha_*` tables is new.
pub fn local_state(spec: &DatabaseSpec, consumer: &str) -> Result<LocalState, CoreError> {
    let path = match &spec.storage {
        Storage::File { path, .. } => path.clone(),
        Storage::Memory {
            load_from: Some(path),
        } => path.clone(),
        Storage::Memory { load_from: None } => return Ok(LocalState::default()),
    };
    if !path.exists() {
        return Ok(LocalState::default());
    }
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(CoreError::storage(format!("opening {}", path.display())))?;
    let read = |e| CoreError::storage(format!("reading {}", path.display()))(e);
    let has = |table: &str| -> Result<bool, CoreError> {
        conn.query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()
        .map(|found| found.is_some())
        .map_err(read)
    };
    let applied = if has("_ha_replication")? {
        Outbox::applied_seq(&conn, consumer).map_err(read)?
    } else {
        0
    };
    Ok(LocalState {
        exists: true,
        applied,
    })
}

/// The messages of the change sets in a closed database file's outbox, in order, with their
/// message ids: published before the file is replaced, so nothing written there is lost.
pub fn unpublished_messages(path: &Path) -> Result<Vec<(String, Bytes)>, CoreError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(CoreError::storage(format!("opening {}", path.display())))?;
    let has_outbox = conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE name = '_ha_outbox'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map_err(CoreError::storage("reading the outbox"))?
        .is_some();
    let mut messages = Vec::new();
    if has_outbox {
        Outbox::for_each_unpublished(&conn, |row| {
            messages.extend(stored_messages(&row.msg_id, row.payload));
        })
        .map_err(CoreError::storage("reading the outbox"))?;
    }
    Ok(messages)
}

/// Makes a downloaded snapshot file ready to be `consumer`'s database: checks it is a sound
/// SQLite database, records its position as `consumer`'s, and makes sure it carries no
/// identity or outbox. Returns the position.
pub fn prepare_restored_file(path: &Path, consumer: &str) -> Result<u64, CoreError> {
    let context = |what: &str| format!("{what} {}", path.display());
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(CoreError::storage(context("opening the snapshot")))?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(CoreError::storage(context("checking the snapshot")))?;
    if check != "ok" {
        return Err(CoreError::Conflict(format!(
            "the snapshot file is damaged ({check}); take a new snapshot"
        )));
    }
    Outbox::create_tables(&conn).map_err(CoreError::storage(context("preparing")))?;
    let seq = Outbox::applied_seq(&conn, SNAPSHOT_POSITION)
        .map_err(CoreError::storage(context("reading the position of")))?;
    conn.execute_batch("BEGIN IMMEDIATE; DELETE FROM _ha_replication; DELETE FROM _ha_identity; DELETE FROM _ha_outbox;")
        .map_err(CoreError::storage(context("preparing")))?;
    Outbox::set_applied_seq(&conn, consumer, seq)
        .map_err(CoreError::storage(context("recording the position in")))?;
    conn.execute_batch("COMMIT")
        .map_err(CoreError::storage(context("preparing")))?;
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
        .map_err(CoreError::storage(context("preparing")))?;
    Ok(seq)
}

/// Puts a prepared snapshot file (see [`prepare_restored_file`]) in place of the database of
/// `spec`, which must be closed, and returns the spec to open. A file database is replaced
/// atomically: its WAL is first checkpointed into it (so no old WAL can be replayed over the
/// new file), then the new file is renamed over it; a crash leaves the old database or the new
/// one, never a mix. A memory database loads the file when opened: `restored` must live
/// until then.
pub fn install_restored_file(
    spec: &DatabaseSpec,
    restored: &Path,
) -> Result<DatabaseSpec, CoreError> {
    let io = |context: String| move |source| CoreError::Io { context, source };
    match &spec.storage {
        Storage::Memory { .. } => Ok(DatabaseSpec {
            id: spec.id.clone(),
            storage: Storage::Memory {
                load_from: Some(restored.to_path_buf()),
            },
        }),
        Storage::File { path, .. } => {
            if path.exists() {
                let old = Connection::open(path)
                    .map_err(CoreError::storage(format!("opening {}", path.display())))?;
                let mode: String = old
                    .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
                    .map_err(CoreError::storage(format!(
                        "checkpointing {} before replacing it",
                        path.display()
                    )))?;
                drop(old);
                // SQLite keeps WAL mode (and the WAL) while another connection has the file
                // open: its WAL must not be removed then, or committed rows would be lost.
                if !mode.eq_ignore_ascii_case("delete") {
                    return Err(CoreError::Conflict(format!(
                        "{} is open elsewhere (journal mode stays {mode}): it is not replaced",
                        path.display()
                    )));
                }
                for suffix in ["-wal", "-shm"] {
                    let side = sibling(path, suffix);
                    match std::fs::remove_file(&side) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(io(format!("removing {}", side.display()))(e)),
                    }
                }
            }
            std::fs::rename(restored, path).map_err(io(format!(
                "moving the restored snapshot to {}",
                path.display()
            )))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                && let Ok(dir) = File::open(dir)
            {
                // The rename is durable only once the directory is.
                let _ = dir.sync_all();
            }
            info!(database = %spec.id, path = %path.display(), "database file replaced by the snapshot");
            Ok(spec.clone())
        }
    }
}

/// Where a snapshot for `spec` is downloaded: beside a file database (a rename within one
/// directory is atomic), else the temporary directory.
pub fn restore_dir(spec: &DatabaseSpec) -> PathBuf {
    match &spec.storage {
        Storage::File { path, .. } => path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        Storage::Memory { .. } => std::env::temp_dir(),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &Path) -> DatabaseSpec {
        DatabaseSpec {
            id: "t.db".into(),
            storage: Storage::File {
                path: path.to_path_buf(),
                params: String::new(),
            },
        }
    }

    #[test]
    fn a_restored_file_takes_the_consumers_position_and_replaces_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("t.db");
        {
            let c = Connection::open(&old).unwrap();
            c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .unwrap();
            c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES ('old');")
                .unwrap();
            Outbox::create_tables(&c).unwrap();
            Outbox::set_applied_seq(&c, "n1_t.db", 3).unwrap();
            Outbox::append(&c, 1, "o.1", b"{}").unwrap();
        }
        let state = local_state(&spec(&old), "n1_t.db").unwrap();
        assert_eq!(
            state,
            LocalState {
                exists: true,
                applied: 3,
            }
        );
        assert_eq!(unpublished_messages(&old).unwrap().len(), 1);

        let new = dir.path().join("new.db");
        {
            let c = Connection::open(&new).unwrap();
            c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES ('new');")
                .unwrap();
            Outbox::create_tables(&c).unwrap();
            Outbox::set_applied_seq(&c, SNAPSHOT_POSITION, 42).unwrap();
            c.execute("INSERT INTO _ha_identity VALUES ('o', 'n0')", [])
                .unwrap();
        }
        assert_eq!(prepare_restored_file(&new, "n1_t.db").unwrap(), 42);
        install_restored_file(&spec(&old), &new).unwrap();
        assert!(!new.exists());
        assert!(!sibling(&old, "-wal").exists());
        let c = Connection::open(&old).unwrap();
        let x: String = c.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, "new");
        assert_eq!(Outbox::applied_seq(&c, "n1_t.db").unwrap(), 42);
        let rows: i64 = c
            .query_row(
                "SELECT (SELECT count(*) FROM _ha_identity) + (SELECT count(*) FROM _ha_outbox)
                 + (SELECT count(*) FROM _ha_replication)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows, 1, "only the consumer's position is left");
    }

    #[test]
    fn a_restore_that_cannot_finish_leaves_the_old_database_whole() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("t.db");
        let restored = dir.path().join("new.db");
        Connection::open(&restored)
            .unwrap()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES ('new');")
            .unwrap();
        // Rows only in the WAL, and the file still open elsewhere: nothing is replaced.
        let other = Connection::open(&old).unwrap();
        other
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        other
            .execute_batch(
                "PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(x); INSERT INTO t VALUES ('old');",
            )
            .unwrap();
        assert!(install_restored_file(&spec(&old), &restored).is_err());
        assert!(sibling(&old, "-wal").exists(), "the WAL is kept");
        let x: String = other
            .query_row("SELECT x FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, "old");
        drop(other);
        // Closed, but the restored file vanished before the rename (as if the process died
        // there): the old database is whole, its WAL checkpointed into it.
        let missing = dir.path().join("gone.db");
        assert!(install_restored_file(&spec(&old), &missing).is_err());
        let c = Connection::open(&old).unwrap();
        let x: String = c.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, "old");
    }

    #[test]
    fn a_damaged_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.db");
        std::fs::write(&path, vec![7u8; 8192]).unwrap();
        assert!(prepare_restored_file(&path, "c").is_err());
    }
}
