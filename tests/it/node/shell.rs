//! Client mode, `ha -r URL` (SPEC §12): the real binary against a real node, fed by a pipe
//! (plain rows, the first error ends the run) and at a pseudo-terminal (tables, multi-line
//! input, Ctrl-C, the history file, Ctrl-D).

use std::process::Stdio;
use std::time::Duration;

use ha_test_harness::{Finished, free_port};
use tokio::io::AsyncWriteExt;

use crate::support::{BIN, start};

/// Runs `ha -r url extra...` with `script` on its standard input, to its exit.
async fn shell(url: &str, extra: &[&str], script: &str) -> Finished {
    let mut child = tokio::process::Command::new(BIN)
        .arg("-r")
        .arg(url)
        .args(extra)
        .env_remove("RUST_LOG")
        .env_remove("HA_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the shell starts");
    let mut stdin = child.stdin.take().expect("a stdin pipe");
    let script = script.to_string();
    // Written beside the reads, so a long answer never blocks the writer.
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(script.as_bytes()).await;
    });
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the shell exits")
        .expect("the shell's output");
    writer.await.unwrap();
    let finished = Finished {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!finished.stderr.contains("panicked"), "{finished:?}");
    finished
}

fn assert_ok(finished: &Finished, stdout: &str) {
    assert_eq!(finished.code, Some(0), "{finished:?}");
    assert_eq!(finished.stdout, stdout, "{finished:?}");
    assert_eq!(finished.stderr, "", "{finished:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_statements_print_plain_rows() {
    let node = start(&["-m"]).await;
    let url = format!("http://{}", node.http_addr);
    let script = "\
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, score REAL);
INSERT INTO t (name, data, score) VALUES ('a;b', x'0a0b', 1.5), (NULL, NULL, 2);
-- a comment; not a statement
SELECT id, name, data, score
  FROM t ORDER BY id;
SELECT 'tab\there' AS x WHERE 1; SELECT 1 AS empty WHERE 0;
SHOW DATABASES;
";
    assert_ok(
        &shell(&url, &[], script).await,
        "id\tname\tdata\tscore\n\
         1\ta;b\tx'0a0b'\t1.5\n\
         2\tNULL\tNULL\t2.0\n\
         x\n\
         tab\\there\n\
         empty\n\
         database\n\
         ha.db\n",
    );
    // EXIT ends the script; a last statement without its `;` runs at the end of the input.
    assert_ok(
        &shell(&url, &[], "SELECT 1 AS a;\nexit;\nSELECT 2 AS b;\n").await,
        "a\n1\n",
    );
    assert_ok(
        &shell(&url, &[], "SELECT count(*) AS n FROM t").await,
        "n\n2\n",
    );
}

/// History and undo are the node's commands: the shell sends them like any statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_history_and_undo() {
    let node = crate::support::builder()
        .arg("-m")
        .embedded_nats(free_port().unwrap())
        .start()
        .await
        .unwrap();
    let url = format!("http://{}", node.http_addr);
    let script =
        "CREATE TABLE h(x);\nINSERT INTO h VALUES (1);\nUNDO '1h';\nSELECT count(*) AS n FROM h;\n";
    assert_ok(
        &shell(&url, &[], script).await,
        "transactions_undone\trows_undone\tschema_changes_not_undone\n1\t1\t1\nn\n0\n",
    );
    let history = shell(&url, &[], "HISTORY 1;").await;
    assert_eq!(history.code, Some(0), "{history:?}");
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines[0], "seq\tsql\ttimestamp", "{history:?}");
    assert_eq!(lines.len(), 4, "create, insert, undo: {history:?}");
    assert!(lines[3].contains("DELETE FROM"), "{history:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_session_switches_to_a_created_database() {
    let node = start(&["-m"]).await;
    let url = format!("http://{}", node.http_addr);
    let script = "\
CREATE DATABASE shell_b.db;
SET DATABASE TO shell_b.db;
CREATE TABLE only_here (v TEXT);
INSERT INTO only_here VALUES ('b');
SELECT v FROM only_here;
SHOW DATABASES;
UNSET DATABASE;
SELECT count(*) AS n FROM sqlite_schema WHERE name = 'only_here';
";
    assert_ok(
        &shell(&url, &[], script).await,
        "v\nb\ndatabase\nha.db\nshell_b.db\nn\n0\n",
    );
    // The URL's path names the database a session starts in.
    assert_ok(
        &shell(
            &format!("{url}/shell_b.db"),
            &[],
            "SELECT v FROM only_here;",
        )
        .await,
        "v\nb\n",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_stops_at_the_first_error() {
    let node = start(&["-m"]).await;
    let url = format!("http://{}", node.http_addr);
    let script = "\
CREATE TABLE e (a);
INSERT INTO e VALUES (1);
SELECT a FROM e;
SELECT nosuch FROM e;
INSERT INTO e VALUES (2);
SELECT a FROM e;
";
    let finished = shell(&url, &[], script).await;
    assert_eq!(finished.code, Some(1), "{finished:?}");
    assert_eq!(finished.stdout, "a\n1\n", "{finished:?}");
    assert_eq!(
        finished.stderr, "ERROR sql_unknown_object: no such column: nosuch\n",
        "{finished:?}"
    );
    // The statements after the error did not run.
    assert_ok(
        &shell(&url, &[], "SELECT count(*) AS n FROM e;").await,
        "n\n1\n",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn piped_to_a_node_with_a_token() {
    let node = start(&["-m", "--token", "s3cret"]).await;
    let url = format!("http://{}", node.http_addr);
    let refused = shell(&url, &[], "SELECT 1 AS one;").await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert_eq!(refused.stdout, "", "{refused:?}");
    assert!(
        refused.stderr.starts_with("ERROR unauthorized: "),
        "{refused:?}"
    );
    let wrong = shell(&url, &["--token", "nope"], "SELECT 1 AS one;").await;
    assert_eq!(wrong.code, Some(1), "{wrong:?}");
    assert!(
        wrong.stderr.starts_with("ERROR unauthorized: "),
        "{wrong:?}"
    );
    assert_ok(
        &shell(&url, &["--token", "s3cret"], "SELECT 1 AS one;").await,
        "one\n1\n",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_node_or_a_bad_url_is_a_clear_error() {
    let port = free_port().unwrap();
    let down = shell(&format!("http://127.0.0.1:{port}"), &[], "SELECT 1;").await;
    assert_eq!(down.code, Some(1), "{down:?}");
    assert!(
        down.stderr.starts_with("ERROR unavailable: cannot reach"),
        "{down:?}"
    );
    let bad = shell("ftp://example", &[], "SELECT 1;").await;
    assert_eq!(bad.code, Some(1), "{bad:?}");
    assert!(
        bad.stderr
            .starts_with("ERROR bad_request: client mode talks to a node"),
        "{bad:?}"
    );
}

/// At a terminal: a prompt naming the database, a statement over two lines shown as a table,
/// Ctrl-C forgetting a half-typed statement, an error that does not end the shell, the history
/// file, and Ctrl-D leaving with status 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_at_a_terminal() {
    use rexpect::process::WaitStatus;

    let node = start(&["-m"]).await;
    node.sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        .await
        .unwrap();
    node.sql("INSERT INTO t (name) VALUES ('one'), ('two')")
        .await
        .unwrap();
    let url = format!("http://{}", node.http_addr);
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join("history");
    let history_file = history.clone();
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(BIN);
        command
            .args(["-r", &url])
            .env("HA_HISTORY_FILE", &history_file)
            .env("TERM", "xterm")
            .env("LC_ALL", "C")
            .env_remove("RUST_LOG")
            .env_remove("HA_TOKEN");
        // Every expectation fails after 30 s instead of hanging.
        let mut tty = rexpect::spawn_with_options(
            command,
            rexpect::reader::Options::new()
                .timeout_ms(Some(30_000))
                .strip_ansi_escape_codes(true),
        )
        .unwrap();
        tty.exp_string("ha.db> ").unwrap();

        tty.send_line("SELECT id,").unwrap();
        tty.exp_string("  ...> ").unwrap();
        tty.send_line("  name FROM t ORDER BY id;").unwrap();
        let shown = tty.exp_string("(2 rows, ").unwrap();
        for line in ["| id | name |", "|  1 | one  |", "|  2 | two  |"] {
            assert!(shown.contains(line), "{line:?} not in {shown:?}");
        }
        tty.exp_string(" ms)").unwrap();
        tty.exp_string("ha.db> ").unwrap();

        // Ctrl-C forgets the statement being typed: the next one stands alone.
        tty.send_line("SELECT 'half").unwrap();
        tty.exp_string("  ...> ").unwrap();
        tty.send_control('c').unwrap();
        tty.exp_string("ha.db> ").unwrap();
        tty.send_line("SELECT 42 AS answer;").unwrap();
        let shown = tty.exp_string("(1 row, ").unwrap();
        assert!(shown.contains("| answer |"), "{shown:?}");
        assert!(shown.contains("|     42 |"), "{shown:?}");
        assert!(!shown.contains("ERROR"), "{shown:?}");

        // An error is shown and the shell goes on.
        tty.send_line("SELEC 1;").unwrap();
        tty.exp_string("ERROR sql_syntax: ").unwrap();
        tty.exp_string("ha.db> ").unwrap();

        // A write, then the prompt follows the session's database.
        tty.send_line("INSERT INTO t (name) VALUES ('three');")
            .unwrap();
        tty.exp_string("OK, 1 row affected, last insert id 3 (")
            .unwrap();
        tty.send_line("CREATE DATABASE tty_b.db;").unwrap();
        tty.exp_string("OK (").unwrap();
        tty.send_line("USE tty_b.db;").unwrap();
        tty.exp_string("tty_b.db> ").unwrap();

        tty.send_control('d').unwrap();
        tty.exp_eof().unwrap();
        match tty.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => assert_eq!(code, 0),
            other => panic!("the shell did not exit: {other:?}"),
        }
    })
    .await
    .unwrap();

    // One entry per input, a multi-line one included; the forgotten one is not there.
    let written = std::fs::read_to_string(&history).unwrap();
    for entry in [
        "SELECT id,\\n  name FROM t ORDER BY id;",
        "SELECT 42 AS answer;",
        "SELEC 1;",
        "USE tty_b.db;",
    ] {
        assert!(
            written.lines().any(|line| line == entry),
            "{entry:?} not in {written:?}"
        );
    }
    assert!(!written.contains("half"), "{written:?}");
    // The node took the write made at the terminal.
    let answer = node.sql("SELECT name FROM t WHERE id = 3").await.unwrap();
    assert!(answer.to_string().contains("three"), "{answer}");
}
