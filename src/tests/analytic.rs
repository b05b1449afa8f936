//! Analytic validation: the simulator against closed-form queueing results.
//!
//! Tolerances come from the confidence interval, not from guesses: each check runs the real
//! engine over independent replications and requires the theoretical value to lie inside the
//! 99 % Student-t interval of the replication means (a correct model fails this with
//! probability about 1 % per check; the seeds are fixed, so the outcome is reproducible), and
//! requires the interval to be narrow enough (half-width within 2 % of the value) for the
//! check to mean something.

use super::{load_fixture, only_cell, run};

/// Confidence level of analytic checks.
const LEVEL: f64 = 0.99;
/// Largest acceptable half-width of the interval, relative to the theoretical value.
const MAX_RELATIVE_HALF_WIDTH: f64 = 0.02;

fn assert_matches_theory(
    cell: &crate::experiment::CellResult,
    metric: &str,
    theory: f64,
    seed: u64,
) {
    let ci = cell
        .interval(metric, LEVEL)
        .expect("metric defined in every replication");
    assert!(
        ci.contains(theory),
        "{metric}: 99% CI {ci} misses the theoretical {theory} (seed {seed})"
    );
    assert!(
        ci.half_width() <= MAX_RELATIVE_HALF_WIDTH * theory,
        "{metric}: CI {ci} too wide to say anything about {theory}"
    );
}

/// M/M/1 (scenarios/validation/mm1.ron): Poisson arrivals λ = 800/s, one server with
/// exponential service μ = 1000/s, FIFO, no network delay.
///   mean sojourn W = 1/(μ − λ) = 1/200 s = 5 ms;
///   the sojourn time is exponential with rate μ − λ, so its p-quantile is −ln(1 − p)·W:
///   p50 = ln 2 · 5 = 3.4657 ms, p99 = ln 100 · 5 = 23.026 ms;
///   server utilisation ρ = λ/μ = 0.8; throughput = λ = 800/s.
#[test]
fn mm1_delay_matches_theory() {
    let scenario = load_fixture("validation/mm1.ron");
    let result = run(&scenario);
    let cell = only_cell(&result);
    let w_ms = 1000.0 / (1000.0 - 800.0);
    assert_matches_theory(cell, "delay_mean_ms", w_ms, result.seed);
    assert_matches_theory(cell, "delay_p50_ms", 2f64.ln() * w_ms, result.seed);
    assert_matches_theory(cell, "delay_p99_ms", 100f64.ln() * w_ms, result.seed);
    assert_matches_theory(cell, "utilisation_queue", 0.8, result.seed);
    assert_matches_theory(cell, "throughput_per_s", 800.0, result.seed);
}

/// M/M/2 (scenarios/validation/mm2.ron): λ = 1600/s into one FIFO queue with c = 2 servers
/// of rate μ = 1000/s each. Offered load a = λ/μ = 1.6, ρ = a/c = 0.8. Erlang C:
///   C(c, a) = (a^c/c!)/(1 − ρ) / (Σ_{k<c} a^k/k! + (a^c/c!)/(1 − ρ))
///           = (1.28/0.2) / (1 + 1.6 + 6.4) = 6.4/9 = 0.711111;
///   Wq = C/(cμ − λ) = 0.711111/400 s = 1.777778 ms;  W = Wq + 1/μ = 2.777778 ms.
#[test]
fn mm2_delay_matches_erlang_c() {
    let scenario = load_fixture("validation/mm2.ron");
    let result = run(&scenario);
    let cell = only_cell(&result);
    let (lambda, mu, c) = (1600.0, 1000.0, 2.0);
    let a: f64 = lambda / mu;
    let rho = a / c;
    let top = a * a / 2.0 / (1.0 - rho);
    let erlang_c = top / (1.0 + a + top);
    let w_ms = 1000.0 * (erlang_c / (c * mu - lambda) + 1.0 / mu);
    assert!((w_ms - 2.777_778).abs() < 1e-6, "derivation above: {w_ms}");
    assert_matches_theory(cell, "delay_mean_ms", w_ms, result.seed);
    assert_matches_theory(cell, "utilisation_queue", rho, result.seed);
}

/// Little's law, L = λ·W, holds for every queue of every validation run and of the sensor
/// pipeline, per replication. Over a measurement window of length T the two sides differ only
/// by edge effects — events present at the window's start or end — of order
/// N·(sojourn)/T ≈ 10·(0.01 s)/(60 s) ≈ 2e-3 of one event; a 1 % relative tolerance (or 1e-4
/// absolute for nearly idle queues) is therefore wide for a correct recorder and tight for a
/// wrong one (e.g. counting service or queueing time twice changes L by ≥ 10 %).
#[test]
fn littles_law_holds_at_every_queue() {
    for file in [
        "validation/mm1.ron",
        "validation/mm2.ron",
        "validation/sensor-pipeline.ron",
    ] {
        let scenario = load_fixture(file);
        let result = run(&scenario);
        for (r, rep) in only_cell(&result).replications.iter().enumerate() {
            for (i, &(l, lambda_w)) in rep.little.iter().enumerate() {
                let instance = &scenario.graph.instances[i];
                let op = scenario.graph.operator(instance.operator);
                if !matches!(
                    op.kind,
                    crate::model::OperatorKind::Map { .. }
                        | crate::model::OperatorKind::Window { .. }
                ) {
                    continue; // sources and sinks hold no queue
                }
                let tolerance = (0.01 * l).max(1e-4);
                assert!(
                    (l - lambda_w).abs() <= tolerance,
                    "{file} replication {r}, {} instance {}: L = {l} but λW = {lambda_w}",
                    op.name,
                    instance.index
                );
            }
        }
    }
}
