//! Running the server: spawn, wait until it accepts connections, restart it when it dies, and
//! stop it gracefully.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::config_file::{self, ServerConfig};
use super::ports_file::{self, Endpoint};
use super::server_log::{self, LogTail};
use super::spawner;
use crate::NatsError;

/// How long a start may take before we give up on it.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How often readiness is checked.
const READY_POLL: Duration = Duration::from_millis(20);
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the server gets to flush JetStream after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// The first wait before a restart, doubled after each restart up to [`MAX_BACKOFF`].
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A server that ran this long before dying resets the backoff: it was not crash-looping.
const STABLE_RUN: Duration = Duration::from_secs(30);
/// How long we wait for the output readers after an exit, to include the last lines.
const LOG_DRAIN: Duration = Duration::from_secs(1);
/// Lines of the server's log quoted in errors and warnings.
const QUOTED_LINES: usize = 8;

/// How many threads the embedded server may run Go code on at once, unless the operator chose
/// (a non-empty `GOMAXPROCS` in ha's environment, which the server inherits): half the
/// machine's cores.
/// The broker shares the machine with its node, and every message it handles wakes several
/// goroutines; with a thread per core those wake-ups are thread switches, which on two cores
/// cost the broker a quarter more CPU per message and the node a core to run on
/// (docs/benchmarks.md, "The embedded broker on half the cores").
pub(crate) fn broker_go_max_procs(operator_set: bool, cores: usize) -> Option<usize> {
    (!operator_set).then(|| cores.div_ceil(2).max(1))
}

/// Where the server's configuration comes from.
#[derive(Debug, Clone)]
pub(crate) enum ConfigSource {
    /// We write `path` from `config` at every start.
    Generated { path: PathBuf, config: ServerConfig },
    /// The user's file (`--nats-config`), passed as it is with JetStream forced on by `-js`
    /// (command-line flags override the file in nats-server, so `jetstream: disabled` loses).
    User(PathBuf),
}

/// Everything needed to start (and restart) the server.
#[derive(Debug)]
pub(crate) struct Launcher {
    pub program: PathBuf,
    pub source: ConfigSource,
    pub ports_dir: PathBuf,
    pub show_logs: bool,
    pub tail: LogTail,
    /// `GOMAXPROCS` for the server, when ha chooses it (see [`broker_go_max_procs`]).
    pub go_max_procs: Option<usize>,
}

/// A started server that accepts connections.
#[derive(Debug)]
pub(crate) struct Running {
    pub child: Child,
    pub pid: u32,
    pub endpoint: Endpoint,
    started: Instant,
}

impl Launcher {
    /// Starts the server and waits until it accepts connections. `port` is the port to listen
    /// on, `None` for "as configured" (a random free one in a generated config).
    pub(crate) async fn launch(&self, port: Option<u16>) -> Result<Running, NatsError> {
        ports_file::clear(&self.ports_dir)
            .map_err(|e| NatsError::io(format!("preparing {}", self.ports_dir.display()), e))?;
        let mut args: Vec<OsString> = Vec::new();
        match &self.source {
            ConfigSource::Generated { path, config } => {
                let config = ServerConfig {
                    port,
                    ..config.clone()
                };
                std::fs::write(path, config_file::render(&config))
                    .map_err(|e| NatsError::io(format!("writing {}", path.display()), e))?;
                args.extend(["-c".into(), path.into()]);
            }
            ConfigSource::User(path) => {
                args.extend(["-c".into(), path.into(), "-js".into()]);
                if let Some(port) = port {
                    args.extend(["-p".into(), port.to_string().into()]);
                }
            }
        }
        args.extend(["--ports_file_dir".into(), self.ports_dir.clone().into()]);

        let mut command = Command::new(&self.program);
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own process group: a Ctrl-C at the terminal reaches ha, which stops the server
            // in order, instead of both racing.
            .process_group(0);
        if let Some(procs) = self.go_max_procs {
            command.env("GOMAXPROCS", procs.to_string());
        }
        let mut child = spawner::spawn(command)
            .await
            .map_err(|e| NatsError::io(format!("starting {}", self.program.display()), e))?;
        let Some(pid) = child.id() else {
            let status = child.wait().await.ok();
            return Err(NatsError::ExitedDuringStartup {
                status: describe(status),
                log: String::new(),
            });
        };
        self.tail.clear();
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(server_log::forward(
                stdout,
                self.show_logs,
                self.tail.clone(),
                pid,
            ));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(server_log::forward(
                stderr,
                self.show_logs,
                self.tail.clone(),
                pid,
            ));
        }
        tracing::debug!(pid, program = %self.program.display(), ?args, "nats-server spawned");

        let ready = tokio::time::timeout(READY_TIMEOUT, self.wait_ready(pid));
        tokio::select! {
            status = child.wait() => {
                drain(readers).await;
                Err(NatsError::ExitedDuringStartup {
                    status: describe(status.ok()),
                    log: self.tail.render(QUOTED_LINES),
                })
            }
            ready = ready => match ready {
                Ok(endpoint) => Ok(Running { child, pid, endpoint, started: Instant::now() }),
                Err(_) => {
                    terminate(&mut child, pid).await;
                    drain(readers).await;
                    Err(NatsError::NotReady {
                        timeout: READY_TIMEOUT,
                        log: self.tail.render(QUOTED_LINES),
                    })
                }
            },
        }
    }

    /// Polls until the server has reported its address and accepts a TCP connection there.
    async fn wait_ready(&self, pid: u32) -> Endpoint {
        let mut endpoint = None;
        loop {
            if endpoint.is_none() {
                endpoint = ports_file::read(&self.ports_dir, pid);
            }
            if let Some(endpoint) = &endpoint {
                let connect = TcpStream::connect((endpoint.socket_host(), endpoint.port));
                if let Ok(Ok(_)) = tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
                    return endpoint.clone();
                }
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }
}

/// Watches the server and restarts it when it dies, on the same port (and so with the same
/// store directory and data), until `shutdown` fires or its sender is dropped; then stops it.
pub(crate) async fn supervise(
    launcher: Launcher,
    mut running: Running,
    current_pid: Arc<AtomicU32>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let port = running.endpoint.port;
    let mut backoff = INITIAL_BACKOFF;
    loop {
        tokio::select! {
            _ = &mut shutdown => {
                terminate(&mut running.child, running.pid).await;
                current_pid.store(0, Ordering::SeqCst);
                return;
            }
            status = running.child.wait() => {
                current_pid.store(0, Ordering::SeqCst);
                let ran = running.started.elapsed();
                if ran >= STABLE_RUN {
                    backoff = INITIAL_BACKOFF;
                }
                tracing::warn!(
                    pid = running.pid,
                    status = %describe(status.ok()),
                    ran_for = ?ran,
                    "nats-server exited unexpectedly; restarting it in {backoff:?}. Its last lines:{}",
                    launcher.tail.render(QUOTED_LINES)
                );
            }
        }
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
            // Stopping mid-start drops the child, and `kill_on_drop` ends it.
            let attempt = tokio::select! {
                _ = &mut shutdown => return,
                attempt = launcher.launch(Some(port)) => attempt,
            };
            match attempt {
                Ok(restarted) => {
                    running = restarted;
                    current_pid.store(running.pid, Ordering::SeqCst);
                    tracing::info!(pid = running.pid, port, "nats-server restarted");
                    break;
                }
                Err(error) => tracing::warn!(
                    %error,
                    "restarting nats-server failed; trying again in {backoff:?}"
                ),
            }
        }
    }
}

/// Stops the server: SIGTERM (it flushes JetStream and exits), then SIGKILL after
/// [`STOP_GRACE`]. Signals go to its process group, which also reaches the real server when the
/// program is a wrapper script.
pub(crate) async fn terminate(child: &mut Child, pid: u32) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    signal_group(pid, libc::SIGTERM);
    match tokio::time::timeout(STOP_GRACE, child.wait()).await {
        Ok(status) => tracing::info!(pid, status = %describe(status.ok()), "nats-server stopped"),
        Err(_) => {
            tracing::warn!(
                pid,
                "nats-server did not stop within {STOP_GRACE:?}; killing it"
            );
            signal_group(pid, libc::SIGKILL);
            if let Err(error) = child.kill().await {
                tracing::warn!(pid, %error, "killing nats-server failed");
            }
        }
    }
}

fn signal_group(pid: u32, signal: libc::c_int) {
    let Ok(group) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) has no memory-safety requirements. The child is not reaped yet (we hold
    // its handle and `try_wait`/`wait` did not return), so its pid, which is also its process
    // group id, cannot have been reused.
    unsafe {
        libc::kill(-group, signal);
    }
}

async fn drain(readers: Vec<JoinHandle<()>>) {
    for reader in readers {
        let _ = tokio::time::timeout(LOG_DRAIN, reader).await;
    }
}

fn describe(status: Option<ExitStatus>) -> String {
    status.map_or_else(|| "status unknown".to_string(), |s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::broker_go_max_procs;

    #[test]
    fn the_broker_gets_half_the_cores_rounded_up_unless_the_operator_chose() {
        assert_eq!(broker_go_max_procs(false, 1), Some(1));
        assert_eq!(broker_go_max_procs(false, 2), Some(1));
        assert_eq!(broker_go_max_procs(false, 3), Some(2));
        assert_eq!(broker_go_max_procs(false, 16), Some(8));
        assert_eq!(broker_go_max_procs(true, 2), None);
    }
}
