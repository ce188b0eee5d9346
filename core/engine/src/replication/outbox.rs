//! The `_ha_*` tables: the outbox of change sets not yet stored in the log (written in the same
//! transaction as the data they describe) and the position up to which the log was applied
//! (written in the same transaction as the applied changes), with what makes apply exact: each
//! origin's last applied change set, and the change sets held until their turn.

use rusqlite::{Connection, OptionalExtension};

pub(crate) struct Outbox;

/// The `_ha_replication` row of the highest lease term applied.
const MAX_TERM: &str = " max_term";

/// A part of a change set held until its turn (see `order.rs`).
pub(crate) struct HeldPart {
    pub origin: String,
    pub id: u64,
    pub part: u32,
    pub payload: Vec<u8>,
}

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
                 skipped_at_ns INTEGER NOT NULL);
             -- Which database instance this file is, and on which node (see identity.rs).
             CREATE TABLE IF NOT EXISTS _ha_identity(
                 origin TEXT NOT NULL,
                 node TEXT NOT NULL);
             -- Per origin, the last change set applied (or, for this file's own origin,
             -- consumed back): change sets arrive exactly once and in each origin's order.
             CREATE TABLE IF NOT EXISTS _ha_origins(
                 origin TEXT PRIMARY KEY,
                 last_id INTEGER NOT NULL) WITHOUT ROWID;
             -- Change sets that arrived ahead of their turn (a gap in their origin's order)
             -- or as parts of a split one that is not complete yet.
             CREATE TABLE IF NOT EXISTS _ha_held(
                 origin TEXT NOT NULL,
                 id INTEGER NOT NULL,
                 part INTEGER NOT NULL,
                 seq INTEGER NOT NULL,
                 payload BLOB NOT NULL,
                 PRIMARY KEY (origin, id, part)) WITHOUT ROWID;",
        )
    }

    /// The last id of `origin` applied (0 when none).
    pub(crate) fn origin_last_id(conn: &Connection, origin: &str) -> rusqlite::Result<u64> {
        let id: Option<i64> = conn
            .prepare_cached("SELECT last_id FROM _ha_origins WHERE origin = ?1")?
            .query_row([origin], |r| r.get(0))
            .optional()?;
        Ok(id.unwrap_or(0).max(0) as u64)
    }

    pub(crate) fn set_origin_last_id(
        conn: &Connection,
        origin: &str,
        id: u64,
    ) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT INTO _ha_origins(origin, last_id) VALUES (?1, ?2)
             ON CONFLICT(origin) DO UPDATE SET last_id = max(last_id, excluded.last_id)",
        )?
        .execute(rusqlite::params![origin, id as i64])?;
        Ok(())
    }

    pub(crate) fn hold(
        conn: &Connection,
        origin: &str,
        id: u64,
        part: u32,
        seq: u64,
        payload: &[u8],
    ) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO _ha_held(origin, id, part, seq, payload)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(rusqlite::params![
            origin, id as i64, part, seq as i64, payload
        ])?;
        Ok(())
    }

    pub(crate) fn release_held(conn: &Connection, origin: &str, id: u64) -> rusqlite::Result<()> {
        conn.prepare_cached("DELETE FROM _ha_held WHERE origin = ?1 AND id = ?2")?
            .execute(rusqlite::params![origin, id as i64])?;
        Ok(())
    }

    /// Every held part. (Its `seq`, the log entry that brought it, is for operators.)
    pub(crate) fn held(conn: &Connection) -> rusqlite::Result<Vec<HeldPart>> {
        let mut stmt = conn
            .prepare("SELECT origin, id, part, payload FROM _ha_held ORDER BY origin, id, part")?;
        let rows = stmt.query_map([], |r| {
            Ok(HeldPart {
                origin: r.get(0)?,
                id: r.get::<_, i64>(1)?.max(0) as u64,
                part: r.get(2)?,
                payload: r.get(3)?,
            })
        })?;
        rows.collect()
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

    /// Calls `each` with every outbox row in id order, one row in memory at a time.
    pub(crate) fn for_each_unpublished(
        conn: &Connection,
        mut each: impl FnMut(OutboxRow),
    ) -> rusqlite::Result<()> {
        let mut stmt = conn.prepare("SELECT id, msg_id, payload FROM _ha_outbox ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(OutboxRow {
                id: r.get(0)?,
                msg_id: r.get(1)?,
                payload: r.get(2)?,
            });
        }
        Ok(())
    }

    /// The message id and payload of one outbox row.
    pub(crate) fn row(conn: &Connection, id: u64) -> rusqlite::Result<(String, Vec<u8>)> {
        conn.query_row(
            "SELECT msg_id, payload FROM _ha_outbox WHERE id = ?1",
            [id as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
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

    /// The highest lease term applied (leader mode), kept in `_ha_replication` under a name no
    /// consumer has (consumer names are `<node>_<database>`).
    pub(crate) fn max_term(conn: &Connection) -> rusqlite::Result<u64> {
        Outbox::applied_seq(conn, MAX_TERM)
    }

    pub(crate) fn set_max_term(conn: &Connection, term: u64) -> rusqlite::Result<()> {
        Outbox::set_applied_seq(conn, MAX_TERM, term)
    }

    pub(crate) fn applied_seq(conn: &Connection, consumer: &str) -> rusqlite::Result<u64> {
        // Read at every batch an applier takes: kept prepared.
        let seq: Option<i64> = conn
            .prepare_cached("SELECT seq FROM _ha_replication WHERE consumer = ?1")?
            .query_row([consumer], |r| r.get(0))
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
