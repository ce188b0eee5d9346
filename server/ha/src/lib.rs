//! The `ha` node: configuration, wiring of the engine into the front ends, and the process's
//! life cycle. The binary (`main.rs`) and the tests call the same [`start`] / [`run`], so what is
//! tested is what runs.

pub mod config;
mod databases;
pub mod logging;
mod node;
mod replication;
mod service;
pub mod shell;
mod snapshots;

pub use node::{RunningNode, run, start};
