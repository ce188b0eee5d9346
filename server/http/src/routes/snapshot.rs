//! `POST /snapshot` takes a snapshot of a database into the snapshot store (201 when stored,
//! 200 when nothing changed since the latest); `GET /snapshot` streams the latest one (404 JSON
//! when none was taken). Both also under `/databases/{id}/`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::download::file_response;
use crate::error::HttpError;

pub(crate) async fn take_default(State(state): State<AppState>) -> Result<Response, HttpError> {
    take(state, None).await
}

pub(crate) async fn take_named(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    take(state, Some(id)).await
}

pub(crate) async fn latest_default(State(state): State<AppState>) -> Result<Response, HttpError> {
    let snapshot = state.service.latest_snapshot(None).await?;
    Ok(file_response(snapshot))
}

pub(crate) async fn latest_named(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let snapshot = state.service.latest_snapshot(Some(&id)).await?;
    Ok(file_response(snapshot))
}

async fn take(state: AppState, database: Option<String>) -> Result<Response, HttpError> {
    let taken = state.service.take_snapshot(database.as_deref()).await?;
    let status = if taken.stored {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut body = serde_json::json!({
        "database": taken.database,
        "seq": taken.seq,
        "size": taken.size,
        "stored": taken.stored,
        "node": taken.node,
    });
    if let Some(reason) = taken.reason {
        body["reason"] = reason.into();
    }
    Ok((status, Json(body)).into_response())
}
