//! Sinks: when a delivered event becomes visible to the consumer, and what that does to the
//! end-to-end guarantee.
//!
//! Recovery by rollback and replay processes some events twice; whether a consumer *sees*
//! them twice depends on the sink. An at-least-once sink writes every delivery at once, so
//! a replayed event is visible again. An idempotent sink (an upsert by id, as into a keyed
//! table) drops an id it has already written: no extra latency, but it keeps every id (a
//! per-id state cost, reported as `sink_ids_peak`). A transactional sink (two-phase commit,
//! as Flink's `TwoPhaseCommitSinkFunction`) writes each checkpoint's deliveries into one
//! transaction, pre-commits it when the checkpoint's barrier reaches the sink, and commits
//! it when the coordinator reports the checkpoint complete; a rollback aborts every
//! transaction the restored checkpoint does not cover, so the replay writes them again,
//! once. Its output is visible only after the commit: the *visible delay* adds on average
//! half a checkpoint interval plus the checkpoint's completion time.
//!
//! Either kind gives exactly-once output only if the replay is consistent: the restored
//! state must reflect exactly the events before the checkpoint's barriers, which aligned and
//! unaligned barriers ensure and counted (at-least-once) barriers do not (an event after a
//! fast input's barrier is in checkpoint n's transaction *and* replayed after a rollback to
//! n). See [`end_to_end`].

use super::{BarrierMode, RecoverySemantics};

/// How a sink makes its deliveries visible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SinkCommit {
    /// Every delivery is visible at once; replayed events are visible again.
    #[default]
    AtLeastOnce,
    /// A delivery whose id was already written is dropped.
    Idempotent,
    /// Deliveries become visible when the checkpoint covering them completes; a rollback
    /// aborts the transactions it does not cover.
    Transactional,
}

impl SinkCommit {
    /// Name in results.
    pub fn label(self) -> &'static str {
        match self {
            Self::AtLeastOnce => "at-least-once",
            Self::Idempotent => "idempotent",
            Self::Transactional => "transactional",
        }
    }
}

/// The end-to-end guarantee of a strategy's `guarantee` (for one condition) behind `sink`,
/// with checkpoints whose barriers meet as `barriers` (`None`: no checkpoints).
///
/// A rollback guarantee (no loss, replays) becomes exactly-once at the sink when the
/// barriers are aligned or unaligned and the sink is idempotent or transactional; every
/// other combination keeps the strategy's own guarantee (precise stays precise, a gap stays
/// a gap: a sink cannot restore what was never replayed).
pub fn end_to_end(
    guarantee: RecoverySemantics,
    barriers: Option<BarrierMode>,
    sink: SinkCommit,
) -> RecoverySemantics {
    let consistent = matches!(
        barriers,
        Some(BarrierMode::Aligned | BarrierMode::Unaligned)
    );
    match guarantee {
        RecoverySemantics::Rollback if consistent && sink != SinkCommit::AtLeastOnce => {
            RecoverySemantics::ExactlyOnce
        }
        g => g,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_once_needs_consistent_barriers_and_a_sink_that_hides_replays() {
        use BarrierMode::*;
        use RecoverySemantics::*;
        for sink in [SinkCommit::Idempotent, SinkCommit::Transactional] {
            for b in [Aligned, Unaligned] {
                assert_eq!(end_to_end(Rollback, Some(b), sink), ExactlyOnce);
            }
            assert_eq!(end_to_end(Rollback, Some(AtLeastOnce), sink), Rollback);
            assert_eq!(end_to_end(Gap, Some(Aligned), sink), Gap);
            assert_eq!(end_to_end(Precise, Some(Aligned), sink), Precise);
        }
        assert_eq!(
            end_to_end(Rollback, Some(Aligned), SinkCommit::AtLeastOnce),
            Rollback
        );
        assert_eq!(end_to_end(Rollback, None, SinkCommit::Idempotent), Rollback);
    }
}
