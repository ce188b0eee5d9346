use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio_util::io::ReaderStream;

use super::AppState;
use crate::error::HttpError;

/// `GET /download`: a consistent SQLite file of the default database.
pub(crate) async fn default_database(State(state): State<AppState>) -> Result<Response, HttpError> {
    download(state, None).await
}

/// `GET /databases/{id}/download`.
pub(crate) async fn named_database(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    download(state, Some(id)).await
}

async fn download(state: AppState, database: Option<String>) -> Result<Response, HttpError> {
    let backup = state.service.backup(database.as_deref()).await?;
    Ok(file_response(backup))
}

/// A SQLite file as an attachment named after its database; a snapshot's log sequence in
/// `X-Ha-Seq`.
pub(crate) fn file_response(backup: ha_server_api::Backup) -> Response {
    let filename: String = backup
        .database
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Large reads: the default 4 KiB chunks make a 200 MiB download take seconds longer.
    let stream = ReaderStream::with_capacity(tokio::fs::File::from_std(backup.file), 256 << 10);
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/vnd.sqlite3".to_string()),
            (header::CONTENT_LENGTH, backup.len.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    if let Some(seq) = backup.seq
        && let Ok(value) = header::HeaderValue::from_str(&seq.to_string())
    {
        response.headers_mut().insert("x-ha-seq", value);
    }
    response
}
