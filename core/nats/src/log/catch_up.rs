//! Whether a database can catch up from the log from its recorded position (SPEC §8). The
//! stream's sequences are shared by every database; an idle consumer moves its database's
//! position along the stream (see `consumer.rs`), so an idle database is not mistaken for one
//! that missed changes.

use async_nats::jetstream::stream::{LastRawMessageErrorKind, Stream};
use ha_types::ChangeSet;

use crate::NatsError;

/// The verdict for a consumer about to start after `applied`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CatchUp {
    Fine,
    /// Changes of this database are gone from the log: restore from a snapshot, else refuse.
    Gap(String),
    /// A new database on a log that no longer starts at its beginning, with no evidence that
    /// anything of it is gone: restore from a snapshot when there is one, else start from
    /// the log.
    Bootstrap(String),
}

/// What the log says, read only when the position alone cannot tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    pub first: u64,
    pub last: u64,
    /// The origin id of the subject's first kept change set, when there is a readable one.
    pub first_kept_id: Option<u64>,
}

/// Reads what [`judge`] needs and judges.
pub(crate) async fn check(
    stream: &mut Stream,
    subject: &str,
    applied: u64,
    from_start: bool,
) -> Result<CatchUp, NatsError> {
    let log = |e: &dyn std::fmt::Display| NatsError::Log(e.to_string());
    let state = stream.info().await.map_err(|e| log(&e))?.state.clone();
    let mut facts = Facts {
        first: state.first_sequence,
        last: state.last_sequence,
        ..Facts::default()
    };
    if applied == 0 && from_start && facts.first > 1 {
        facts.first_kept_id = match stream.get_first_raw_message_by_subject(subject, 1).await {
            Ok(message) => ChangeSet::decode(&message.payload)
                .ok()
                .and_then(|set| set.id.filter(|_| set.origin.is_some())),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => None,
            Err(e) => return Err(log(&e)),
        };
    }
    Ok(judge(applied, from_start, &facts))
}

pub(crate) fn judge(applied: u64, from_start: bool, facts: &Facts) -> CatchUp {
    let Facts {
        first,
        last,
        first_kept_id,
    } = facts;
    if applied > *last {
        return CatchUp::Gap(format!(
            "this database applied the log up to sequence {applied}, but the log ends at {last}: \
             the stream was recreated or replaced"
        ));
    }
    if applied > 0 && applied + 1 < *first {
        return CatchUp::Gap(format!(
            "the log no longer holds the changes after sequence {applied} (it starts at \
             {first}): this database cannot catch up from the log"
        ));
    }
    if applied == 0 && from_start && *first > 1 {
        if let Some(id) = first_kept_id.filter(|id| *id > 1) {
            return CatchUp::Gap(format!(
                "this database has applied nothing yet and the log no longer holds its \
                 beginning (its first kept change set is #{id} of its origin; the log starts \
                 at {first}): it cannot be built from the log alone"
            ));
        }
        return CatchUp::Bootstrap(format!(
            "this database has applied nothing yet and the log no longer starts at its \
             beginning (its first kept entry is {first})"
        ));
    }
    CatchUp::Fine
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(first: u64, last: u64, first_kept_id: Option<u64>) -> Facts {
        Facts {
            first,
            last,
            first_kept_id,
        }
    }

    #[test]
    fn a_position_before_the_first_kept_entry_or_past_the_end_is_a_gap() {
        assert_eq!(
            judge(0, true, &facts(1, 0, None)),
            CatchUp::Fine,
            "empty log"
        );
        assert_eq!(
            judge(10, false, &facts(11, 20, None)),
            CatchUp::Fine,
            "next one kept"
        );
        assert_eq!(
            judge(10, false, &facts(5, 10, None)),
            CatchUp::Fine,
            "caught up"
        );
        assert!(
            matches!(judge(10, false, &facts(12, 20, None)), CatchUp::Gap(r) if r.contains("no longer holds"))
        );
        assert!(
            matches!(judge(30, false, &facts(1, 20, None)), CatchUp::Gap(r) if r.contains("recreated"))
        );
    }

    #[test]
    fn a_new_database_on_an_aged_log_restores_or_is_refused_on_evidence() {
        assert_eq!(
            judge(0, false, &facts(50, 60, None)),
            CatchUp::Fine,
            "a consumer that does not read from the start needs no beginning"
        );
        assert!(
            matches!(judge(0, true, &facts(50, 60, Some(7))), CatchUp::Gap(r) if r.contains("#7"))
        );
        assert!(matches!(
            judge(0, true, &facts(50, 60, Some(1))),
            CatchUp::Bootstrap(_)
        ));
        assert!(matches!(
            judge(0, true, &facts(50, 60, None)),
            CatchUp::Bootstrap(_)
        ));
    }
}
