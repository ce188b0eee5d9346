//! Reading a query request body: one statement object or an array of them (SPEC §4.2).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ha_server_api::ApiError;
use ha_types::{ErrorCode, Params, Statement, Value};
use serde_json::Value as Json;

use crate::error::HttpError;

/// The statements of a request, and whether it was a single object (answered with one result)
/// or an array (answered with `{"results": [...]}`).
pub(crate) struct QueryRequest {
    pub statements: Vec<Statement>,
    pub batch: bool,
}

/// The body bytes, or the JSON error for a body that could not be read (413 when too large).
pub(crate) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, HttpError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            HttpError::new(ErrorCode::PayloadTooLarge, "request body too large")
        } else {
            HttpError::new(
                ErrorCode::BadRequest,
                format!("could not read the request body: {rejection}"),
            )
        }
    })
}

/// Refuses a request whose `Content-Length` is over `limit` before anything reads its body
/// (the same 413 as [`body_bytes`]). Read first, a large body would be asked for (`100
/// Continue`) and cut off by the 413: a client still sending it (curl with a file) saw a broken
/// pipe instead of the answer.
pub(crate) async fn refuse_oversized(
    State(limit): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return HttpError::new(ErrorCode::PayloadTooLarge, "request body too large")
            .into_response();
    }
    next.run(request).await
}

pub(crate) fn parse_json(bytes: &[u8]) -> Result<Json, HttpError> {
    serde_json::from_slice(bytes)
        .map_err(|e| HttpError::new(ErrorCode::BadRequest, format!("malformed JSON: {e}")))
}

pub(crate) fn parse_query(bytes: &[u8]) -> Result<QueryRequest, HttpError> {
    match parse_json(bytes)? {
        Json::Array(items) if items.is_empty() => Err(HttpError::new(
            ErrorCode::BadRequest,
            "empty array: send at least one statement",
        )),
        Json::Array(items) => {
            let statements = items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    parse_statement(item).map_err(|mut e| {
                        e.statement_index = Some(index);
                        HttpError(e)
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(QueryRequest {
                statements,
                batch: true,
            })
        }
        object @ Json::Object(_) => Ok(QueryRequest {
            statements: vec![parse_statement(&object)?],
            batch: false,
        }),
        _ => Err(HttpError::new(
            ErrorCode::BadRequest,
            "expected a statement object {\"sql\": ..., \"params\": ...} or an array of them",
        )),
    }
}

fn parse_statement(item: &Json) -> Result<Statement, ApiError> {
    let bad = |message: String| ApiError::new(ErrorCode::BadRequest, message);
    let Json::Object(fields) = item else {
        return Err(bad(
            "each statement must be an object {\"sql\": ..., \"params\": ...}".into(),
        ));
    };
    let sql = match fields.get("sql") {
        Some(Json::String(sql)) => sql.clone(),
        Some(_) => return Err(bad("\"sql\" must be a string".into())),
        None => return Err(bad("missing \"sql\"".into())),
    };
    let value = |json: &Json, name: &str| {
        Value::from_json_param(json).map_err(|e| bad(format!("parameter {name}: {e}")))
    };
    let params = match fields.get("params") {
        None | Some(Json::Null) => Params::None,
        Some(Json::Array(items)) => Params::Positional(
            items
                .iter()
                .enumerate()
                .map(|(i, json)| value(json, &(i + 1).to_string()))
                .collect::<Result<_, _>>()?,
        ),
        Some(Json::Object(map)) => Params::Named(
            map.iter()
                .map(|(name, json)| Ok((name.clone(), value(json, name)?)))
                .collect::<Result<_, ApiError>>()?,
        ),
        Some(_) => {
            return Err(bad(
                "\"params\" must be an object (by name) or an array (by position)".into(),
            ));
        }
    };
    Ok(Statement { sql, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(body: &str) -> ApiError {
        match parse_query(body.as_bytes()) {
            Err(HttpError(e)) => e,
            Ok(_) => panic!("{body} should be refused"),
        }
    }

    #[test]
    fn shapes() {
        let one = parse_query(br#"{"sql": "SELECT :a", "params": {"a": 1}}"#).unwrap();
        assert!(!one.batch);
        assert_eq!(
            one.statements[0].params,
            Params::Named(vec![("a".into(), Value::Integer(1))])
        );
        let many =
            parse_query(br#"[{"sql": "SELECT ?", "params": [1.5]}, {"sql": "SELECT 2"}]"#).unwrap();
        assert!(many.batch);
        assert_eq!(
            many.statements[0].params,
            Params::Positional(vec![Value::Real(1.5)])
        );
        assert_eq!(many.statements[1].params, Params::None);
    }

    #[test]
    fn refusals() {
        assert!(error_of("{").message.starts_with("malformed JSON"));
        assert!(error_of("[]").message.starts_with("empty array"));
        assert_eq!(error_of(r#"{"params": []}"#).message, "missing \"sql\"");
        assert_eq!(
            error_of(r#"[{"sql": "x"}, {"sql": 1}]"#).statement_index,
            Some(1)
        );
        assert!(
            error_of(r#"{"sql": "x", "params": [[1]]}"#)
                .message
                .contains("parameter 1")
        );
        assert!(
            error_of(r#"{"sql": "x", "params": 3}"#)
                .message
                .contains("params")
        );
        assert!(error_of("42").message.starts_with("expected"));
    }
}
