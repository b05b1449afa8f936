//! Passive replication (primary–backup): each instance has a standby on another node that
//! receives its state at every checkpoint, or every state change as it happens. On
//! detection the standby is promoted — no process start, no state read from storage — and
//! upstream replays what the standby has not seen.

use super::{
    RecoverySemantics, Replacement, ReplacementNeed, ReplicationStrategy, RollbackScope,
    StateSource, restart_and_restore,
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
    fn semantics(&self, _checkpoints: bool) -> RecoverySemantics {
        match self.sync {
            StandbySync::Checkpoint => RecoverySemantics::Rollback,
            StandbySync::Continuous => RecoverySemantics::Precise,
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
