//! Upstream backup (Hwang et al., ICDE 2005): no standby and no state snapshots. Every
//! instance keeps its output until the downstream instance has made it durable — for a
//! window, until the window that folded it has been emitted — and a fresh replacement
//! rebuilds its state by replaying those logs.

use super::{
    Condition, RecoverySemantics, Replacement, ReplacementNeed, ReplicationStrategy, RollbackScope,
    fresh_start, unless_checkpointed,
};

/// Upstream output logs, trimmed by downstream acknowledgements (checkpoint barriers that
/// carry no state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpstreamBackup;

impl ReplicationStrategy for UpstreamBackup {
    fn label(&self) -> &'static str {
        "upstream-backup"
    }

    /// The replay covers everything the failed instance's state depended on; what it had
    /// already emitted is emitted again. Without checkpoints no barrier ever trims the logs
    /// and none is kept: a gap.
    fn guarantee(&self, _condition: Condition, checkpoints: bool) -> RecoverySemantics {
        unless_checkpointed(checkpoints, RecoverySemantics::Rollback)
    }

    fn condition_text(&self, condition: Condition) -> &'static str {
        match condition {
            Condition::Primary => "fresh instance rebuilt from upstream logs",
            Condition::Fallback => "an upstream log was lost too: rebuilt from further upstream",
        }
    }

    fn snapshots_state(&self) -> bool {
        false
    }

    fn rollback(&self, _configured: RollbackScope) -> RollbackScope {
        RollbackScope::Local
    }

    /// A fresh process, nothing to read back: the state comes from the replay.
    fn replacement(&self, need: ReplacementNeed<'_>) -> Replacement {
        fresh_start(&need)
    }
}

#[cfg(test)]
mod tests {
    use super::super::StateSource;
    use super::super::test_support::{checkpoint, need};
    use super::*;

    #[test]
    fn a_replacement_starts_empty_after_the_restart_alone() {
        let c = checkpoint();
        let r = UpstreamBackup.replacement(need(Some(&c)));
        assert_eq!(r.delay, crate::sim::SimDuration::from_millis_f64(300.0));
        assert_eq!(r.state, StateSource::Empty);
        assert!(!UpstreamBackup.snapshots_state());
    }
}
