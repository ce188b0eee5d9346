//! The one mapping from the stable error codes to HTTP, and the JSON error body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ha_server_api::ApiError;
use ha_types::ErrorCode;

/// The HTTP status of an error code (SPEC §4.1).
pub fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest
        | ErrorCode::SqlSyntax
        | ErrorCode::SqlConstraint
        | ErrorCode::SqlUnknownObject
        | ErrorCode::SqlError => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::UnknownDatabase
        | ErrorCode::UnknownReplication
        | ErrorCode::NotFound
        | ErrorCode::NoSnapshot => StatusCode::NOT_FOUND,
        ErrorCode::DatabaseExists | ErrorCode::Conflict | ErrorCode::ReadOnly => {
            StatusCode::CONFLICT
        }
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Busy
        | ErrorCode::Cancelled
        | ErrorCode::ReplicationPending
        | ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::NotSupported => StatusCode::NOT_IMPLEMENTED,
        ErrorCode::TransactionAborted | ErrorCode::TransactionState => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error as the HTTP API answers it: `{"error": ..., "code": ..., "statement": i?}`.
#[derive(Debug)]
pub(crate) struct HttpError(pub ApiError);

impl HttpError {
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> HttpError {
        HttpError(ApiError::new(code, message))
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        HttpError(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let ApiError {
            code,
            message,
            statement_index,
        } = self.0;
        let mut body = serde_json::json!({ "error": message, "code": code.as_str() });
        if let Some(index) = statement_index {
            body["statement"] = index.into();
        }
        let status = status_for(code);
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
