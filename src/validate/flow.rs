//! Flow-control checks: bounded buffers that never bind change nothing, a push source into a
//! bounded server is M/M/1/K, a pull source under overload lags at λ − μ, and aligned
//! barriers at a two-input operator wait exactly the inputs' latency difference.

use super::{Check, Group, Mode, Setup, ValidateError, run_file};
use crate::scenario::{BufferSpec, DistSpec, ScenarioFile};

/// Quick mode shortens every flow run by this factor (warm-up kept).
const QUICK_FACTOR: f64 = 5.0;

/// The duration edit for `mode`.
fn scale(f: &mut ScenarioFile, mode: Mode) {
    let measured = f.duration_s - f.warmup_s;
    f.duration_s = f.warmup_s + mode.scale(measured, QUICK_FACTOR, 20.0);
}

/// Every flow-control check.
pub fn checks(setup: &Setup) -> Result<Vec<Check>, ValidateError> {
    let mode = setup.mode;
    let mut checks = vec![equivalence(setup)?];
    checks.extend(alignment(setup)?);
    for (rho, k) in [(0.9f64, 5u32), (1.2, 10)] {
        let (_, run) = run_file(setup, "mm1k.ron", |f| {
            scale(f, mode);
            if let crate::scenario::OperatorKindSpec::Source { arrivals, .. } =
                &mut f.operators[0].kind
            {
                *arrivals = crate::scenario::ArrivalSpec::Poisson {
                    rate_per_s: rho * 1000.0,
                };
            }
            f.operators[1].buffer = Some(BufferSpec::Events(k));
        })?;
        let cell = &run.cells[0];
        let kf = f64::from(k);
        let p_k = (1.0 - rho) * rho.powf(kf) / (1.0 - rho.powf(kf + 1.0));
        let l = rho / (1.0 - rho) - (kf + 1.0) * rho.powf(kf + 1.0) / (1.0 - rho.powf(kf + 1.0));
        checks.push(Check::from_samples(
            Group::Flow,
            format!("M/M/1/K shed fraction, ρ = {rho}, K = {k}"),
            "",
            p_k,
            "(1 − ρ)ρ^K/(1 − ρ^(K+1)) (Kleinrock 1975, §3.6)",
            &cell.values("shed_fraction"),
            mode,
        ));
        checks.push(Check::from_samples(
            Group::Flow,
            format!("M/M/1/K mean delay of admitted events, ρ = {rho}, K = {k}"),
            "1/μ",
            l / (rho * (1.0 - p_k)),
            "Little: L/(λ(1 − P_K)), L the M/M/1/K mean number in system",
            &cell.values("delay_mean_ms"),
            mode,
        ));
    }
    let (scenario, run) = run_file(setup, "pull-overload.ron", |f| scale(f, mode))?;
    let cell = &run.cells[0];
    let window = scenario.resolved.duration_s - scenario.resolved.warmup_s;
    let growth: Vec<f64> = cell
        .values("source_lag_events_end")
        .iter()
        .zip(cell.values("source_lag_events_mean"))
        .map(|(end, mean)| 2.0 * (end - mean) / window)
        .collect();
    checks.push(Check::from_samples(
        Group::Flow,
        "Pull source, λ = 1200/s into μ = 1000/s: lag growth",
        "events/s",
        200.0,
        "λ − μ, estimated as 2·(lag_end − lag_mean)/(T − warm-up)",
        &growth,
        mode,
    ));
    checks.push(Check::from_samples(
        Group::Flow,
        "Pull source under overload: throughput",
        "events/s",
        1000.0,
        "the bottleneck's service rate μ",
        &cell.values("throughput_per_s"),
        mode,
    ));
    Ok(checks)
}

/// Aligned barriers at a two-input sink whose inputs differ by a constant latency `d`: every
/// alignment lasts exactly `d` (derived in `alignment-skew.ron`).
fn alignment(setup: &Setup) -> Result<Vec<Check>, ValidateError> {
    let mode = setup.mode;
    let mut checks = Vec::new();
    for d in [2.0f64, 10.0] {
        let (_, run) = run_file(setup, "alignment-skew.ron", |f| {
            scale(f, mode);
            f.cluster.links[0].link.latency_ms = DistSpec::Const(0.1 + d);
        })?;
        let cell = &run.cells[0];
        // Every alignment equals d to the nanosecond, so the samples have no spread and a
        // t-interval would have zero width around the float rounding of their mean: the
        // check is exact, to 10⁻⁹ of d, over every replication's mean and p99.
        let values: Vec<f64> = [
            cell.values("alignment_mean_ms"),
            cell.values("alignment_p99_ms"),
        ]
        .concat();
        let worst = values.iter().map(|v| (v - d).abs()).fold(0.0, f64::max);
        let mean = cell.values("alignment_mean_ms");
        checks.push(Check::exact(
            Group::Flow,
            format!("Aligned barriers, two inputs {d} ms apart: every alignment"),
            "ms",
            d,
            "the inputs' latency difference d: both maps wait the same work ahead of the barrier",
            mean.iter().sum::<f64>() / mean.len() as f64,
            !values.is_empty() && worst <= 1e-9 * d,
            if worst <= 1e-9 * d {
                String::new()
            } else {
                format!("a replication's mean or p99 is {worst} ms from d")
            },
        ));
    }
    Ok(checks)
}

/// Metrics excluded from the event-for-event comparison: credit announcements are control
/// messages, which only the bounded run sends.
const DIFFERS_BY_DESIGN: &[&str] = &["control_messages"];

/// Bounded buffers far above any backlog against unbounded: every shared metric of every
/// replication exactly equal.
fn equivalence(setup: &Setup) -> Result<Check, ValidateError> {
    let mode = setup.mode;
    let (_, unbounded) = run_file(setup, "flow-equivalence.ron", |f| scale(f, mode))?;
    let (_, bounded) = run_file(setup, "flow-equivalence.ron", |f| {
        scale(f, mode);
        f.buffers = BufferSpec::Events(1_000_000);
    })?;
    let mut compared = 0;
    let mut differences = Vec::new();
    let pairs = unbounded.cells[0]
        .replications
        .iter()
        .zip(&bounded.cells[0].replications);
    for (r, (u, b)) in pairs.enumerate() {
        for (name, value) in &u.metrics {
            if DIFFERS_BY_DESIGN.contains(&name.as_str()) {
                continue;
            }
            let Some(other) = b.metric(name) else {
                continue;
            };
            compared += 1;
            if other.to_bits() != value.to_bits() && !(other.is_nan() && value.is_nan()) {
                differences.push(format!("replication {r} {name}: {value} vs {other}"));
            }
        }
    }
    let shown: Vec<String> = differences.iter().take(5).cloned().collect();
    Ok(Check::exact(
        Group::Flow,
        format!("buffers: Events(10⁶) equals Unbounded event for event ({compared} metric values)"),
        "differing values",
        0.0,
        "capacity above every backlog: no sender ever blocks (control_messages excluded: credits)",
        differences.len() as f64,
        differences.is_empty(),
        shown.join("; "),
    ))
}
