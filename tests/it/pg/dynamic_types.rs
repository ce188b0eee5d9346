//! SQLite's dynamic typing over the PostgreSQL wire (docs/postgresql.md, "Result types"): a
//! column whose values are not all of its declared type, or of one class, never fails a
//! query: `psql` (simple protocol) gets every value, and tokio-postgres (which describes a
//! statement before it runs it) is told once that the prepared types no longer hold, after
//! which the statement is described as text.

use super::{connect, pg_node, psql, sqlstate, text};

const MIXED: &str = "\
CREATE TABLE mixed(i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, u);
INSERT INTO mixed VALUES (1, 1.5, 'a', x'00ff', 1, 1), (2.5, 'zz', 3, 'text', 2.5, 'z'),
  ('z', 2, x'41', 7, 'n', 2.5), (2.0, NULL, NULL, NULL, NULL, x'0102');
";

/// Runs `script` through psql (unaligned, tuples only, `|` between columns) and returns its
/// output lines.
async fn psql_lines(node: &ha_test_harness::TestNode, script: &str) -> Vec<String> {
    let output = psql(
        node,
        "",
        &["-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"],
        script,
    )
    .await;
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    out.lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_gets_every_value_whatever_its_storage_class() {
    let node = pg_node(&[]).await;
    let lines = psql_lines(
        &node,
        &format!(
            "{MIXED}
SELECT 1 UNION ALL SELECT 'x';
SELECT 'x' UNION ALL SELECT 1;
SELECT a, CASE WHEN a > 1 THEN 'big' ELSE a END FROM (SELECT 1 AS a UNION ALL SELECT 2);
SELECT i, r, t, b, n, u FROM mixed ORDER BY rowid;
SELECT i FROM mixed WHERE rowid IN (1, 4) ORDER BY rowid;
SELECT i FROM mixed WHERE rowid IN (1, 2) ORDER BY rowid;
SELECT 1e300, -0.125, x'cafe' UNION ALL SELECT 'a', 'b', 'c';
"
        ),
    )
    .await;
    assert_eq!(
        lines,
        [
            "1",
            "x",
            "x",
            "1",
            "1|1",
            "2|big",
            // Each column text: integers in decimal, reals as SQLite writes them, blobs as
            // PostgreSQL writes a bytea.
            "1|1.5|a|\\x00ff|1|1",
            "2.5|zz|3|text|2.5|z",
            "z|2.0|\\x41|7|n|2.5",
            "2|||||\\x0102",
            // Where every value fits the declared type, that type (int8); else what they
            // share (float8: an integer among reals).
            "1",
            "2",
            "1",
            "2.5",
            "1.0e+300|-0.125|\\xcafe",
            "a|b|c",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_statement_whose_values_outgrow_its_types_is_described_again_as_text() {
    let node = pg_node(&[]).await;
    psql_lines(&node, MIXED).await;
    let client = connect(&node).await;
    // tokio-postgres prepares (Parse, Describe statement) and then runs with binary results:
    // the types are told before any value is read.
    let sql = "SELECT i FROM mixed WHERE rowid = $1::bigint";
    let first: i64 = client.query_one(sql, &[&1i64]).await.unwrap().get(0);
    assert_eq!(first, 1);
    let error = client.query_one(sql, &[&2i64]).await.unwrap_err();
    assert_eq!(sqlstate(&error), "0A000", "{error:?}");
    let message = error.as_db_error().map(|e| e.message().to_string());
    assert!(
        message
            .as_deref()
            .is_some_and(|m| m.starts_with("cached plan must not change result type")
                && m.contains("the real 2.5")),
        "{message:?}"
    );
    // Prepared again, the column is text and carries every row's value.
    for (rowid, want) in [
        (2i64, Some("2.5")),
        (3, Some("z")),
        (1, Some("1")),
        (5, None),
    ] {
        let rows = client.query(sql, &[&rowid]).await.unwrap();
        let got: Option<String> = rows.first().and_then(|r| r.get(0));
        assert_eq!(got.as_deref(), want, "rowid {rowid}");
    }
    // A write whose RETURNING value does not fit is undone before the error, so nothing is
    // written by the attempt, and the next attempt (described as text) writes it once.
    client
        .batch_execute("CREATE TABLE w(id INTEGER PRIMARY KEY, v INTEGER)")
        .await
        .unwrap();
    let insert = "INSERT INTO w(v) VALUES ($1::text) RETURNING v";
    let kept: i64 = client.query_one(insert, &[&"7"]).await.unwrap().get(0);
    assert_eq!(kept, 7);
    let error = client.query_one(insert, &[&"z"]).await.unwrap_err();
    assert_eq!(sqlstate(&error), "0A000", "{error:?}");
    let count: i64 = client
        .query_one("SELECT count(*) FROM w", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1, "the refused attempt wrote nothing");
    let again: String = client.query_one(insert, &[&"z"]).await.unwrap().get(0);
    assert_eq!(again, "z");
    let stored: Vec<String> = client
        .query("SELECT typeof(v) FROM w ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(stored, ["integer", "text"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_a_transaction_a_refused_row_aborts_nothing() {
    let node = pg_node(&[]).await;
    psql_lines(&node, MIXED).await;
    let mut client = connect(&node).await;
    let transaction = client.transaction().await.unwrap();
    transaction
        .execute("INSERT INTO mixed(i) VALUES (3)", &[])
        .await
        .unwrap();
    let sql = "SELECT i FROM mixed WHERE rowid = $1::bigint";
    let error = transaction.query_one(sql, &[&3i64]).await.unwrap_err();
    assert_eq!(sqlstate(&error), "0A000", "{error:?}");
    // Nothing was changed by the refused read: the transaction goes on and commits.
    let z: String = transaction.query_one(sql, &[&3i64]).await.unwrap().get(0);
    assert_eq!(z, "z");
    transaction.commit().await.unwrap();
    let count: i64 = client
        .query_one("SELECT count(*) FROM mixed", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 5);
}

/// One frontend message: its type byte and body.
pub(super) fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Parse, Bind and Describe (portal) of the unnamed statement and portal, text results.
fn parse_bind_describe(sql: &str) -> Vec<u8> {
    let mut parse = b"\0".to_vec();
    parse.extend_from_slice(sql.as_bytes());
    parse.extend_from_slice(b"\0\0\0");
    let mut out = message(b'P', &parse);
    out.extend(message(b'B', b"\0\0\0\0\0\0\0\0"));
    out.extend(message(b'D', b"P\0"));
    out
}

/// Reads backend messages until one of type `last` has come, and returns them.
pub(super) async fn read_through(
    stream: &mut tokio::net::TcpStream,
    last: u8,
) -> Vec<(u8, Vec<u8>)> {
    use tokio::io::AsyncReadExt;
    let mut messages = Vec::new();
    loop {
        let mut head = [0_u8; 5];
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_exact(&mut head),
        )
        .await
        .expect("the server answers")
        .unwrap();
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize - 4;
        let mut body = vec![0_u8; len];
        stream.read_exact(&mut body).await.unwrap();
        messages.push((head[0], body));
        if head[0] == last {
            return messages;
        }
    }
}

/// The type OID of a RowDescription's first field.
fn first_field_type(body: &[u8]) -> i32 {
    let name_end = 2 + body[2..].iter().position(|b| *b == 0).unwrap();
    let at = name_end + 1 + 4 + 2;
    i32::from_be_bytes(body[at..at + 4].try_into().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writes_description_waits_for_its_execute_unless_something_else_comes_first() {
    use tokio::io::AsyncWriteExt;
    // Cleartext passwords: the raw client below logs in without SCRAM.
    let node = pg_node(&["--pg-auth", "password"]).await;
    psql_lines(&node, "CREATE TABLE w(id INTEGER PRIMARY KEY, v INTEGER);").await;
    let mut stream = super::robustness::logged_in(node.pg_addr.unwrap()).await;
    let kinds = |messages: &[(u8, Vec<u8>)]| messages.iter().map(|m| m.0).collect::<Vec<u8>>();
    let execute_sync = [message(b'E', b"\0\0\0\0\0"), message(b'S', b"")].concat();

    // In one round: the description comes with the rows, typed by them (text: 'z' is not
    // an integer), in the order PostgreSQL answers.
    let insert_z = "INSERT INTO w(v) VALUES ('z') RETURNING v";
    let round = [parse_bind_describe(insert_z), execute_sync.clone()].concat();
    stream.write_all(&round).await.unwrap();
    let answer = read_through(&mut stream, b'Z').await;
    assert_eq!(kinds(&answer), b"12TDCZ", "{answer:?}");
    assert_eq!(first_field_type(&answer[2].1), 25);

    // A Flush before the Execute: the description is sent then, from the declaration (int8),
    // and the Execute keeps to it: the 'y' it would return is refused and not written.
    let insert_y = "INSERT INTO w(v) VALUES ('y') RETURNING v";
    let flushed = [parse_bind_describe(insert_y), message(b'H', b"")].concat();
    stream.write_all(&flushed).await.unwrap();
    let answer = read_through(&mut stream, b'T').await;
    assert_eq!(kinds(&answer), b"12T", "{answer:?}");
    assert_eq!(first_field_type(&answer[2].1), 20);
    stream.write_all(&execute_sync).await.unwrap();
    let answer = read_through(&mut stream, b'Z').await;
    assert_eq!(kinds(&answer), b"EZ", "{answer:?}");
    let error = String::from_utf8_lossy(&answer[0].1).into_owned();
    assert!(error.contains("0A000"), "{error}");

    // Nothing of the refused write was kept; the same text runs as text from then on.
    let round = [parse_bind_describe(insert_y), execute_sync].concat();
    stream.write_all(&round).await.unwrap();
    let answer = read_through(&mut stream, b'Z').await;
    assert_eq!(kinds(&answer), b"12TDCZ", "{answer:?}");
    let values = psql_lines(&node, "SELECT v FROM w ORDER BY id;").await;
    assert_eq!(values, ["z", "y"]);
}
