//! The tick that makes a blocked call ask its [`crate::Interrupted`] question. A thread of its
//! own wakes every waiting call each [`crate::INTERRUPT_POLL`], and sleeps while no call waits.
//!
//! Why not the runtime's timer: a Ctrl-C must work even when the runtime is what is stuck. Once
//! (one full test run; not reproduced in 115 runs since) a call polling with the runtime's
//! `sleep` was never woken again, so Ctrl-C did nothing; the cause was not found. The clock
//! needs only the OS.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tokio::sync::Notify;

use crate::INTERRUPT_POLL;

pub(crate) struct Clock {
    waiting: Mutex<usize>,
    someone_waits: Condvar,
    tick: Notify,
}

/// The clock and the process it ticks in (a forked child starts its own: the thread is not
/// there).
static CLOCK: Mutex<Option<(u32, Arc<Clock>)>> = Mutex::new(None);

/// The process's clock, started on first use.
pub(crate) fn clock() -> std::io::Result<Arc<Clock>> {
    let pid = std::process::id();
    let mut slot = CLOCK.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, clock)) = slot.as_ref()
        && *owner == pid
    {
        return Ok(Arc::clone(clock));
    }
    let clock = Arc::new(Clock {
        waiting: Mutex::new(0),
        someone_waits: Condvar::new(),
        tick: Notify::new(),
    });
    let ticking = Arc::clone(&clock);
    std::thread::Builder::new()
        .name("ha-ffi-clock".into())
        .spawn(move || ticking.run())?;
    *slot = Some((pid, Arc::clone(&clock)));
    Ok(clock)
}

impl Clock {
    fn run(&self) {
        loop {
            {
                let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
                while *waiting == 0 {
                    waiting = self
                        .someone_waits
                        .wait(waiting)
                        .unwrap_or_else(PoisonError::into_inner);
                }
            }
            std::thread::sleep(INTERRUPT_POLL);
            self.tick.notify_waiters();
        }
    }

    /// Counts a waiting call until the guard is dropped.
    pub(crate) fn waiting(&self) -> Waiting<'_> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        *waiting += 1;
        if *waiting == 1 {
            self.someone_waits.notify_one();
        }
        Waiting { clock: self }
    }

    /// Resolves at the next tick (create it before looking at the work, so no tick is missed).
    pub(crate) fn next_tick(&self) -> tokio::sync::futures::Notified<'_> {
        self.tick.notified()
    }
}

pub(crate) struct Waiting<'a> {
    clock: &'a Clock,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut waiting = self
            .clock
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *waiting = waiting.saturating_sub(1);
    }
}
