//! Taking a snapshot: a consistent copy of the database (writers go on meanwhile), compared
//! with the latest stored one, stored when something changed.

use std::io::{Read, Seek};

use ha_core::Database;
use tracing::info;

use super::{SnapshotInfo, Snapshots};
use crate::NatsError;
use crate::log::consumer_name;

/// The answer to "take a snapshot".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The latest snapshot after the call: the new one, or the one that made it unnecessary.
    pub info: SnapshotInfo,
    /// Whether a new one was stored.
    pub stored: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

impl Snapshots {
    /// Takes a snapshot of `database` and stores it, unless nothing changed since the latest
    /// one or the latest one is newer (taken by a node further along the log).
    pub async fn take(&self, database: &Database) -> Result<Taken, NatsError> {
        let consumer = consumer_name(&self.node, database.id());
        // The store first: when it cannot be reached there is no point copying the database.
        let latest = self.store.latest(database.id()).await?;
        let log = self.log_state().await?;
        let copy = database.snapshot(&consumer).await?;
        let seq = copy.seq;
        let size = copy.len;
        let (file, sha256) = tokio::task::spawn_blocking(move || hash_file(copy.file))
            .await
            .map_err(|e| NatsError::Log(format!("hashing the snapshot: {e}")))?
            .map_err(|e| NatsError::io("reading the snapshot copy", e))?;
        let info = SnapshotInfo {
            database: database.id().to_string(),
            seq,
            size,
            sha256,
            node: self.node.clone(),
            stream_created: log.created.clone(),
            taken_at: None,
        };
        if let Some(latest) = latest.filter(|l| l.stream_created == log.created) {
            let reason = if latest.sha256 == info.sha256 {
                Some("nothing changed since the latest snapshot".to_string())
            } else if latest.seq > info.seq {
                Some(format!(
                    "the latest snapshot (log sequence {}, taken on {}) is newer than this \
                     node's copy (log sequence {})",
                    latest.seq, latest.node, info.seq
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                info!(database = %info.database, seq = latest.seq, "{reason}: no new snapshot");
                return Ok(Taken {
                    info: latest,
                    stored: false,
                    reason: Some(reason),
                });
            }
        }
        self.store.put(file, &info).await?;
        Ok(Taken {
            info,
            stored: true,
            reason: None,
        })
    }
}

/// SHA-256 of the whole file, in hex; returns the file rewound to its start.
fn hash_file(mut file: std::fs::File) -> std::io::Result<(std::fs::File, String)> {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        context.update(&buffer[..n]);
    }
    file.rewind()?;
    let hex = context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((file, hex))
}
