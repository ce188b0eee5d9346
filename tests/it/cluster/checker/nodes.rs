//! Three nodes on file databases (each in its own directory, which survives a kill so the node
//! can restart on it), replicating through an external broker.

use std::sync::{Arc, RwLock};

use ha_test_harness::{NodeBuilder, TestNode};

use super::workload::Targets;
use crate::support::BIN;

pub struct Nodes {
    builders: Vec<NodeBuilder>,
    nodes: Vec<Option<TestNode>>,
    _dirs: Vec<tempfile::TempDir>,
    pub targets: Targets,
}

impl Nodes {
    /// `count` nodes named node1.. replicating through `broker_urls` (node i through the i-th,
    /// round robin: `--replication-url` takes one server; a client learns the cluster's other
    /// servers from it), with `extra` arguments.
    pub async fn start(count: usize, broker_urls: &[String], extra: &[&str]) -> Nodes {
        let log = std::env::var("IT_NODE_LOG").unwrap_or_else(|_| "info".into());
        let mut nodes = Nodes {
            builders: Vec::new(),
            nodes: Vec::new(),
            _dirs: Vec::new(),
            targets: Vec::new(),
        };
        for i in 1..=count {
            let dir = tempfile::tempdir().expect("a node directory");
            let builder = NodeBuilder::new(BIN)
                .env("RUST_LOG", log.clone())
                .args(["-n".to_string(), format!("node{i}")])
                // A short wait for the broker, so writes during a broker outage answer
                // replication_pending (committed) instead of holding the writer for 15 s.
                .args(["--replication-timeout=2s", "--db-params=journal_mode=WAL&busy_timeout=5000&synchronous=NORMAL&foreign_keys=on"])
                .args(extra.iter().copied())
                .replication_url(broker_urls[(i - 1) % broker_urls.len()].clone())
                .dir(dir.path());
            let node = builder.clone().start().await.expect("a node starts");
            nodes
                .targets
                .push(Arc::new(RwLock::new(format!("http://{}", node.http_addr))));
            nodes.builders.push(builder);
            nodes.nodes.push(Some(node));
            nodes._dirs.push(dir);
        }
        nodes
    }

    /// Node `i` (0-based); panics when it is down.
    pub fn node(&self, i: usize) -> &TestNode {
        self.nodes[i].as_ref().expect("the node runs")
    }

    pub fn all(&self) -> Vec<&TestNode> {
        self.nodes
            .iter()
            .map(|n| n.as_ref().expect("every node runs"))
            .collect()
    }

    /// SIGKILL of node `i`.
    pub async fn kill(&mut self, i: usize) {
        if let Some(node) = self.nodes[i].take() {
            node.kill().await.expect("SIGKILL");
        }
    }

    /// Starts node `i` again in its directory, on its file; its writer follows the new port.
    pub async fn restart(&mut self, i: usize) {
        self.restart_with(i, &[]).await;
    }

    /// Deletes node `i`'s database files (it must be down): a node whose disk was lost.
    pub fn delete_database_files(&self, i: usize) {
        let dir = self._dirs[i].path();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(dir.join(format!("ha.db{suffix}")));
        }
    }

    /// [`Nodes::restart`] with `extra` arguments (this time only).
    pub async fn restart_with(&mut self, i: usize, extra: &[&str]) {
        let node = self.builders[i]
            .clone()
            .args(extra.iter().copied())
            .start()
            .await
            .expect("the node restarts on its directory");
        if let Ok(mut target) = self.targets[i].write() {
            *target = format!("http://{}", node.http_addr);
        }
        self.nodes[i] = Some(node);
    }

    /// The logs of every node, for a failure report (the last `lines` of each).
    pub fn tail_logs(&self, lines: usize) -> String {
        let mut out = String::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let Some(node) = node else { continue };
            let logs = node.logs();
            out.push_str(&format!(
                "--- node{} (last {lines} of {} log lines)\n",
                i + 1,
                logs.len()
            ));
            for line in logs.iter().rev().take(lines).rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}
