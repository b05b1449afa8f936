//! Phi-accrual failure detector (Hayashibara, Défago, Yared and Katayama, SRDS 2004), in the
//! form used by Akka and Cassandra.
//!
//! The detector keeps the last `window` inter-arrival times of a node's heartbeats and models
//! the next one as normal with their mean μ and standard deviation σ (at least `min_std`).
//! The suspicion level after a silence of t is φ(t) = −log10(1 − F(t)), F the normal CDF; a
//! node is suspected when φ reaches `threshold`, i.e. when the silence exceeds
//! μ + pause + z·σ with z = Φ⁻¹(1 − 10^−threshold) (φ = 8 → z ≈ 5.612). `pause` is an
//! acceptable extra pause (Akka's `acceptable-heartbeat-pause`). Until the first interval is
//! observed, μ is the configured heartbeat interval and σ = μ/4 (Akka's bootstrap).

use statrs::distribution::{ContinuousCDF, Normal};

use super::FailureDetector;
use crate::model::NodeId;
use crate::sim::{SimDuration, SimTime};

/// Per-node sliding window of inter-arrival times, in a fixed-size ring (no allocation per
/// heartbeat).
#[derive(Debug, Clone)]
struct Window {
    samples: Vec<f64>,
    next: usize,
    filled: usize,
    last: Option<SimTime>,
    generation: u64,
}

/// Phi-accrual detector.
#[derive(Debug, Clone)]
pub struct PhiAccrualDetector {
    z: f64,
    min_std_ns: f64,
    pause_ns: f64,
    bootstrap_mean_ns: f64,
    windows: Vec<Window>,
}

impl PhiAccrualDetector {
    /// A detector for `nodes` nodes. `threshold` > 0 (validated), `window` ≥ 1.
    pub fn new(
        nodes: usize,
        interval: SimDuration,
        threshold: f64,
        window: usize,
        min_std: SimDuration,
        pause: SimDuration,
    ) -> Self {
        let z = z_for_threshold(threshold);
        let w = Window {
            samples: vec![0.0; window.max(1)],
            next: 0,
            filled: 0,
            last: None,
            generation: 0,
        };
        Self {
            z,
            min_std_ns: min_std.as_nanos() as f64,
            pause_ns: pause.as_nanos() as f64,
            bootstrap_mean_ns: interval.as_nanos() as f64,
            windows: vec![w; nodes],
        }
    }

    /// The silence after which a node with this history is suspected \[ns\].
    fn silence_limit_ns(&self, w: &Window) -> f64 {
        let (mean, std) = if w.filled == 0 {
            (self.bootstrap_mean_ns, self.bootstrap_mean_ns / 4.0)
        } else {
            let xs = &w.samples[..w.filled];
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            (mean, var.sqrt())
        };
        mean + self.pause_ns + self.z * std.max(self.min_std_ns)
    }
}

/// z = Φ⁻¹(1 − 10^−φ): the number of standard deviations at which φ reaches `threshold`.
pub fn z_for_threshold(threshold: f64) -> f64 {
    let normal = Normal::new(0.0, 1.0).expect("the standard normal is valid");
    // 1 − 10^−φ loses precision for large φ; use the symmetric lower tail instead.
    -normal.inverse_cdf(10f64.powf(-threshold))
}

impl FailureDetector for PhiAccrualDetector {
    fn heartbeat(&mut self, from: NodeId, now: SimTime) -> SimTime {
        let w = &mut self.windows[from.index()];
        if let Some(last) = w.last {
            let len = w.samples.len();
            w.samples[w.next] = (now - last).as_nanos() as f64;
            w.next = (w.next + 1) % len;
            w.filled = (w.filled + 1).min(len);
        }
        w.last = Some(now);
        w.generation += 1;
        let limit = self.silence_limit_ns(&self.windows[from.index()]);
        now + SimDuration::from_secs_f64(limit * 1e-9)
    }

    fn generation(&self, from: NodeId) -> u64 {
        self.windows[from.index()].generation
    }

    fn name(&self) -> &'static str {
        "phi-accrual"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ft::detector::check_detector;

    #[test]
    fn phi_detector_honours_the_contract() {
        let mut d = PhiAccrualDetector::new(
            2,
            SimDuration::from_millis(100),
            8.0,
            100,
            SimDuration::from_millis(10),
            SimDuration::ZERO,
        );
        check_detector(&mut d, SimDuration::from_millis(100));
    }

    /// φ = 8 ⇔ z = Φ⁻¹(1 − 1e-8) = 5.612 (standard normal tables).
    #[test]
    fn threshold_eight_is_five_point_six_sigma() {
        assert!(
            (z_for_threshold(8.0) - 5.612).abs() < 1e-3,
            "{}",
            z_for_threshold(8.0)
        );
        assert!((z_for_threshold(1.0) - 1.2816).abs() < 1e-3);
    }

    /// Heartbeats alternating 90 ms and 110 ms apart: μ = 100 ms, σ = 10 ms, so the node is
    /// suspected 100 + 5.612·10 = 156.12 ms after its last heartbeat.
    #[test]
    fn deadline_is_mean_plus_z_sigma() {
        let mut d = PhiAccrualDetector::new(
            1,
            SimDuration::from_millis(100),
            8.0,
            10,
            SimDuration::from_millis(1),
            SimDuration::ZERO,
        );
        let mut t = SimTime::ZERO;
        let mut deadline = d.heartbeat(NodeId(0), t);
        for k in 0..20 {
            t += SimDuration::from_millis(if k % 2 == 0 { 90 } else { 110 });
            deadline = d.heartbeat(NodeId(0), t);
        }
        let silence_ms = (deadline - t).as_millis_f64();
        assert!(
            (silence_ms - (100.0 + 5.612 * 10.0)).abs() < 0.05,
            "{silence_ms}"
        );
    }
}
