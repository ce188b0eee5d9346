//! End-to-end tests of the `ha` binary: every test starts the real program through the harness
//! (port 0, its own directory) and talks to it as a user would, over HTTP (reqwest, curl), the PostgreSQL
//! wire protocol (psql, tokio-postgres), the MySQL wire protocol (mysql_async) or its command line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;
mod frontends;
mod mysql;
mod node;
mod pg;
mod replicas;
mod support;
