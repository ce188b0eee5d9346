//! Cancelling a blocking call from another thread (a statement's cancel, a timeout): the
//! blocked call sees it within [`crate::INTERRUPT_POLL`] and gives up; its future is dropped,
//! which cancels a remote request and interrupts a local read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Shared by the blocked thread and whoever cancels it.
#[derive(Clone, Default)]
pub struct CancelToken {
    cancelled: Arc<AtomicBool>,
}

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Cancels the call running with this token (and any later one, until [`reset`]).
    ///
    /// [`reset`]: CancelToken::reset
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Makes the token usable for the next call.
    pub fn reset(&self) {
        self.cancelled.store(false, Ordering::SeqCst);
    }
}
