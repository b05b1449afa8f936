//! Passive replication (primary–backup): each instance has a standby on another node that
//! receives its state at every checkpoint, or every state change as it happens. On
//! detection the standby is promoted — no process start, no state read from storage — and
//! upstream replays what the standby has not seen.

use super::{
    Condition, RecoverySemantics, Replacement, ReplacementNeed, ReplicationStrategy, RollbackScope,
    StateSource, restart_and_restore, unless_checkpointed,
};
use crate::sim::SimDuration;

/// When the standby receives state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StandbySync {
    /// With every checkpoint's snapshot: promotion replays since the last complete one.
    #[default]
    Checkpoint,
    /// Every state change (log shipping): promotion replays only what the primary had not
    /// processed.
    Continuous,
}

/// A standby per instance, promoted on failure.
#[derive(Clone, Debug, PartialEq)]
pub struct PassiveReplication {
    /// From the decision to promote until the standby serves.
    pub promote: SimDuration,
    /// When the standby receives state.
    pub sync: StandbySync,
}

impl ReplicationStrategy for PassiveReplication {
    fn label(&self) -> &'static str {
        "passive"
    }

    /// Synced at checkpoints, events since the last one are processed again (rollback).
    /// Synced continuously, the standby skips what the primary processed (precise, but for
    /// outputs the primary sent in the instant before it failed).
    ///
    /// Precise needs the standby *and* the upstream logs: when the standby's node is down
    /// too (a cold restart from the checkpoint) or an upstream instance failed at the same
    /// time (its in-memory log is gone, and what it re-emits after its own recovery includes
    /// events the standby already applied), the episode falls back to rollback. Without
    /// checkpoints there are no logs to replay from: a gap.
    fn guarantee(&self, condition: Condition, checkpoints: bool) -> RecoverySemantics {
        let g = match (self.sync, condition) {
            (StandbySync::Continuous, Condition::Primary) => RecoverySemantics::Precise,
            _ => RecoverySemantics::Rollback,
        };
        unless_checkpointed(checkpoints, g)
    }

    fn condition_text(&self, condition: Condition) -> &'static str {
        match condition {
            Condition::Primary => "standby promoted, upstream alive",
            Condition::Fallback => "standby lost (cold restart) or upstream failed too",
        }
    }

    fn rollback(&self, _configured: RollbackScope) -> RollbackScope {
        RollbackScope::Local
    }

    fn standby(&self) -> bool {
        true
    }

    fn continuous_sync(&self) -> bool {
        self.sync == StandbySync::Continuous
    }

    /// A restart that is not a promotion (the standby's node is down too, or the instance —
    /// a sink — has none) replays everything since the checkpoint: the fallback. A source
    /// restarts losing nothing.
    fn replacement_condition(&self, need: &ReplacementNeed<'_>) -> Condition {
        if need.on_standby || need.source {
            Condition::Primary
        } else {
            Condition::Fallback
        }
    }

    /// Promotion when the instance moves onto its standby's node; otherwise (the standby's
    /// node is down too) a cold restart from the checkpoint.
    fn replacement(&self, need: ReplacementNeed<'_>) -> Replacement {
        if need.on_standby {
            Replacement {
                delay: self.promote,
                state: StateSource::Standby,
            }
        } else {
            restart_and_restore(&need)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{checkpoint, need};
    use super::*;

    #[test]
    fn promotion_skips_the_restart_and_the_restore() {
        let p = PassiveReplication {
            promote: SimDuration::from_millis_f64(50.0),
            sync: StandbySync::Checkpoint,
        };
        let c = checkpoint();
        let mut n = need(Some(&c));
        n.on_standby = true;
        assert_eq!(
            p.replacement(n),
            Replacement {
                delay: SimDuration::from_millis_f64(50.0),
                state: StateSource::Standby
            }
        );
        n.on_standby = false;
        assert_eq!(p.replacement(n).state, StateSource::Checkpoint);
        assert_eq!(p.rollback(RollbackScope::Global), RollbackScope::Local);
    }
}
