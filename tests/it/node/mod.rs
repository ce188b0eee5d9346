//! Starting the node: which databases it serves, where their files go, and its command line,
//! environment and config file (SPEC §1, §2).

mod cli;
mod config;
mod create_db_dir;
mod cross_db;
mod databases;
mod memory_file;
mod shell;
mod shutdown;
mod startup;
