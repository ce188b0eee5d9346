//! The PostgreSQL wire front end (SPEC §1 `--pg-*`, §2, §7), through the real `psql` and
//! tokio-postgres.

mod catalog;
mod driver;
mod dynamic_types;
mod portals;
mod psql;
mod robustness;
mod transactions;

use std::process::Output;

use ha_test_harness::{TestNode, free_port};
use tokio_postgres::{Client, NoTls};

use crate::support::builder;

/// A standalone in-memory node serving PostgreSQL (user ha, password ha) plus `extra`
/// arguments.
pub async fn pg_node(extra: &[&str]) -> TestNode {
    let mut args = vec!["-m"];
    args.extend_from_slice(extra);
    pg_file_node(&args).await
}

/// Like [`pg_node`], with its database in a WAL file (`ha.db` in the node's directory).
pub async fn pg_file_node(extra: &[&str]) -> TestNode {
    let port = free_port().unwrap().to_string();
    builder()
        .args(["--pg-port", port.as_str()])
        .args(extra.iter().copied())
        .start()
        .await
        .expect("a node with --pg-port starts")
}

/// The libpq connection string of `node` for user ha, with more `key=value` settings.
pub fn conninfo(node: &TestNode, more: &str) -> String {
    let addr = node.pg_addr.expect("the node serves PostgreSQL");
    format!(
        "host={} port={} user=ha password=ha dbname=ha {more}",
        addr.ip(),
        addr.port()
    )
}

/// A tokio-postgres client of `node`; its connection task runs in the background.
pub async fn connect(node: &TestNode) -> Client {
    connect_with(&conninfo(node, "")).await.unwrap()
}

pub async fn connect_with(conninfo: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// The SQLSTATE of a tokio-postgres error.
pub fn sqlstate(error: &tokio_postgres::Error) -> String {
    error
        .code()
        .map(|c| c.code().to_string())
        .unwrap_or_else(|| format!("no SQLSTATE: {error}"))
}

/// Runs psql with `args` (and `input` on stdin) against `node`.
pub async fn psql(node: &TestNode, more: &str, args: &[&str], input: &str) -> Output {
    psql_as(&conninfo(node, more), args, input).await
}

pub async fn psql_as(conninfo: &str, args: &[&str], input: &str) -> Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("psql")
        .arg(conninfo)
        .args(["-X", "-v", "VERBOSITY=verbose"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("psql is installed (Debian package postgresql-client)");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("psql finished")
        .unwrap()
}

pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The first column of `sql`'s rows, as integers.
pub async fn ids(client: &Client, sql: &str) -> Vec<i64> {
    client
        .query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}
