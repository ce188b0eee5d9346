//! The process-wide runtime, fork-aware.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::runtime::Runtime;

/// The runtime and the process it was built in.
static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The process's runtime; a forked child gets a new one at its first call.
pub fn runtime() -> std::io::Result<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, runtime)) = slot.as_ref()
        && *owner == pid
    {
        return Ok(Arc::clone(runtime));
    }
    // After a fork the parent's runtime has no threads here: forget it rather than drop it
    // (dropping would wait for threads that do not exist in this process).
    if let Some((_, inherited)) = slot.take() {
        std::mem::forget(inherited);
    }
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ha-ffi")
            .enable_all()
            .build()?,
    );
    *slot = Some((pid, Arc::clone(&runtime)));
    Ok(runtime)
}
