//! The snapshot store (SPEC §8): the JetStream object store bucket `<stream>_SNAPSHOTS`, one
//! object per database id holding its latest snapshot, with what a restore needs to know in
//! the object's metadata (the log position, the stream it belongs to, a SHA-256 of the file).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, object_store};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;
use tracing::info;

use crate::NatsError;

/// The format of a snapshot object: a SQLite file as `ha-core`'s `snapshot` module makes it.
/// A reader refuses a newer format.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// How long one read of a download may wait for the broker before the download fails.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a long upload or download logs its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The latest snapshot of a database, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub database: String,
    /// The log sequence the snapshot contains: a restored database consumes from the next one.
    pub seq: u64,
    pub size: u64,
    /// SHA-256 of the file, hex: an unchanged database gives the same one.
    pub sha256: String,
    /// The node that took it.
    pub node: String,
    /// When the stream it belongs to was created (Unix nanoseconds): a snapshot of a stream
    /// that was deleted and created again does not fit the new one's sequences.
    pub stream_created: String,
    /// When it was stored (RFC 3339), when known.
    pub taken_at: Option<String>,
}

impl SnapshotInfo {
    fn metadata(&self) -> HashMap<String, String> {
        HashMap::from([
            ("ha-format".to_string(), SNAPSHOT_FORMAT.to_string()),
            ("ha-database".to_string(), self.database.clone()),
            ("ha-seq".to_string(), self.seq.to_string()),
            ("ha-sha256".to_string(), self.sha256.clone()),
            ("ha-node".to_string(), self.node.clone()),
            ("ha-stream-created".to_string(), self.stream_created.clone()),
        ])
    }

    fn from_object(info: &object_store::ObjectInfo) -> Result<SnapshotInfo, NatsError> {
        let field = |name: &str| {
            info.metadata.get(name).cloned().ok_or_else(|| {
                NatsError::SnapshotStore(format!(
                    "the stored snapshot of {} has no {name}: it was not made by ha",
                    info.name
                ))
            })
        };
        let format: u32 = field("ha-format")?.parse().unwrap_or(u32::MAX);
        if format > SNAPSHOT_FORMAT {
            return Err(NatsError::SnapshotStore(format!(
                "the stored snapshot of {} has format {format}, newer than this node's \
                 ({SNAPSHOT_FORMAT}): upgrade this node",
                info.name
            )));
        }
        Ok(SnapshotInfo {
            database: info.name.clone(),
            seq: field("ha-seq")?.parse().map_err(|_| {
                NatsError::SnapshotStore(format!("the snapshot of {} has a bad ha-seq", info.name))
            })?,
            size: info.size as u64,
            sha256: field("ha-sha256")?,
            node: field("ha-node")?,
            stream_created: field("ha-stream-created")?,
            taken_at: info.modified.and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        })
    }
}

/// The bucket of a replication stream's snapshots.
pub struct SnapshotStore {
    context: jetstream::Context,
    bucket: String,
    replicas: usize,
    /// Created (or found) at first use, so a broker that is down when the node starts only
    /// delays snapshots; forgotten after a failure, so a broker that lost its store (a
    /// temporary one) gets the bucket created again.
    store: Mutex<Option<object_store::ObjectStore>>,
}

impl SnapshotStore {
    pub fn new(context: jetstream::Context, stream: &str, replicas: usize) -> SnapshotStore {
        SnapshotStore {
            context,
            bucket: format!("{stream}_SNAPSHOTS"),
            replicas,
            store: Mutex::new(None),
        }
    }

    async fn store(&self) -> Result<object_store::ObjectStore, NatsError> {
        let mut store = self.store.lock().await;
        if let Some(store) = store.as_ref() {
            return Ok(store.clone());
        }
        // Creating a bucket that exists with the same settings gives the existing one.
        let config = object_store::Config {
            bucket: self.bucket.clone(),
            description: Some("ha: the latest snapshot of each database".into()),
            storage: jetstream::stream::StorageType::File,
            num_replicas: self.replicas,
            ..Default::default()
        };
        let created = match self.context.create_object_store(config).await {
            Ok(created) => created,
            Err(create) => self
                .context
                .get_object_store(&self.bucket)
                .await
                .map_err(|get| {
                    NatsError::SnapshotStore(format!(
                        "the snapshot bucket {} cannot be reached: {create}; {get}",
                        self.bucket
                    ))
                })?,
        };
        *store = Some(created.clone());
        Ok(created)
    }

    /// After a failed call: look the bucket up again next time.
    async fn forget(&self) {
        *self.store.lock().await = None;
    }

    /// The latest snapshot of `database`, if any.
    pub async fn latest(&self, database: &str) -> Result<Option<SnapshotInfo>, NatsError> {
        let store = self.store().await?;
        match store.info(database).await {
            Ok(info) if info.deleted => Ok(None),
            Ok(info) => SnapshotInfo::from_object(&info).map(Some),
            Err(e) if e.kind() == object_store::InfoErrorKind::NotFound => Ok(None),
            Err(e) => {
                self.forget().await;
                Err(NatsError::SnapshotStore(format!(
                    "reading the snapshot of {database} from bucket {}: {e}",
                    self.bucket
                )))
            }
        }
    }

    /// Deletes the snapshot of `database` (dropped in the cluster); none is nothing to do.
    pub async fn delete(&self, database: &str) -> Result<(), NatsError> {
        let store = self.store().await?;
        match store.delete(database).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == object_store::DeleteErrorKind::NotFound => Ok(()),
            Err(e) => {
                self.forget().await;
                Err(NatsError::SnapshotStore(format!(
                    "deleting the snapshot of {database} from bucket {}: {e}",
                    self.bucket
                )))
            }
        }
    }

    /// Stores `file` as the latest snapshot of `info.database`.
    pub async fn put(&self, file: std::fs::File, info: &SnapshotInfo) -> Result<(), NatsError> {
        let store = self.store().await?;
        let started = Instant::now();
        let mut reader = Progress::new(
            tokio::fs::File::from_std(file),
            "uploading the snapshot",
            &info.database,
            info.size,
        );
        let meta = object_store::ObjectMetadata {
            name: info.database.clone(),
            description: Some(format!(
                "snapshot of {} at log sequence {}",
                info.database, info.seq
            )),
            // Fewer, larger chunks: each is one acknowledged publish. Within any broker's
            // default largest message (1 MiB).
            chunk_size: Some(1 << 20),
            metadata: info.metadata(),
            headers: None,
        };
        if let Err(e) = store.put(meta, &mut reader).await {
            self.forget().await;
            return Err(NatsError::SnapshotStore(format!(
                "storing the snapshot of {} in bucket {}: {e}",
                info.database, self.bucket
            )));
        }
        info!(database = %info.database, seq = info.seq, bytes = info.size,
            elapsed_ms = started.elapsed().as_millis() as u64, bucket = %self.bucket, "snapshot stored");
        Ok(())
    }

    /// Downloads the latest snapshot of `database` into a new temporary file in `dir`; `None`
    /// when there is none. The object store checks the file's digest as it arrives.
    pub async fn download(
        &self,
        database: &str,
        dir: &Path,
    ) -> Result<Option<(SnapshotInfo, tempfile::NamedTempFile)>, NatsError> {
        let store = self.store().await?;
        let unavailable = |e: &dyn std::fmt::Display| {
            NatsError::SnapshotStore(format!(
                "downloading the snapshot of {database} from bucket {}: {e}",
                self.bucket
            ))
        };
        let object = match store.get(database).await {
            Ok(object) => object,
            Err(e) if e.kind() == object_store::GetErrorKind::NotFound => return Ok(None),
            Err(e) => {
                self.forget().await;
                return Err(unavailable(&e));
            }
        };
        let info = SnapshotInfo::from_object(object.info())?;
        let temp = tempfile::Builder::new()
            .prefix(".ha-restore-")
            .suffix(".db")
            .tempfile_in(dir)
            .map_err(|e| NatsError::io(format!("creating a file in {}", dir.display()), e))?;
        let out = temp
            .reopen()
            .map_err(|e| NatsError::io("opening the download file", e))?;
        let mut out = tokio::fs::File::from_std(out);
        let mut reader = Progress::new(object, "downloading the snapshot", database, info.size);
        let started = Instant::now();
        let mut buffer = vec![0u8; 1 << 20];
        let mut written = 0u64;
        loop {
            let n = tokio::time::timeout(READ_TIMEOUT, reader.read(&mut buffer))
                .await
                .map_err(|_| unavailable(&"the broker stopped sending it"))?
                .map_err(|e| unavailable(&e))?;
            if n == 0 {
                break;
            }
            out.write_all(&buffer[..n])
                .await
                .map_err(|e| NatsError::io("writing the download file", e))?;
            written += n as u64;
        }
        out.sync_all()
            .await
            .map_err(|e| NatsError::io("writing the download file", e))?;
        if written != info.size {
            return Err(unavailable(&format!(
                "{written} bytes arrived of {}",
                info.size
            )));
        }
        info!(
            database,
            seq = info.seq,
            bytes = written,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "snapshot downloaded"
        );
        Ok(Some((info, temp)))
    }
}

/// A reader that logs how far a long transfer has come, every few seconds.
struct Progress<R> {
    inner: R,
    what: &'static str,
    database: String,
    total: u64,
    done: u64,
    last_log: Instant,
}

impl<R> Progress<R> {
    fn new(inner: R, what: &'static str, database: &str, total: u64) -> Progress<R> {
        Progress {
            inner,
            what,
            database: database.to_string(),
            total,
            done: 0,
            last_log: Instant::now(),
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Progress<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        self.done += read;
        if self.last_log.elapsed() >= PROGRESS_EVERY {
            self.last_log = Instant::now();
            info!(database = %self.database, done_bytes = self.done, total_bytes = self.total, "{}", self.what);
        }
        poll
    }
}
