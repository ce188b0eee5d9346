//! The embedded broker (SPEC §3): a `nats-server` child process with JetStream on, started,
//! watched, restarted and stopped by the node, and never outliving it.

mod config_file;
mod locate;
mod ports_file;
mod server_log;
mod spawner;
mod supervisor;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use locate::{MINIMUM_VERSION, PROGRAM_NAME, Version, check_version, locate, parse_version};

use crate::NatsError;
use config_file::ServerConfig;
use ports_file::Endpoint;
use server_log::LogTail;
use supervisor::{ConfigSource, Launcher};

/// The name of the configuration file we write into the store directory.
const CONFIG_FILE_NAME: &str = "nats-server.conf";
/// The directory (under the store directory) where the server reports its ports.
const PORTS_DIR_NAME: &str = "ports";

/// How to run the embedded server (the `--nats-*` flags).
#[derive(Clone)]
pub struct EmbeddedNatsOptions {
    /// Client port (`--nats-port`); 0 lets the server pick a free one (tests). Ignored with
    /// `config_file`, whose own `port` rules.
    pub port: u16,
    /// Listen address; `0.0.0.0` (every interface, nats-server's own default) in production,
    /// `127.0.0.1` in tests. Ignored with `config_file`.
    pub host: String,
    /// JetStream's storage directory (`--nats-store-dir`); also holds the generated
    /// configuration (`nats-server.conf`) and the server's ports file (`ports/`). With
    /// `config_file`, JetStream stores where that file says (its `store_dir`).
    pub store_dir: PathBuf,
    /// The server's name (the node name); empty lets the server make one up.
    pub server_name: String,
    /// The single user (`--nats-user`); set together with `pass`.
    pub user: Option<String>,
    /// That user's password (`--nats-pass`).
    pub pass: Option<String>,
    /// A nats-server configuration file used as it is (`--nats-config`), with JetStream forced on
    /// (`-js`). `port`, `host`, `server_name`, `user` and `pass` then do not configure the
    /// server; `user` and `pass` still go into [`EmbeddedNats::client_url`].
    pub config_file: Option<PathBuf>,
    /// Forward the server's log to ours (`--nats-logs`, tracing target `nats-server`).
    pub show_logs: bool,
    /// The program (`--nats-bin`); `None` looks beside the current executable, then on `PATH`.
    pub program: Option<PathBuf>,
}

impl EmbeddedNatsOptions {
    /// The defaults: port 4222 on every interface, no user, no config file, logs hidden, the
    /// program looked up.
    pub fn new(store_dir: impl Into<PathBuf>, server_name: impl Into<String>) -> Self {
        EmbeddedNatsOptions {
            port: 4222,
            host: "0.0.0.0".to_string(),
            store_dir: store_dir.into(),
            server_name: server_name.into(),
            user: None,
            pass: None,
            config_file: None,
            show_logs: false,
            program: None,
        }
    }

    fn validate(&self) -> Result<(), NatsError> {
        match (&self.user, &self.pass) {
            (Some(user), Some(_)) if user.is_empty() => {
                return Err(NatsError::InvalidOptions(
                    "--nats-user must not be empty".into(),
                ));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(NatsError::InvalidOptions(
                    "--nats-user and --nats-pass go together: give both or neither".into(),
                ));
            }
            _ => {}
        }
        if self.config_file.is_none() && self.host.trim().is_empty() {
            return Err(NatsError::InvalidOptions(
                "the listen host must not be empty".into(),
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for EmbeddedNatsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedNatsOptions")
            .field("port", &self.port)
            .field("host", &self.host)
            .field("store_dir", &self.store_dir)
            .field("server_name", &self.server_name)
            .field("user", &self.user)
            .field("pass", &self.pass.as_ref().map(|_| "<redacted>"))
            .field("config_file", &self.config_file)
            .field("show_logs", &self.show_logs)
            .field("program", &self.program)
            .finish()
    }
}

/// A running, supervised `nats-server`. Stop it with [`EmbeddedNats::stop`]; dropping it
/// stops the server in the background (or kills it, if the runtime is shutting down too).
pub struct EmbeddedNats {
    endpoint: Endpoint,
    credentials: Option<(String, String)>,
    pid: Arc<AtomicU32>,
    shutdown: Option<oneshot::Sender<()>>,
    supervisor: Option<JoinHandle<()>>,
}

impl EmbeddedNats {
    /// Finds the program (`--nats-bin`, then beside the current executable, then `PATH`), checks
    /// that it is at least 2.10, writes its configuration into `store_dir`, starts it, waits
    /// (at most 20 s) until it accepts connections, and supervises it from then on: restarted
    /// when it dies, on the same port and store directory.
    pub async fn start(options: EmbeddedNatsOptions) -> Result<EmbeddedNats, NatsError> {
        options.validate()?;
        let program = locate(options.program.as_deref())?;
        let version = check_version(&program).await?;

        let store_dir = absolute(&options.store_dir)?;
        std::fs::create_dir_all(&store_dir)
            .map_err(|e| NatsError::io(format!("creating {}", store_dir.display()), e))?;
        let (source, port) = match &options.config_file {
            Some(file) => {
                let file = absolute(file)?;
                std::fs::metadata(&file).map_err(|e| {
                    NatsError::io(format!("reading --nats-config {}", file.display()), e)
                })?;
                (ConfigSource::User(file), None)
            }
            None => {
                let store = store_dir.to_str().ok_or_else(|| {
                    NatsError::InvalidOptions(format!(
                        "the NATS store directory {} is not valid UTF-8",
                        store_dir.display()
                    ))
                })?;
                let config = ServerConfig {
                    port: config_port(options.port),
                    host: options.host.clone(),
                    server_name: options.server_name.clone(),
                    store_dir: store.to_string(),
                    auth: options.user.clone().zip(options.pass.clone()),
                };
                let path = store_dir.join(CONFIG_FILE_NAME);
                (
                    ConfigSource::Generated { path, config },
                    config_port(options.port),
                )
            }
        };
        let launcher = Launcher {
            program,
            source,
            ports_dir: store_dir.join(PORTS_DIR_NAME),
            show_logs: options.show_logs,
            tail: LogTail::default(),
            go_max_procs: supervisor::broker_go_max_procs(
                std::env::var_os("GOMAXPROCS").is_some_and(|procs| !procs.is_empty()),
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ),
        };
        let running = launcher.launch(port).await?;
        tracing::info!(
            pid = running.pid,
            %version,
            program = %launcher.program.display(),
            go_max_procs = %launcher
                .go_max_procs
                .map_or_else(|| "inherited".to_string(), |procs| procs.to_string()),
            address = %format!("{}:{}", running.endpoint.host, running.endpoint.port),
            store_dir = %store_dir.display(),
            "embedded nats-server accepts connections"
        );

        let endpoint = running.endpoint.clone();
        let pid = Arc::new(AtomicU32::new(running.pid));
        let (shutdown, shutdown_rx) = oneshot::channel();
        let supervisor = tokio::spawn(supervisor::supervise(
            launcher,
            running,
            Arc::clone(&pid),
            shutdown_rx,
        ));
        Ok(EmbeddedNats {
            endpoint,
            credentials: options.user.zip(options.pass),
            pid,
            shutdown: Some(shutdown),
            supervisor: Some(supervisor),
        })
    }

    /// The URL clients connect to, e.g. `nats://127.0.0.1:4222`, with `user:pass@` when the
    /// options named a user.
    pub fn client_url(&self) -> String {
        let credentials = match &self.credentials {
            Some((user, pass)) => format!("{}:{}@", userinfo_escape(user), userinfo_escape(pass)),
            None => String::new(),
        };
        format!(
            "nats://{credentials}{}:{}",
            self.endpoint.host, self.endpoint.port
        )
    }

    /// The client port the server listens on (the one it picked, when 0 was asked).
    pub fn port(&self) -> u16 {
        self.endpoint.port
    }

    /// The server's process id, `None` while it is being restarted.
    pub fn pid(&self) -> Option<u32> {
        match self.pid.load(Ordering::SeqCst) {
            0 => None,
            pid => Some(pid),
        }
    }

    /// Stops supervising and stops the server: SIGTERM (it flushes JetStream), then SIGKILL if
    /// it has not exited within 10 s. Returns once the process is gone.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(supervisor) = self.supervisor.take()
            && let Err(error) = supervisor.await
        {
            tracing::warn!(%error, "the nats-server supervisor failed");
        }
    }
}

impl fmt::Debug for EmbeddedNats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedNats")
            .field("host", &self.endpoint.host)
            .field("port", &self.endpoint.port)
            .field("pid", &self.pid())
            .finish_non_exhaustive()
    }
}

/// The port to ask for: `None` (the server picks) for 0.
fn config_port(port: u16) -> Option<u16> {
    (port != 0).then_some(port)
}

fn absolute(path: &Path) -> Result<PathBuf, NatsError> {
    std::path::absolute(path).map_err(|e| NatsError::io(format!("resolving {}", path.display()), e))
}

/// Percent-encodes a user name or password for the userinfo part of a URL. (A dozen lines; not
/// worth a dependency on a URL crate, which this crate does not otherwise need.)
fn userinfo_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_credentials_for_the_url() {
        assert_eq!(userinfo_escape("ha_user-1.x~"), "ha_user-1.x~");
        assert_eq!(userinfo_escape("p@ss:w/rd é"), "p%40ss%3Aw%2Frd%20%C3%A9");
    }

    #[test]
    fn port_zero_lets_the_server_pick() {
        assert_eq!(config_port(0), None);
        assert_eq!(config_port(4222), Some(4222));
    }

    #[test]
    fn user_and_password_go_together() {
        let mut options = EmbeddedNatsOptions::new("/tmp/x", "n1");
        options.validate().unwrap();
        options.user = Some("u".into());
        assert!(options.validate().is_err());
        options.pass = Some("p".into());
        options.validate().unwrap();
        options.user = Some(String::new());
        assert!(options.validate().is_err());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let mut options = EmbeddedNatsOptions::new("/tmp/x", "n1");
        options.user = Some("u".into());
        options.pass = Some("secret".into());
        let text = format!("{options:?}");
        assert!(!text.contains("secret"), "{text}");
    }
}
