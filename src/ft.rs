//! Fault tolerance: how a system notices failures and recovers from them.
//!
//! Detectors, the checkpoint protocol's bookkeeping and the replication strategies live
//! here as plain state machines and decisions; the world in [`crate::world`] applies them.
//!
//! Failure detectors turn heartbeat arrivals into suspicions. Each detector is a small
//! deterministic state machine that the world drives through events: it never reads the
//! clock itself and never schedules anything; it returns the time at which a node should be
//! suspected, and the world arms a timer tagged with the detector's generation for that node.

pub mod checkpoint;
pub mod detector;
pub mod replication;
pub mod sink;

pub use checkpoint::{BarrierMode, CheckpointConfig, CheckpointCoordinator, SnapshotMode};
pub use detector::{FailureDetector, HeartbeatDetector, PhiAccrualDetector};
pub use replication::{
    ActiveReplication, Condition, NoReplication, PassiveReplication, RecoverySemantics,
    Replication, ReplicationStrategy, RollbackScope, StandbySync, UpstreamBackup,
};
pub use sink::SinkCommit;

use crate::model::{DurationDist, NodeId};
use crate::sim::SimDuration;

/// Which failure detector the coordinator runs, as plain data.
#[derive(Clone, Debug, PartialEq)]
pub enum DetectorConfig {
    /// Fixed timeout after the last heartbeat.
    Heartbeat {
        /// Heartbeat period.
        interval: SimDuration,
        /// Silence after which a node is suspected.
        timeout: SimDuration,
    },
    /// Phi-accrual.
    PhiAccrual {
        /// Heartbeat period.
        interval: SimDuration,
        /// Suspicion threshold φ.
        threshold: f64,
        /// Inter-arrival times remembered.
        window: usize,
        /// Floor on the standard deviation.
        min_std: SimDuration,
        /// Acceptable extra pause.
        pause: SimDuration,
    },
}

impl DetectorConfig {
    /// Heartbeat period.
    pub fn interval(&self) -> SimDuration {
        match self {
            Self::Heartbeat { interval, .. } | Self::PhiAccrual { interval, .. } => *interval,
        }
    }

    /// A fresh detector watching `nodes` nodes.
    pub fn build(&self, nodes: usize) -> Box<dyn FailureDetector> {
        match *self {
            Self::Heartbeat { timeout, .. } => Box::new(HeartbeatDetector::new(timeout, nodes)),
            Self::PhiAccrual {
                interval,
                threshold,
                window,
                min_std,
                pause,
            } => Box::new(PhiAccrualDetector::new(
                nodes, interval, threshold, window, min_std, pause,
            )),
        }
    }
}

/// Failure detection and recovery settings of a validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultTolerance {
    /// Node running the detector.
    pub coordinator: Option<NodeId>,
    /// The detector, if any.
    pub detector: Option<DetectorConfig>,
    /// Standby nodes for relocated instances.
    pub spares: Vec<NodeId>,
    /// Time to start a replacement instance.
    pub restart: DurationDist,
    /// Periodic checkpoints; with them, recovery rolls back to the last complete one and
    /// replays (no loss, duplicates possible); without, a restarted instance starts empty
    /// (gap: what it held is lost).
    pub checkpoint: Option<CheckpointConfig>,
    /// What stands by for each instance and how a failed one is replaced.
    pub replication: Replication,
    /// How sinks make their deliveries visible.
    pub sink: SinkCommit,
    /// A deliberate defect, for checking that the explorer catches one; never set by a
    /// scenario file.
    pub sabotage: Option<Sabotage>,
}

/// A deliberate defect the fault-schedule explorer must catch (see [`crate::explore`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sabotage {
    /// Recovery skips every replay (sources' and upstream logs'): a rollback loses what it
    /// should have resent.
    SkipReplay,
}

impl Sabotage {
    /// The environment variable that sets a sabotage for every loaded scenario, so that the
    /// command-line tests can check that `run`, `sweep` and `gate` fail on a broken
    /// guarantee. Test-only: the CLI warns loudly when it is set.
    pub const ENV: &'static str = "FAULTLINE_SABOTAGE";

    /// The sabotage named by [`Self::ENV`] (`skip-replay`), if any.
    pub fn from_env() -> Option<Self> {
        match std::env::var(Self::ENV).ok()?.as_str() {
            "skip-replay" => Some(Self::SkipReplay),
            _ => None,
        }
    }
}

impl FaultTolerance {
    /// The end-to-end guarantee under `condition`: the strategy's, strengthened to
    /// exactly-once by consistent barriers and an idempotent or transactional sink (see
    /// [`sink::end_to_end`]).
    pub fn guarantee(&self, condition: Condition) -> RecoverySemantics {
        let strategy = self.replication.strategy();
        let checkpoints = self.checkpoint.is_some();
        sink::end_to_end(
            strategy.guarantee(condition, checkpoints),
            self.checkpoint.as_ref().map(|c| c.barriers),
            self.sink,
        )
    }
}

impl Default for FaultTolerance {
    fn default() -> Self {
        Self {
            coordinator: None,
            detector: None,
            spares: Vec::new(),
            restart: DurationDist::Const(SimDuration::ZERO),
            checkpoint: None,
            replication: Replication::default(),
            sink: SinkCommit::AtLeastOnce,
            sabotage: None,
        }
    }
}
