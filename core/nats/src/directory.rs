//! The cluster's directory of databases (SPEC §2, "beyond"): `CREATE DATABASE` and `DROP
//! DATABASE` on one node reach every node, and a node started later gets the databases created
//! before it.
//!
//! A JetStream key-value bucket, `<stream>_DATABASES`, holds one key per database created at run
//! time (the databases a node is started with are its own configuration and are not listed).
//! Every node watches it: a new key creates the database here (its consumer then reads its
//! changes from the log), a deleted key drops it. A key-value bucket rather than entries in the
//! change log: it keeps the current list however old the log's entries get, and JetStream's
//! compare-and-set (`create`) makes two nodes creating the same name at once one creation.
//!
//! A drop also purges the database's subject from the log and deletes its snapshot, so that a
//! database created again under the same name starts empty instead of replaying the old one.

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures::StreamExt;
use ha_core::Registry;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::NatsError;
use crate::log::subject_for;
use crate::snapshot::Snapshots;

/// How long a failed announcement waits before trying again (at most).
const RETRY_AT_MOST: Duration = Duration::from_secs(5);

/// What the bucket holds for one database: `{"id": ..., "node": ...}`, its id (keys are
/// restricted to a few characters; ids are not) and the node whose client created it.
fn listed(id: &str, node: &str) -> Vec<u8> {
    serde_json::json!({ "id": id, "node": node })
        .to_string()
        .into_bytes()
}

/// A change of the cluster's databases made by a client of this node.
#[derive(Debug, Clone)]
pub enum Announcement {
    Created(String),
    Dropped(String),
}

pub struct Directory {
    kv: kv::Store,
    context: jetstream::Context,
    stream: String,
    node: String,
    snapshots: Arc<Snapshots>,
}

impl Directory {
    /// Opens (or creates) the bucket of the stream `stream`.
    pub async fn open(
        context: jetstream::Context,
        stream: &str,
        replicas: usize,
        node: &str,
        snapshots: Arc<Snapshots>,
    ) -> Result<Directory, NatsError> {
        let bucket = format!("{stream}_DATABASES");
        let config = kv::Config {
            bucket: bucket.clone(),
            description: "ha: the databases created in the cluster at run time".into(),
            history: 1,
            num_replicas: replicas,
            storage: jetstream::stream::StorageType::File,
            ..Default::default()
        };
        let kv = match context.create_key_value(config).await {
            Ok(kv) => kv,
            Err(create) => context.get_key_value(&bucket).await.map_err(|get| {
                NatsError::Log(format!(
                    "the databases bucket {bucket} cannot be reached: {create}; {get}"
                ))
            })?,
        };
        Ok(Directory {
            kv,
            context,
            stream: stream.to_string(),
            node: node.to_string(),
            snapshots,
        })
    }

    /// Tells the cluster about `announcement`, trying again until it is stored or `stop`
    /// says the node is stopping: the database exists here already, so the request that made
    /// it does not wait for the broker.
    pub fn announce(self: &Arc<Self>, announcement: Announcement, mut stop: watch::Receiver<bool>) {
        let directory = Arc::clone(self);
        tokio::spawn(async move {
            let mut wait = Duration::from_millis(100);
            loop {
                let done = match &announcement {
                    Announcement::Created(id) => directory.created(id).await,
                    Announcement::Dropped(id) => directory.dropped(id).await,
                };
                match done {
                    Ok(()) => return,
                    Err(e) => {
                        warn!(?announcement, error = %e, "the cluster was not told yet; trying again")
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.wait_for(|stopped| *stopped) => return,
                }
                wait = (wait * 2).min(RETRY_AT_MOST);
            }
        });
    }

    /// Lists `id` (already listed: nothing to do).
    async fn created(&self, id: &str) -> Result<(), NatsError> {
        let value = listed(id, &self.node);
        match self.kv.create(key(id), value.into()).await {
            Ok(_) => {
                info!(database = id, "database announced to the cluster");
                Ok(())
            }
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(NatsError::Log(format!("listing database {id}: {e}"))),
        }
    }

    /// Unlists `id`, then forgets its changes and its snapshot.
    async fn dropped(&self, id: &str) -> Result<(), NatsError> {
        self.kv
            .delete(key(id))
            .await
            .map_err(|e| NatsError::Log(format!("unlisting database {id}: {e}")))?;
        let stream = self
            .context
            .get_stream(&self.stream)
            .await
            .map_err(|e| NatsError::Log(format!("reading stream {}: {e}", self.stream)))?;
        stream
            .purge()
            .filter(subject_for(&self.stream, id))
            .await
            .map_err(|e| NatsError::Log(format!("purging the changes of {id}: {e}")))?;
        self.snapshots.store().delete(id).await?;
        info!(database = id, "database dropped in the cluster");
        Ok(())
    }

    /// Creates here every database the directory lists now (at start, before the node
    /// serves: a node started later gets the databases created before it).
    pub async fn create_listed(&self, registry: &Registry) -> Result<(), NatsError> {
        for value in self.listed().await? {
            apply_put(registry, &value).await;
        }
        Ok(())
    }

    /// Keeps `registry` in step with the directory until `stop`, watching again after a
    /// broker failure.
    pub async fn follow(
        self: Arc<Self>,
        registry: Weak<Registry>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut wait = Duration::from_millis(100);
        loop {
            match self.follow_once(&registry, stop.clone()).await {
                Ok(()) => return,
                Err(e) => warn!(error = %e, "following the cluster's databases; again soon"),
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
            wait = (wait * 2).min(RETRY_AT_MOST);
        }
    }

    /// Until `stop` (`Ok`) or a broker failure (`Err`): every database listed is created here,
    /// then each change as it comes. A database that cannot be created here (a file of that
    /// name that is not a database, a name clash) is logged and skipped; the others go on.
    async fn follow_once(
        &self,
        registry: &Weak<Registry>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), NatsError> {
        // Watch first, then read the list: a change between the two is seen twice (harmless),
        // never missed.
        let mut changes = self
            .kv
            .watch_all()
            .await
            .map_err(|e| NatsError::Log(format!("watching the databases bucket: {e}")))?;
        for value in self.listed().await? {
            let Some(registry) = registry.upgrade() else {
                return Ok(());
            };
            apply_put(&registry, &value).await;
        }
        loop {
            let change = tokio::select! {
                change = changes.next() => change,
                _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
            };
            let Some(change) = change else {
                return Err(NatsError::Log("the databases bucket's watch ended".into()));
            };
            let entry =
                change.map_err(|e| NatsError::Log(format!("watching the databases: {e}")))?;
            let Some(registry) = registry.upgrade() else {
                return Ok(());
            };
            match entry.operation {
                kv::Operation::Put => apply_put(&registry, &entry.value).await,
                kv::Operation::Delete | kv::Operation::Purge => {
                    // The value is gone with the key: find the database by its key.
                    let id = registry.ids().into_iter().find(|id| key(id) == entry.key);
                    if let Some(id) = id
                        && let Err(e) = registry.drop_from_cluster(&id).await
                    {
                        warn!(database = %id, error = %e, "not dropped here");
                    }
                }
            }
        }
    }

    /// The entries of every database listed now.
    async fn listed(&self) -> Result<Vec<bytes::Bytes>, NatsError> {
        let mut keys = self
            .kv
            .keys()
            .await
            .map_err(|e| NatsError::Log(format!("listing the databases bucket: {e}")))?;
        let mut listed = Vec::new();
        while let Some(key) = keys.next().await {
            let key = key.map_err(|e| NatsError::Log(format!("listing the databases: {e}")))?;
            if let Some(value) = self
                .kv
                .get(&key)
                .await
                .map_err(|e| NatsError::Log(format!("reading database entry {key}: {e}")))?
            {
                listed.push(value);
            }
        }
        Ok(listed)
    }
}

async fn apply_put(registry: &Registry, value: &[u8]) {
    let entry: Option<serde_json::Value> = serde_json::from_slice(value).ok();
    let field = |name: &str| {
        entry
            .as_ref()
            .and_then(|e| e.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let Some(id) = field("id") else {
        warn!("an unreadable entry in the databases bucket: skipped");
        return;
    };
    if let Err(e) = registry.create_from_cluster(&id).await {
        warn!(database = %id, created_by = ?field("node"), error = %e,
            "a database of the cluster cannot be created here");
    }
}

/// The bucket's key of database `id`: the id itself when it is made of the characters keys
/// allow, else `x-` and its bytes in hex (ids may hold any character but `/`).
fn key(id: &str) -> String {
    let plain = !id.is_empty()
        && !id.starts_with('.')
        && !id.ends_with('.')
        && !id.starts_with("x-")
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'=' | b'.'));
    if plain {
        id.to_string()
    } else {
        let mut key = String::from("x-");
        for b in id.bytes() {
            key.push_str(&format!("{b:02x}"));
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn keys_are_the_id_or_its_hex() {
        assert_eq!(key("app.db"), "app.db");
        assert_eq!(key("users_1.db"), "users_1.db");
        assert_eq!(key("a b.db"), "x-6120622e6462");
        assert_eq!(key("x-1.db"), "x-782d312e6462");
        assert_eq!(key(".hidden"), "x-2e68696464656e");
        assert_ne!(key("é.db"), key("e.db"));
    }
}
