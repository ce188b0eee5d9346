//! Turning what the writer captured for one job into a [`ChangeSet`].

use ha_types::{CHANGE_SET_VERSION, Change, ChangeSet};

/// A change set of this node's: change `id` of this database file's `origin`.
pub(crate) fn build_change_set(
    node: &str,
    database_id: &str,
    origin: &str,
    id: u64,
    term: Option<u64>,
    changes: Vec<Change>,
) -> ChangeSet {
    ChangeSet {
        v: CHANGE_SET_VERSION,
        node: node.to_string(),
        database_id: Some(database_id.to_string()),
        origin: Some(origin.to_string()),
        id: Some(id),
        chunk: None,
        term,
        changes,
        timestamp_ns: now_ns(),
    }
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Makes a schema statement safe to run twice: `CREATE x` → `CREATE x IF NOT EXISTS`, `DROP x`
/// → `DROP x IF EXISTS`. Other statements (ALTER TABLE) are kept; the applier tolerates the
/// errors a repeat gives.
pub(crate) fn idempotent_ddl(sql: &str) -> String {
    let trimmed = sql.trim().trim_end_matches(';').trim();
    let upper = trimmed.to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().collect();
    let insert_after = |n_words: usize, clause: &str| -> String {
        // Position after the first n words of the original text.
        let mut rest = trimmed;
        for _ in 0..n_words {
            rest = rest.trim_start();
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = &rest[end..];
        }
        let head = &trimmed[..trimmed.len() - rest.len()];
        format!("{head} {clause}{rest}")
    };
    let kinds = ["TABLE", "INDEX", "VIEW", "TRIGGER"];
    match words.as_slice() {
        ["CREATE", "UNIQUE", "INDEX", "IF", ..]
        | ["CREATE", _, "IF", ..]
        | ["DROP", _, "IF", ..] => trimmed.to_string(),
        ["CREATE", "UNIQUE", "INDEX", ..] => insert_after(3, "IF NOT EXISTS"),
        ["CREATE", "VIRTUAL", "TABLE", "IF", ..] => trimmed.to_string(),
        ["CREATE", "VIRTUAL", "TABLE", ..] => insert_after(3, "IF NOT EXISTS"),
        ["CREATE", kind, ..] if kinds.contains(kind) => insert_after(2, "IF NOT EXISTS"),
        ["DROP", kind, ..] if kinds.contains(kind) => insert_after(2, "IF EXISTS"),
        _ => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::idempotent_ddl;

    #[test]
    fn ddl_made_idempotent() {
        assert_eq!(
            idempotent_ddl("CREATE TABLE t(x)"),
            "CREATE TABLE IF NOT EXISTS t(x)"
        );
        assert_eq!(
            idempotent_ddl("create table if not exists t(x);"),
            "create table if not exists t(x)"
        );
        assert_eq!(
            idempotent_ddl("CREATE UNIQUE INDEX i ON t(x)"),
            "CREATE UNIQUE INDEX IF NOT EXISTS i ON t(x)"
        );
        assert_eq!(idempotent_ddl("DROP TABLE t"), "DROP TABLE IF EXISTS t");
        assert_eq!(
            idempotent_ddl("ALTER TABLE t ADD COLUMN y"),
            "ALTER TABLE t ADD COLUMN y"
        );
        assert_eq!(
            idempotent_ddl("CREATE VIEW v AS SELECT 1"),
            "CREATE VIEW IF NOT EXISTS v AS SELECT 1"
        );
    }
}
