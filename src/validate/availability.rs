//! Availability checks: one repairable unit, two active replicas (independent repair, and one
//! shared repair crew), a cold-standby pair, and a replicated operator under active and
//! passive replication against the first-order formulas, over MTTF.

use super::{Check, Group, Mode, Setup, ValidateError, run_file};
use crate::scenario::{DistSpec, FaultSpec, ScenarioFile};

/// Quick runs are this much shorter.
const QUICK_FACTOR: f64 = 5.0;

/// Detection time of a crash at a uniform phase under the replicated-operator scenario's
/// detector: Δ + d − η/2 with Δ = 500 ms, d = 0.5 ms, η = 100 ms.
const DETECTION_S: f64 = 0.5 + 0.0005 - 0.05;

/// MTTR of the replicated-operator scenario \[s\].
const MTTR_S: f64 = 5.0;

/// One point of the unavailability-versus-MTTF chart.
#[derive(Clone, Debug, PartialEq)]
pub struct UnavailabilityPoint {
    /// Mean time to failure \[s\].
    pub mttf_s: f64,
    /// `active` or `passive`.
    pub variant: String,
    /// Simulated unavailability: mean and 99 % interval bounds.
    pub simulated: (f64, f64, f64),
    /// The first-order formula.
    pub formula: f64,
}

/// E[min(D, Y)] for D uniform on (Δ + d − η, Δ + d] and Y ~ Exp(μ): the time a crash stays
/// undetected or unrepaired, whichever ends first. E[min(x, Y)] = (1 − e^(−μx))/μ, averaged
/// over D (Simpson's rule, 64 panels: exact to far below the intervals' width).
fn mean_min_detection_repair(mu: f64) -> f64 {
    let (a, b) = (DETECTION_S - 0.05, DETECTION_S + 0.05);
    let f = |x: f64| (1.0 - (-mu * x).exp()) / mu;
    let n = 64;
    let h = (b - a) / f64::from(n);
    let mut sum = f(a) + f(b);
    for k in 1..n {
        let w = if k % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(a + h * f64::from(k));
    }
    sum * h / 3.0 / (b - a)
}

fn shorter(mode: Mode) -> impl FnOnce(&mut ScenarioFile) {
    move |f: &mut ScenarioFile| f.duration_s = mode.scale(f.duration_s, QUICK_FACTOR, 100.0)
}

/// Every availability check, and the points of the MTTF chart.
pub fn checks(setup: &Setup) -> Result<(Vec<Check>, Vec<UnavailabilityPoint>), ValidateError> {
    let mode = setup.mode;
    let mut checks = Vec::new();
    let (_, single) = run_file(setup, "availability-single.ron", shorter(mode))?;
    checks.push(Check::from_samples(
        Group::Availability,
        "one repairable unit, failure rate 1/s, repair rate 2/s",
        "",
        2.0 / 3.0,
        "μ/(λ + μ), alternating renewal process (Barlow & Proschan 1975)",
        &single.cells[0].values("availability_system"),
        mode,
    ));
    let (_, pair) = run_file(setup, "availability-two-active.ron", shorter(mode))?;
    checks.push(Check::from_samples(
        Group::Availability,
        "two active replicas, independent repair (λ = 1/s, μ = 2/s)",
        "",
        8.0 / 9.0,
        "1 − (1 − A)² with A = 2/3",
        &pair.cells[0].values("availability_system"),
        mode,
    ));
    let (_, crew) = run_file(setup, "availability-shared-crew.ron", shorter(mode))?;
    checks.push(Check::from_samples(
        Group::Availability,
        "two active replicas, one shared repair crew (λ = 1/s, μ = 2/s)",
        "",
        0.8,
        "1 − p₂ of the birth–death chain 2λ, λ / μ, μ (machine-repairman model)",
        &crew.cells[0].values("availability_system"),
        mode,
    ));
    let (_, standby) = run_file(setup, "availability-cold-standby.ron", shorter(mode))?;
    let mut check = Check::from_samples(
        Group::Availability,
        "cold standby: one unit and a spare that cannot fail while it waits, one crew \
         (λ = 1/s, μ = 2/s)",
        "",
        6.0 / 7.0,
        "1 − λ²/(λ² + λμ + μ²), the two-unit cold-standby Markov model",
        &standby.cells[0].values("availability_system"),
        mode,
    );
    let how = "measured through the world as the stage's availability with active copies on \
               both units and no detector, i.e. the fraction of time at least one unit is up \
               (the spare's copy runs hot; \"cold\" is the failure model's: it cannot fail \
               while it waits), so detection and failover delays do not enter";
    check.note = if check.note.is_empty() {
        how.to_string()
    } else {
        format!("{}; {how}", check.note)
    };
    checks.push(check);

    let mut points = Vec::new();
    for mttf in [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0] {
        let (scenario, run) = run_file(setup, "replicated-operator.ron", |f| {
            // Both-down episodes are rare (a few per thousand seconds) and long, so the
            // replication means are skewed; quick mode keeps half the length, not a fifth.
            f.duration_s = mode.scale(f.duration_s, 2.0, 100.0);
            for fault in &mut f.faults {
                if let FaultSpec::Crash { ttf_s, .. } = fault {
                    *ttf_s = DistSpec::Exp { mean: mttf };
                }
            }
        })?;
        let lambda = 1.0 / mttf;
        let mu = 1.0 / MTTR_S;
        let u_active = (lambda / (lambda + mu)).powi(2);
        for (cell, variant) in run.cells.iter().zip(&scenario.variants) {
            // Active's both-down outages are too rare above 200 s to estimate (a few per run);
            // passive's formula knows the both-down term only approximately, which shows at
            // 200 s and below in a full run (see the scenario's header).
            let checked = match variant.label.as_str() {
                "active" => mttf <= 200.0,
                _ => mttf >= 500.0,
            };
            if !checked {
                continue;
            }
            let (theory, source, note) = if variant.label == "active" {
                (
                    1.0 - u_active,
                    "1 − (λ/(λ + μ))²: both copies down, independently".to_string(),
                    String::new(),
                )
            } else {
                // Promotions: the standby's node was usable (restored within a second of
                // detection); cold waits for a repair belong to the both-down term.
                let recoveries: Vec<f64> = cell
                    .replications
                    .iter()
                    .flat_map(|r| &r.episodes)
                    .filter_map(|e| {
                        let (d, s, r) = (e.detected_at?, e.restored_at?, e.recovered_at?);
                        ((s - d).as_secs_f64() < 1.0).then(|| (r - d).as_secs_f64())
                    })
                    .collect();
                let t_rec = recoveries.iter().sum::<f64>() / recoveries.len().max(1) as f64;
                let u_node = lambda / (lambda + mu);
                // P(the other node is down when the primary's node fails): either it is the
                // previous primary, still in repair (the race λ/(λ + μ)), or it was repaired
                // and failed again since (an alternating process started up, seen at an
                // exponential time: U_n·(λ + μ)/(2λ + μ)).
                let p_other = lambda / (lambda + mu)
                    + (mu / (lambda + mu)) * u_node * (lambda + mu) / (2.0 * lambda + mu);
                let per_failure = p_other * (1.0 / (2.0 * mu) + t_rec)
                    + (1.0 - p_other) * (mean_min_detection_repair(mu) + t_rec);
                // Failures strike only while the stage is up: U = x(1 − U).
                let x = lambda * per_failure;
                let refined = x / (1.0 + x);
                let first_order = u_active + lambda * (DETECTION_S + t_rec);
                (
                    1.0 - refined,
                    "U = x/(1 + x), x = λ[P_o(1/(2μ) + T_rec) + (1 − P_o)(E[min(D, Y)] + T_rec)], derived in the scenario"
                        .to_string(),
                    format!(
                        "T_rec = {} s measured over {} promotions; the first-order formula \
                         U_active + λ(D + T_rec) gives A = {}",
                        super::sig(t_rec),
                        recoveries.len(),
                        super::sig(1.0 - first_order)
                    ),
                )
            };
            let values = cell.values("availability_system");
            let mut check = Check::from_samples(
                Group::Availability,
                format!(
                    "{} replication, MTTF {mttf} s, MTTR {MTTR_S} s",
                    variant.label
                ),
                "",
                theory,
                source,
                &values,
                mode,
            );
            if !note.is_empty() {
                check.note = if check.note.is_empty() {
                    note
                } else {
                    format!("{}; {note}", check.note)
                };
            }
            if let super::Measured::Interval(ci) = &check.measured {
                points.push(UnavailabilityPoint {
                    mttf_s: mttf,
                    variant: variant.label.clone(),
                    simulated: (1.0 - ci.mean, 1.0 - ci.high, 1.0 - ci.low),
                    formula: 1.0 - theory,
                });
            }
            checks.push(check);
        }
    }
    Ok((checks, points))
}
