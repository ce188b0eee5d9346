//! `--snapshot-interval` (SPEC §8): every interval, a snapshot of each database that committed
//! something since its last one (the store skips it too when its content did not change).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ha_core::Registry;
use tracing::{info, warn};

use ha_nats::LinkHandle;

pub(crate) async fn every(interval: Duration, registry: Arc<Registry>, handle: LinkHandle) {
    // Per database: which open instance (a restore reopens it) at how many commits.
    let mut last: HashMap<String, (usize, u64)> = HashMap::new();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        for id in registry.ids() {
            let Ok(database) = registry.get(Some(&id)) else {
                continue;
            };
            let state = (Arc::as_ptr(&database) as usize, database.commits());
            if last.get(&id) == Some(&state) {
                continue;
            }
            match handle.snapshots.take(&database).await {
                Ok(taken) => {
                    last.insert(id.clone(), state);
                    if taken.stored {
                        info!(database = %id, seq = taken.info.seq, bytes = taken.info.size, "periodic snapshot stored");
                    }
                }
                Err(e) => {
                    warn!(database = %id, error = %e, "periodic snapshot failed; retried at the next interval")
                }
            }
        }
    }
}
