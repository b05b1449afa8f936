//! Failure detectors: heartbeats in, suspicion deadlines out.
//!
//! Every monitored node sends a heartbeat datagram to the coordinator every `interval`.
//! After each heartbeat the detector returns the time at which the node will be suspected if
//! nothing else arrives; the world arms a timer carrying the detector's current generation for
//! that node, and a timer whose generation is stale (a later heartbeat re-armed it) is ignored.

mod heartbeat;
mod phi;

use std::fmt;

pub use heartbeat::HeartbeatDetector;
pub use phi::PhiAccrualDetector;

use crate::model::NodeId;
use crate::sim::SimTime;

/// Turns heartbeat arrivals into suspicions.
pub trait FailureDetector: fmt::Debug + Send {
    /// Records a heartbeat from `from` at `now` and returns when `from` should be suspected
    /// if nothing else arrives. Bumps `from`'s generation.
    fn heartbeat(&mut self, from: NodeId, now: SimTime) -> SimTime;

    /// Generation of `from`'s current deadline.
    fn generation(&self, from: NodeId) -> u64;

    /// Short name for reports.
    fn name(&self) -> &'static str;
}

/// The contract every detector honours. Call it from each implementation's tests.
#[cfg(test)]
pub(crate) fn check_detector(d: &mut dyn FailureDetector, interval: crate::sim::SimDuration) {
    let node = NodeId(0);
    let mut t = SimTime::ZERO;
    let mut last_generation = d.generation(node);
    for _ in 0..1000 {
        t += interval;
        let deadline = d.heartbeat(node, t);
        assert!(
            deadline > t,
            "{d:?}: deadline {deadline:?} not after the heartbeat at {t:?}"
        );
        let g = d.generation(node);
        assert!(g > last_generation, "{d:?}: generation did not advance");
        last_generation = g;
    }
    assert_eq!(d.generation(NodeId(1)), 0, "other nodes are untouched");
}
