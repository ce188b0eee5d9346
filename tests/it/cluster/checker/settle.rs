//! Settling: the moment every node has applied the last message the broker holds for the
//! database, with no entry failing, and that stays so for a quiet moment (a change committed
//! but still in some outbox would move the last sequence). Only then are dumps compared: agreeing
//! mid-stream proves nothing.

use std::time::{Duration, Instant};

use ha_test_harness::TestNode;
use serde_json::Value;

use super::broker::Broker;

/// How long the last sequence and every node's position must stay put.
const QUIET: Duration = Duration::from_millis(1500);
const POLL: Duration = Duration::from_millis(100);

/// One node's own consumer, as its `/replications` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    pub applied: Option<u64>,
    pub failing: Option<u64>,
    pub error: Option<String>,
}

/// The own consumer of `node` for the default database: the one entry with an `applied_seq`.
pub async fn position(node: &TestNode) -> anyhow::Result<Position> {
    let response = node
        .client()
        .get(node.url("/replications"))
        .timeout(Duration::from_secs(5))
        .send()
        .await?;
    let list: Value = response.json().await?;
    let own = list["replications"]
        .as_array()
        .and_then(|all| all.iter().find(|r| !r["applied_seq"].is_null()))
        .cloned()
        .unwrap_or(Value::Null);
    Ok(Position {
        applied: own["applied_seq"].as_u64(),
        failing: own["failing_seq"].as_u64(),
        error: own["error"].as_str().map(String::from),
    })
}

/// Waits (polling, at most `timeout`) until every node has applied the subject's last sequence
/// with nothing failing, unchanged for [`QUIET`]. Returns that sequence, or what was seen last.
pub async fn settle(
    nodes: &[&TestNode],
    broker: &Broker,
    subject: &str,
    timeout: Duration,
) -> Result<u64, String> {
    let deadline = Instant::now() + timeout;
    let mut stable_since: Option<(u64, Instant)> = None;
    loop {
        let last = broker.last_seq(subject).await.map_err(|e| e.to_string());
        let mut positions = Vec::new();
        for node in nodes {
            positions.push(position(node).await.map_err(|e| e.to_string()));
        }
        let settled_at = match &last {
            Ok(last) if positions.iter().all(|p| {
                matches!(p, Ok(Position { applied: Some(a), failing: None, .. }) if a >= last)
            }) =>
            {
                Some(*last)
            }
            _ => None,
        };
        match (settled_at, stable_since) {
            (Some(seq), Some((since_seq, since))) if seq == since_seq => {
                if since.elapsed() >= QUIET {
                    return Ok(seq);
                }
            }
            (Some(seq), _) => stable_since = Some((seq, Instant::now())),
            (None, _) => stable_since = None,
        }
        if Instant::now() >= deadline {
            let mut report = format!(
                "not settled after {timeout:?}: last sequence of {subject} on the broker: {last:?}"
            );
            for (i, p) in positions.iter().enumerate() {
                report.push_str(&format!("\n  node{}: {p:?}", i + 1));
            }
            return Err(report);
        }
        tokio::time::sleep(POLL).await;
    }
}
