//! Exactly once, in each origin's commit order (SPEC §6.3, §6.5). Change sets carry their origin
//! and a gap-free id; the log may still hold one twice (a republish after the broker's duplicate
//! window) or out of order (a failed publish retried after a later one was stored), and a large
//! one arrives as parts. Here a duplicate is dropped, a change set that comes before its turn is
//! held (in `_ha_held`, in the same transaction as the position) until the ones before it have
//! arrived, and parts are put back together: what comes out is each origin's change sets once,
//! whole, in commit order. Every node runs the same rule over the same log, so they agree.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use ha_types::ChangeSet;
use rusqlite::Connection;
use tracing::{debug, warn};

use super::{Outbox, join_change_sets};

#[derive(Default)]
struct Held {
    /// Parts expected (1 for a change set that was not split).
    count: u32,
    parts: BTreeMap<u32, ChangeSet>,
}

impl Held {
    fn is_complete(&self) -> bool {
        self.parts.len() as u32 >= self.count.max(1)
    }

    /// The parts as one change set.
    fn assemble(self) -> Option<ChangeSet> {
        join_change_sets(self.parts.into_values())
    }
}

#[derive(Default)]
pub(crate) struct OriginOrder {
    /// Last id applied per origin: a cache of `_ha_origins`.
    last: HashMap<String, u64>,
    held: HashMap<String, BTreeMap<u64, Held>>,
    loaded: bool,
    /// Origins whose last id moved in `last` and not yet in `_ha_origins`: a change set in
    /// turn is written with the rest of its log entry ([`OriginOrder::write_admitted`]), one
    /// write per message rather than one per change set.
    unwritten: Vec<String>,
}

impl OriginOrder {
    /// Forgets what is cached; the tables are read again (after a rolled-back transaction).
    /// `keep` is a last id that is ahead of the table on purpose (own change sets consumed
    /// outside a transaction).
    pub(crate) fn reset(&mut self, keep: Option<(&str, u64)>) {
        *self = OriginOrder::default();
        if let Some((origin, id)) = keep {
            self.last.insert(origin.to_string(), id);
        }
    }

    /// The last id applied of `origin`, or `None` for an origin never seen.
    pub(crate) fn last_id(
        &mut self,
        conn: &Connection,
        origin: &str,
    ) -> rusqlite::Result<Option<u64>> {
        if let Some(id) = self.last.get(origin) {
            return Ok(Some(*id));
        }
        let id = Outbox::origin_last_id(conn, origin)?;
        if id > 0 {
            self.last.insert(origin.to_string(), id);
            return Ok(Some(id));
        }
        Ok(None)
    }

    /// Writes the last ids of the change sets admitted in turn since the previous call, in the
    /// caller's transaction: before the savepoint of their log entry is released (a rollback
    /// undoes them with it, and [`OriginOrder::reset`] forgets them).
    pub(crate) fn write_admitted(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for origin in std::mem::take(&mut self.unwritten) {
            if let Some(id) = self.last.get(&origin) {
                Outbox::set_origin_last_id(conn, &origin, *id)?;
            }
        }
        Ok(())
    }

    /// Notes an id consumed without a transaction (the caller writes it later).
    pub(crate) fn advance_in_memory(&mut self, origin: &str, id: u64) {
        self.last.insert(origin.to_string(), id);
    }

    /// Whether anything of `origin` is held.
    pub(crate) fn holds(&self, origin: &str) -> bool {
        self.held.get(origin).is_some_and(|h| !h.is_empty())
    }

    /// How many change sets (or parts) are held.
    pub(crate) fn held_count(&self) -> usize {
        self.held
            .values()
            .flat_map(|sets| sets.values())
            .map(|held| held.parts.len())
            .sum()
    }

    fn load(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        if self.loaded {
            return Ok(());
        }
        for super::outbox::HeldPart {
            origin,
            id,
            part,
            payload,
        } in Outbox::held(conn)?
        {
            match ChangeSet::decode(&payload) {
                Ok(set) => {
                    let held = self.held.entry(origin).or_default().entry(id).or_default();
                    held.count = set.chunk.map_or(1, |c| c.count);
                    held.parts.insert(part, set);
                }
                Err(e) => warn!(%origin, id, part, error = %e, "unreadable held change set"),
            }
        }
        self.loaded = true;
        Ok(())
    }

    /// Takes one log entry; returns the change sets that are now due, in the order to apply
    /// them (none when it is a duplicate or must wait, several when it filled a gap). A change
    /// set without origin (older formats) is due at once.
    ///
    /// An origin met for the first time starts where it is met when `from_anywhere` (a consumer
    /// that started in the middle of the log on purpose). Otherwise its first change set is
    /// #1, and a later one waits for the ones before it: they may still come (a retried
    /// publish), or be gone from the log (aged out), which the held count and a warning show.
    ///
    /// A change set in turn comes back as it was lent (the common case copies nothing); one
    /// that has to wait is copied into the held ones.
    pub(crate) fn admit<'s>(
        &mut self,
        conn: &Connection,
        seq: u64,
        set: &'s ChangeSet,
        from_anywhere: bool,
    ) -> rusqlite::Result<Vec<Cow<'s, ChangeSet>>> {
        let (Some(origin), Some(id)) = (set.origin.as_deref(), set.id) else {
            return Ok(vec![Cow::Borrowed(set)]);
        };
        self.load(conn)?;
        let known = self.last_id(conn, origin)?;
        let first_expected = if from_anywhere {
            id.saturating_sub(1)
        } else {
            0
        };
        let last = known.unwrap_or(first_expected);
        if id <= last {
            debug!(%origin, id, seq, "dropping a change set applied before");
            return Ok(Vec::new());
        }
        let part = set.chunk.map_or(0, |c| c.index);
        let count = set.chunk.map_or(1, |c| c.count);
        if id == last + 1 && count <= 1 && !self.holds(origin) {
            // The common case: in turn and whole.
            match self.last.get_mut(origin) {
                Some(last) => *last = id,
                None => {
                    self.last.insert(origin.to_string(), id);
                }
            }
            if !self.unwritten.iter().any(|o| o == origin) {
                self.unwritten.push(origin.to_string());
            }
            return Ok(vec![Cow::Borrowed(set)]);
        }
        // Held rows never leave this node: the compact form.
        let payload = set
            .encode(ha_types::ChangeSetFormat::Protobuf)
            .map_err(|e| {
                rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::other(e)))
            })?;
        Outbox::hold(conn, origin, id, part, seq, &payload)?;
        let sets = self.held.entry(origin.to_string()).or_default();
        let held = sets.entry(id).or_default();
        held.count = count;
        held.parts.insert(part, set.clone());
        let mut due = Vec::new();
        let mut next = last + 1;
        while sets.get(&next).is_some_and(Held::is_complete) {
            if let Some(whole) = sets.remove(&next).and_then(Held::assemble) {
                due.push(Cow::Owned(whole));
            }
            Outbox::release_held(conn, origin, next)?;
            next += 1;
        }
        if next > last + 1 {
            Outbox::set_origin_last_id(conn, origin, next - 1)?;
            self.last.insert(origin.to_string(), next - 1);
        }
        if sets.keys().any(|&held_id| held_id > next) {
            warn!(%origin, waiting_for = next, seq, "holding change sets that came before their turn");
        }
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl OriginOrder {
        fn admit_owned(
            &mut self,
            conn: &Connection,
            seq: u64,
            set: ChangeSet,
            from_anywhere: bool,
        ) -> rusqlite::Result<Vec<ChangeSet>> {
            let due = self.admit(conn, seq, &set, from_anywhere)?;
            let due = due.into_iter().map(Cow::into_owned).collect();
            self.write_admitted(conn)?;
            Ok(due)
        }

        fn admit_any(
            &mut self,
            conn: &Connection,
            seq: u64,
            set: ChangeSet,
        ) -> rusqlite::Result<Vec<ChangeSet>> {
            self.admit_owned(conn, seq, set, true)
        }
    }

    use ha_types::{Change, Chunk};

    fn set(origin: &str, id: u64, chunk: Option<(u32, u32)>, tag: &str) -> ChangeSet {
        ChangeSet {
            v: ha_types::CHANGE_SET_VERSION,
            node: "n".into(),
            database_id: None,
            origin: Some(origin.into()),
            id: Some(id),
            chunk: chunk.map(|(index, count)| Chunk { index, count }),
            term: None,
            changes: vec![Change::Sql {
                command: tag.into(),
            }],
            timestamp_ns: 0,
        }
    }

    fn tags(sets: &[ChangeSet]) -> Vec<String> {
        sets.iter()
            .flat_map(|s| s.changes.iter())
            .map(|c| match c {
                Change::Sql { command } => command.clone(),
                Change::Row(_) => String::new(),
            })
            .collect()
    }

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        Outbox::create_tables(&conn).unwrap();
        conn
    }

    #[test]
    fn from_the_log_start_an_origin_begins_at_its_first_change_set() {
        let conn = db();
        let mut order = OriginOrder::default();
        assert!(
            order
                .admit_owned(&conn, 1, set("a", 2, None, "a2"), false)
                .unwrap()
                .is_empty()
        );
        assert_eq!(order.held_count(), 1, "#2 waits for #1");
        let both = order
            .admit_owned(&conn, 2, set("a", 1, None, "a1"), false)
            .unwrap();
        assert_eq!(tags(&both), ["a1", "a2"]);
        let conn = db();
        let mut anywhere = OriginOrder::default();
        let first = anywhere
            .admit_owned(&conn, 1, set("b", 7, None, "b7"), true)
            .unwrap();
        assert_eq!(tags(&first), ["b7"]);
    }

    #[test]
    fn duplicates_dropped_gaps_held_parts_joined() {
        let conn = db();
        let mut order = OriginOrder::default();
        assert_eq!(
            tags(&order.admit_any(&conn, 1, set("a", 1, None, "a1")).unwrap()),
            ["a1"]
        );
        assert!(
            order
                .admit_any(&conn, 2, set("a", 1, None, "a1"))
                .unwrap()
                .is_empty()
        );
        // 3 before 2: held until 2 arrives, then both, in commit order.
        assert!(
            order
                .admit_any(&conn, 3, set("a", 3, None, "a3"))
                .unwrap()
                .is_empty()
        );
        assert_eq!(order.held_count(), 1);
        assert_eq!(
            tags(&order.admit_any(&conn, 4, set("a", 2, None, "a2")).unwrap()),
            ["a2", "a3"]
        );
        // Parts of 4 around another origin's change set.
        assert!(
            order
                .admit_any(&conn, 5, set("a", 4, Some((0, 2)), "p0"))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            tags(&order.admit_any(&conn, 6, set("b", 9, None, "b9")).unwrap()),
            ["b9"]
        );
        let joined = order
            .admit_any(&conn, 7, set("a", 4, Some((1, 2)), "p1"))
            .unwrap();
        assert_eq!(tags(&joined), ["p0", "p1"]);
        assert_eq!(joined[0].chunk, None);
        assert_eq!(order.held_count(), 0);
        assert_eq!(Outbox::origin_last_id(&conn, "a").unwrap(), 4);
    }

    #[test]
    fn held_parts_survive_a_restart() {
        let conn = db();
        let mut order = OriginOrder::default();
        order.admit_any(&conn, 1, set("a", 1, None, "a1")).unwrap();
        assert!(
            order
                .admit_any(&conn, 2, set("a", 2, Some((0, 2)), "p0"))
                .unwrap()
                .is_empty()
        );
        let mut restarted = OriginOrder::default();
        let joined = restarted
            .admit_any(&conn, 3, set("a", 2, Some((1, 2)), "p1"))
            .unwrap();
        assert_eq!(tags(&joined), ["p0", "p1"]);
    }
}
