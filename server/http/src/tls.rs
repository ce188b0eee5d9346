//! HTTPS (and gRPC over TLS, on the same port) when the node has a certificate (`--tls-cert`,
//! `--tls-key`). Handshakes run in tasks of their own, so a slow or silent client never holds
//! up the others' connections; axum takes the finished ones.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
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
}

/// How long a client may take to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct TlsListener {
    connections: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    pub(crate) fn new(listener: TcpListener, tls: HttpTls) -> std::io::Result<Self> {
        let HttpTls(acceptor) = tls;
        let addr = listener.local_addr()?;
        let (sender, connections) = mpsc::channel(128);
        let accepting = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait, as axum does.
                        tracing::debug!(error = %e, "accepting a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!(error = %e, "TCP_NODELAY");
                }
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = sender.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            connections,
            addr,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.connections.recv().await {
            Some(connection) => connection,
            // The accepting task is gone: nothing will arrive again.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
