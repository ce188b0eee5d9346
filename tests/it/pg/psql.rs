//! The real `psql` against a node: command tags, errors with SQLSTATEs, meta-commands,
//! multi-statement queries, wrong passwords, TLS, and the startup database.

use super::{pg_node, psql, psql_as, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_runs_statements_with_postgresql_command_tags() {
    let node = pg_node(&[]).await;
    let output = psql(
        &node,
        "",
        &[
            "-c",
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB, flag BOOLEAN)",
            "-c",
            "INSERT INTO t(name, score, data, flag) VALUES ('a', 1.5, x'00ff', 1), ('b', NULL, NULL, 0)",
            "-c",
            "UPDATE t SET score = 2 WHERE id = 2",
            "-c",
            "DELETE FROM t WHERE id = 99",
            "-c",
            "SELECT id, name, score, data, flag, count(*) OVER () AS n FROM t ORDER BY id",
        ],
        "",
    )
    .await;
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    for tag in ["CREATE TABLE", "INSERT 0 2", "UPDATE 1", "DELETE 0"] {
        assert!(out.contains(tag), "no {tag:?} in:\n{out}");
    }
    // int8, float8, text, bytea and bool as PostgreSQL prints them; NULL is empty, not "<nil>".
    assert!(
        out.contains("  1 | a    |   1.5 | \\x00ff | t    | 2"),
        "{out}"
    );
    assert!(
        out.contains("  2 | b    |     2 |        | f    | 2"),
        "{out}"
    );
    assert!(out.contains("(2 rows)"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_errors_carry_the_right_sqlstate_and_the_session_goes_on() {
    let node = pg_node(&[]).await;
    let script = "\
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER CHECK (n > 0));
SELEC 1;
SELECT * FROM missing;
SELECT missing FROM t;
INSERT INTO t VALUES (1, 'a', 1);
INSERT INTO t VALUES (1, 'b', 1);
INSERT INTO t VALUES (2, NULL, 1);
INSERT INTO t VALUES (3, 'c', 0);
SELECT count(*) AS still_serving FROM t;
";
    let output = psql(&node, "", &[], script).await;
    let (out, err) = text(&output);
    for state in ["42601", "42P01", "42703", "23505", "23502", "23514"] {
        assert!(
            err.contains(&format!("ERROR:  {state}:")),
            "no {state} in:\n{err}"
        );
    }
    assert!(
        out.contains("still_serving") && out.contains("     1"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_meta_commands_timing_and_expanded_output_work() {
    let node = pg_node(&[]).await;
    let output = psql(
        &node,
        "",
        &[],
        "\\timing on\n\\x\nSELECT 1 AS a, 'x' AS b;\n",
    )
    .await;
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    assert!(out.contains("-[ RECORD 1 ]"), "{out}");
    assert!(out.contains("a | 1") && out.contains("b | x"), "{out}");
    assert!(out.contains("Time: "), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_statements_in_one_query_are_one_transaction() {
    let node = pg_node(&[]).await;
    let setup = psql(
        &node,
        "",
        &["-c", "CREATE TABLE t(id INTEGER PRIMARY KEY)"],
        "",
    )
    .await;
    assert!(setup.status.success());
    let output = psql(
        &node,
        "",
        &["-c", "INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)"],
        "",
    )
    .await;
    assert!(!output.status.success());
    let output = psql(&node, "", &["-At", "-c", "SELECT count(*) FROM t"], "").await;
    assert_eq!(
        text(&output).0.trim(),
        "0",
        "the first insert was rolled back too"
    );
    let output = psql(
        &node,
        "",
        &[
            "-At",
            "-c",
            "INSERT INTO t VALUES (2); SELECT count(*) FROM t",
        ],
        "",
    )
    .await;
    let (out, _) = text(&output);
    assert!(
        out.contains("INSERT 0 1") && out.trim_end().ends_with('1'),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_transactions_commit_roll_back_and_abort_on_error() {
    let node = pg_node(&[]).await;
    let script = "\
CREATE TABLE t(id INTEGER PRIMARY KEY);
BEGIN;
INSERT INTO t VALUES (1);
COMMIT;
START TRANSACTION;
INSERT INTO t VALUES (2);
ROLLBACK;
BEGIN;
INSERT INTO t VALUES (3);
INSERT INTO t VALUES (3);
SELECT 1;
COMMIT;
BEGIN;
SAVEPOINT s1;
INSERT INTO t VALUES (4);
INSERT INTO t VALUES (4);
ROLLBACK TO SAVEPOINT s1;
INSERT INTO t VALUES (5);
RELEASE SAVEPOINT s1;
COMMIT;
SELECT string_agg(id, ',') AS ids FROM (SELECT id FROM t ORDER BY id);
";
    let output = psql(&node, "", &["-A"], script).await;
    let (out, err) = text(&output);
    // The failed transaction: its next statement is refused, and COMMIT rolls it back.
    assert!(err.contains("ERROR:  25P02:"), "{err}");
    assert!(
        out.contains("ROLLBACK\nBEGIN"),
        "COMMIT of a failed transaction says ROLLBACK:\n{out}"
    );
    assert!(
        out.contains("SAVEPOINT") && out.contains("RELEASE"),
        "{out}"
    );
    assert!(out.contains("ids\n1,5\n"), "{out}\n{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_or_user_is_refused() {
    let node = pg_node(&[]).await;
    let addr = node.pg_addr.unwrap();
    for (user, password) in [("ha", "wrong"), ("nobody", "ha")] {
        let conninfo = format!(
            "host={} port={} user={user} password={password} dbname=ha",
            addr.ip(),
            addr.port()
        );
        let output = psql_as(&conninfo, &["-c", "SELECT 1"], "").await;
        let (_, err) = text(&output);
        assert!(!output.status.success());
        assert!(err.contains("authentication failed"), "{err}");
    }
    // Cleartext passwords when asked for.
    let node = pg_node(&["--pg-auth", "password", "--pg-pass", "s3cret"]).await;
    let addr = node.pg_addr.unwrap();
    let good = format!(
        "host={} port={} user=ha password=s3cret",
        addr.ip(),
        addr.port()
    );
    let output = psql_as(&good, &["-At", "-c", "SELECT 41 + 1"], "").await;
    assert_eq!(text(&output).0.trim(), "42", "{}", text(&output).1);
    let bad = format!(
        "host={} port={} user=ha password=ha",
        addr.ip(),
        addr.port()
    );
    let output = psql_as(&bad, &["-c", "SELECT 1"], "").await;
    assert!(text(&output).1.contains("authentication failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_connects_over_tls_when_required() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::certificates(dir.path());
    let cert = dir.path().join("front.crt");
    let key = dir.path().join("front.key");
    let node = pg_node(&[
        "--pg-cert",
        cert.to_str().unwrap(),
        "--pg-key",
        key.to_str().unwrap(),
    ])
    .await;
    let output = psql(
        &node,
        "sslmode=require",
        &["-c", "\\conninfo", "-At", "-c", "SELECT 7"],
        "",
    )
    .await;
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    assert!(out.contains("SSL connection"), "{out}");
    assert!(out.trim_end().ends_with('7'), "{out}");
    // Without TLS configured, sslmode=require is refused.
    let plain = pg_node(&[]).await;
    let output = psql(&plain, "sslmode=require", &["-c", "SELECT 1"], "").await;
    assert!(!output.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn databases_are_chosen_at_startup_or_with_special_commands() {
    let node = pg_node(&[]).await;
    let output = psql(
        &node,
        "",
        &["-At"],
        "CREATE DATABASE other.db;\nSET DATABASE TO other.db;\nCREATE TABLE only_here(x);\nSHOW DATABASES;\nSELECT current_database();\nUNSET DATABASE;\nSELECT current_database();\n",
    )
    .await;
    let (out, err) = text(&output);
    // SHOW DATABASES, current_database() after SET, then after UNSET.
    assert!(
        out.contains("ha.db\nother.db\nother.db\nSET\nha.db"),
        "{out}{err}"
    );
    // The startup message's database selects it, by id or by id without ".db".
    for dbname in ["other.db", "other"] {
        let addr = node.pg_addr.unwrap();
        let conninfo = format!(
            "host={} port={} user=ha password=ha dbname={dbname}",
            addr.ip(),
            addr.port()
        );
        let output = psql_as(
            &conninfo,
            &["-At", "-c", "SELECT count(*) FROM only_here"],
            "",
        )
        .await;
        assert_eq!(text(&output).0.trim(), "0", "{dbname}: {}", text(&output).1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_lists_tables_and_views() {
    let node = pg_node(&[]).await;
    let output = psql(
        &node,
        "",
        &[
            "-c",
            "CREATE TABLE users(id INTEGER PRIMARY KEY)",
            "-c",
            "CREATE VIEW names AS SELECT id FROM users",
            "-c",
            "\\dt",
            "-c",
            "\\dv",
        ],
        "",
    )
    .await;
    let (out, err) = text(&output);
    assert!(output.status.success(), "{out}{err}");
    assert!(out.contains(" public | users | table | ha"), "{out}");
    assert!(out.contains(" public | names | view | ha"), "{out}");
    assert_eq!(
        out.matches("(1 row)").count(),
        2,
        "\\dt lists tables only, \\dv views only: {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_describes_a_table() {
    let node = pg_node(&[]).await;
    let output = psql(
        &node,
        "",
        &[
            "-c",
            "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x', score REAL)",
            "-c",
            "\\d users",
            "-c",
            "\\d nope",
        ],
        "",
    )
    .await;
    let (out, err) = text(&output);
    assert!(out.contains("Table \"public.users\""), "{out}{err}");
    // An INTEGER PRIMARY KEY is never NULL (it is the rowid), as a PostgreSQL key.
    assert!(
        out.contains(" id     | integer |           | not null | "),
        "{out}"
    );
    assert!(
        out.contains("\"users_pkey\" PRIMARY KEY, btree (id)"),
        "{out}"
    );
    assert!(
        out.contains(" name   | text    |           | not null | 'x'"),
        "{out}"
    );
    assert!(out.contains(" score  | real    |"), "{out}");
    assert!(
        err.contains("Did not find any relation named \"nope\""),
        "{err}"
    );
}
