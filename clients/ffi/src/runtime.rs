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

#[cfg(test)]
mod tests {
    use super::runtime;

    /// A child of `fork` must not use its parent's runtime (its threads are not there).
    #[test]
    fn a_forked_child_gets_a_runtime_of_its_own() {
        let parent = runtime().unwrap();
        assert_eq!(
            parent.block_on(async { tokio::spawn(async { 1 }).await.unwrap() }),
            1
        );
        // SAFETY: the child only builds a runtime, runs a task on it and exits with _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let ok = std::panic::catch_unwind(|| {
                let child = runtime().unwrap();
                !std::sync::Arc::ptr_eq(&child, &parent)
                    && child.block_on(async { tokio::spawn(async { 7 }).await.unwrap() }) == 7
            })
            .unwrap_or(false);
            // SAFETY: ends the child at once, without running the parent's destructors.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        assert!(pid > 0, "fork failed");
        let mut status = 0;
        // SAFETY: waits for the child started above.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the child could not run a task on its runtime (status {status})"
        );
        assert!(std::sync::Arc::ptr_eq(&runtime().unwrap(), &parent));
    }
}
