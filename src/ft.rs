//! Fault tolerance: how a system notices failures and recovers from them.
//!
//! Failure detectors turn heartbeat arrivals into suspicions. Each detector is a small
//! deterministic state machine that the world drives through events: it never reads the
//! clock itself and never schedules anything; it returns the time at which a node should be
//! suspected, and the world arms a timer tagged with the detector's generation for that node.

pub mod detector;

pub use detector::{FailureDetector, HeartbeatDetector, PhiAccrualDetector};
