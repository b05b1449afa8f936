//! Queueing checks: M/M/1, M/M/2, M/D/1 and a tandem chain against their closed forms, and
//! Little's law at every queue of every one of those runs.

use super::{Check, Group, Mode, Setup, ValidateError, run_file};
use crate::experiment::RunResult;
use crate::scenario::ScenarioFile;

/// Quick mode shortens every queueing run by this factor (warm-up kept).
const QUICK_FACTOR: f64 = 5.0;

/// The duration edit for `mode`: quick runs keep the warm-up and a fifth of the rest.
fn scaled(mode: Mode) -> impl FnOnce(&mut ScenarioFile) {
    move |f: &mut ScenarioFile| {
        let measured = f.duration_s - f.warmup_s;
        f.duration_s = f.warmup_s + mode.scale(measured, QUICK_FACTOR, 10.0);
    }
}

/// Every queueing check.
pub fn checks(setup: &Setup) -> Result<Vec<Check>, ValidateError> {
    let mode = setup.mode;
    let mut checks = Vec::new();
    let mut little = Vec::new();

    let (_, mm1) = run_file(setup, "mm1-rho09.ron", scaled(mode))?;
    let cell = &mm1.cells[0];
    checks.push(Check::from_samples(
        Group::Queues,
        "M/M/1 mean delay, λ = 0.9, μ = 1 (ρ = 0.9)",
        "1/μ",
        10.0,
        "1/(μ − λ) (Kleinrock 1975, §3.2)",
        &cell.values("delay_mean_ms"),
        mode,
    ));
    checks.push(Check::from_samples(
        Group::Queues,
        "M/M/1 p99 delay, ρ = 0.9",
        "1/μ",
        100f64.ln() * 10.0,
        "ln(100)/(μ − λ): the sojourn time is Exp(μ − λ)",
        &cell.values("delay_p99_ms"),
        mode,
    ));
    little.push(("mm1-rho09", mm1));

    let (_, mm2) = run_file(setup, "mm2-rho09.ron", scaled(mode))?;
    checks.push(Check::from_samples(
        Group::Queues,
        "M/M/2 mean delay, λ = 1.8, μ = 1 (ρ = 0.9)",
        "1/μ",
        erlang_c_delay(1.8, 1.0, 2),
        "Erlang C: C(c, a)/(cμ − λ) + 1/μ (Kleinrock 1975, §3.5)",
        &mm2.cells[0].values("delay_mean_ms"),
        mode,
    ));
    little.push(("mm2-rho09", mm2));

    let (_, md1) = run_file(setup, "md1.ron", scaled(mode))?;
    let waits: Vec<f64> = md1.cells[0]
        .values("delay_mean_ms")
        .iter()
        .map(|d| d - 1.0)
        .collect();
    checks.push(Check::from_samples(
        Group::Queues,
        "M/D/1 mean wait (delay − service), ρ = 0.9",
        "1/μ",
        0.9 / (2.0 * (1.0 - 0.9)),
        "Pollaczek–Khinchine: ρ/(2μ(1 − ρ)) (Kleinrock 1975, §5.6)",
        &waits,
        mode,
    ));
    little.push(("md1", md1));

    let (_, chain) = run_file(setup, "chain.ron", scaled(mode))?;
    let lambda = 0.5; // per ms
    let chain_theory: f64 = [1.0, 1.2, 1.5]
        .iter()
        .map(|mean| 1.0 / (1.0 / mean - lambda))
        .sum();
    checks.push(Check::from_samples(
        Group::Queues,
        "chain of three M/M/1 stages (ρ = 0.5, 0.6, 0.75): mean delay",
        "ms",
        chain_theory,
        "Σ 1/(μᵢ − λ): Burke's theorem, Jackson (1957)",
        &chain.cells[0].values("delay_mean_ms"),
        mode,
    ));
    little.push(("chain", chain));

    checks.push(littles_law(&little));
    Ok(checks)
}

/// Mean sojourn time of M/M/c with arrival rate `lambda` and service rate `mu` (Erlang C).
pub fn erlang_c_delay(lambda: f64, mu: f64, c: u32) -> f64 {
    let a = lambda / mu;
    let rho = a / f64::from(c);
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    // term = a^c / c!
    let waiting = term / (1.0 - rho);
    let p_wait = waiting / (sum + waiting);
    p_wait / (f64::from(c) * mu - lambda) + 1.0 / mu
}

/// Little's law L = λW at every queue of every run, per replication: the two sides differ
/// only by edge effects at the window's ends, so 1 % (or 1e-4 absolute for idle queues) is
/// wide for a correct recorder and tight for a wrong one.
fn littles_law(runs: &[(&str, RunResult)]) -> Check {
    let mut queues = 0;
    let mut worst = 0.0f64;
    let mut failures = Vec::new();
    for (name, run) in runs {
        for cell in &run.cells {
            for (r, rep) in cell.replications.iter().enumerate() {
                for (q, &(l, lw)) in rep.little.iter().enumerate() {
                    if l == 0.0 && lw == 0.0 {
                        continue; // a source or sink: no queue
                    }
                    queues += 1;
                    let gap = (l - lw).abs();
                    worst = worst.max(gap / l.max(1e-12));
                    if gap > (0.01 * l).max(1e-4) {
                        failures.push(format!(
                            "{name} replication {r} queue {q}: L = {l}, λW = {lw}"
                        ));
                    }
                }
            }
        }
    }
    Check::exact(
        Group::Queues,
        format!("Little's law L = λW at every queue ({queues} queue-replications)"),
        "relative gap",
        0.0,
        "Little (1961); edge effects only, tolerance 1 %",
        worst,
        failures.is_empty(),
        failures.join("; "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_the_worked_examples() {
        assert!((erlang_c_delay(1.8, 1.0, 2) - 5.263_157_9).abs() < 1e-6);
        assert!((erlang_c_delay(1.6, 1.0, 2) - 2.777_777_8).abs() < 1e-6);
        // c = 1 is M/M/1.
        assert!((erlang_c_delay(0.9, 1.0, 1) - 10.0).abs() < 1e-9);
    }
}
