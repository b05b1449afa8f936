//! Sink commit: the visible delay of a transactional sink against its closed form.
//!
//! A source sends straight to a transactional sink over links of constant latency L (the
//! control messages too); checkpoints every T. What the sink delivers between two barriers
//! becomes visible when the coordinator's notice of the second barrier's checkpoint arrives,
//! 2L after that barrier reached the sink (acknowledgement and notice), so a Poisson arrival
//! waits 2L + U(0, T) after its delivery: E[visible delay] = 3L + T/2. See the header of
//! `scenarios/validation/sink-transactional.ron`.

use super::{Check, Group, Setup, ValidateError, run_file};
use crate::scenario::DistSpec;

/// Quick mode shortens the run by this factor (warm-up kept).
const QUICK_FACTOR: f64 = 5.0;

/// Every sink check: (checkpoint interval T \[s\], latency L \[ms\]) pairs.
pub fn checks(setup: &Setup) -> Result<Vec<Check>, ValidateError> {
    let mode = setup.mode;
    let mut checks = Vec::new();
    for (interval_s, latency_ms) in [(1.0f64, 10.0f64), (0.5, 20.0)] {
        let (_, run) = run_file(setup, "sink-transactional.ron", |f| {
            let measured = f.duration_s - f.warmup_s;
            f.duration_s = f.warmup_s + mode.scale(measured, QUICK_FACTOR, 10.0);
            f.cluster.network.latency_ms = DistSpec::Const(latency_ms);
            for ft in std::iter::once(&mut f.fault_tolerance).chain(
                f.variants
                    .iter_mut()
                    .filter_map(|v| v.fault_tolerance.as_mut()),
            ) {
                if let Some(c) = ft.checkpoint.as_mut() {
                    c.interval_s = interval_s;
                }
            }
        })?;
        let theory = 3.0 * latency_ms + interval_s * 1000.0 / 2.0;
        let transactional = &run.cells[0];
        checks.push(Check::from_samples(
            Group::Sinks,
            format!(
                "transactional sink: mean visible delay, T = {interval_s} s, L = {latency_ms} ms"
            ),
            "ms",
            theory,
            "L + 2L + T/2: delivery, then acknowledgement and commit notice after the next \
             barrier, uniform over the interval",
            &transactional.values("visible_delay_mean_ms"),
            mode,
        ));
        let at_least_once = &run.cells[1];
        let gap = at_least_once
            .values("visible_delay_mean_ms")
            .iter()
            .zip(at_least_once.values("delay_mean_ms"))
            .map(|(v, d)| (v - d).abs())
            .fold(0.0, f64::max);
        checks.push(Check::exact(
            Group::Sinks,
            format!(
                "at-least-once sink: visible minus processing delay, largest over runs, \
                 L = {latency_ms} ms"
            ),
            "ms",
            0.0,
            "0: visible on delivery",
            gap,
            gap == 0.0,
            "",
        ));
    }
    Ok(checks)
}
