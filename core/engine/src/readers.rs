//! The pool of read-only connections of one database. Connections are opened on demand; how many
//! run at once is bounded by the database's query slots, not here.

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::InterruptHandle;

use crate::CoreError;
use crate::open::{Conn, Opener};

pub(crate) struct ReaderPool {
    opener: Opener,
    idle: Mutex<Vec<Conn>>,
}

impl ReaderPool {
    pub(crate) fn new(opener: Opener) -> ReaderPool {
        ReaderPool {
            opener,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn take(&self) -> Result<Conn, CoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => self.opener.open_reader(),
        }
    }

    /// An idle connection, never a new one (opening one is blocking work).
    pub(crate) fn take_idle(&self) -> Option<Conn> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    pub(crate) fn give_back(&self, conn: Conn) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }

    /// Closes the idle connections (the database is being dropped or the node stops).
    pub(crate) fn close(&self) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Interrupts a running read when its caller goes away (the client disconnected).
///
/// The worker clears the handle before it gives its connection back, under the same lock the
/// canceller takes, so an interrupt can never reach the next query that uses the connection.
#[derive(Clone, Default)]
pub(crate) struct Canceller(Arc<Mutex<Option<InterruptHandle>>>);

impl Canceller {
    pub(crate) fn arm(&self, handle: InterruptHandle) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
    }

    pub(crate) fn disarm(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    pub(crate) fn cancel(&self) {
        if let Some(handle) = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            handle.interrupt();
        }
    }
}

/// Cancels the read when dropped before [`CancelOnDrop::finish`].
pub(crate) struct CancelOnDrop(Option<Canceller>);

impl CancelOnDrop {
    pub(crate) fn new(canceller: Canceller) -> Self {
        CancelOnDrop(Some(canceller))
    }

    pub(crate) fn finish(mut self) {
        self.0.take();
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(canceller) = self.0.take() {
            canceller.cancel();
        }
    }
}
