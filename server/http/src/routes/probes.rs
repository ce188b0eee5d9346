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
