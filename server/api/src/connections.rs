//! The threads that serve clients' connections: one single-threaded tokio runtime per core,
//! each connection living on one of them from its accept to its close.
//!
//! Why not the node's multi-threaded runtime: when a task wakes itself while it runs (hyper's
//! body channel does, for every HTTP request with a body), tokio's work-stealing scheduler
//! moves it to the back of the queue and wakes a parked sibling worker, which then often steals
//! the connection: two context switches and a move to the other core per request. Measured on
//! two cores, a point select over HTTP took 18.5 µs of the node's CPU on two workers and
//! 15.5 µs on one. A connection that stays on one single-threaded runtime has no sibling to
//! wake. Work that must not wait for a connection's thread (the writer, the broker, long
//! reads) runs elsewhere already: the writer thread, the node's runtime, `spawn_blocking`.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::TcpStream;
use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a stopping thread waits for its connections' blocking work (a long read).
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// One thread of [`ConnectionThreads`]: its runtime's handle, and what stops it.
struct ConnectionThread {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Single-threaded runtimes that connections are spread over, round robin. Dropping it stops
/// the threads and drops the connections' tasks still on them.
pub struct ConnectionThreads {
    threads: Vec<ConnectionThread>,
    next: AtomicUsize,
}

impl ConnectionThreads {
    /// One thread per core the process may use.
    pub fn per_core() -> io::Result<ConnectionThreads> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ConnectionThreads::start(cores)
    }

    /// `count` threads (at least one), named `ha-conn-N`.
    pub fn start(count: usize) -> io::Result<ConnectionThreads> {
        let mut threads = Vec::with_capacity(count.max(1));
        for index in 0..count.max(1) {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("ha-conn-{index}"))
                .spawn(move || {
                    // Runs the connections' tasks until told to stop (or the sender drops);
                    // a long read still running on its blocking pool is not waited for long.
                    let _ = runtime.block_on(stopped);
                    runtime.shutdown_timeout(SHUTDOWN_WAIT);
                })?;
            threads.push(ConnectionThread {
                handle,
                stop: Some(stop),
                thread: Some(thread),
            });
        }
        Ok(ConnectionThreads {
            threads,
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `task` on the next thread.
    pub fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.threads.len();
        self.threads[index].handle.spawn(task)
    }

    /// Moves `tcp`, accepted on another runtime, to the next thread and serves it there with
    /// `serve`. Fails only when the socket cannot leave its runtime's reactor.
    pub fn spawn_connection<S, F>(&self, tcp: TcpStream, serve: S) -> io::Result<JoinHandle<()>>
    where
        S: FnOnce(TcpStream) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let tcp = tcp.into_std()?;
        Ok(self.spawn(async move {
            // Registered with this thread's reactor, so its readiness wakes this thread.
            match TcpStream::from_std(tcp) {
                Ok(tcp) => serve(tcp).await,
                Err(e) => tracing::debug!(error = %e, "taking a connection over"),
            }
        }))
    }
}

impl Drop for ConnectionThreads {
    fn drop(&mut self) {
        for thread in &mut self.threads {
            if let Some(stop) = thread.stop.take() {
                let _ = stop.send(());
            }
        }
        for thread in &mut self.threads {
            // Dropped from a runtime's own thread (its last task held it) it cannot join itself.
            if let Some(joined) = thread.thread.take()
                && joined.thread().id() != std::thread::current().id()
            {
                let _ = joined.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_spread_over_the_threads_and_stay_on_theirs() {
        let threads = ConnectionThreads::start(2).expect("threads");
        let runtime = Builder::new_current_thread().build().expect("runtime");
        let names: Vec<String> = runtime.block_on(async {
            let mut names = Vec::new();
            for _ in 0..4 {
                let name = threads
                    .spawn(async {
                        let before = std::thread::current().name().map(str::to_owned);
                        tokio::task::yield_now().await;
                        let after = std::thread::current().name().map(str::to_owned);
                        assert_eq!(before, after);
                        before.unwrap_or_default()
                    })
                    .await
                    .expect("task");
                names.push(name);
            }
            names
        });
        assert_eq!(names, ["ha-conn-0", "ha-conn-1", "ha-conn-0", "ha-conn-1"]);
    }
}
