//! The one error of the client, with the stable code every binding maps to its host's errors.

use ha_types::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL or options are not usable.
    #[error("{0}")]
    BadUrl(String),
    /// The node (remote) or the engine (local) refused or failed the request.
    #[error("{message}")]
    Failed {
        code: ErrorCode,
        message: String,
        /// For a batch: the failing statement.
        statement_index: Option<usize>,
    },
    /// The node or the broker cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// The connection was closed by its owner: nothing more can go through it.
    #[error("the connection is closed")]
    Closed,
}

impl ClientError {
    /// The stable classification (the same codes as the HTTP API's `code`).
    pub fn code(&self) -> ErrorCode {
        match self {
            ClientError::BadUrl(_) => ErrorCode::BadRequest,
            ClientError::Failed { code, .. } => *code,
            ClientError::Unavailable(_) => ErrorCode::Unavailable,
            ClientError::Closed => ErrorCode::BadRequest,
        }
    }
}

impl From<ha_core::CoreError> for ClientError {
    fn from(error: ha_core::CoreError) -> Self {
        ClientError::Failed {
            code: error.code(),
            message: error.root_message(),
            statement_index: error.statement_index(),
        }
    }
}

impl From<ha_nats::NatsError> for ClientError {
    fn from(error: ha_nats::NatsError) -> Self {
        match error {
            ha_nats::NatsError::Database(e) => e.into(),
            other => ClientError::Failed {
                code: other.code(),
                message: other.to_string(),
                statement_index: None,
            },
        }
    }
}
