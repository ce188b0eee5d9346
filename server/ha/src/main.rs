//! The `ha` binary: parse the configuration, then either run a node until SIGINT or SIGTERM, or,
//! with `-r URL`, the SQL shell against a running node (client mode, SPEC §12).

use std::process::ExitCode;

use ha::config::Config;

/// A replicated write allocates on one thread (an HTTP task, the writer) and frees on another
/// (the publisher, the NATS connection): glibc's allocator took about 12% of the node's CPU per write
/// there (`malloc_consolidate`, `unlink_chunk`); mimalloc's thread-local free lists cut the
/// node's CPU per replicated write by 13–22% (docs/benchmarks.md). The binary only: libraries
/// and bindings leave their host's allocator alone.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => e.exit(),
    };
    if let Some(url) = config.remote.clone() {
        return client_mode(&config, url);
    }
    ha::logging::init(&config);
    let runtime = match runtime(config.workers) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "ha stopped with an error");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The async runtime on `workers` threads (`--workers`; 0: tokio's default, one per core, or
/// `TOKIO_WORKER_THREADS`).
fn runtime(workers: usize) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if workers > 0 {
        builder.worker_threads(workers);
    }
    builder.enable_all().build().map_err(|e| {
        eprintln!("error: cannot start the async runtime: {e}");
        ExitCode::FAILURE
    })
}

/// `ha -r URL [--token T]`: the shell instead of a node; the node's other flags are ignored.
/// Nothing is logged unless asked for (`--log-level`, `RUST_LOG`): the shell's output is its
/// results.
fn client_mode(config: &Config, url: String) -> ExitCode {
    if config.is_explicit("log-level") || std::env::var_os("RUST_LOG").is_some() {
        ha::logging::init(config);
    }
    let runtime = match runtime(0) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let options = ha::shell::ShellOptions {
        url,
        token: config.token.clone(),
    };
    let code = ha::shell::run(options, runtime.handle());
    // The connection's background tasks have nothing left to finish.
    runtime.shutdown_background();
    code
}

/// Runs the node until SIGINT or SIGTERM. The handlers are installed before the node starts:
/// a signal that arrives as soon as the node listens must stop it gracefully, not kill it.
async fn run(config: ha::config::Config) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
    };
    ha::run(config, shutdown).await
}
