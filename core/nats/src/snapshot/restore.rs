//! Restoring a database from its latest snapshot: before it is opened (`--from-latest-snapshot`),
//! or in place while the node runs, when it cannot catch up from the log. Either way the file
//! it replaces first has its unpublished change sets published (nothing written there is lost:
//! the log gives them back after the snapshot's position), and the replacement is atomic.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ha_core::snapshot::{
    install_restored_file, local_state, prepare_restored_file, restore_dir, unpublished_messages,
};
use ha_core::{Database, DatabaseSpec, PublishError, Registry, Storage};
use tracing::{info, warn};

use super::{SnapshotInfo, Snapshots, unusable};
use crate::NatsError;
use crate::log::consumer_name;

/// How long the republished change sets of a replaced file may take to be stored.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(30);

/// A database ready to open, possibly restored from a snapshot.
pub struct Restored {
    pub spec: DatabaseSpec,
    /// The snapshot it was restored from, if it was.
    pub snapshot: Option<SnapshotInfo>,
    /// When restored: the log sequence it must have applied before it serves (pass it to
    /// [`Database::catch_up_before_serving`] once it is open).
    pub catch_up_to: Option<u64>,
    /// The downloaded file a memory database loads from when opened: keep it until then.
    _download: Option<tempfile::TempPath>,
}

impl Restored {
    /// Once the registry opened the database: a restored one catches up before it serves.
    pub fn after_open(&self, registry: &Registry) -> Result<(), ha_core::CoreError> {
        if let Some(seq) = self.catch_up_to {
            registry
                .get(Some(&self.spec.id))?
                .catch_up_before_serving(seq);
        }
        Ok(())
    }

    fn unchanged(spec: DatabaseSpec) -> Restored {
        Restored {
            spec,
            snapshot: None,
            catch_up_to: None,
            _download: None,
        }
    }
}

impl Snapshots {
    /// `--from-latest-snapshot` (SPEC §8): restores the database of `spec`, not open yet, from
    /// its latest snapshot. Without a snapshot, with one that does not fit the log, or when
    /// the local file is already as far along the log, the file is kept (and that is logged).
    pub async fn restore_before_open(&self, spec: DatabaseSpec) -> Result<Restored, NatsError> {
        let consumer = consumer_name(&self.node, &spec.id);
        let Some(latest) = self.store.latest(&spec.id).await? else {
            info!(database = %spec.id, "no snapshot of this database yet: it starts from its file and the log");
            return Ok(Restored::unchanged(spec));
        };
        let log = self.log_state().await?;
        if let Some(why) = unusable(&latest, &log) {
            warn!(database = %spec.id, "not restored from the snapshot: {why}");
            return Ok(Restored::unchanged(spec));
        }
        let local = {
            let (spec, consumer) = (spec.clone(), consumer.clone());
            blocking(move || local_state(&spec, &consumer)).await?
        };
        if local.exists && local.applied >= latest.seq {
            info!(database = %spec.id, applied = local.applied, snapshot_seq = latest.seq,
                "the local file is as far along the log as the latest snapshot: kept");
            return Ok(Restored::unchanged(spec));
        }
        let catch_up_to = self.last_of(&spec.id).await?;
        let Some((info, download)) = self.download_prepared(&spec, &consumer).await? else {
            return Ok(Restored::unchanged(spec));
        };
        if let Storage::File { path, .. } = &spec.storage {
            self.publish_unpublished(&spec.id, path).await?;
        }
        let download = download.into_temp_path();
        let installed = {
            let (spec, path) = (spec.clone(), download.to_path_buf());
            blocking(move || install_restored_file(&spec, &path)).await?
        };
        info!(database = %spec.id, seq = info.seq, taken_on = %info.node, "restored from the latest snapshot");
        Ok(Restored {
            spec: installed,
            snapshot: Some(info),
            catch_up_to: Some(catch_up_to),
            _download: keep_for_memory(&spec, download),
        })
    }

    /// Restores `database` in place from its latest snapshot because it cannot catch up from
    /// the log (`reason`), and returns the reopened database. Fails with
    /// [`NatsError::NoSnapshot`] when there is no usable snapshot; the database is then left as
    /// it was (the caller refuses to serve it).
    pub async fn heal(
        &self,
        registry: &Registry,
        database: &Arc<Database>,
        reason: &str,
    ) -> Result<Arc<Database>, NatsError> {
        let id = database.id().to_string();
        let consumer = consumer_name(&self.node, &id);
        let how_to = format!(
            "take one on a node that has this database (POST /databases/{id}/snapshot) and \
             this node restores from it by itself"
        );
        let Some(latest) = self.store.latest(&id).await? else {
            return Err(NatsError::NoSnapshot(format!(
                "{reason}; there is no snapshot of {id}: {how_to}"
            )));
        };
        let log = self.log_state().await?;
        if let Some(why) = unusable(&latest, &log) {
            return Err(NatsError::NoSnapshot(format!("{reason}; {why}; {how_to}")));
        }
        warn!(database = %id, snapshot_seq = latest.seq, "{reason}: restoring from the latest snapshot");
        let spec = database.spec().clone();
        let catch_up_to = self.last_of(&id).await?;
        let Some((info, download)) = self.download_prepared(&spec, &consumer).await? else {
            return Err(NatsError::NoSnapshot(format!(
                "{reason}; the snapshot of {id} was removed: {how_to}"
            )));
        };
        database.refuse(Some("it is being restored from a snapshot".into()));
        let closing = Arc::clone(database);
        blocking(move || {
            closing.close();
            Ok(())
        })
        .await?;
        let download = download.into_temp_path();
        let replaced = async {
            self.publish_unpublished(&id, &database.pages_file())
                .await?;
            let (spec, path) = (spec.clone(), download.to_path_buf());
            blocking(move || install_restored_file(&spec, &path)).await
        }
        .await;
        let installed = match replaced {
            Ok(installed) => installed,
            Err(e) => {
                // The old file is intact: serve it again (still behind the log) and report.
                registry.reopen(&id, spec).await?;
                return Err(e);
            }
        };
        let reopened = registry.reopen(&id, installed).await?;
        reopened.catch_up_before_serving(catch_up_to);
        drop(keep_for_memory(&spec, download));
        info!(database = %id, seq = info.seq, taken_on = %info.node, "restored from the latest snapshot");
        Ok(reopened)
    }

    /// Downloads the latest snapshot beside the database and makes it `consumer`'s.
    async fn download_prepared(
        &self,
        spec: &DatabaseSpec,
        consumer: &str,
    ) -> Result<Option<(SnapshotInfo, tempfile::NamedTempFile)>, NatsError> {
        let dir = restore_dir(spec);
        let Some((info, download)) = self.store.download(&spec.id, &dir).await? else {
            return Ok(None);
        };
        let path = download.path().to_path_buf();
        let consumer = consumer.to_string();
        let seq = blocking(move || prepare_restored_file(&path, &consumer)).await?;
        if seq != info.seq {
            return Err(NatsError::SnapshotStore(format!(
                "the snapshot of {} says log sequence {} but its file holds {seq}",
                spec.id, info.seq
            )));
        }
        Ok(Some((info, download)))
    }

    /// Publishes the change sets a database file (closed) has in its outbox and waits until
    /// the log stored them: after the restore the log gives them back.
    async fn publish_unpublished(&self, database: &str, path: &Path) -> Result<(), NatsError> {
        let path = path.to_path_buf();
        let messages = blocking(move || unpublished_messages(&path)).await?;
        if messages.is_empty() {
            return Ok(());
        }
        info!(
            database,
            messages = messages.len(),
            "publishing the replaced file's unpublished change sets"
        );
        let mut acks = Vec::with_capacity(messages.len());
        for (msg_id, payload) in messages {
            // Leader mode: a change set of an ended term is refused by the log (its file is
            // being replaced anyway).
            let term = ha_types::ChangeSet::decode(&payload)
                .ok()
                .and_then(|set| set.term);
            let ack = match self.log.publish(database, &msg_id, payload, 1, term).await {
                Ok(ack) => ack,
                Err(PublishError::Fenced { .. }) => continue,
                Err(e) => return Err(NatsError::Log(e.to_string())),
            };
            acks.push(ack);
        }
        for ack in acks {
            match tokio::time::timeout(PUBLISH_TIMEOUT, ack).await {
                Err(_) => {
                    return Err(NatsError::Log(
                        "the log did not store a change set in time".into(),
                    ));
                }
                Ok(Ok(_)) => {}
                Ok(Err(PublishError::Fenced { term, newer })) => {
                    info!(
                        database,
                        term, newer, "a change set of an ended lease term is left out"
                    );
                }
                Ok(Err(e)) => return Err(NatsError::Log(e.to_string())),
            }
        }
        Ok(())
    }
}

/// A memory database loads the downloaded file when it is opened; a file database's download
/// was renamed into place (nothing left to remove).
fn keep_for_memory(
    spec: &DatabaseSpec,
    download: tempfile::TempPath,
) -> Option<tempfile::TempPath> {
    match spec.storage {
        Storage::Memory { .. } => Some(download),
        Storage::File { .. } => {
            let _ = download.keep();
            None
        }
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ha_core::CoreError> + Send + 'static,
) -> Result<T, NatsError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| NatsError::Log(format!("a restore task failed: {e}")))?
        .map_err(NatsError::from)
}
