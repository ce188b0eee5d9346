use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ha_types::ErrorCode;
use serde_json::json;

use super::AppState;
use crate::body::{body_bytes, parse_json};
use crate::error::HttpError;

/// `GET /databases`: `{"databases": ["a.db", ...]}`, the default database first.
pub(crate) async fn list(State(state): State<AppState>) -> Response {
    Json(json!({ "databases": state.service.list_databases() })).into_response()
}

/// `POST /databases` with `{"dsn": "name.db"}`: 201 `{"database": "name.db"}`.
pub(crate) async fn create(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let request = parse_json(&body_bytes(body)?)?;
    let dsn = request
        .get("dsn")
        .and_then(|d| d.as_str())
        .ok_or_else(|| HttpError::new(ErrorCode::BadRequest, "expected {\"dsn\": \"name.db\"}"))?;
    let id = state.service.create_database(dsn).await?;
    Ok((StatusCode::CREATED, Json(json!({ "database": id }))).into_response())
}

/// `DELETE /databases/{id}`: `{"database": id}` once it is closed and its files are gone.
pub(crate) async fn drop(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    state.service.drop_database(&id).await?;
    Ok(Json(json!({ "database": id })).into_response())
}
