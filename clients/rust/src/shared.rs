//! One replica per file per process. Connections that open the same file share its engine and
//! its place in the stream: two engines on one file would both consume the stream under the
//! same name and write the file behind each other's back. The last connection to close closes
//! the replica.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

use crate::ClientError;
use crate::local::Local;
use crate::url::LocalTarget;

struct OpenReplica {
    /// A forked child must not reuse its parent's replica: its threads are not in the child.
    pid: u32,
    path: PathBuf,
    target: LocalTarget,
    replica: Weak<Local>,
}

/// Held while a replica opens or closes, so that a file is never opened by two engines at once.
static OPEN: tokio::sync::Mutex<Vec<OpenReplica>> = tokio::sync::Mutex::const_new(Vec::new());

/// The replica of `target`'s file: the one already open in this process, or a new one.
pub(crate) async fn open(target: LocalTarget) -> Result<Arc<Local>, ClientError> {
    let path = canonical(&target.path);
    let pid = std::process::id();
    let mut open = OPEN.lock().await;
    open.retain(|entry| entry.pid == pid && entry.replica.strong_count() > 0);
    if let Some(entry) = open.iter().find(|entry| entry.path == path)
        && let Some(replica) = entry.replica.upgrade()
    {
        if !same_settings(&entry.target, &target) {
            return Err(ClientError::BadUrl(format!(
                "{} is already open in this process as a replica of {} on {} (node {}, read_only={}): open it with the same settings",
                target.path.display(),
                entry.target.database,
                entry.target.replication_url,
                entry.target.node,
                entry.target.read_only,
            )));
        }
        return Ok(replica);
    }
    let replica = Arc::new(Local::open(target.clone()).await?);
    open.push(OpenReplica {
        pid,
        path,
        target,
        replica: Arc::downgrade(&replica),
    });
    Ok(replica)
}

/// Lets go of one connection's share; the last one closes the replica.
pub(crate) async fn close(replica: Arc<Local>) -> Result<(), ClientError> {
    let _open = OPEN.lock().await;
    match Arc::try_unwrap(replica) {
        Ok(last) => last.close().await,
        Err(_shared) => Ok(()),
    }
}

fn same_settings(a: &LocalTarget, b: &LocalTarget) -> bool {
    a.database == b.database
        && a.replication_url == b.replication_url
        && a.node == b.node
        && a.read_only == b.read_only
        && a.stream == b.stream
}

/// The file's absolute path (its directory's, when the file does not exist yet).
fn canonical(path: &Path) -> PathBuf {
    if let Ok(path) = path.canonicalize() {
        return path;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            dir.canonicalize()
                .map_or_else(|_| path.to_path_buf(), |dir| dir.join(name))
        }
        _ => path.to_path_buf(),
    }
}
