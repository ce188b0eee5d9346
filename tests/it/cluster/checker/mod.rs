//! A checker that can fail (issue 7): three nodes on file databases behind an external
//! `nats-server`, a seeded randomized workload (overlapping keys, UNIQUE conflicts,
//! multi-statement transactions, DDL with DML, generated columns, WITHOUT ROWID, FK cascades, a
//! trigger), one fault per test, then settling (every node has applied the broker's last
//! sequence) and checks: identical dumps (the nodes' and an in-process replica's that followed
//! the run), no acknowledged write lost, the stream in per-origin
//! commit order with nothing stored twice, and every row as the last change in the stream left
//! it. `IT_CHECKER_SEED` (default 1) and `IT_CHECKER_SECS` (default 6) vary the run;
//! `scripts/soak N` runs N seeds; docs/reliability.md has the figures.

mod broker;
mod checks;
mod dump;
mod log;
mod model;
mod nodes;
mod run;
mod selftest;
mod settle;
mod workload;

use run::{Nemesis, check};

/// No fault: concurrent conflicting writers alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_fault() {
    check("cluster::checker::no_fault", Nemesis::Nothing).await;
}

/// SIGKILL of node 2 under load, restarted on its directory and file database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_a_node() {
    check("cluster::checker::sigkill_of_a_node", Nemesis::KillNode(1)).await;
}

/// SIGSTOP of node 3 under load for a third of the run, then SIGCONT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigstop_of_a_node() {
    check("cluster::checker::sigstop_of_a_node", Nemesis::PauseNode(2)).await;
}

/// SIGKILL of the broker under load, restarted on its store directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_the_broker() {
    check(
        "cluster::checker::sigkill_of_the_broker",
        Nemesis::KillBroker,
    )
    .await;
}

/// A 3 MiB transaction through a broker at NATS's default 1 MiB max payload (SPEC §6.6: split
/// into ordered chunks, applied atomically).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_over_the_max_payload() {
    check(
        "cluster::checker::a_transaction_over_the_max_payload",
        Nemesis::BigTransaction,
    )
    .await;
}

/// A snapshot on node 1 mid-load; node 2 loses its database (SIGKILL, files deleted) and
/// comes back with `--from-latest-snapshot` (SPEC §8): the final state equals the others'.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restored_from_a_snapshot_mid_load() {
    check(
        "cluster::checker::a_node_restored_from_a_snapshot_mid_load",
        Nemesis::RestoreFromSnapshot(1),
    )
    .await;
}

/// A 3-server NATS cluster with `--replicas 3` loses the server leading the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loss_of_the_stream_leader() {
    check(
        "cluster::checker::loss_of_the_stream_leader",
        Nemesis::KillStreamLeader,
    )
    .await;
}
