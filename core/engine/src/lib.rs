//! The `ha` engine: SQLite databases behind one writer thread and a pool of read-only connections,
//! the registry of a node's databases, and the special commands (`SHOW DATABASES`, `CREATE
//! DATABASE`, ...) that every front end shares.
//!
//! Every write of a database goes through its [`writer`] thread, which owns the transaction
//! boundaries: that is the one place where a transaction's change set is captured and written to
//! the outbox in the same SQLite transaction (replication). Reads run on pooled read-only
//! connections in `spawn_blocking`, never on an async worker thread.
//!
//! No sockets and no front-end code live here: front ends reach the engine through the node
//! (crate `ha`), and the language bindings run this same engine in-process.

mod backup;
mod capture;
mod catalog;
mod catalog_queries;
mod classify;
mod cross_db;
mod database;
mod describe;
mod dsn;
mod error;
mod exec;
mod history;
mod open;
mod origins;
mod readers;
mod registry;
mod replication;
mod session;
pub mod snapshot;
mod transaction;
mod writer;

pub use database::{ApplyStatus, Database, DatabaseOptions, Executed, Pending, RowStream};
pub use dsn::{DatabaseSpec, Storage};
pub use error::CoreError;
pub use ha_types::SpecialCommand;
pub use registry::{Cause, OnCreated, OnDropped, Registry, RegistryOptions};
pub use replication::{
    AckFuture, ChangeLog, HistoryFuture, LogEntry, MOST_PER_MESSAGE, OwnEntry, PublishError,
    PublishFuture, ReplicationOptions, RowIdentify, WriteGate,
};
pub use session::{Session, TransactionStatus};

/// The version of the SQLite built into ha (the same in every node and replica of a build).
pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}
