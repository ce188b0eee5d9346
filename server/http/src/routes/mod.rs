//! The route table. The router and the OpenAPI check are both built from [`table`], so the
//! document can be compared with exactly what is served.

mod databases;
mod download;
mod history;
mod probes;
mod query;
mod replications;
mod snapshot;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use ha_server_api::QueryService;
use ha_types::ErrorCode;
use tower_http::trace::TraceLayer;

use crate::HttpOptions;
use crate::error::HttpError;

/// The OpenAPI 3 description of this API, served at `/openapi.yaml`.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

#[derive(Clone)]
pub(crate) struct AppState {
    pub service: Arc<dyn QueryService>,
}

fn table() -> Vec<(&'static str, Method, MethodRouter<AppState>)> {
    vec![
        ("/", Method::POST, post(query::default_database)),
        ("/query", Method::POST, post(query::default_database)),
        ("/databases", Method::GET, get(databases::list)),
        ("/databases", Method::POST, post(databases::create)),
        ("/databases/{id}", Method::POST, post(query::named_database)),
        ("/databases/{id}", Method::DELETE, delete(databases::drop)),
        (
            "/databases/{id}/query",
            Method::POST,
            post(query::named_database),
        ),
        ("/download", Method::GET, get(download::default_database)),
        (
            "/databases/{id}/download",
            Method::GET,
            get(download::named_database),
        ),
        ("/snapshot", Method::POST, post(snapshot::take_default)),
        ("/snapshot", Method::GET, get(snapshot::latest_default)),
        (
            "/databases/{id}/snapshot",
            Method::POST,
            post(snapshot::take_named),
        ),
        (
            "/databases/{id}/snapshot",
            Method::GET,
            get(snapshot::latest_named),
        ),
        (
            "/replications",
            Method::GET,
            get(replications::list_default),
        ),
        (
            "/replications/{name}",
            Method::GET,
            get(replications::one_default),
        ),
        (
            "/replications/{name}",
            Method::DELETE,
            delete(replications::remove_default),
        ),
        (
            "/replications/{name}/pending",
            Method::DELETE,
            delete(replications::skip_default),
        ),
        (
            "/databases/{id}/replications",
            Method::GET,
            get(replications::list_named),
        ),
        (
            "/databases/{id}/replications/{name}/pending",
            Method::DELETE,
            delete(replications::skip_named),
        ),
        (
            "/databases/{id}/replications/{name}",
            Method::GET,
            get(replications::one_named),
        ),
        (
            "/databases/{id}/replications/{name}",
            Method::DELETE,
            delete(replications::remove_named),
        ),
        (
            "/history/{since}",
            Method::GET,
            get(history::history_default),
        ),
        (
            "/databases/{id}/history/{since}",
            Method::GET,
            get(history::history_named),
        ),
        ("/undo/{since}", Method::POST, history::undo_default("UNDO")),
        (
            "/undoe/{since}",
            Method::POST,
            history::undo_default("UNDOE"),
        ),
        (
            "/undot/{since}",
            Method::POST,
            history::undo_default("UNDOT"),
        ),
        (
            "/databases/{id}/undo/{since}",
            Method::POST,
            history::undo_named("UNDO"),
        ),
        (
            "/databases/{id}/undoe/{since}",
            Method::POST,
            history::undo_named("UNDOE"),
        ),
        (
            "/databases/{id}/undot/{since}",
            Method::POST,
            history::undo_named("UNDOT"),
        ),
        ("/leader", Method::GET, get(probes::leader)),
        ("/healthz", Method::GET, get(probes::healthz)),
        ("/readyz", Method::GET, get(probes::readyz)),
        ("/openapi.yaml", Method::GET, get(probes::openapi)),
    ]
}

/// Every served `(method, path)`, paths in OpenAPI form.
pub fn route_list() -> Vec<(String, &'static str)> {
    table()
        .into_iter()
        .map(|(path, method, _)| (method.to_string(), path))
        .collect()
}

pub(crate) fn build(service: Arc<dyn QueryService>, options: HttpOptions) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for (path, _, method_router) in table() {
        let merged = match by_path.remove(path) {
            Some(existing) => existing.merge(method_router),
            None => method_router,
        };
        by_path.insert(path, merged);
    }
    let mut router = Router::new();
    for (path, method_router) in by_path {
        router = router.route(path, method_router);
    }
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(AppState { service })
        .layer(DefaultBodyLimit::max(options.max_body_size))
        .layer(axum::middleware::from_fn_with_state(
            options.max_body_size,
            crate::body::refuse_oversized,
        ));
    let router = match options.token {
        Some(token) => router.layer(axum::middleware::from_fn_with_state(
            Arc::<str>::from(token),
            crate::auth::require_token,
        )),
        None => router,
    };
    router.layer(TraceLayer::new_for_http())
}

async fn not_found() -> Response {
    HttpError::new(ErrorCode::NotFound, "no such route").into_response()
}

async fn method_not_allowed() -> Response {
    HttpError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The OpenAPI document lists exactly the served routes.
    #[test]
    fn openapi_matches_the_router() {
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(super::OPENAPI_YAML).unwrap();
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_mapping().unwrap() {
            for (method, _) in item.as_mapping().unwrap() {
                let method = method.as_str().unwrap();
                if method != "parameters" {
                    documented.insert((method.to_uppercase(), path.as_str().unwrap().to_string()));
                }
            }
        }
        let served: BTreeSet<(String, String)> = super::route_list()
            .into_iter()
            .map(|(m, p)| (m, p.to_string()))
            .collect();
        assert_eq!(documented, served);
    }
}
