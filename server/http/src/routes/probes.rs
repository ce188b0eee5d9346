use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{AppState, OPENAPI_YAML};

/// `GET /healthz`: the process answers.
pub(crate) async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// `GET /readyz`: 200 when the node can take traffic, 503 with the reason otherwise.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let readiness = state.service.readiness();
    if readiness.ready {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": readiness.reason })),
        )
            .into_response()
    }
}

/// `GET /openapi.yaml`.
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI_YAML).into_response()
}

/// `GET /leader`: who leads in leader mode (409 when the node runs leaderless).
pub(crate) async fn leader(
    State(state): State<AppState>,
) -> Result<Response, crate::error::HttpError> {
    match state.service.leader()? {
        Some(leader) => Ok(Json(json!({
            "leader": leader.node,
            "addr": leader.addr,
            "term": leader.term,
            "since_ms": leader.since_ms,
            "this_node": leader.this_node,
        }))
        .into_response()),
        None => Err(crate::error::HttpError::new(
            ha_types::ErrorCode::Conflict,
            "leader mode is off: every node takes writes (start nodes with --leader-addr)",
        )),
    }
}
