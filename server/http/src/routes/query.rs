use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ha_server_api::Session;

use super::AppState;
use crate::body::{body_bytes, parse_query};
use crate::error::HttpError;
use crate::json::{BatchBody, ResultBody};

/// The log sequence of a write's change set (SPEC §4.2).
const SEQ_HEADER: HeaderName = HeaderName::from_static("x-ha-seq");

/// Read-your-writes across nodes: wait until this node has applied that log sequence.
const MIN_SEQ_HEADER: &str = "x-ha-min-seq";

/// The request's `X-Ha-Min-Seq`, read where it lies (the `HeaderMap` extractor would copy
/// every header of every query).
pub(crate) struct MinSeq(Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for MinSeq {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, HttpError> {
        let Some(value) = parts.headers.get(MIN_SEQ_HEADER) else {
            return Ok(MinSeq(None));
        };
        value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(|seq| MinSeq(Some(seq)))
            .ok_or_else(|| {
                HttpError::new(
                    ha_types::ErrorCode::BadRequest,
                    "X-Ha-Min-Seq must be a log sequence number",
                )
            })
    }
}

/// `POST /` and `POST /query`.
pub(crate) async fn default_database(
    State(state): State<AppState>,
    min_seq: MinSeq,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    run(state, None, min_seq, body).await
}

/// `POST /databases/{id}` and `POST /databases/{id}/query`.
pub(crate) async fn named_database(
    State(state): State<AppState>,
    Path(id): Path<String>,
    min_seq: MinSeq,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    run(state, Some(id), min_seq, body).await
}

async fn run(
    state: AppState,
    database: Option<String>,
    min_seq: MinSeq,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let request = parse_query(&body_bytes(body)?)?;
    answer(state, database, min_seq, request.statements, request.batch).await
}

/// Runs `statements` on `database` (`None`: the default) and answers their results as JSON,
/// with the write's log sequence in `X-Ha-Seq`; `batch` answers `{"results": [...]}`.
pub(crate) async fn answer(
    state: AppState,
    database: Option<String>,
    MinSeq(min_seq): MinSeq,
    statements: Vec<ha_types::Statement>,
    batch: bool,
) -> Result<Response, HttpError> {
    let mut session = Session::for_database(database);
    session.min_seq = min_seq;
    let outcome = state.service.execute(&mut session, statements).await?;
    let seq = outcome.seq;
    let results = outcome.results;
    let json = if results.iter().map(cells).sum::<usize>() > ENCODE_INLINE_CELLS {
        tokio::task::spawn_blocking(move || encode(batch, &results))
            .await
            .map_err(|e| serializing_failed(&e))??
    } else {
        encode(batch, &results)?
    };
    let mut response = ([(header::CONTENT_TYPE, "application/json")], json).into_response();
    if let Some(seq) = seq {
        response
            .headers_mut()
            .insert(SEQ_HEADER, HeaderValue::from(seq));
    }
    Ok(response)
}

/// Values in the results above which their JSON is written on the blocking pool: a large answer
/// takes milliseconds to encode, and a runtime worker held that long holds up every connection
/// queued behind it (all of them, on a node run with `--workers 1`).
const ENCODE_INLINE_CELLS: usize = 16 * 1024;

fn cells(result: &ha_types::StatementResult) -> usize {
    match result {
        ha_types::StatementResult::Rows { columns, rows, .. } => rows.len() * columns.len().max(1),
        ha_types::StatementResult::Exec { .. } => 1,
    }
}

fn encode(batch: bool, results: &[ha_types::StatementResult]) -> Result<Vec<u8>, HttpError> {
    match (batch, results.first()) {
        (false, Some(result)) => serde_json::to_vec(&ResultBody(result)),
        _ => serde_json::to_vec(&BatchBody(results)),
    }
    .map_err(|e| serializing_failed(&e))
}

fn serializing_failed(error: &dyn std::fmt::Display) -> HttpError {
    tracing::error!(%error, "serializing a result failed");
    HttpError::new(ha_types::ErrorCode::Internal, "internal error")
}
