//! History and undo over HTTP (SPEC §4.3, §10): each route is its SQL command on the database
//! (`GET /history/5m` is `HISTORY '5m'`), so every door answers them alike.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{MethodRouter, post};

use super::AppState;
use super::query::{MinSeq, answer};
use crate::error::HttpError;

/// `GET /history/{since}`.
pub(crate) async fn history_default(
    State(state): State<AppState>,
    Path(since): Path<String>,
    min_seq: MinSeq,
) -> Result<Response, HttpError> {
    command(state, None, min_seq, "HISTORY", &since).await
}

/// `GET /databases/{id}/history/{since}`.
pub(crate) async fn history_named(
    State(state): State<AppState>,
    Path((id, since)): Path<(String, String)>,
    min_seq: MinSeq,
) -> Result<Response, HttpError> {
    command(state, Some(id), min_seq, "HISTORY", &since).await
}

/// `POST /undo/{since}` (`keyword` UNDO), `/undoe/{since}`, `/undot/{since}`.
pub(crate) fn undo_default(keyword: &'static str) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>, Path(since): Path<String>, min_seq: MinSeq| async move {
            command(state, None, min_seq, keyword, &since).await
        },
    )
}

/// `POST /databases/{id}/undo/{since}` (and `undoe`, `undot`).
pub(crate) fn undo_named(keyword: &'static str) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              Path((id, since)): Path<(String, String)>,
              min_seq: MinSeq| async move {
            command(state, Some(id), min_seq, keyword, &since).await
        },
    )
}

async fn command(
    state: AppState,
    database: Option<String>,
    min_seq: MinSeq,
    keyword: &str,
    since: &str,
) -> Result<Response, HttpError> {
    // Quoted, so that whatever the path holds is one argument for the command to judge.
    let sql = format!("{keyword} '{}'", since.replace('\'', "''"));
    answer(
        state,
        database,
        min_seq,
        vec![ha_types::Statement::new(sql)],
        false,
    )
    .await
}
