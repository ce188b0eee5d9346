//! A real `nats-server` with JetStream, run by the test itself (not embedded in a node), so a
//! test can kill, freeze and restart the broker, give it its own limits (e.g. NATS's default
//! 1 MiB `max_payload`) or run three of them as a cluster. The program is `$HA_NATS_BIN`
//! (`scripts/nats.sh` sets it), else `nats-server` on `PATH`. A server is killed when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use crate::{free_port, signal};

/// How long a server may take to log that it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// One `nats-server` with JetStream on a fixed port (chosen free at creation and kept across
/// restarts, so clients reconnect to the same URL) and a store directory that survives restarts.
pub struct NatsServer {
    name: String,
    port: u16,
    config: PathBuf,
    store: PathBuf,
    child: Option<Child>,
    logs: Arc<Mutex<Vec<String>>>,
    _temp: tempfile::TempDir,
}

impl NatsServer {
    /// A single server; `max_payload` in bytes (`None`: NATS's default, 1 MiB).
    pub async fn start(max_payload: Option<u64>) -> anyhow::Result<NatsServer> {
        let mut server = NatsServer::configure("n1", max_payload, None)?;
        server.restart().await?;
        Ok(server)
    }

    /// Writes the configuration file; `cluster` is (cluster port, every member's cluster port).
    fn configure(
        name: &str,
        max_payload: Option<u64>,
        cluster: Option<(u16, &[u16])>,
    ) -> anyhow::Result<NatsServer> {
        let temp = tempfile::tempdir().context("creating the broker's directory")?;
        let port = free_port()?;
        let store = temp.path().join("jetstream");
        let mut text = format!(
            "server_name: {name}\nlisten: \"127.0.0.1:{port}\"\njetstream {{ store_dir: {store:?} }}\n"
        );
        if let Some(max_payload) = max_payload {
            text.push_str(&format!("max_payload: {max_payload}\n"));
        }
        if let Some((own, members)) = cluster {
            let routes: Vec<String> = members
                .iter()
                .filter(|p| **p != own)
                .map(|p| format!("\"nats://127.0.0.1:{p}\""))
                .collect();
            text.push_str(&format!(
                "cluster {{ name: ha_test, listen: \"127.0.0.1:{own}\", routes: [{}] }}\n",
                routes.join(", ")
            ));
        }
        let config = temp.path().join("nats.conf");
        std::fs::write(&config, text).context("writing nats.conf")?;
        Ok(NatsServer {
            name: name.to_string(),
            port,
            config,
            store,
            child: None,
            logs: Arc::new(Mutex::new(Vec::new())),
            _temp: temp,
        })
    }

    /// Starts the server (again, after [`NatsServer::kill`]) with the same port and store, and
    /// waits until it logs that it is ready.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("nats-server {} is already running", self.name);
        }
        let bin = std::env::var("HA_NATS_BIN").unwrap_or_else(|_| "nats-server".into());
        let mut command = Command::new(&bin);
        command
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {bin} (is it installed? scripts/nats.sh)"))?;
        let stderr = child.stderr.take().context("no stderr pipe")?;
        let (ready, is_ready) = oneshot::channel();
        tokio::spawn(read_logs(stderr, Arc::clone(&self.logs), ready));
        let ok = tokio::select! {
            ok = is_ready => ok.is_ok(),
            _ = tokio::time::sleep(READY_TIMEOUT) => false,
        };
        if !ok {
            let _ = child.start_kill();
            bail!(
                "nats-server {} did not become ready; its log:\n{}",
                self.name,
                self.logs().join("\n")
            );
        }
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL; the store directory stays for [`NatsServer::restart`].
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// SIGSTOP: frozen with its sockets open, until [`NatsServer::resume`].
    pub fn pause(&self) -> anyhow::Result<()> {
        signal(self.child.as_ref().and_then(Child::id), libc::SIGSTOP)
    }

    pub fn resume(&self) -> anyhow::Result<()> {
        signal(self.child.as_ref().and_then(Child::id), libc::SIGCONT)
    }

    /// `server_name` in its configuration (what JetStream reports as a stream's leader).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn store_dir(&self) -> &Path {
        &self.store
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Everything it logged, over all its runs.
    pub fn logs(&self) -> Vec<String> {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Three (or more) `nats-server`s routed into one JetStream cluster.
pub struct NatsCluster {
    pub servers: Vec<NatsServer>,
}

impl NatsCluster {
    /// `size` servers named `n1`..; ready once each logs so and JetStream has a metadata leader.
    pub async fn start(size: usize) -> anyhow::Result<NatsCluster> {
        let cluster_ports: Vec<u16> = (0..size).map(|_| free_port()).collect::<Result<_, _>>()?;
        let mut servers = Vec::new();
        for (i, own) in cluster_ports.iter().enumerate() {
            servers.push(NatsServer::configure(
                &format!("n{}", i + 1),
                None,
                Some((*own, &cluster_ports)),
            )?);
        }
        // A server reports ready before its routes are up, so one after the other is fine.
        for server in &mut servers {
            server.restart().await?;
        }
        // Streams can be created once JetStream has elected its metadata leader.
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        while !servers
            .iter()
            .any(|s| s.logs().iter().any(|l| l.contains("metadata leader")))
        {
            if tokio::time::Instant::now() > deadline {
                bail!("the NATS cluster elected no JetStream metadata leader");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(NatsCluster { servers })
    }

    /// Every server's URL, comma-separated (what NATS clients accept as a server list).
    pub fn url(&self) -> String {
        self.servers
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn by_name(&mut self, name: &str) -> Option<&mut NatsServer> {
        self.servers.iter_mut().find(|s| s.name == name)
    }
}

async fn read_logs(
    stderr: tokio::process::ChildStderr,
    logs: Arc<Mutex<Vec<String>>>,
    ready: oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains("Server is ready")
            && let Some(ready) = ready.take()
        {
            let _ = ready.send(());
        }
        logs.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }
}
