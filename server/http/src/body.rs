//! Reading a query request body: one statement object or an array of them (SPEC §4.2).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ha_server_api::ApiError;
use std::fmt;

use ha_types::{ErrorCode, JsonParams, Params, Statement, Value};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
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
    match serde_json::from_slice::<Direct>(bytes) {
        Ok(Direct(request)) => Ok(request),
        Err(_) => parse_query_by_tree(bytes),
    }
}

/// The body read through a JSON tree: the reference, and the answer for any body the direct
/// reader refuses (its messages are the API's).
fn parse_query_by_tree(bytes: &[u8]) -> Result<QueryRequest, HttpError> {
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

/// A request body read straight into statements, without a JSON tree first (on a point select
/// the tree and its copies were a few percent of the request). It refuses whatever it is not
/// sure to read as [`parse_query`]'s tree path does (duplicate keys, an empty array, any
/// error): that path then answers, with the API's messages.
struct Direct(QueryRequest);

impl<'de> Deserialize<'de> for Direct {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BodyVisitor).map(Direct)
    }
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = QueryRequest;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a statement object or a non-empty array of them")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<QueryRequest, A::Error> {
        Ok(QueryRequest {
            statements: vec![statement_from(map)?],
            batch: false,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<QueryRequest, A::Error> {
        let mut statements = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(1024));
        while let Some(DirectStatement(statement)) = seq.next_element()? {
            statements.push(statement);
        }
        if statements.is_empty() {
            return Err(de::Error::custom("empty array"));
        }
        Ok(QueryRequest {
            statements,
            batch: true,
        })
    }
}

struct DirectStatement(Statement);

impl<'de> Deserialize<'de> for DirectStatement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(StatementVisitor).map(DirectStatement)
    }
}

struct StatementVisitor;

impl<'de> Visitor<'de> for StatementVisitor {
    type Value = Statement;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a statement object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Statement, A::Error> {
        statement_from(map)
    }
}

/// `{"sql": ..., "params": ...}`; other fields are ignored, as the tree path ignores them.
fn statement_from<'de, A: MapAccess<'de>>(mut map: A) -> Result<Statement, A::Error> {
    let (mut sql, mut params) = (None, None);
    while let Some(field) = map.next_key::<Field>()? {
        match field {
            Field::Sql if sql.is_none() => sql = Some(map.next_value::<String>()?),
            Field::Params if params.is_none() => params = Some(map.next_value::<JsonParams>()?.0),
            Field::Sql | Field::Params => return Err(de::Error::custom("duplicate field")),
            Field::Other => {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
    }
    let sql = sql.ok_or_else(|| de::Error::custom("missing \"sql\""))?;
    Ok(Statement {
        sql,
        params: params.unwrap_or(Params::None),
    })
}

/// A statement object's keys, told apart without copying them.
enum Field {
    Sql,
    Params,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(FieldVisitor)
    }
}

struct FieldVisitor;

impl Visitor<'_> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
        Ok(match name {
            "sql" => Field::Sql,
            "params" => Field::Params,
            _ => Field::Other,
        })
    }
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

    /// Every body the direct reader accepts reads as the tree reads it; the usual shapes are
    /// read directly; anything else gets the tree's answer.
    #[test]
    fn the_direct_reader_agrees_with_the_tree() {
        let direct = |body: &str| serde_json::from_slice::<Direct>(body.as_bytes()).map(|d| d.0);
        let read_directly = [
            r#"{"sql": "SELECT 1"}"#,
            r#"{"sql": "SELECT ?", "params": [4242]}"#,
            r#"{"sql": "SELECT ?", "params": null}"#,
            r#"{"params": [1, 2.5, "x", null, true, {"base64": "AAE="}], "sql": "SELECT ?, ?, ?, ?, ?, ?"}"#,
            r#"{"sql": "SELECT :b, :a", "params": {"b": 1, "a": "two", ":c": -3}}"#,
            r#"{"sql": "SELECT 1", "other": {"nested": [1, {"x": 2}]}}"#,
            r#"{"sql": "SELECT \"q\" || '\u00e9'"}"#,
            r#"[{"sql": "INSERT INTO t VALUES (?)", "params": [1]}, {"sql": "SELECT 2"}]"#,
            r#"[{"sql": "SELECT -9223372036854775808", "params": [9223372036854775807, 1e300]}]"#,
        ];
        for body in read_directly {
            let directly = direct(body).unwrap_or_else(|e| panic!("{body}: {e}"));
            let by_tree = parse_query_by_tree(body.as_bytes()).unwrap();
            assert_eq!(directly.statements, by_tree.statements, "{body}");
            assert_eq!(directly.batch, by_tree.batch, "{body}");
        }
        let left_to_the_tree = [
            "",
            "{",
            "42",
            "null",
            "[]",
            "[1]",
            r#""SELECT 1""#,
            r#"{"params": []}"#,
            r#"{"sql": 1}"#,
            r#"{"sql": "a", "sql": "b"}"#,
            r#"{"sql": "x", "params": 3}"#,
            r#"{"sql": "x", "params": 1.5}"#,
            r#"{"sql": "x", "params": 9223372036854775808}"#,
            r#"{"sql": "x", "params": "3"}"#,
            r#"{"sql": "x", "params": [[1]]}"#,
            r#"{"sql": "x", "params": [9223372036854775808]}"#,
            r#"{"sql": "x", "params": {"a": 1, "a": 2}}"#,
            r#"{"sql": "x", "params": [{"real": "inf"}]}"#,
            r#"[{"sql": "x"}, {"sql": 1}]"#,
            r#"{"sql": "x"} trailing"#,
        ];
        for body in left_to_the_tree {
            assert!(direct(body).is_err(), "{body} should be left to the tree");
        }
        // Duplicate names: the tree keeps the last, and so does the answer.
        let duplicate = parse_query(br#"{"sql": "x", "params": {"a": 1, "a": 2}}"#).unwrap();
        assert_eq!(
            duplicate.statements[0].params,
            Params::Named(vec![("a".into(), Value::Integer(2))])
        );
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
