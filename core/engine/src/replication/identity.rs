//! Which database instance a file is. Change sets carry it as their `origin`, numbered 1, 2, 3...
//! in commit order, so an applier decides from what its file records, not from node names,
//! whether a change set is already in the file (SPEC §6.3): a memory database, a re-created
//! database or a restored copy is a new instance whose earlier change sets are someone else's.

use rusqlite::{Connection, OptionalExtension};
use tracing::warn;

use super::Outbox;

pub(crate) struct Identity {
    pub origin: String,
    /// The last id given to a committed change set of this origin.
    pub last_id: u64,
}

impl Identity {
    /// Reads this file's identity, or gives it a new one when it has none or belongs to another
    /// node (a copied file): the outbox rows of another instance are its to publish, not ours.
    pub(crate) fn load_or_create(conn: &Connection, node: &str) -> rusqlite::Result<Identity> {
        let recorded: Option<(String, String)> = conn
            .query_row("SELECT origin, node FROM _ha_identity LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let origin = match recorded {
            Some((origin, owner)) if owner == node => origin,
            other => {
                if let Some((_, owner)) = other {
                    let dropped = conn.execute("DELETE FROM _ha_outbox", [])?;
                    warn!(
                        previous_node = %owner,
                        dropped,
                        "this database file was another node's: it gets a new identity and \
                         the other node's unpublished change sets are dropped"
                    );
                }
                Identity::renew(conn, node)?.origin
            }
        };
        // Outbox rows are deleted only once consumed back, and that deletion records the
        // origin's last id in the same transaction: together they hold the highest id given.
        let in_outbox: i64 =
            conn.query_row("SELECT coalesce(max(id), 0) FROM _ha_outbox", [], |r| {
                r.get(0)
            })?;
        let consumed = Outbox::origin_last_id(conn, &origin)?;
        Ok(Identity {
            origin,
            last_id: consumed.max(in_outbox.max(0) as u64),
        })
    }
}

impl Identity {
    /// Gives the file a new origin (its own change sets of the old one were undone, and the
    /// old one's ids must not be reused): its change sets start again at 1.
    pub(crate) fn renew(conn: &Connection, node: &str) -> rusqlite::Result<Identity> {
        let origin = new_origin(node);
        conn.execute("DELETE FROM _ha_identity", [])?;
        conn.execute(
            "INSERT INTO _ha_identity(origin, node) VALUES (?1, ?2)",
            [&origin, node],
        )?;
        Ok(Identity { origin, last_id: 0 })
    }
}

/// `<node>-<time><pid>` in hex: unique across restarts, nodes and processes.
fn new_origin(node: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{node}-{nanos:x}{:x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        Outbox::create_tables(&conn).unwrap();
        conn
    }

    #[test]
    fn kept_by_its_node_and_renewed_for_another() {
        let conn = file();
        let first = Identity::load_or_create(&conn, "a").unwrap();
        assert_eq!(first.last_id, 0);
        Outbox::append(&conn, 5, "m", b"{}").unwrap();
        let again = Identity::load_or_create(&conn, "a").unwrap();
        assert_eq!(again.origin, first.origin);
        assert_eq!(again.last_id, 5, "ids continue after the outbox's");
        let other = Identity::load_or_create(&conn, "b").unwrap();
        assert_ne!(other.origin, first.origin);
        assert_eq!(other.last_id, 0);
        let mut left = 0;
        Outbox::for_each_unpublished(&conn, |_| left += 1).unwrap();
        assert_eq!(left, 0);
    }
}
