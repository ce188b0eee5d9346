use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ha_server_api::ReplicationInfo;
use ha_types::ErrorCode;
use serde_json::{Value, json};

use super::AppState;
use crate::error::HttpError;

fn to_json(info: &ReplicationInfo) -> Value {
    json!({
        "name": info.name,
        "delivered_seq": info.delivered_seq,
        "pending": info.pending,
        "last_active": info.last_active,
        "applied_seq": info.applied_seq,
        "failing_seq": info.failing_seq,
        "error": info.error,
        "held": info.held,
    })
}

async fn list(state: AppState, database: Option<String>) -> Result<Response, HttpError> {
    let infos = state.service.replications(database.as_deref()).await?;
    let items: Vec<Value> = infos.iter().map(to_json).collect();
    Ok(Json(json!({ "replications": items })).into_response())
}

async fn one(
    state: AppState,
    database: Option<String>,
    name: String,
) -> Result<Response, HttpError> {
    let infos = state.service.replications(database.as_deref()).await?;
    match infos.iter().find(|info| info.name == name) {
        Some(info) => Ok(Json(to_json(info)).into_response()),
        None => Err(HttpError::new(
            ErrorCode::UnknownReplication,
            format!("no replication named {name}"),
        )),
    }
}

async fn remove(
    state: AppState,
    database: Option<String>,
    name: String,
) -> Result<Response, HttpError> {
    state
        .service
        .delete_replication(database.as_deref(), &name)
        .await?;
    Ok(Json(json!({ "deleted": name })).into_response())
}

/// `GET /replications`.
pub(crate) async fn list_default(State(state): State<AppState>) -> Result<Response, HttpError> {
    list(state, None).await
}

/// `GET /databases/{id}/replications`.
pub(crate) async fn list_named(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    list(state, Some(id)).await
}

/// `GET /replications/{name}`.
pub(crate) async fn one_default(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, HttpError> {
    one(state, None, name).await
}

/// `GET /databases/{id}/replications/{name}`.
pub(crate) async fn one_named(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    one(state, Some(id), name).await
}

/// `DELETE /replications/{name}`.
pub(crate) async fn remove_default(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, HttpError> {
    remove(state, None, name).await
}

/// `DELETE /databases/{id}/replications/{name}`.
pub(crate) async fn remove_named(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    remove(state, Some(id), name).await
}

async fn skip(
    state: AppState,
    database: Option<String>,
    name: String,
) -> Result<Response, HttpError> {
    let seq = state
        .service
        .skip_failing(database.as_deref(), &name)
        .await?;
    Ok((
        axum::http::StatusCode::ACCEPTED,
        Json(json!({ "skipping": seq })),
    )
        .into_response())
}

/// `DELETE /replications/{name}/pending`: skip the failing entry into `_ha_dead_letters`.
pub(crate) async fn skip_default(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, HttpError> {
    skip(state, None, name).await
}

/// `DELETE /databases/{id}/replications/{name}/pending`.
pub(crate) async fn skip_named(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, HttpError> {
    skip(state, Some(id), name).await
}
