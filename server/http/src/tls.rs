//! HTTPS (and gRPC over TLS, on the same port) when the node has a certificate (`--tls-cert`,
//! `--tls-key`). Each handshake runs in its connection's own task, so a slow or silent client
//! never holds up the others' connections.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The port's TLS: its certificate and key, loaded (errors name the flags).
#[derive(Clone)]
pub struct HttpTls(TlsAcceptor);

impl HttpTls {
    /// Reads `--tls-cert` and `--tls-key` (PEM); offers HTTP/2 (gRPC) and HTTP/1.1.
    pub fn load(cert: &std::path::Path, key: &std::path::Path) -> Result<HttpTls, String> {
        let (config, _) = ha_server_api::tls::server_config(
            cert,
            key,
            &[b"h2", b"http/1.1"],
            ("--tls-cert", "--tls-key"),
        )?;
        Ok(HttpTls(TlsAcceptor::from(std::sync::Arc::new(config))))
    }

    /// The server's side of `peer`'s handshake; `None` (logged) when it fails or takes too long.
    pub(crate) async fn handshake(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
    ) -> Option<TlsStream<TcpStream>> {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.0.accept(tcp)).await {
            Ok(Ok(tls)) => Some(tls),
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                None
            }
        }
    }
}

/// How long a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
