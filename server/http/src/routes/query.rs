use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ha_server_api::Session;

use super::AppState;
use crate::body::{body_bytes, parse_query};
use crate::error::HttpError;
use crate::json::{BatchBody, ResultBody};

/// The log sequence of a write's change set (SPEC §4.2).
const SEQ_HEADER: HeaderName = HeaderName::from_static("x-ha-seq");

/// `POST /` and `POST /query`.
pub(crate) async fn default_database(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    run(state, None, body).await
}

/// `POST /databases/{id}` and `POST /databases/{id}/query`.
pub(crate) async fn named_database(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    run(state, Some(id), body).await
}

async fn run(
    state: AppState,
    database: Option<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let request = parse_query(&body_bytes(body)?)?;
    let mut session = Session::for_database(database);
    let outcome = state
        .service
        .execute(&mut session, request.statements)
        .await?;
    let results = &outcome.results;
    let json = match (request.batch, results.first()) {
        (false, Some(result)) => serde_json::to_vec(&ResultBody(result)),
        _ => serde_json::to_vec(&BatchBody(results)),
    };
    let json = json.map_err(|e| {
        tracing::error!(error = %e, "serializing a result failed");
        HttpError::new(ha_types::ErrorCode::Internal, "internal error")
    })?;
    let mut response = ([(header::CONTENT_TYPE, "application/json")], json).into_response();
    if let Some(seq) = outcome.seq {
        response
            .headers_mut()
            .insert(SEQ_HEADER, HeaderValue::from(seq));
    }
    Ok(response)
}
