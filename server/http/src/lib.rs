//! The HTTP/JSON front end of `ha` (SPEC §4): routes, the JSON shapes of queries and results,
//! token authentication, body limits, and the one mapping from [`ha_types::ErrorCode`] to HTTP
//! status codes. It talks to the node only through [`ha_server_api::QueryService`].

mod auth;
mod body;
mod error;
mod json;
mod routes;
mod serve;
mod tls;

pub use tls::HttpTls;

use std::future::Future;
use std::sync::Arc;

use ha_server_api::QueryService;
use ha_server_api::connections::ConnectionThreads;
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
/// over TLS when `tls` is given (HTTP/1.1 and HTTP/2, so gRPC too). Connections are served on
/// `threads`.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    tls: Option<HttpTls>,
    threads: Arc<ConnectionThreads>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve::serve(listener, router, tls, threads, shutdown).await
}
