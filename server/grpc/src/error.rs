//! The one mapping from the stable error codes to gRPC status codes. The status carries the
//! stable code too: in its details, as the standard rich error model (`google.rpc.Status` with
//! an `ErrorInfo` whose reason is the code, domain `ha`, and `statement_index` for a batch),
//! which generic clients (grpcurl, grpc-go, grpcio-status) decode, and as `ha-error-code`
//! metadata for the simplest clients.

use ha_proto::v1;
use ha_server_api::ApiError;
use ha_types::ErrorCode;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The gRPC code of an error code.
pub fn code_for(code: ErrorCode) -> Code {
    match code {
        ErrorCode::BadRequest
        | ErrorCode::SqlSyntax
        | ErrorCode::SqlUnknownObject
        | ErrorCode::SqlError => Code::InvalidArgument,
        ErrorCode::SqlConstraint
        | ErrorCode::Conflict
        | ErrorCode::ReadOnly
        | ErrorCode::TransactionState => Code::FailedPrecondition,
        ErrorCode::TransactionAborted => Code::Aborted,
        ErrorCode::UnknownDatabase
        | ErrorCode::UnknownReplication
        | ErrorCode::NotFound
        | ErrorCode::NoSnapshot => Code::NotFound,
        ErrorCode::DatabaseExists => Code::AlreadyExists,
        ErrorCode::Unauthorized => Code::Unauthenticated,
        ErrorCode::MethodNotAllowed | ErrorCode::NotSupported => Code::Unimplemented,
        ErrorCode::PayloadTooLarge => Code::ResourceExhausted,
        ErrorCode::Busy | ErrorCode::Unavailable => Code::Unavailable,
        // Committed locally, not yet confirmed by the log: "may have completed", and not a code
        // clients retry on their own (a retry would write twice).
        ErrorCode::ReplicationPending => Code::DeadlineExceeded,
        ErrorCode::Cancelled => Code::Cancelled,
        _ => Code::Internal,
    }
}

/// The domain of `ErrorInfo` details.
pub const ERROR_DOMAIN: &str = "ha";

/// The status of an error, with its stable code in the details and metadata.
pub fn status_for(error: &ApiError) -> Status {
    let mut metadata = std::collections::HashMap::new();
    if let Some(index) = error.statement_index {
        metadata.insert("statement_index".to_string(), index.to_string());
    }
    let details = ErrorDetails::with_error_info(error.code.as_str(), ERROR_DOMAIN, metadata);
    let mut status =
        Status::with_error_details(code_for(error.code), error.message.clone(), details);
    if let Ok(value) = error.code.as_str().parse() {
        status.metadata_mut().insert("ha-error-code", value);
    }
    status
}

/// The error as the `Query` stream's responses carry it.
pub(crate) fn proto_error(error: &ApiError) -> v1::Error {
    v1::Error {
        code: error.code.as_str().to_string(),
        message: error.message.clone(),
        statement_index: error.statement_index.map(|i| i as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_pending_replication_is_not_a_code_clients_retry() {
        assert_eq!(
            code_for(ErrorCode::ReplicationPending),
            Code::DeadlineExceeded
        );
        assert_eq!(code_for(ErrorCode::Busy), Code::Unavailable);
        let status = status_for(&ApiError::new(
            ErrorCode::SqlConstraint,
            "UNIQUE constraint failed",
        ));
        assert_eq!(status.code(), Code::FailedPrecondition);
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("sql_constraint", "ha")
        );
        assert_eq!(
            status.metadata().get("ha-error-code").unwrap(),
            "sql_constraint"
        );
    }
}
