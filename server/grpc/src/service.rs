//! `ha.v1.Database` over the node's `QueryService`: each call translates its messages and asks
//! the node; nothing here knows SQL.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use ha_proto::v1;
use ha_proto::v1::database_server::Database;
use ha_server_api::{ClientSession, QueryService, Session, SessionOptions, TransactionStatus};
use tonic::{Request, Response, Status, Streaming};

use ha_proto::convert::{columns_to_proto, rows_to_proto};

use crate::convert::statement;
use crate::error::{proto_error, status_for};
use crate::files::{FileStream, chunks};

pub(crate) struct GrpcDatabase {
    service: Arc<dyn QueryService>,
}

impl GrpcDatabase {
    pub(crate) fn new(service: Arc<dyn QueryService>) -> GrpcDatabase {
        GrpcDatabase { service }
    }
}

/// An empty database name means the node's default database.
fn named(database: String) -> Option<String> {
    (!database.is_empty()).then_some(database)
}

fn transaction(status: TransactionStatus) -> i32 {
    match status {
        TransactionStatus::Idle => v1::TransactionStatus::Idle as i32,
        TransactionStatus::Open => v1::TransactionStatus::Open as i32,
        TransactionStatus::Failed => v1::TransactionStatus::Failed as i32,
    }
}

type QueryStream = Pin<Box<dyn Stream<Item = Result<v1::QueryResponse, Status>> + Send>>;
type RowsStream = Pin<Box<dyn Stream<Item = Result<v1::RowsChunk, Status>> + Send>>;

/// Rows per streamed chunk when the client leaves it to the server.
const DEFAULT_BATCH_ROWS: usize = 500;

/// The state of one `Query` stream: the requests, and the session opened at the first one.
struct QuerySession {
    requests: Streaming<v1::QueryRequest>,
    session: Option<Box<dyn ClientSession>>,
    service: Arc<dyn QueryService>,
    ended: bool,
}

impl QuerySession {
    /// The answer to the next request; `None` when the client is done.
    async fn next(&mut self) -> Option<Result<v1::QueryResponse, Status>> {
        if self.ended {
            return None;
        }
        let request = match self.requests.message().await {
            Ok(Some(request)) => request,
            Ok(None) => return None,
            Err(status) => {
                self.ended = true;
                return Some(Err(status));
            }
        };
        let session = match &mut self.session {
            Some(session) => session,
            None => {
                let options = SessionOptions {
                    database: named(request.database.clone()),
                    // Like SQLite itself: a failed statement does not doom the transaction.
                    abort_on_error: false,
                };
                match self.service.open_session(options) {
                    Ok(session) => self.session.insert(session),
                    Err(e) => {
                        self.ended = true;
                        return Some(Err(status_for(&e)));
                    }
                }
            }
        };
        if let Some(seq) = request.min_seq {
            session.set_min_seq(Some(seq));
        }
        let answer = match statement(request.sql, request.params, request.named_params) {
            Ok(statement) => session.execute(vec![statement]).await,
            Err(status) => return Some(Err(status)),
        };
        let response = match answer {
            Ok(outcome) => v1::QueryResponse {
                results: outcome
                    .results
                    .into_iter()
                    .map(v1::StatementResult::from)
                    .collect(),
                seq: outcome.seq,
                error: None,
                transaction: transaction(session.transaction_status()),
            },
            Err(e) => v1::QueryResponse {
                results: Vec::new(),
                seq: None,
                error: Some(proto_error(&e)),
                transaction: transaction(session.transaction_status()),
            },
        };
        Some(Ok(response))
    }
}

#[tonic::async_trait]
impl Database for GrpcDatabase {
    async fn execute(
        &self,
        request: Request<v1::ExecuteRequest>,
    ) -> Result<Response<v1::ExecuteResponse>, Status> {
        let request = request.into_inner();
        let statements = request
            .statements
            .into_iter()
            .map(|s| statement(s.sql, s.params, s.named_params))
            .collect::<Result<Vec<_>, _>>()?;
        let mut session = Session {
            database: named(request.database),
            min_seq: request.min_seq,
        };
        let outcome = self
            .service
            .execute(&mut session, statements)
            .await
            .map_err(|e| status_for(&e))?;
        Ok(Response::new(v1::ExecuteResponse {
            results: outcome
                .results
                .into_iter()
                .map(v1::StatementResult::from)
                .collect(),
            seq: outcome.seq,
        }))
    }

    type QueryStream = QueryStream;

    async fn query(
        &self,
        request: Request<Streaming<v1::QueryRequest>>,
    ) -> Result<Response<QueryStream>, Status> {
        let state = QuerySession {
            requests: request.into_inner(),
            session: None,
            service: Arc::clone(&self.service),
            ended: false,
        };
        // Dropping the stream (the client went away) drops the session, which rolls back an
        // open transaction.
        let responses = futures::stream::unfold(state, |mut state| async move {
            let response = state.next().await?;
            Some((response, state))
        });
        Ok(Response::new(Box::pin(responses)))
    }

    type QueryRowsStream = RowsStream;

    async fn query_rows(
        &self,
        request: Request<v1::QueryRowsRequest>,
    ) -> Result<Response<RowsStream>, Status> {
        let request = request.into_inner();
        let given = request.statement.unwrap_or_default();
        let statement = statement(given.sql, given.params, given.named_params)?;
        let session = Session {
            database: named(request.database),
            min_seq: request.min_seq,
        };
        let batch_rows = match request.batch_rows {
            0 => DEFAULT_BATCH_ROWS,
            n => n as usize,
        };
        let rows = self
            .service
            .stream_rows(&session, statement, batch_rows)
            .await
            .map_err(|e| status_for(&e))?;
        let first = v1::RowsChunk {
            columns: columns_to_proto(rows.columns, rows.declared_types),
            rows: Vec::new(),
        };
        let rest = rows.batches.map(|batch| match batch {
            Ok(rows) => Ok(v1::RowsChunk {
                columns: Vec::new(),
                rows: rows_to_proto(rows),
            }),
            Err(e) => Err(status_for(&e)),
        });
        Ok(Response::new(Box::pin(
            futures::stream::once(async { Ok(first) }).chain(rest),
        )))
    }

    async fn list_databases(
        &self,
        _request: Request<v1::ListDatabasesRequest>,
    ) -> Result<Response<v1::ListDatabasesResponse>, Status> {
        Ok(Response::new(v1::ListDatabasesResponse {
            databases: self.service.list_databases(),
        }))
    }

    type DownloadStream = FileStream;

    async fn download(
        &self,
        request: Request<v1::FileRequest>,
    ) -> Result<Response<FileStream>, Status> {
        let database = named(request.into_inner().database);
        let backup = self
            .service
            .backup(database.as_deref())
            .await
            .map_err(|e| status_for(&e))?;
        Ok(Response::new(chunks(backup)))
    }

    type LatestSnapshotStream = FileStream;

    async fn latest_snapshot(
        &self,
        request: Request<v1::FileRequest>,
    ) -> Result<Response<FileStream>, Status> {
        let database = named(request.into_inner().database);
        let snapshot = self
            .service
            .latest_snapshot(database.as_deref())
            .await
            .map_err(|e| status_for(&e))?;
        Ok(Response::new(chunks(snapshot)))
    }
}
