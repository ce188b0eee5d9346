//! `ha-ffi`: the plumbing the Python, Node.js and Java bindings share, so that they only
//! translate (ARCHITECTURE rule 2).
//!
//! - [`runtime`]: one tokio runtime per process, built again in a child after `fork` (a
//!   runtime's threads do not survive a fork; the parent's is left alone, never dropped in the
//!   child).
//! - [`BlockingClient`]: [`ha_client::Client`] with blocking calls for host threads; a replica's
//!   single reads run on the calling thread (no hand-off), everything else on the runtime;
//!   [`CancelToken`] stops a blocked call from another thread (a host's Ctrl-C handler).
//! - [`statement_kind`]: what a statement is to a host's connection (transaction command,
//!   database switch, data change before which PEP 249 and JDBC begin a transaction).
//! - [`ErrorClass`]: the one classification of [`ha_types::ErrorCode`] that bindings map onto
//!   their host's errors (PEP 249 exceptions, JS error codes, `SQLException` SQLStates).
//!
//! - [`options_from_properties`]: a driver's URL and named properties (JDBC) as client options.
//!
//! Every blocking call takes an [`Interrupted`] question the host answers (a pending Ctrl-C).

mod blocking;
mod cancel;
mod errors;
mod properties;
mod runtime;
mod statements;

pub use blocking::{BlockingClient, BlockingRows, BlockingSession, INTERRUPT_POLL, Interrupted};
pub use cancel::CancelToken;
pub use errors::{ErrorClass, class_for, class_of, sql_state};
pub use ha_client::{
    ClientError, ClientOptions, ErrorCode, Executed, Params, Statement, StatementResult, Status,
    Value, sqlite_version,
};
pub use ha_types::CatalogQuery;
pub use properties::options_from_properties;
pub use runtime::runtime;
pub use statements::{StatementKind, sets_last_row_id, statement_kind};
