//! Runs an embedded nats-server until Ctrl-C, the way `ha` does:
//!
//! ```text
//! cargo run -p ha-nats --example embedded_nats -- STORE_DIR [PORT] [NAME]
//! ```
//!
//! `HA_NATS_BIN` names the program (see `scripts/nats.sh`); PORT 0 lets the server pick one.
//! Prints `pid=<server pid> url=<client url>` on stdout once the server accepts connections;
//! the server's log goes to stderr.
use ha_nats::{EmbeddedNats, EmbeddedNatsOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let store_dir = args
        .next()
        .ok_or("usage: embedded_nats STORE_DIR [PORT] [NAME]")?;
    let mut options = EmbeddedNatsOptions::new(store_dir, "example");
    options.host = "127.0.0.1".into();
    options.show_logs = true;
    options.program = std::env::var_os("HA_NATS_BIN").map(Into::into);
    if let Some(port) = args.next() {
        options.port = port
            .parse()
            .map_err(|_| format!("PORT is not a number: {port}"))?;
    }
    if let Some(name) = args.next() {
        options.server_name = name;
    }
    let nats = match EmbeddedNats::start(options).await {
        Ok(nats) => nats,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    };
    println!("pid={} url={}", nats.pid().unwrap_or(0), nats.client_url());
    tokio::signal::ctrl_c().await?;
    nats.stop().await;
    Ok(())
}
