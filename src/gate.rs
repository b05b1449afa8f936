//! The availability regression gate: rerun a scenario and compare gated metrics with a
//! committed baseline, failing when one is worse by more than the two confidence intervals
//! allow.
//!
//! A baseline (`results/baselines/NAME.json`) records, per variant and gated metric, the mean
//! and the half-width of its confidence interval, and whether higher is better. The rerun is
//! worse when it lies on the bad side of the baseline by more than the statistical tolerance
//! √(h_baseline² + h_rerun²) — the half-width of the difference of two independent means —
//! so a rerun with another seed passes, and a real regression larger than the noise fails.

use serde::{Deserialize, Serialize};

use crate::experiment::RunResult;

/// Metrics gated when a baseline is first written: availability, higher is better.
pub const DEFAULT_METRICS: [&str; 2] = ["availability_system", "availability_mean"];

/// One gated metric of one variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatedMetric {
    /// Variant label.
    pub variant: String,
    /// Metric name.
    pub metric: String,
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of its confidence interval.
    pub half_width: f64,
    /// Replications.
    pub n: usize,
    /// Whether a larger value is better (availability) or worse (delay).
    pub higher_is_better: bool,
}

/// A committed baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Scenario name.
    pub scenario: String,
    /// Seed the baseline ran with.
    pub seed: u64,
    /// Replications per variant.
    pub replications: u32,
    /// Confidence level of the half-widths.
    pub level: f64,
    /// The gated metrics.
    pub metrics: Vec<GatedMetric>,
}

/// One line of the gate's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct GateRow {
    /// The baseline's entry.
    pub baseline: GatedMetric,
    /// The rerun's mean and half-width (NaN if the variant or metric is missing).
    pub mean: f64,
    /// Half-width of the rerun's interval.
    pub half_width: f64,
    /// How much worse the rerun is (negative: better).
    pub worse_by: f64,
    /// √(h_baseline² + h_rerun²).
    pub tolerance: f64,
    /// Whether the rerun is acceptable.
    pub passed: bool,
}

/// Builds a baseline from a run: `metrics` (name, higher is better) for every variant.
pub fn baseline(result: &RunResult, metrics: &[(String, bool)]) -> Baseline {
    let level = result.scenario.confidence;
    let mut gated = Vec::new();
    for cell in &result.cells {
        for (metric, higher) in metrics {
            if let Some(ci) = cell.interval(metric, level) {
                gated.push(GatedMetric {
                    variant: cell.label.clone(),
                    metric: metric.clone(),
                    mean: ci.mean,
                    half_width: ci.half_width(),
                    n: ci.n,
                    higher_is_better: *higher,
                });
            }
        }
    }
    Baseline {
        scenario: result.scenario.name.clone(),
        seed: result.seed,
        replications: result.scenario.replications,
        level,
        metrics: gated,
    }
}

/// Compares a rerun with the baseline, metric by metric.
pub fn compare(baseline: &Baseline, result: &RunResult) -> Vec<GateRow> {
    baseline
        .metrics
        .iter()
        .map(|b| {
            let ci = result
                .cells
                .iter()
                .find(|c| c.label == b.variant)
                .and_then(|c| c.interval(&b.metric, baseline.level));
            let (mean, half_width) = ci.map_or((f64::NAN, f64::NAN), |c| (c.mean, c.half_width()));
            let worse_by = if b.higher_is_better {
                b.mean - mean
            } else {
                mean - b.mean
            };
            let tolerance = b.half_width.hypot(half_width);
            GateRow {
                baseline: b.clone(),
                mean,
                half_width,
                worse_by,
                tolerance,
                // A missing metric (NaN) fails: the gate cannot vouch for it. The slack of a
                // few ulps absorbs the JSON round trip of an identical rerun.
                passed: worse_by <= tolerance + 1e-12 * b.mean.abs(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mean: f64, h: f64) -> GatedMetric {
        GatedMetric {
            variant: "v".into(),
            metric: "availability_system".into(),
            mean,
            half_width: h,
            n: 10,
            higher_is_better: true,
        }
    }

    #[test]
    fn tolerance_is_the_half_width_of_the_difference() {
        let b = row(0.99, 0.003);
        let tolerance = b.half_width.hypot(0.004);
        assert!((tolerance - 0.005).abs() < 1e-12);
    }
}
