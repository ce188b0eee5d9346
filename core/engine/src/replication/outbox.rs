//! The `_ha_*` tables: the outbox of change sets not yet stored in the log (written in the same
//! transaction as the data they describe) and the position up to which the log was applied
//! (written in the same transaction as the applied changes).

use rusqlite::{Connection, OptionalExtension};

pub(crate) struct Outbox;

/// A change set waiting in the outbox.
#[derive(Debug, Clone)]
pub(crate) struct OutboxRow {
    pub id: i64,
    pub msg_id: String,
    pub payload: Vec<u8>,
}

impl Outbox {
    pub(crate) fn create_tables(conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch(
            // No AUTOINCREMENT (it would add sqlite_sequence to the user's schema): ids come
            // from the writer's counter, which starts above every id in the table.
            "CREATE TABLE IF NOT EXISTS _ha_outbox(
                 id INTEGER PRIMARY KEY,
                 msg_id TEXT NOT NULL,
                 payload BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS _ha_replication(
                 consumer TEXT PRIMARY KEY,
                 seq INTEGER NOT NULL) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS _ha_dead_letters(
                 seq INTEGER PRIMARY KEY,
                 consumer TEXT NOT NULL,
                 change_set TEXT NOT NULL,
                 error TEXT NOT NULL,
                 skipped_at_ns INTEGER NOT NULL);",
        )
    }

    /// Adds a change set as row `id`. `msg_id` makes a republished message a duplicate the log
    /// drops, also after a restart.
    pub(crate) fn append(
        conn: &Connection,
        id: i64,
        msg_id: &str,
        payload: &[u8],
    ) -> rusqlite::Result<()> {
        conn.prepare_cached("INSERT INTO _ha_outbox(id, msg_id, payload) VALUES (?1, ?2, ?3)")?
            .execute(rusqlite::params![id, msg_id, payload])?;
        Ok(())
    }

    /// The highest id in the outbox (0 when empty).
    pub(crate) fn last_id(conn: &Connection) -> rusqlite::Result<i64> {
        conn.query_row("SELECT coalesce(max(id), 0) FROM _ha_outbox", [], |r| {
            r.get(0)
        })
    }

    pub(crate) fn unpublished(conn: &Connection) -> rusqlite::Result<Vec<OutboxRow>> {
        let mut stmt = conn.prepare("SELECT id, msg_id, payload FROM _ha_outbox ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(OutboxRow {
                id: r.get(0)?,
                msg_id: r.get(1)?,
                payload: r.get(2)?,
            })
        })?;
        rows.collect()
    }

    pub(crate) fn delete_through(conn: &Connection, id: i64) -> rusqlite::Result<()> {
        conn.prepare_cached("DELETE FROM _ha_outbox WHERE id <= ?1")?
            .execute([id])?;
        Ok(())
    }

    /// Keeps a log entry the operator chose to skip, with the error it failed with.
    pub(crate) fn dead_letter(
        conn: &Connection,
        consumer: &str,
        seq: u64,
        change_set: &str,
        error: &str,
    ) -> rusqlite::Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        conn.execute(
            "INSERT OR REPLACE INTO _ha_dead_letters(seq, consumer, change_set, error, skipped_at_ns)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![seq as i64, consumer, change_set, error, now],
        )?;
        Ok(())
    }

    pub(crate) fn applied_seq(conn: &Connection, consumer: &str) -> rusqlite::Result<u64> {
        let seq: Option<i64> = conn
            .query_row(
                "SELECT seq FROM _ha_replication WHERE consumer = ?1",
                [consumer],
                |r| r.get(0),
            )
            .optional()?;
        Ok(seq.unwrap_or(0).max(0) as u64)
    }

    pub(crate) fn set_applied_seq(
        conn: &Connection,
        consumer: &str,
        seq: u64,
    ) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT INTO _ha_replication(consumer, seq) VALUES (?1, ?2)
             ON CONFLICT(consumer) DO UPDATE SET seq = excluded.seq",
        )?
        .execute(rusqlite::params![consumer, seq as i64])?;
        Ok(())
    }
}
