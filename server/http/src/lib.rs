//! The HTTP/JSON front end of `ha` (SPEC §4): routes, the JSON shapes of queries and results,
//! token authentication, body limits, and the one mapping from [`ha_types::ErrorCode`] to HTTP
//! status codes. It talks to the node only through [`ha_server_api::QueryService`].

mod auth;
mod body;
mod error;
mod json;
mod routes;
mod tls;

pub use tls::HttpTls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use ha_server_api::QueryService;
use tokio::net::TcpListener;

pub use error::status_for;
pub use routes::{OPENAPI_YAML, route_list};

/// Settings of the HTTP front end.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// When set, every API call must carry it (`Authorization: T` or `Bearer T`).
    pub token: Option<String>,
    /// Larger request bodies get 413.
    pub max_body_size: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            token: None,
            max_body_size: 32 * 1024 * 1024,
        }
    }
}

/// The application's router, for serving or for in-process tests.
pub fn router(service: Arc<dyn QueryService>, options: HttpOptions) -> axum::Router {
    routes::build(service, options)
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes the requests in flight;
/// over TLS when `tls` is given (HTTP/1.1 and HTTP/2, so gRPC too).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<HttpTls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Some(tls) = tls {
        let listener = tls::TlsListener::new(listener, tls)?;
        return axum::serve(listener, router.into_make_service())
            .with_graceful_shutdown(shutdown)
            .await;
    }
    // No Nagle delay: an HTTP/2 (gRPC) answer is several frames, and a small write waiting
    // for the client's delayed ACK adds tens of milliseconds.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
