//! The memory budget: the estimate against the heap measured, and replications stopped by
//! their budget — at the same instant whatever the thread count, with their event count
//! balanced and the overloaded stage named.

use crate::experiment::{self, budget};
use crate::memory;
use crate::sim::{Engine, SimTime};
use crate::world::{Event, HolderKind, World};

use super::{fixture, load_fixture};

/// Heap one replication holds after `until_s` simulated seconds, measured by the counting
/// allocator on this thread.
fn measured_heap(relative: &str, until_s: f64) -> (u64, u64) {
    let scenario = load_fixture(relative);
    let before = memory::thread_net_bytes();
    let mut engine = Engine::<Event>::with_capacity(4096);
    let mut world = World::new(&scenario, &scenario.variants[0], 1, 0, &mut engine);
    engine.run_until(SimTime::from_secs_f64(until_s), &mut world);
    let held = (memory::thread_net_bytes() - before).max(0) as u64;
    drop(world);
    (held, budget::estimate(&scenario).replication_bytes)
}

/// The fixed-footprint estimate is a model of the structures a replication allocates; it
/// must stay within a factor of four of the measured heap on the shipped scenarios, or the
/// up-front refusal and the thread cap rest on nothing.
#[test]
fn the_estimate_is_within_a_factor_of_four_of_the_measured_heap() {
    assert!(
        memory::counting(),
        "the test binary installs the counting allocator"
    );
    for (relative, until_s) in [
        ("sensor-monitoring.ron", 20.0),
        ("examples/crash-and-failover.ron", 20.0),
        ("validation/mm1.ron", 20.0),
        ("validation/sensor-pipeline.ron", 20.0),
    ] {
        let (held, estimate) = measured_heap(relative, until_s);
        let ratio = estimate as f64 / held as f64;
        eprintln!("{relative}: measured {held} B, estimated {estimate} B (×{ratio:.2})");
        assert!(
            (0.25..=4.0).contains(&ratio),
            "{relative}: estimate {estimate} B against {held} B measured"
        );
    }
}

/// Equal as values, NaN included (metrics undefined in a replication are NaN).
fn same(a: &crate::metrics::ReplicationSummary, b: &crate::metrics::ReplicationSummary) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn overloaded() -> crate::scenario::Scenario {
    crate::scenario::load(&fixture("../tests/fixtures/overloaded.ron"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An unstable stage (ρ = 2) is stopped at its stop line, at the same simulated instant on
/// one thread and on two, with its events still balanced, and the report names the stage's
/// input queue with its measured offered load.
#[test]
fn an_overloaded_run_stops_at_the_same_instant_whatever_the_thread_count() {
    let mut scenario = overloaded();
    scenario.set_replications(2);
    let estimate = budget::estimate(&scenario);
    let parse = estimate.overloaded().next().expect("parse is overloaded");
    assert_eq!(parse.operator, "parse");
    assert!((parse.rho - 2.0).abs() < 1e-9, "{}", parse.rho);
    let line = 32 << 20;
    let one = experiment::run_within(&scenario, 7, 1, Some(line), &|_| {}).expect("runs");
    let two = experiment::run_within(&scenario, 7, 2, Some(line), &|_| {}).expect("runs");
    assert_eq!(one.stopped.len(), 2, "every replication overloads");
    assert_eq!(one.stopped, two.stopped);
    for (a, b) in one.cells[0]
        .replications
        .iter()
        .zip(&two.cells[0].replications)
    {
        assert!(same(a, b), "summaries differ with the thread count");
        assert!(a.conservation.holds());
    }
    for s in &one.stopped {
        let o = &s.overload;
        assert!(o.held_bytes > line && o.at < scenario.metrics.end);
        let top = &o.holders[0];
        assert_eq!(
            (top.operator.as_str(), top.kind),
            ("parse", HolderKind::InputQueue)
        );
        // The queue grows by λ − μ ≈ 10 000 events per second.
        let expected = 10_000.0 * o.at.as_secs_f64();
        assert!(
            (top.events as f64 - expected).abs() < 0.05 * expected,
            "{} queued at {:?}, expected about {expected}",
            top.events,
            o.at
        );
        let rho = top.offered_load.expect("a map serves events");
        assert!((rho - 2.0).abs() < 0.05, "measured ρ {rho}");
    }
    let report = budget::overload_report(&one);
    assert!(
        report.contains("overloaded stage: `parse` has offered load ρ = 2.00"),
        "{report}"
    );
}

/// Without a stop line, or with one the run never reaches, nothing is stopped and the results
/// are those of an unbounded run.
#[test]
fn a_budget_that_is_not_reached_changes_nothing() {
    let scenario = load_fixture("examples/crash-and-failover.ron");
    let free = experiment::run(&scenario, 3, 2, &|_| {}).expect("runs");
    let bounded = experiment::run_within(&scenario, 3, 2, Some(8 << 30), &|_| {}).expect("runs");
    assert!(bounded.stopped.is_empty());
    for (a, b) in free.cells.iter().zip(&bounded.cells) {
        for (x, y) in a.replications.iter().zip(&b.replications) {
            assert!(same(x, y), "a budget that is not reached changed a result");
        }
    }
}

/// Heap a replication of `scenario` holds at most, from its start until its summary is made,
/// sampled every `step_s` simulated seconds by the counting allocator on this thread.
fn peak_heap(scenario: &crate::scenario::Scenario, step_s: f64) -> u64 {
    let before = memory::thread_net_bytes();
    let mut peak = 0i64;
    let mut engine = Engine::<Event>::with_capacity(4096);
    let mut world = World::new(scenario, &scenario.variants[0], 1, 0, &mut engine);
    let end = scenario.metrics.end;
    let mut t = SimTime::ZERO;
    while t < end {
        t = SimTime::from_secs_f64(t.as_secs_f64() + step_s).min(end);
        engine.run_until(t, &mut world);
        peak = peak.max(memory::thread_net_bytes() - before);
    }
    let summary = world.finish(&engine).unwrap_or_else(|e| panic!("{e}"));
    peak = peak.max(memory::thread_net_bytes() - before);
    drop(summary);
    peak.max(0) as u64
}

/// A run ten times longer holds at most 1.1 times the memory: nothing per event or per
/// time-series bucket grows with the run (the series merges buckets beyond
/// `MAX_SERIES_POINTS`, the SLA is judged as the run goes). The runs are long in buckets and
/// light in events, so that anything kept per bucket would dominate.
#[test]
fn memory_is_bounded_in_run_length() {
    assert!(memory::counting());
    let scenario = |duration_s: u32| {
        super::parse(&format!(
            r#"(version: 1, name: "long", seed: 3, replications: 2, duration_s: {duration_s}.0,
                warmup_s: 10.0, metrics: (sla_ms: 50.0),
                cluster: (nodes: [(name: "n", cores: 1)]),
                operators: [
                  (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 0.5), keys: Uniform(count: 10))),
                  (name: "work", kind: Map(service_ms: Exp(mean: 20.0)), inputs: [(from: "src")]),
                  (name: "out", kind: Sink, inputs: [(from: "work")]),
                ])"#
        ))
    };
    let short = peak_heap(&scenario(100_000), 1000.0);
    let long = peak_heap(&scenario(1_000_000), 1000.0);
    eprintln!("peak heap: {short} B over 10⁵ s, {long} B over 10⁶ s");
    assert!(
        long as f64 <= 1.1 * short as f64,
        "a run ten times longer held {long} B against {short} B"
    );
}
