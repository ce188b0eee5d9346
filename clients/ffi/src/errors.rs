//! The classes of errors every binding maps onto its host's: decided once, here.

use ha_types::ErrorCode;

/// How a host language should see an error (named after PEP 249's exceptions, which the other
/// hosts' mappings follow too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// A constraint failed (unique, not null, check, foreign key).
    Integrity,
    /// The statement is wrong: syntax, unknown table or column, bad parameters, unknown
    /// database.
    Programming,
    /// The database could not do it now: busy, unavailable, read-only, transaction state,
    /// pending replication (committed locally, not yet confirmed).
    Operational,
    /// Not supported by this build.
    NotSupported,
    /// The client's own use: bad URL or options, wrong credentials.
    Interface,
    /// A fault inside ha.
    Internal,
}

/// The class of a client error: a URL or option the client cannot use is the caller's
/// (interface), an unreachable node or broker is operational, the rest by its code.
pub fn class_of(error: &ha_client::ClientError) -> ErrorClass {
    match error {
        ha_client::ClientError::BadUrl(_) | ha_client::ClientError::Closed => ErrorClass::Interface,
        ha_client::ClientError::Unavailable(_) => ErrorClass::Operational,
        ha_client::ClientError::Failed { code, .. } => class_for(*code),
    }
}

/// The SQLSTATE of a client error for drivers that report one (JDBC): the engine's from the
/// shared table ([`ha_types::sqlstate`]); the client's own failures in the connection class:
/// `08001` a connection that cannot be made (bad URL or options), `08003` a closed one,
/// `08006` a node or broker lost.
pub fn sql_state(error: &ha_client::ClientError) -> &'static str {
    match error {
        ha_client::ClientError::BadUrl(_) => "08001",
        ha_client::ClientError::Closed => "08003",
        ha_client::ClientError::Unavailable(_) => "08006",
        ha_client::ClientError::Failed { code, message, .. } => ha_types::sqlstate(*code, message),
    }
}

pub fn class_for(code: ErrorCode) -> ErrorClass {
    match code {
        ErrorCode::SqlConstraint => ErrorClass::Integrity,
        ErrorCode::SqlSyntax
        | ErrorCode::SqlUnknownObject
        | ErrorCode::SqlError
        | ErrorCode::BadRequest
        | ErrorCode::UnknownDatabase
        | ErrorCode::UnknownReplication
        | ErrorCode::DatabaseExists
        | ErrorCode::NotFound
        | ErrorCode::PayloadTooLarge => ErrorClass::Programming,
        ErrorCode::Busy
        | ErrorCode::Unavailable
        | ErrorCode::ReplicationPending
        | ErrorCode::ReadOnly
        | ErrorCode::Cancelled
        | ErrorCode::Conflict
        | ErrorCode::TransactionAborted
        | ErrorCode::TransactionState
        | ErrorCode::NoSnapshot => ErrorClass::Operational,
        ErrorCode::NotSupported | ErrorCode::MethodNotAllowed => ErrorClass::NotSupported,
        ErrorCode::Unauthorized => ErrorClass::Interface,
        _ => ErrorClass::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ha_client::ClientError;

    #[test]
    fn sql_states_put_connection_failures_in_class_08() {
        assert_eq!(sql_state(&ClientError::BadUrl("x".into())), "08001");
        assert_eq!(sql_state(&ClientError::Closed), "08003");
        assert_eq!(sql_state(&ClientError::Unavailable("x".into())), "08006");
        let unique = ClientError::Failed {
            code: ErrorCode::SqlConstraint,
            message: "UNIQUE constraint failed: t.x".into(),
            statement_index: None,
        };
        assert_eq!(sql_state(&unique), "23505");
    }

    #[test]
    fn every_code_has_a_class() {
        for code in ErrorCode::ALL {
            let class = class_for(*code);
            assert!(
                *code != ErrorCode::Internal || class == ErrorClass::Internal,
                "{code}"
            );
        }
        assert_eq!(class_for(ErrorCode::SqlConstraint), ErrorClass::Integrity);
        assert_eq!(
            class_for(ErrorCode::ReplicationPending),
            ErrorClass::Operational
        );
    }
}
