//! The port's accept loop: each connection is handed to one of the node's connection threads
//! (`ha_server_api::connections`) and served there by hyper, HTTP/1.1 and HTTP/2 (gRPC) alike,
//! over TLS when the node has a certificate.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use ha_server_api::connections::ConnectionThreads;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::HttpTls;

/// Serves `router` on `listener` until `shutdown` resolves, then finishes the requests in flight
/// and waits for their connections to close.
pub(crate) async fn serve(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<HttpTls>,
    threads: Arc<ConnectionThreads>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Connections watch `closing` to finish gracefully; each holds an `open` receiver, so the
    // sender's `closed()` is when the last one is gone.
    let (closing, closing_seen) = watch::channel(false);
    let (open, open_seen) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, as axum does.
                    tracing::debug!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // No Nagle delay: an HTTP/2 (gRPC) answer is several frames, and a small write waiting
        // for the client's delayed ACK adds tens of milliseconds.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        let router = router.clone();
        let tls = tls.clone();
        let closing = closing_seen.clone();
        let open = open_seen.clone();
        let handed = threads.spawn_connection(tcp, move |tcp| async move {
            let _open = open;
            match tls {
                None => serve_connection(tcp, router, closing).await,
                Some(tls) => {
                    if let Some(tls) = tls.handshake(tcp, peer).await {
                        serve_connection(tls, router, closing).await;
                    }
                }
            }
        });
        if let Err(e) = handed {
            tracing::debug!(%peer, error = %e, "handing a connection over");
        }
    }
    drop(listener);
    closing.send_replace(true);
    drop(open_seen);
    open.closed().await;
    Ok(())
}

/// One connection until it closes; once `closing` turns true it finishes its requests in
/// flight and closes.
async fn serve_connection<I>(io: I, router: axum::Router, mut closing: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let builder = Builder::new(TokioExecutor::new());
    let service = TowerToHyperService::new(router);
    let mut connection = pin!(builder.serve_connection_with_upgrades(TokioIo::new(io), service));
    let mut told = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::trace!(error = %e, "serving a connection");
                }
                return;
            }
            _ = closing.wait_for(|closing| *closing), if !told => {
                told = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
