//! Helpers the engine's replication test files share.

use ha_core::Database;
use ha_types::{ChangeSet, Statement, StatementResult, Value};

/// The rows `sql` answers on `db`.
pub async fn rows(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    match db
        .execute(vec![Statement::new(sql)])
        .await
        .unwrap()
        .results
        .remove(0)
    {
        StatementResult::Rows { rows, .. } => rows,
        other => panic!("{other:?}"),
    }
}

/// A stored message's change sets, read as a consumer reads them: the `Ha-Change-Sets`
/// header is there only when the message holds several.
pub fn change_sets(payload: &[u8], count: usize) -> Vec<ChangeSet> {
    let header = (count > 1).then(|| count.to_string());
    ChangeSet::read_message(payload, header.as_deref()).unwrap()
}
