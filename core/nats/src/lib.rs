//! `ha-nats` is `ha`'s conversation with NATS JetStream. Today it holds the embedded broker:
//! [`EmbeddedNats`] finds a `nats-server` (≥ 2.10) program, writes its configuration, runs it as
//! a child with JetStream on, waits until it accepts connections, restarts it when it dies and
//! stops it gracefully, and makes sure it never outlives the node, even when the node is
//! SIGKILLed. [`log`] is the replication log (publisher, consumers); [`snapshot`] the
//! object-store snapshots and restoring databases from them; [`link`] joins them into the one
//! way to follow a cluster's stream, for the node and the in-process replicas alike. The KV leader lease will live
//! here too, on top of async-nats.

mod error;

pub mod directory;
pub mod embedded;
pub mod fence;
pub mod leader;
pub mod link;
pub mod log;
pub mod snapshot;

pub use directory::{Announcement, Directory};
pub use embedded::{EmbeddedNats, EmbeddedNatsOptions};
pub use error::NatsError;
pub use link::{Broker, LinkHandle, LinkSettings, ReplicationLink};
