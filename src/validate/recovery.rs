//! Recovery time of rollback recovery against T_rec = (D + R + ρ·c/2)/(1 − ρ), over load.

use super::{Check, Group, Setup, ValidateError, run_file};
use crate::scenario::{ArrivalSpec, OperatorKindSpec};

/// Detection time Δ + d − η/2 of the scenario's detector \[s\].
const D: f64 = 0.5 + 0.0005 - 0.05;
/// Restart delay \[s\] (restore time is negligible: 8 keys × 64 bytes).
const R: f64 = 0.5;
/// Checkpoint interval \[s\].
const C: f64 = 2.0;
/// Mean service time \[s\].
const SERVICE_S: f64 = 0.001;

/// One point of the recovery-time-versus-load chart.
#[derive(Clone, Debug, PartialEq)]
pub struct RecoveryPoint {
    /// Offered load ρ.
    pub rho: f64,
    /// Simulated mean recovery time with its 99 % interval \[s\].
    pub simulated: (f64, f64, f64),
    /// The formula \[s\].
    pub formula: f64,
}

/// The recovery-time checks over ρ = 0.3, 0.5, 0.7, and the chart's points.
pub fn checks(setup: &Setup) -> Result<(Vec<Check>, Vec<RecoveryPoint>), ValidateError> {
    let mode = setup.mode;
    let mut checks = Vec::new();
    let mut points = Vec::new();
    for rho in [0.3, 0.5, 0.7] {
        let (_, run) = run_file(setup, "recovery-rollback.ron", |f| {
            f.duration_s = mode.scale(f.duration_s, 6.0, 300.0);
            for op in &mut f.operators {
                if let OperatorKindSpec::Source {
                    arrivals: ArrivalSpec::Poisson { rate_per_s },
                    ..
                } = &mut op.kind
                {
                    *rate_per_s = rho / SERVICE_S;
                }
            }
        })?;
        // Per replication: mean recovery over the episodes that met the formula's
        // assumption (one failure at a time: the replacement started at once).
        let per_rep: Vec<f64> = run.cells[0]
            .replications
            .iter()
            .map(|rep| {
                let clean: Vec<f64> = rep
                    .episodes
                    .iter()
                    .filter_map(|e| {
                        let (d, s, r) = (e.detected_at?, e.restored_at?, e.recovered_at?);
                        ((s - d).as_secs_f64() - R)
                            .abs()
                            .lt(&1e-3)
                            .then(|| (r - e.fault_at).as_secs_f64())
                    })
                    .collect();
                clean.iter().sum::<f64>() / clean.len() as f64
            })
            .collect();
        let formula = (D + R + rho * C / 2.0) / (1.0 - rho);
        let check = Check::from_samples(
            Group::Recovery,
            format!("rollback recovery time at ρ = {rho} (c = 2 s, R = 0.5 s)"),
            "s",
            formula,
            "(D + R + ρ·c/2)/(1 − ρ): the backlog's busy period, D = Δ + d − η/2",
            &per_rep,
            mode,
        );
        if let super::Measured::Interval(ci) = &check.measured {
            points.push(RecoveryPoint {
                rho,
                simulated: (ci.mean, ci.low, ci.high),
                formula,
            });
        }
        checks.push(check);
    }
    Ok((checks, points))
}
