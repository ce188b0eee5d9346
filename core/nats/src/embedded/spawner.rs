//! Starting the child so that it cannot outlive us.
//!
//! Linux's `PR_SET_PDEATHSIG` sends the child SIGKILL when its parent dies, even when the parent
//! is SIGKILLed and has no chance to clean up. The kernel's "parent" here is the *thread* that
//! forked, though, not the process: a child forked from a tokio worker or blocking-pool thread
//! would be killed when that thread exits (blocking-pool threads retire after idling). So every
//! child is forked by one dedicated thread that lives as long as the process. After arming the
//! signal, the child checks that its parent is still us: if we died between fork and `prctl`,
//! the signal would never come, so it exits at once.

use std::io;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};

use tokio::process::{Child, Command};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

struct Request {
    command: Command,
    runtime: Handle,
    reply: oneshot::Sender<io::Result<Child>>,
}

/// The spawner thread's queue, with the pid of the process that started it: after a `fork` the
/// copy of this value in the new process names a thread that does not exist there.
static SPAWNER: Mutex<Option<(u32, mpsc::Sender<Request>)>> = Mutex::new(None);

/// Spawns `command` from the spawner thread, as a child that dies with this process.
pub(crate) async fn spawn(mut command: Command) -> io::Result<Child> {
    die_with_parent(&mut command);
    let (reply, answer) = oneshot::channel();
    let mut request = Request {
        command,
        runtime: Handle::current(),
        reply,
    };
    // A second try covers a spawner thread that is gone (it only ends if it panicked).
    for _ in 0..2 {
        let queue = queue()?;
        match queue.send(request) {
            Ok(()) => {
                return answer
                    .await
                    .map_err(|_| io::Error::other("the nats-server spawner thread stopped"))?;
            }
            Err(mpsc::SendError(returned)) => {
                request = returned;
                *SPAWNER.lock().unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
    }
    Err(io::Error::other(
        "cannot start the nats-server spawner thread",
    ))
}

fn queue() -> io::Result<mpsc::Sender<Request>> {
    let mut spawner = SPAWNER.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    if let Some((owner, queue)) = spawner.as_ref()
        && *owner == pid
    {
        return Ok(queue.clone());
    }
    let (queue, requests) = mpsc::channel::<Request>();
    std::thread::Builder::new()
        .name("nats-spawner".into())
        .spawn(move || {
            for request in requests {
                // tokio registers the child with the runtime's process driver (for `wait`).
                let _runtime = request.runtime.enter();
                let mut command = request.command;
                let _ = request.reply.send(command.spawn());
            }
        })?;
    *spawner = Some((pid, queue.clone()));
    Ok(queue)
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the hook runs in the forked child before exec, where only async-signal-safe
    // calls are allowed: prctl, getppid and _exit are, and the hook allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {
    // No portable equivalent: `kill_on_drop` and the supervisor's stop cover orderly exits.
}
