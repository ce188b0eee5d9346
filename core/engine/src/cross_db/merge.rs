//! The merge: every database's rows go into one table of a private in-memory SQLite database,
//! and the merge query runs over it. SQLite itself then orders mixed types, compares NULLs,
//! applies collations, groups and removes duplicates, exactly as it would over one database.
//! Blocking: call it from `spawn_blocking`.

use ha_types::{ErrorCode, Value};
use rusqlite::Connection;

use crate::CoreError;
use crate::exec::{Bind, to_value};

/// Runs `query` over a table `m` with columns `columns` holding `rows`.
pub(super) fn merge(
    columns: &[String],
    rows: &[Vec<Value>],
    query: &str,
) -> Result<Vec<Vec<Value>>, CoreError> {
    let mut conn = Connection::open_in_memory().map_err(CoreError::storage("opening the merge"))?;
    // The merge query holds text from the client: it gets nothing but the table.
    conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_ATTACHED, 0)
        .map_err(CoreError::storage("limiting the merge"))?;
    // Columns without a type keep each value exactly as the databases returned it.
    let create = format!("CREATE TABLE m({})", columns.join(", "));
    let insert = format!(
        "INSERT INTO m VALUES ({})",
        (1..=columns.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let load = conn
        .transaction()
        .map_err(CoreError::storage("loading the merge"))?;
    load.execute_batch(&create)
        .map_err(CoreError::storage("loading the merge"))?;
    {
        let mut statement = load
            .prepare(&insert)
            .map_err(CoreError::storage("loading the merge"))?;
        for row in rows {
            let params: Vec<Bind> = row.iter().map(Bind).collect();
            statement
                .execute(rusqlite::params_from_iter(params))
                .map_err(CoreError::storage("loading the merge"))?;
        }
    }
    load.commit()
        .map_err(CoreError::storage("loading the merge"))?;

    let mut statement = conn.prepare(query).map_err(|e| CoreError::Sql {
        code: ErrorCode::NotSupported,
        message: format!(
            "this query can't be merged across databases ({}): write ORDER BY and HAVING \
             with output columns and aggregates",
            crate::error::sql_message(&e)
        ),
    })?;
    let width = statement.column_count();
    let mut merged = Vec::new();
    let mut cursor = statement.raw_query();
    while let Some(row) = cursor.next()? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(to_value(row.get_ref(i)?));
        }
        merged.push(values);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_mixed_types_as_sqlite_does() {
        let rows = vec![
            vec![Value::Text("b".into())],
            vec![Value::Blob(vec![1])],
            vec![Value::Integer(2)],
            vec![Value::Null],
            vec![Value::Real(1.5)],
            vec![Value::Text("A".into())],
        ];
        let merged = merge(
            &["c0".into()],
            &rows,
            "SELECT c0 FROM m ORDER BY c0 COLLATE NOCASE",
        )
        .unwrap();
        let order: Vec<Value> = merged.into_iter().map(|mut r| r.remove(0)).collect();
        assert_eq!(
            order,
            vec![
                Value::Null,
                Value::Real(1.5),
                Value::Integer(2),
                Value::Text("A".into()),
                Value::Text("b".into()),
                Value::Blob(vec![1]),
            ]
        );
    }

    #[test]
    fn a_query_that_does_not_fit_the_merged_rows_is_not_supported() {
        let error = merge(&["c0".into()], &[], "SELECT nope FROM m").unwrap_err();
        assert_eq!(error.code(), ErrorCode::NotSupported);
    }
}
