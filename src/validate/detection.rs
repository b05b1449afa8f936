//! Failure-detection checks: fixed-timeout detection times and their bounds, false
//! suspicions from heartbeat loss, and the phi-accrual detector's threshold.

use super::{Check, Group, Setup, ValidateError, run_file};
use crate::ft::{FailureDetector, PhiAccrualDetector};
use crate::metrics::EpisodeKind;
use crate::model::NodeId;
use crate::sim::{SimDuration, SimTime};

/// Every detection check.
pub fn checks(setup: &Setup) -> Result<Vec<Check>, ValidateError> {
    let mode = setup.mode;
    let mut checks = Vec::new();

    // Fixed timeout: bounds on every crash, and the mean.
    let (eta, delta, d) = (0.1, 0.5, 0.002);
    let (_, run) = run_file(setup, "detection-heartbeat.ron", |f| {
        f.replications = mode.scale(f64::from(f.replications), 2.0, 20.0) as u32;
    })?;
    let mut times = Vec::new();
    let mut outside = Vec::new();
    for (r, rep) in run.cells[0].replications.iter().enumerate() {
        for e in rep
            .episodes
            .iter()
            .filter(|e| e.kind == EpisodeKind::NodeCrash)
        {
            match e.detected_at {
                Some(at) => {
                    let t = (at - e.fault_at).as_secs_f64();
                    // 1 ns of slack: times are integer nanoseconds.
                    if !(t > delta + d - eta - 1e-9 && t <= delta + d + 1e-9) {
                        outside.push(format!("replication {r}: {t} s"));
                    }
                    times.push(t);
                }
                None => outside.push(format!("replication {r}: never detected")),
            }
        }
    }
    let (low, high) = times
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &t| {
            (l.min(t), h.max(t))
        });
    checks.push(Check::exact(
        Group::Detection,
        format!(
            "fixed timeout: every detection in (Δ + d − η, Δ + d] = (0.402, 0.502] s ({} crashes)",
            times.len()
        ),
        "s",
        delta + d,
        "the last heartbeat left at most η before the crash (η = 100 ms, Δ = 500 ms, d = 2 ms)",
        high,
        outside.is_empty() && !times.is_empty(),
        if outside.is_empty() {
            format!(
                "observed range [{}, {}] s",
                super::sig(low),
                super::sig(high)
            )
        } else {
            outside.join("; ")
        },
    ));
    checks.push(Check::from_samples(
        Group::Detection,
        "fixed timeout: mean detection time",
        "s",
        delta + d - eta / 2.0,
        "Δ + d − η/2: the crash falls at a uniform phase of the heartbeat cycle",
        &times,
        mode,
    ));

    // False suspicions from heartbeat loss.
    let (p, k) = (0.2f64, 2);
    let (_, run) = run_file(setup, "detection-false-suspicion.ron", |f| {
        f.duration_s = mode.scale(f.duration_s, 8.0, 200.0);
    })?;
    let duration = run.scenario.metrics.end.as_secs_f64();
    let rates: Vec<f64> = run.cells[0]
        .values("false_suspicions")
        .iter()
        .map(|n| n / duration)
        .collect();
    checks.push(Check::from_samples(
        Group::Detection,
        "false suspicions of 2 live nodes, loss p = 0.2, Δ = kη + 50 ms, k = 2",
        "1/s",
        2.0 * (1.0 - p) * p.powi(k) / eta,
        "(1 − p)·p^k/η per node (Chen, Toueg & Aguilera 2002)",
        &rates,
        mode,
    ));

    checks.push(phi_threshold());
    Ok(checks)
}

/// Phi accrual: after heartbeats exactly every 100 ms (σ at its 10 ms floor), the detector
/// must suspect μ + z·σ after the last one with z = Φ⁻¹(1 − 10⁻⁸) ≈ 5.612 for φ = 8 — the
/// tabulated normal quantile, not the detector's own computation.
fn phi_threshold() -> Check {
    let interval = SimDuration::from_millis(100);
    let mut phi = PhiAccrualDetector::new(
        1,
        interval,
        8.0,
        100,
        SimDuration::from_millis(10),
        SimDuration::ZERO,
    );
    let node = NodeId(0);
    let mut deadline = SimTime::ZERO;
    let mut last = SimTime::ZERO;
    for k in 0..200u64 {
        last = SimTime::from_nanos(k * interval.as_nanos());
        deadline = phi.heartbeat(node, last);
    }
    let silence_ms = (deadline - last).as_secs_f64() * 1e3;
    let z = (silence_ms - 100.0) / 10.0;
    // Φ⁻¹(1 − 10⁻⁸) = 5.612001 (e.g. Abramowitz & Stegun 26.2.23 refined; any normal table).
    let tabulated = 5.612_001;
    Check::exact(
        Group::Detection,
        "phi accrual, φ = 8: suspicion after μ + z·σ of silence",
        "σ",
        tabulated,
        "z = Φ⁻¹(1 − 10^−φ) (Hayashibara et al., SRDS 2004)",
        z,
        (z - tabulated).abs() < 1e-3,
        format!(
            "silence before suspicion {} ms with μ = 100 ms, σ = 10 ms",
            super::sig(silence_ms)
        ),
    )
}
