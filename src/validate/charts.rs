//! The validation charts drawn from check results (the checkpoint-interval chart lives with
//! its model in [`super::checkpointing`]).

use std::path::PathBuf;

use super::Setup;
use super::ValidateError;
use super::availability::UnavailabilityPoint;
use super::recovery::RecoveryPoint;
use crate::plot::xy::{CiStyle, Series, XyChart};

/// Unavailability against MTTF, simulated (with intervals) and first-order formula, for
/// active and passive replication; log-log.
pub fn availability(
    setup: &Setup,
    points: &[UnavailabilityPoint],
) -> Result<Vec<PathBuf>, ValidateError> {
    let mut chart = XyChart::new(
        "Replicated operator: unavailability vs MTTF (MTTR 5 s)",
        "mean time to failure of a node [s]",
        "unavailability 1 − A",
    );
    chart.log_x = true;
    chart.log_y = true;
    for variant in ["active", "passive"] {
        let mine: Vec<&UnavailabilityPoint> =
            points.iter().filter(|p| p.variant == variant).collect();
        if mine.is_empty() {
            continue;
        }
        chart.series.push(
            Series::new(
                format!("{variant}, simulated (99 % CI)"),
                mine.iter().map(|p| (p.mttf_s, p.simulated.0)).collect(),
            )
            .with_ci(
                mine.iter()
                    .map(|p| (p.simulated.1, p.simulated.2))
                    .collect(),
                CiStyle::Whiskers,
            ),
        );
        let mut formula = Series::new(
            format!("{variant}, formula (derivation in the scenario)"),
            mine.iter().map(|p| (p.mttf_s, p.formula)).collect(),
        );
        formula.markers = false;
        chart.series.push(formula);
    }
    Ok(chart.write(&setup.chart("availability_vs_mttf"))?)
}

/// Rollback recovery time against load, simulated and (D + R + ρc/2)/(1 − ρ).
pub fn recovery(setup: &Setup, points: &[RecoveryPoint]) -> Result<Vec<PathBuf>, ValidateError> {
    let mut chart = XyChart::new(
        "Rollback recovery time vs load (c = 2 s, D ≈ 0.45 s, R = 0.5 s)",
        "offered load ρ",
        "recovery time, crash to backlog drained [s]",
    );
    chart.series.push(
        Series::new(
            "simulated (99 % CI)",
            points.iter().map(|p| (p.rho, p.simulated.0)).collect(),
        )
        .with_ci(
            points
                .iter()
                .map(|p| (p.simulated.1, p.simulated.2))
                .collect(),
            CiStyle::Whiskers,
        ),
    );
    let formula: Vec<(f64, f64)> = (0..=40)
        .map(|k| 0.25 + 0.5 * f64::from(k) / 40.0)
        .map(|rho| (rho, (0.4505 + 0.5 + rho) / (1.0 - rho)))
        .collect();
    // Three loads: joining them would invent the values between.
    chart.series[0].line = false;
    let mut line = Series::new("(D + R + ρc/2)/(1 − ρ)", formula);
    line.markers = false;
    chart.series.push(line);
    Ok(chart.write(&setup.chart("recovery_vs_load"))?)
}
