//! Active replication: k copies of every processing instance on distinct nodes process the
//! same input; each receiver keeps the first copy of every event. One live copy masks a
//! failure without a gap; a lost copy is rebuilt by copying a live one's state.

use super::{
    RecoverySemantics, Replacement, ReplacementNeed, ReplicationStrategy, RollbackScope,
    StateSource, fresh_start,
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
    /// is replayed. When every copy is lost at once, the rebuilt one starts empty (a gap).
    fn semantics(&self, _checkpoints: bool) -> RecoverySemantics {
        RecoverySemantics::Precise
    }

    fn replicas(&self) -> u32 {
        self.replicas
    }

    /// The copies replace checkpoints: no barriers, no snapshots.
    fn uses_checkpoints(&self) -> bool {
        false
    }

    fn rollback(&self, _configured: RollbackScope) -> RollbackScope {
        RollbackScope::Local
    }

    fn replacement(&self, need: ReplacementNeed<'_>) -> Replacement {
        if need.peer_alive {
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
        assert!(!a.uses_checkpoints());
        assert_eq!(a.semantics(true), RecoverySemantics::Precise);
    }
}
