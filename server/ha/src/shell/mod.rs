//! Client mode, `ha -r URL [--token T]` (SPEC §12): an SQL shell against a running node, over
//! `ha-client`'s gRPC session, so the node keeps the session's database (`SET DATABASE TO`,
//! `USE`) and transaction between statements. Every statement goes to the node as typed, which
//! runs the special commands (`SHOW DATABASES`, `CREATE`/`DROP DATABASE`, `HISTORY`, `UNDO`...);
//! only `EXIT` / `QUIT` are the shell's own.
//!
//! At a terminal it is interactive (`interactive.rs`); fed by a program it runs the statements
//! it reads and prints plain rows (`script.rs`). docs/client-mode.md is the user's guide.

mod connection;
mod input;
mod interactive;
mod render;
mod script;

use std::io::IsTerminal;
use std::process::ExitCode;

use connection::Connection;

/// What `ha -r` was given.
#[derive(Debug, Clone)]
pub struct ShellOptions {
    /// `http(s)://host:port[/db]`; a bare `host:port` means `http://host:port`.
    pub url: String,
    /// The node's API token (`--token`).
    pub token: Option<String>,
}

/// Runs the shell until its input ends (or `EXIT;`), on the process's runtime. The exit status
/// is 1 when the node cannot be reached, and, when not interactive, after the first error.
pub fn run(options: ShellOptions, runtime: &tokio::runtime::Handle) -> ExitCode {
    let url = with_scheme(&options.url);
    let connection = match Connection::open(&url, options.token, runtime.clone()) {
        Ok(connection) => connection,
        Err(error) => {
            eprintln!("{}", render::error_line(&error));
            return ExitCode::FAILURE;
        }
    };
    if std::io::stdin().is_terminal() {
        interactive::run(connection, &url)
    } else {
        script::run(
            connection,
            std::io::stdin().lock(),
            std::io::stdout().lock(),
        )
    }
}

/// `host:port` is taken as `http://host:port`; a URL with a scheme is left to the client.
fn with_scheme(url: &str) -> String {
    let url = url.trim();
    if url.contains("://") || url.starts_with("file:") {
        url.to_string()
    } else {
        format!("http://{url}")
    }
}

#[cfg(test)]
mod tests {
    use super::with_scheme;

    #[test]
    fn a_bare_address_is_http() {
        assert_eq!(with_scheme("localhost:8080"), "http://localhost:8080");
        assert_eq!(with_scheme("https://h:1/db"), "https://h:1/db");
        assert_eq!(with_scheme("file:/x.db"), "file:/x.db");
    }
}
