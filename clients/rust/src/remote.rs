//! A remote node over the gRPC API. Read-your-writes: every call carries the highest log
//! sequence this client's writes got, so a read on a node that has not applied them waits.

use std::sync::atomic::{AtomicU64, Ordering};

use futures::channel::mpsc;
use ha_proto::v1;
use ha_proto::v1::database_client::DatabaseClient;
use ha_types::{ErrorCode, Params, Statement, StatementResult};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::{ClientError, ClientOptions, Executed};

type Grpc = DatabaseClient<InterceptedService<Channel, Token>>;

/// An error with its causes ("transport error" alone says nothing of a refused certificate).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// TLS for `https://`: the system's certificate authorities, and the one of
/// [`ClientOptions::tls_ca_file`] if given; the server must offer HTTP/2 (ALPN `h2`).
fn tls(options: &ClientOptions) -> Result<ClientTlsConfig, ClientError> {
    let mut tls = ClientTlsConfig::new().with_native_roots();
    if let Some(file) = &options.tls_ca_file {
        let pem = std::fs::read(file).map_err(|e| {
            ClientError::BadUrl(format!(
                "reading the CA certificate {}: {e}",
                file.display()
            ))
        })?;
        tls = tls.ca_certificate(Certificate::from_pem(pem));
    }
    Ok(tls)
}

/// Adds the token as `authorization` metadata.
#[derive(Clone)]
pub(crate) struct Token(Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>);

impl Interceptor for Token {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if let Some(token) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", token.clone());
        }
        Ok(request)
    }
}

pub(crate) struct Remote {
    grpc: Grpc,
    database: String,
    last_seq: std::sync::Arc<AtomicU64>,
}

impl Remote {
    pub(crate) async fn connect(
        endpoint: String,
        database: Option<String>,
        options: ClientOptions,
    ) -> Result<Remote, ClientError> {
        let token = match &options.token {
            Some(token) => Some(
                format!("Bearer {token}")
                    .parse()
                    .map_err(|_| ClientError::BadUrl("the token is not valid ASCII".into()))?,
            ),
            None => None,
        };
        let mut channel = Channel::from_shared(endpoint.clone())
            .map_err(|e| ClientError::BadUrl(format!("{endpoint}: {e}")))?;
        if endpoint.starts_with("https://") {
            channel = channel
                .tls_config(tls(&options)?)
                .map_err(|e| ClientError::BadUrl(format!("{endpoint}: {e}")))?;
        }
        let channel = channel.connect().await.map_err(|e| {
            ClientError::Unavailable(format!("cannot reach {endpoint}: {}", chain(&e)))
        })?;
        Ok(Remote {
            // The node bounds what it sends (`--max-body-size`); the client takes any answer
            // (tonic's default would fail results beyond 4 MiB).
            grpc: DatabaseClient::with_interceptor(channel, Token(token))
                .max_decoding_message_size(usize::MAX)
                .max_encoding_message_size(usize::MAX),
            database: database.unwrap_or_default(),
            last_seq: std::sync::Arc::default(),
        })
    }

    fn min_seq(&self) -> Option<u64> {
        Some(self.last_seq.load(Ordering::Relaxed)).filter(|s| *s > 0)
    }

    pub(crate) fn wrote(&self, seq: Option<u64>) {
        if let Some(seq) = seq {
            self.last_seq.fetch_max(seq, Ordering::Relaxed);
        }
    }

    pub(crate) async fn execute(
        &self,
        statements: Vec<Statement>,
    ) -> Result<Executed, ClientError> {
        let executed = self.send(statements, self.min_seq()).await?;
        self.wrote(executed.seq);
        Ok(executed)
    }

    /// For a follower forwarding its clients' requests to the leader (leader mode,
    /// `forward.rs`): sends no read-your-writes position of its own (the leader has everything
    /// it wrote, and the many sessions sharing this client must not wait for each other) and
    /// keeps none; the answer's sequence is the caller's to keep.
    pub(crate) async fn forward(
        &self,
        statements: Vec<Statement>,
    ) -> Result<Executed, ClientError> {
        self.send(statements, None).await
    }

    async fn send(
        &self,
        statements: Vec<Statement>,
        min_seq: Option<u64>,
    ) -> Result<Executed, ClientError> {
        let request = v1::ExecuteRequest {
            database: self.database.clone(),
            statements: statements.into_iter().map(statement_to_proto).collect(),
            min_seq,
        };
        let answer = self
            .grpc
            .clone()
            .execute(request)
            .await
            .map_err(from_status)?
            .into_inner();
        Ok(Executed {
            results: answer
                .results
                .into_iter()
                .map(StatementResult::from)
                .collect(),
            seq: answer.seq,
        })
    }

    pub(crate) async fn query(&self, statement: Statement) -> Result<crate::Rows, ClientError> {
        let request = v1::QueryRowsRequest {
            database: self.database.clone(),
            statement: Some(statement_to_proto(statement)),
            min_seq: self.min_seq(),
            batch_rows: crate::BATCH_ROWS as u32,
        };
        let mut chunks = self
            .grpc
            .clone()
            .query_rows(request)
            .await
            .map_err(from_status)?
            .into_inner();
        let first = chunks
            .message()
            .await
            .map_err(from_status)?
            .ok_or_else(|| ClientError::Unavailable("the node sent no columns".into()))?;
        let (columns, declared_types) = ha_proto::convert::columns_from_proto(first.columns);
        Ok(crate::Rows {
            columns,
            declared_types,
            source: crate::RowSource::Remote(chunks),
        })
    }

    pub(crate) async fn session(&self) -> Result<RemoteSession, ClientError> {
        let (requests, outgoing) = mpsc::unbounded();
        let responses = self
            .grpc
            .clone()
            .query(outgoing)
            .await
            .map_err(from_status)?
            .into_inner();
        Ok(RemoteSession {
            requests,
            responses,
            database: Some(self.database.clone()),
            last_seq: std::sync::Arc::clone(&self.last_seq),
            open: false,
        })
    }

    pub(crate) fn status(&self) -> crate::Status {
        crate::Status {
            applied_seq: self.last_seq.load(Ordering::Relaxed),
            ..crate::Status::default()
        }
    }
}

/// A `Query` stream: one response per request, in order.
pub(crate) struct RemoteSession {
    requests: mpsc::UnboundedSender<v1::QueryRequest>,
    responses: tonic::Streaming<v1::QueryResponse>,
    /// Sent with the first request only.
    database: Option<String>,
    last_seq: std::sync::Arc<AtomicU64>,
    open: bool,
}

impl RemoteSession {
    pub(crate) async fn execute(&mut self, statement: Statement) -> Result<Executed, ClientError> {
        let proto = statement_to_proto(statement);
        let seq = self.last_seq.load(Ordering::Relaxed);
        let request = v1::QueryRequest {
            sql: proto.sql,
            params: proto.params,
            named_params: proto.named_params,
            min_seq: (seq > 0).then_some(seq),
            database: self.database.take().unwrap_or_default(),
        };
        let gone = || ClientError::Unavailable("the session's stream ended".into());
        self.requests.unbounded_send(request).map_err(|_| gone())?;
        let answer = self
            .responses
            .message()
            .await
            .map_err(from_status)?
            .ok_or_else(gone)?;
        self.open = answer.transaction != v1::TransactionStatus::Idle as i32;
        if let Some(error) = answer.error {
            return Err(ClientError::Failed {
                code: ErrorCode::from_code(&error.code).unwrap_or(ErrorCode::Internal),
                message: error.message,
                statement_index: error.statement_index.map(|i| i as usize),
            });
        }
        if let Some(seq) = answer.seq {
            self.last_seq.fetch_max(seq, Ordering::Relaxed);
        }
        Ok(Executed {
            results: answer
                .results
                .into_iter()
                .map(StatementResult::from)
                .collect(),
            seq: answer.seq,
        })
    }

    pub(crate) fn in_transaction(&self) -> bool {
        self.open
    }
}

pub(crate) fn from_status(status: Status) -> ClientError {
    if let Some(info) = status.get_details_error_info()
        && let Some(code) = ErrorCode::from_code(&info.reason)
    {
        return ClientError::Failed {
            code,
            message: status.message().to_string(),
            statement_index: info
                .metadata
                .get("statement_index")
                .and_then(|i| i.parse().ok()),
        };
    }
    match status.code() {
        Code::Unavailable | Code::Unknown => ClientError::Unavailable(status.message().to_string()),
        _ => ClientError::Failed {
            code: ErrorCode::Internal,
            message: status.message().to_string(),
            statement_index: None,
        },
    }
}

fn statement_to_proto(statement: Statement) -> v1::Statement {
    let (params, named_params) = match statement.params {
        Params::None => (Vec::new(), Default::default()),
        Params::Positional(values) => (
            values.into_iter().map(v1::Value::from).collect(),
            Default::default(),
        ),
        Params::Named(named) => (
            Vec::new(),
            named
                .into_iter()
                .map(|(name, value)| (name, v1::Value::from(value)))
                .collect(),
        ),
    };
    v1::Statement {
        sql: statement.sql,
        params,
        named_params,
    }
}
