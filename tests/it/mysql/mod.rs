//! The MySQL wire front end (SPEC §1 `--mysql-*`, §2) through mysql_async, the Rust driver:
//! its text and binary (prepared) protocols, transactions and MySQL's error numbers. The other
//! drivers (mysql CLI, PyMySQL, mysqlclient, SQLAlchemy, mysql2, Connector/J) are in
//! `tests/clients/mysql`.

use ha_test_harness::{TestNode, free_port};
use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, Row, TxOpts, Value};

use crate::support::{assert_no_panic, builder};

const PASSWORD: &str = "s3cret";

/// A node with its database in `ha.db`, serving MySQL for user ha.
async fn mysql_node() -> TestNode {
    let port = free_port().unwrap().to_string();
    builder()
        .args(["--mysql-port", port.as_str(), "--mysql-pass", PASSWORD])
        .start()
        .await
        .expect("a node with --mysql-port starts")
}

fn url(node: &TestNode, password: &str, database: &str) -> String {
    let addr = node.mysql_addr.expect("the node serves MySQL");
    format!("mysql://ha:{password}@{addr}/{database}")
}

async fn connect(node: &TestNode) -> Conn {
    let opts = Opts::from_url(&url(node, PASSWORD, "ha.db")).unwrap();
    Conn::new(opts).await.expect("mysql_async connects")
}

/// The MySQL error number of a failed call.
fn errno<T: std::fmt::Debug>(result: Result<T, mysql_async::Error>) -> u16 {
    match result {
        Err(mysql_async::Error::Server(error)) => error.code,
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[tokio::test]
async fn mysql_async_crud_with_parameters_reports_affected_rows_and_insert_ids() {
    let node = mysql_node().await;
    let mut conn = connect(&node).await;
    conn.query_drop(
        "CREATE TABLE people(id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, score DOUBLE)",
    )
    .await
    .unwrap();
    conn.exec_drop(
        "INSERT INTO people(name, score) VALUES (?, ?)",
        ("ada", 9.5),
    )
    .await
    .unwrap();
    assert_eq!((conn.affected_rows(), conn.last_insert_id()), (1, Some(1)));
    conn.exec_drop(
        "INSERT INTO people(name, score) VALUES (?, ?), (?, ?)",
        ("bob", 7.0, "cy", Value::NULL),
    )
    .await
    .unwrap();
    assert_eq!((conn.affected_rows(), conn.last_insert_id()), (2, Some(3)));
    conn.exec_drop(
        "UPDATE people SET score = score + ? WHERE score IS NOT NULL",
        (1,),
    )
    .await
    .unwrap();
    assert_eq!(conn.affected_rows(), 2);
    let rows: Vec<(i64, String, Option<f64>)> = conn
        .query("SELECT id, name, score FROM people ORDER BY id")
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (1, "ada".to_string(), Some(10.5)),
            (2, "bob".to_string(), Some(8.0)),
            (3, "cy".to_string(), None)
        ]
    );
    conn.exec_drop("DELETE FROM people WHERE id > ?", (1,))
        .await
        .unwrap();
    assert_eq!(conn.affected_rows(), 2);
    conn.disconnect().await.unwrap();
    assert_no_panic(&node);
}

#[tokio::test]
async fn prepared_statements_type_their_columns_and_round_trip_values_exactly() {
    let node = mysql_node().await;
    let mut conn = connect(&node).await;
    conn.query_drop("CREATE TABLE v(i BIGINT, d DOUBLE, t TEXT, b BLOB)")
        .await
        .unwrap();
    let insert = conn
        .prep("INSERT INTO v VALUES (?, ?, ?, ?)")
        .await
        .unwrap();
    let blob: Vec<u8> = (0..=255u8).collect();
    let cases: Vec<(Value, Value, Value, Value)> = vec![
        (
            Value::Int(i64::MIN),
            Value::Double(-0.5),
            Value::from("é😀 text"),
            Value::Bytes(blob.clone()),
        ),
        (
            Value::Int(i64::MAX),
            Value::Double(1e300),
            Value::from(""),
            Value::Bytes(vec![]),
        ),
        (Value::NULL, Value::NULL, Value::NULL, Value::NULL),
    ];
    for (i, d, t, b) in cases {
        conn.exec_drop(&insert, (i, d, t, b)).await.unwrap();
    }
    conn.close(insert).await.unwrap();

    let select = conn
        .prep("SELECT i, d, t, b FROM v WHERE i IS ? OR i = ? ORDER BY i")
        .await
        .unwrap();
    let types: Vec<ColumnType> = select.columns().iter().map(|c| c.column_type()).collect();
    assert_eq!(
        types,
        [
            ColumnType::MYSQL_TYPE_LONGLONG,
            ColumnType::MYSQL_TYPE_DOUBLE,
            // TEXT is MySQL's BLOB type in a text character set; BLOB in the binary one (63).
            ColumnType::MYSQL_TYPE_BLOB,
            ColumnType::MYSQL_TYPE_BLOB
        ]
    );
    let charsets: Vec<u16> = select.columns()[2..]
        .iter()
        .map(|c| c.character_set())
        .collect();
    assert_eq!(charsets, [45, 63]);
    let rows: Vec<Row> = conn.exec(&select, (Value::NULL, i64::MAX)).await.unwrap();
    assert_eq!(rows.len(), 2);
    let null_row: (Option<i64>, Option<f64>, Option<String>, Option<Vec<u8>>) =
        mysql_async::from_row(rows[0].clone());
    assert_eq!(null_row, (None, None, None, None));
    let max_row: (i64, f64, String, Vec<u8>) = mysql_async::from_row(rows[1].clone());
    assert_eq!(max_row, (i64::MAX, 1e300, String::new(), vec![]));
    let first: (i64, f64, String, Vec<u8>) = conn
        .exec_first(&select, (i64::MIN, i64::MIN))
        .await
        .unwrap()
        .map(mysql_async::from_row)
        .unwrap();
    assert_eq!(first, (i64::MIN, -0.5, "é😀 text".to_string(), blob));
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn transactions_commit_and_roll_back() {
    let node = mysql_node().await;
    let mut conn = connect(&node).await;
    let mut other = connect(&node).await;
    conn.query_drop("CREATE TABLE t(id INTEGER PRIMARY KEY, note TEXT)")
        .await
        .unwrap();

    let mut tx = conn.start_transaction(TxOpts::default()).await.unwrap();
    tx.exec_drop("INSERT INTO t VALUES (?, ?)", (1, "kept"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = conn.start_transaction(TxOpts::default()).await.unwrap();
    tx.exec_drop("INSERT INTO t VALUES (?, ?)", (2, "undone"))
        .await
        .unwrap();
    let inside: Vec<i64> = tx.query("SELECT id FROM t ORDER BY id").await.unwrap();
    assert_eq!(inside, [1, 2], "a transaction reads its own writes");
    tx.rollback().await.unwrap();

    // A failed statement inside a transaction leaves the rest of it to commit.
    let mut tx = conn.start_transaction(TxOpts::default()).await.unwrap();
    tx.exec_drop("INSERT INTO t VALUES (?, ?)", (3, "after error"))
        .await
        .unwrap();
    assert_eq!(
        errno(tx.exec_drop("INSERT INTO t VALUES (1, 'dup')", ()).await),
        1062
    );
    tx.commit().await.unwrap();

    let seen: Vec<(i64, String)> = other
        .query("SELECT id, note FROM t ORDER BY id")
        .await
        .unwrap();
    assert_eq!(
        seen,
        [(1, "kept".to_string()), (3, "after error".to_string())]
    );
    conn.disconnect().await.unwrap();
    other.disconnect().await.unwrap();
}

#[tokio::test]
async fn errors_carry_mysql_numbers_and_sqlstates_and_the_connection_goes_on() {
    let node = mysql_node().await;
    let mut conn = connect(&node).await;
    conn.query_drop(
        "CREATE TABLE e(id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER CHECK (n > 0))",
    )
    .await
    .unwrap();
    conn.query_drop("INSERT INTO e VALUES (1, 'a', 1)")
        .await
        .unwrap();
    let cases: [(&str, u16, &str); 6] = [
        ("SELEC 1", 1064, "42000"),
        ("SELECT * FROM missing", 1146, "42S02"),
        ("INSERT INTO e VALUES (1, 'b', 1)", 1062, "23000"),
        ("INSERT INTO e VALUES (2, NULL, 1)", 1048, "23000"),
        ("INSERT INTO e VALUES (3, 'c', -1)", 3819, "HY000"),
        ("USE no_such_database", 1049, "42000"),
    ];
    for (sql, code, state) in cases {
        match conn.query_drop(sql).await {
            Err(mysql_async::Error::Server(error)) => {
                assert_eq!((error.code, error.state.as_str()), (code, state), "{sql}");
            }
            other => panic!("{sql}: expected error {code}, got {other:?}"),
        }
        // The same error through a prepared statement, where it prepares at all.
        if !sql.starts_with("USE") && !sql.starts_with("SELEC ") && code != 1146 {
            assert_eq!(errno(conn.exec_drop(sql, ()).await), code, "prepared {sql}");
        }
    }
    let count: Option<i64> = conn.query_first("SELECT count(*) FROM e").await.unwrap();
    assert_eq!(count, Some(1), "no failed statement wrote anything");
    conn.disconnect().await.unwrap();

    let wrong = Opts::from_url(&url(&node, "not-it", "ha.db")).unwrap();
    assert_eq!(errno(Conn::new(wrong).await), 1045);
    let unknown = Opts::from_url(&url(&node, PASSWORD, "nope.db")).unwrap();
    assert_eq!(errno(Conn::new(unknown).await), 1049);
    assert_no_panic(&node);
}

/// History and undo through the MySQL door (the same commands as every door): `HISTORY` lists
/// the writes, `UNDO` reverts them and replicates like any write, `USE` reaches a database
/// created at run time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_undo_over_mysql() {
    let port = free_port().unwrap().to_string();
    let node = builder()
        .args([
            "-m",
            "--mysql-port",
            port.as_str(),
            "--mysql-pass",
            PASSWORD,
        ])
        .embedded_nats(free_port().unwrap())
        .start()
        .await
        .expect("a replicating node with --mysql-port starts");
    let mut conn = connect(&node).await;
    conn.query_drop("CREATE DATABASE audit.db").await.unwrap();
    conn.query_drop("USE audit.db").await.unwrap();
    conn.query_drop("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
        .await
        .unwrap();
    conn.exec_drop("INSERT INTO t VALUES (?, ?)", (1, "kept"))
        .await
        .unwrap();
    conn.exec_drop("INSERT INTO t VALUES (?, ?)", (2, "undone"))
        .await
        .unwrap();
    let history: Vec<(i64, String, String)> = conn.query("HISTORY 1").await.unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    assert!(history[2].1.contains("'undone'"), "{history:?}");
    let last = history[2].0;
    let counts: Vec<(i64, i64, i64)> = conn.query(format!("UNDO {last}")).await.unwrap();
    assert_eq!(counts, [(1, 1, 0)]);
    let left: Vec<(i64, String)> = conn.query("SELECT id, v FROM t").await.unwrap();
    assert_eq!(left, [(1, "kept".to_string())]);
    assert_eq!(errno(conn.query_drop("UNDO whenever").await), 1210);
    conn.disconnect().await.unwrap();
}

#[tokio::test]
async fn columns_of_several_storage_classes_never_fail_a_query() {
    // docs/mysql.md "Result types": the core's rule, as on the PostgreSQL door.
    let node = mysql_node().await;
    let mut conn = connect(&node).await;
    conn.query_drop(
        "CREATE TABLE mixed(i INTEGER, r REAL, b BLOB, u); \
         INSERT INTO mixed VALUES (1, 1.5, x'00ff', 1), (2.5, 'zz', 'text', 'z'), \
         ('z', 2, 7, 2.5), (2.0, NULL, NULL, x'0102')",
    )
    .await
    .unwrap();
    let text = |s: &str| Value::Bytes(s.as_bytes().to_vec());
    // Text protocol: each column's type, and the values as SQLite holds them.
    let result = conn
        .query_iter("SELECT i, r, b, u FROM mixed ORDER BY rowid")
        .await
        .unwrap();
    let types: Vec<ColumnType> = result
        .columns()
        .unwrap()
        .iter()
        .map(|c| c.column_type())
        .collect();
    assert_eq!(types, [ColumnType::MYSQL_TYPE_VAR_STRING; 4]);
    let rows: Vec<Row> = result.collect_and_drop().await.unwrap();
    let values: Vec<Vec<Value>> = rows.into_iter().map(Row::unwrap).collect();
    assert_eq!(
        values,
        [
            vec![
                text("1"),
                text("1.5"),
                Value::Bytes(vec![0, 0xff]),
                text("1")
            ],
            vec![text("2.5"), text("zz"), text("text"), text("z")],
            vec![text("z"), text("2.0"), text("7"), text("2.5")],
            vec![
                text("2"),
                Value::NULL,
                Value::NULL,
                Value::Bytes(vec![1, 2])
            ],
        ]
    );
    let union: Vec<Row> = conn.query("SELECT 1 UNION ALL SELECT 'x'").await.unwrap();
    let union: Vec<Vec<Value>> = union.into_iter().map(Row::unwrap).collect();
    assert_eq!(union, [vec![text("1")], vec![text("x")]]);
    // A prepared statement run again with other rows: each result typed by its own values.
    let select = conn
        .prep("SELECT i, r FROM mixed WHERE rowid = ?")
        .await
        .unwrap();
    let expected = [
        (1, vec![Value::Int(1), Value::Double(1.5)]),
        (2, vec![Value::Double(2.5), text("zz")]),
        (3, vec![text("z"), Value::Double(2.0)]),
        (4, vec![Value::Int(2), Value::NULL]),
    ];
    for _ in 0..2 {
        for (rowid, want) in &expected {
            let row: Row = conn.exec_first(&select, (rowid,)).await.unwrap().unwrap();
            assert_eq!(&row.unwrap(), want, "rowid {rowid}");
        }
    }
    conn.disconnect().await.unwrap();
}
