//! History and undo over HTTP (SPEC §4.3, §10): each route is its SQL command on the database
//! (`GET /history/5m` is `HISTORY '5m'`), so every door answers them alike.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{MethodRouter, post};

use super::AppState;
use super::query::answer;
use crate::error::HttpError;

/// `GET /history/{since}`.
pub(crate) async fn history_default(
    State(state): State<AppState>,
    Path(since): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    command(state, None, &headers, "HISTORY", &since).await
}

/// `GET /databases/{id}/history/{since}`.
pub(crate) async fn history_named(
    State(state): State<AppState>,
    Path((id, since)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    command(state, Some(id), &headers, "HISTORY", &since).await
}

/// `POST /undo/{since}` (`keyword` UNDO), `/undoe/{since}`, `/undot/{since}`.
pub(crate) fn undo_default(keyword: &'static str) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>, Path(since): Path<String>, headers: HeaderMap| async move {
            command(state, None, &headers, keyword, &since).await
        },
    )
}

/// `POST /databases/{id}/undo/{since}` (and `undoe`, `undot`).
pub(crate) fn undo_named(keyword: &'static str) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              Path((id, since)): Path<(String, String)>,
              headers: HeaderMap| async move {
            command(state, Some(id), &headers, keyword, &since).await
        },
    )
}

async fn command(
    state: AppState,
    database: Option<String>,
    headers: &HeaderMap,
    keyword: &str,
    since: &str,
) -> Result<Response, HttpError> {
    // Quoted, so that whatever the path holds is one argument for the command to judge.
    let sql = format!("{keyword} '{}'", since.replace('\'', "''"));
    answer(
        state,
        database,
        headers,
        vec![ha_types::Statement::new(sql)],
        false,
    )
    .await
}
