//! Real `ha` processes for tests and benchmarks: each node runs the real binary on port 0 in its
//! own temporary directory, with JSON logs, and is ready once it has logged the address it
//! listens on. A node is killed when its handle is dropped, so a failing test leaves nothing
//! running.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

mod nats;
mod proxy;
pub use nats::{NatsCluster, NatsServer};
pub use proxy::FreezableProxy;

/// How long a node may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds the command line of one node. Cloneable, so a test can start the same node again (e.g.
/// in the same directory after a `kill`).
#[derive(Clone)]
pub struct NodeBuilder {
    bin: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<PathBuf>,
}

impl NodeBuilder {
    /// A node of binary `bin` with the test defaults: HTTP on 127.0.0.1 port 0, no embedded
    /// broker, JSON logs (the harness reads them).
    pub fn new(bin: impl Into<PathBuf>) -> NodeBuilder {
        NodeBuilder {
            bin: bin.into(),
            args: [
                "--port=0",
                "--bind-address=127.0.0.1",
                "--nats-port=0",
                "--log-format=json",
            ]
            .map(String::from)
            .to_vec(),
            env: Vec::new(),
            dir: None,
        }
    }

    /// Runs the node's embedded `nats-server` on `port` (the program from `HA_NATS_BIN` when
    /// set, else the node's own lookup).
    pub fn embedded_nats(mut self, port: u16) -> Self {
        self.args.push(format!("--nats-port={port}"));
        if let Ok(bin) = std::env::var("HA_NATS_BIN") {
            self.args.push(format!("--nats-bin={bin}"));
        }
        self
    }

    /// Replicates through the NATS at `url` (no embedded server).
    pub fn replication_url(mut self, url: impl Into<String>) -> Self {
        self.args.push(format!("--replication-url={}", url.into()));
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// A node run with exactly the given command line (no test defaults: the ports are the
    /// program's own); the harness only sets `HA_LOG_FORMAT=json` to read its readiness.
    pub fn exact<I: IntoIterator<Item = S>, S: Into<String>>(
        bin: impl Into<PathBuf>,
        args: I,
    ) -> Self {
        NodeBuilder {
            bin: bin.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: vec![("HA_LOG_FORMAT".into(), "json".into())],
            dir: None,
        }
    }

    /// The working directory (default: a new temporary directory owned by the node).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Starts the node and waits until it listens.
    pub async fn start(self) -> anyhow::Result<TestNode> {
        let (temp, dir) = match &self.dir {
            Some(dir) => (None, dir.clone()),
            None => {
                let temp = tempfile::tempdir().context("creating the node's directory")?;
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let mut command = Command::new(&self.bin);
        command
            .args(&self.args)
            .current_dir(&dir)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let stderr = child.stderr.take().context("no stderr pipe")?;
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (ready, listening) = oneshot::channel();
        tokio::spawn(read_logs(stderr, Arc::clone(&logs), ready));
        let addr = tokio::select! {
            addr = listening => addr.ok(),
            _ = tokio::time::sleep(START_TIMEOUT) => None,
        };
        let Some(addr) = addr else {
            let status = child.try_wait().ok().flatten();
            let _ = child.start_kill();
            bail!(
                "node did not start (exit: {status:?}); its log:\n{}",
                logs.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .join("\n")
            );
        };
        Ok(TestNode {
            child,
            http_addr: addr.http,
            pg_addr: addr.pg,
            mysql_addr: addr.mysql,
            dir,
            _temp: temp,
            logs,
            client: reqwest::Client::new(),
        })
    }

    /// Runs the binary to completion (for `--version`, `--help`, refused configurations).
    pub async fn run_to_exit(self) -> anyhow::Result<Finished> {
        let temp = tempfile::tempdir()?;
        let dir = self
            .dir
            .clone()
            .unwrap_or_else(|| temp.path().to_path_buf());
        let mut command = Command::new(&self.bin);
        command
            .args(&self.args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let output = tokio::time::timeout(START_TIMEOUT, command.output())
            .await
            .context("the process did not exit")??;
        Ok(Finished {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// Ports [`free_port`] hands out: below Linux's ephemeral range (32768–60999), so neither the
/// kernel's `bind(0)` nor an outgoing connection's source port takes one between the moment it
/// is found free and the moment its program binds it.
const FREE_PORTS: std::ops::Range<u16> = 12_000..32_000;

/// A TCP port that was free a moment ago (for programs that cannot report the port they bound).
///
/// Not `bind(0)`: the kernel would hand the same ephemeral port to the next connection any test
/// opens, and the program started with it would then fail to bind (seen once in six CI runs).
/// The search starts at a random place (tests run as separate processes) and moves on within a
/// process, so two calls never return the same port.
pub fn free_port() -> anyhow::Result<u16> {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let span = u32::from(FREE_PORTS.end - FREE_PORTS.start);
    let random_start = RandomState::new().hash_one(std::process::id()) % u64::from(span);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        u32::try_from(random_start)?,
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    for _ in 0..span {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed) % span;
        let port = FREE_PORTS.start + u16::try_from(offset)?;
        if std::net::TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return Ok(port);
        }
    }
    anyhow::bail!("no free TCP port in {FREE_PORTS:?}")
}

/// A process that ran to its end.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A running node.
pub struct TestNode {
    child: Child,
    pub http_addr: std::net::SocketAddr,
    /// The PostgreSQL wire address, when the node serves it (`--pg-port`).
    pub pg_addr: Option<std::net::SocketAddr>,
    /// The MySQL wire address, when the node serves it (`--mysql-port`).
    pub mysql_addr: Option<std::net::SocketAddr>,
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    logs: Arc<Mutex<Vec<String>>>,
    client: reqwest::Client,
}

impl TestNode {
    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.http_addr, path)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The node's working directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Posts a JSON body to `path`; returns the status and the parsed JSON answer.
    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let response = self.client.post(self.url(path)).json(body).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let json = serde_json::from_str(&text)
            .with_context(|| format!("answer is not JSON (status {status}): {text}"))?;
        Ok((status, json))
    }

    /// Runs one statement on the default database and returns the JSON answer; fails unless 200.
    pub async fn sql(&self, sql: &str) -> anyhow::Result<serde_json::Value> {
        let (status, json) = self
            .post("/query", &serde_json::json!({ "sql": sql }))
            .await?;
        if status != 200 {
            bail!("{sql}: status {status}: {json}");
        }
        Ok(json)
    }

    /// Everything the node logged so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGTERM, then waits for a graceful exit; returns the exit code.
    pub async fn stop(mut self) -> anyhow::Result<Option<i32>> {
        if let Some(pid) = self.child.id() {
            // SAFETY: kill(2) with a pid we own; no memory is touched.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGTERM);
            }
        }
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .context("the node did not stop after SIGTERM")??;
        Ok(status.code())
    }

    /// SIGKILL, as a crash.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// SIGSTOP: the process is frozen (its sockets stay open) until [`TestNode::resume`].
    pub fn pause(&self) -> anyhow::Result<()> {
        signal(self.child.id(), libc::SIGSTOP)
    }

    /// SIGCONT after [`TestNode::pause`].
    pub fn resume(&self) -> anyhow::Result<()> {
        signal(self.child.id(), libc::SIGCONT)
    }
}

/// Sends `sig` to a child process we own (still running: `pid` is `Some`).
pub(crate) fn signal(pid: Option<u32>, sig: libc::c_int) -> anyhow::Result<()> {
    let pid = pid.context("the process has exited")?;
    // SAFETY: kill(2) with the pid of a child we own; no memory is touched.
    let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
    if rc != 0 {
        bail!("kill({pid}, {sig}): {}", std::io::Error::last_os_error());
    }
    Ok(())
}

async fn read_logs(
    stderr: tokio::process::ChildStderr,
    logs: Arc<Mutex<Vec<String>>>,
    ready: oneshot::Sender<Listening>,
) {
    let mut ready = Some(ready);
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let listening = ready.is_some().then(|| listening_addr(&line)).flatten();
        // Kept before the start is reported: a test reads the listening record in the logs.
        logs.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
        if let Some(addr) = listening
            && let Some(ready) = ready.take()
        {
            let _ = ready.send(addr);
        }
    }
}

/// Where the node listens, from its `listening` log record.
struct Listening {
    http: std::net::SocketAddr,
    pg: Option<std::net::SocketAddr>,
    mysql: Option<std::net::SocketAddr>,
}

fn listening_addr(line: &str) -> Option<Listening> {
    let record: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = record.get("fields")?;
    if fields.get("message")?.as_str()? != "listening" {
        return None;
    }
    Some(Listening {
        http: fields.get("http_addr")?.as_str()?.parse().ok()?,
        pg: optional_addr(fields, "pg_addr"),
        mysql: optional_addr(fields, "mysql_addr"),
    })
}

fn optional_addr(fields: &serde_json::Value, name: &str) -> Option<std::net::SocketAddr> {
    fields.get(name)?.as_str()?.parse().ok()
}
