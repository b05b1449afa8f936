//! No replication: one copy of each instance; a failed one restarts, restores the last
//! complete checkpoint and the job rolls back (globally, or locally with upstream replay).

use super::{
    Condition, RecoverySemantics, Replacement, ReplacementNeed, ReplicationStrategy, RollbackScope,
    restart_and_restore, unless_checkpointed,
};

/// Checkpoint-and-rollback only (restart-only without checkpoints).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoReplication;

impl ReplicationStrategy for NoReplication {
    fn label(&self) -> &'static str {
        "none"
    }

    /// Rollback with checkpoints; without them a restarted instance starts empty and what it
    /// held, or was sent while it was down, is lost. Restoring the checkpoint is its only
    /// mechanism, so it has no fallback.
    fn guarantee(&self, _condition: Condition, checkpoints: bool) -> RecoverySemantics {
        unless_checkpointed(checkpoints, RecoverySemantics::Rollback)
    }

    fn condition_text(&self, condition: Condition) -> &'static str {
        match condition {
            Condition::Primary => "restart and restore the last checkpoint",
            Condition::Fallback => "(none)",
        }
    }

    fn rollback(&self, configured: RollbackScope) -> RollbackScope {
        configured
    }

    fn replacement(&self, need: ReplacementNeed<'_>) -> Replacement {
        restart_and_restore(&need)
    }
}

#[cfg(test)]
mod tests {
    use super::super::StateSource;
    use super::super::test_support::{checkpoint, need};
    use super::*;
    use crate::sim::SimDuration;

    #[test]
    fn restarts_then_restores_at_the_restore_bandwidth() {
        let c = checkpoint();
        let r = NoReplication.replacement(need(Some(&c)));
        assert_eq!(r.delay, SimDuration::from_millis_f64(2300.0));
        assert_eq!(r.state, StateSource::Checkpoint);
        let r = NoReplication.replacement(need(None));
        assert_eq!(
            (r.delay, r.state),
            (SimDuration::from_millis_f64(300.0), StateSource::Empty)
        );
        assert_eq!(NoReplication.semantics(false), RecoverySemantics::Gap);
        assert_eq!(
            NoReplication.rollback(RollbackScope::Local),
            RollbackScope::Local
        );
    }
}
