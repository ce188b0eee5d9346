//! `ha-ffi`: the plumbing the Python, Node.js and Java bindings share, so that they only
//! translate (ARCHITECTURE rule 2).
//!
//! - [`runtime`]: one tokio runtime per process, built again in a child after `fork` (a
//!   runtime's threads do not survive a fork; the parent's is left alone, never dropped in the
//!   child).
//! - [`BlockingClient`]: [`ha_client::Client`] with blocking calls for host threads; a replica's
//!   single reads run on the calling thread (no hand-off), everything else on the runtime;
//!   [`CancelToken`] stops a blocked call from another thread (a host's Ctrl-C handler).
//! - [`ErrorClass`]: the one classification of [`ha_types::ErrorCode`] that bindings map onto
//!   their host's errors (PEP 249 exceptions, JS error codes, `SQLException` SQLStates).

mod blocking;
mod cancel;
mod errors;
mod runtime;

pub use blocking::{BlockingClient, BlockingRows, BlockingSession};
pub use cancel::CancelToken;
pub use errors::{ErrorClass, class_for};
pub use ha_client::{
    ClientError, ClientOptions, ErrorCode, Executed, Params, Statement, StatementResult, Status,
    Value,
};
pub use runtime::runtime;
