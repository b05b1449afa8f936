//! Fixed-timeout heartbeat detector, re-armed on each heartbeat.
//!
//! A node is suspected `timeout` after its last heartbeat. With heartbeats every η, a crash
//! at a uniformly random phase is detected after (Δ − η, Δ] plus the network delay of the
//! last heartbeat (Δ = timeout): mean Δ − η/2 + d. With heartbeat loss probability p and
//! Δ = kη + ε (0 < ε < η), a live node is falsely suspected when k consecutive heartbeats are
//! lost, at a rate of (1 − p)·p^k / η.

use super::FailureDetector;
use crate::model::NodeId;
use crate::sim::{SimDuration, SimTime};

/// Suspects a node `timeout` after its last heartbeat.
#[derive(Debug, Clone)]
pub struct HeartbeatDetector {
    timeout: SimDuration,
    generations: Vec<u64>,
}

impl HeartbeatDetector {
    /// A detector for `nodes` nodes.
    pub fn new(timeout: SimDuration, nodes: usize) -> Self {
        Self {
            timeout,
            generations: vec![0; nodes],
        }
    }
}

impl FailureDetector for HeartbeatDetector {
    fn heartbeat(&mut self, from: NodeId, now: SimTime) -> SimTime {
        self.generations[from.index()] += 1;
        now + self.timeout
    }

    fn generation(&self, from: NodeId) -> u64 {
        self.generations[from.index()]
    }

    fn name(&self) -> &'static str {
        "heartbeat"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ft::detector::check_detector;

    #[test]
    fn heartbeat_detector_honours_the_contract() {
        check_detector(
            &mut HeartbeatDetector::new(SimDuration::from_millis(500), 2),
            SimDuration::from_millis(100),
        );
    }

    #[test]
    fn deadline_is_last_heartbeat_plus_timeout() {
        let mut d = HeartbeatDetector::new(SimDuration::from_millis(500), 1);
        let t = SimTime::from_secs_f64(3.0);
        assert_eq!(d.heartbeat(NodeId(0), t), SimTime::from_secs_f64(3.5));
    }
}
