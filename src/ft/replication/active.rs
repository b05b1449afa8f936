//! Active replication: k copies of every processing instance on distinct nodes process the
//! same input; each receiver keeps the first copy of every event. One live copy masks a
//! failure without a gap; a lost copy is rebuilt by copying a live one's state. When every
//! copy of an instance is lost, the job falls back on the last complete checkpoint (global
//! rollback), if the scenario checkpoints.

use super::{
    Condition, RecoverySemantics, Replacement, ReplacementNeed, ReplicationStrategy, RollbackScope,
    StateSource, fresh_start, restart_and_restore, unless_checkpointed,
};
use crate::sim::SimDuration;

/// k active copies of each processing instance (sources and sinks stand for external
/// endpoints and are not copied).
#[derive(Clone, Debug, PartialEq)]
pub struct ActiveReplication {
    /// Copies per instance, at least 1.
    pub replicas: u32,
    /// Bandwidth of the state transfer that rebuilds a lost copy \[bytes per second\].
    pub transfer_bytes_per_s: f64,
}

impl ReplicationStrategy for ActiveReplication {
    fn label(&self) -> &'static str {
        "active"
    }

    /// Precise while one copy of every instance lives: the survivors never stop and nothing
    /// is replayed. When every copy of an instance is lost at once (or a sink, which has
    /// one), the job rolls back to the last complete checkpoint — as Flux and Borealis
    /// rebuild a lost pair from a checkpoint — and the episode is a rollback; without
    /// checkpoints the rebuilt copy starts empty and the episode is a gap.
    fn guarantee(&self, condition: Condition, checkpoints: bool) -> RecoverySemantics {
        match condition {
            Condition::Primary => RecoverySemantics::Precise,
            Condition::Fallback => unless_checkpointed(checkpoints, RecoverySemantics::Rollback),
        }
    }

    fn condition_text(&self, condition: Condition) -> &'static str {
        match condition {
            Condition::Primary => "a copy of every instance lived",
            Condition::Fallback => "every copy of an instance lost",
        }
    }

    fn replicas(&self) -> u32 {
        self.replicas
    }

    /// Checkpoints, when the scenario configures them, are the fallback for losing every
    /// copy: each copy snapshots at barriers, and the job rolls back only then.
    fn rollback(&self, _configured: RollbackScope) -> RollbackScope {
        RollbackScope::Global
    }

    /// A copy rebuilt without a live peer started empty: every copy was lost.
    fn replacement_condition(&self, need: &ReplacementNeed<'_>) -> Condition {
        if need.peer_alive || need.rolling_back || need.source {
            Condition::Primary
        } else {
            Condition::Fallback
        }
    }

    fn replacement(&self, need: ReplacementNeed<'_>) -> Replacement {
        if need.rolling_back {
            restart_and_restore(&need)
        } else if need.peer_alive {
            Replacement {
                delay: need.restart
                    + SimDuration::from_secs_f64(
                        need.state_bytes as f64 / self.transfer_bytes_per_s,
                    ),
                state: StateSource::Peer,
            }
        } else {
            fresh_start(&need)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::need;
    use super::*;

    #[test]
    fn a_lost_copy_is_rebuilt_from_a_live_one_at_the_transfer_bandwidth() {
        let a = ActiveReplication {
            replicas: 2,
            transfer_bytes_per_s: 4e6,
        };
        let mut n = need(None);
        n.peer_alive = true;
        let r = a.replacement(n);
        assert_eq!(
            (r.delay, r.state),
            (SimDuration::from_millis_f64(800.0), StateSource::Peer)
        );
        n.peer_alive = false;
        assert_eq!(a.replacement(n).state, StateSource::Empty);
        assert_eq!(a.semantics(false), RecoverySemantics::Precise);
        assert_eq!(
            a.guarantee(Condition::Fallback, true),
            RecoverySemantics::Rollback
        );
        assert_eq!(
            a.guarantee(Condition::Fallback, false),
            RecoverySemantics::Gap
        );
    }
}
