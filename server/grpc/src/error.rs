//! The one mapping from the stable error codes to gRPC status codes. The status carries the
//! stable code too: in its details (an encoded `ha.v1.Error`) and as `ha-error-code` metadata.

use ha_proto::v1;
use ha_server_api::ApiError;
use ha_types::ErrorCode;
use prost::Message;
use tonic::{Code, Status};

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

/// The status of an error, with its stable code in the details and metadata.
pub fn status_for(error: &ApiError) -> Status {
    let detail = proto_error(error);
    let mut status = Status::with_details(
        code_for(error.code),
        error.message.clone(),
        detail.encode_to_vec().into(),
    );
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
        let detail = v1::Error::decode(status.details()).unwrap();
        assert_eq!(detail.code, "sql_constraint");
        assert_eq!(
            status.metadata().get("ha-error-code").unwrap(),
            "sql_constraint"
        );
    }
}
