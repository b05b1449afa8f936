//! Fault injection, failure detection and restart, against closed forms and invariants.

use super::{only_cell, parse, run};
use crate::metrics::EpisodeKind;
use crate::stats::t_interval;

/// A single repairable node hosting the whole pipeline, restarted the moment it is repaired
/// (no detector needed: its instances restart on its repair, restart delay 0). With
/// exponential MTTF = 100 s and MTTR = 10 s the node is an alternating renewal process with
/// long-run availability A = MTTF / (MTTF + MTTR) = 100/110 = 0.909091, and the system is up
/// exactly when the node is. 10 replications of 20 000 s (≈ 180 cycles each): the 99 % CI of
/// the replication means must contain A and have a half-width within 2 % of it.
#[test]
fn single_repairable_node_availability_is_mttf_over_cycle() {
    let s = parse(
        r#"(version: 1, name: "repairable", seed: 11, replications: 10, duration_s: 20000.0, warmup_s: 0.0,
            cluster: (nodes: [(name: "n")]),
            operators: [
                (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 5.0), keys: Uniform(count: 10))),
                (name: "work", kind: Map(service_ms: Exp(mean: 1.0)), inputs: [(from: "src")]),
                (name: "out", kind: Sink, inputs: [(from: "work")]),
            ],
            faults: [Crash(nodes: Nodes(["n"]), ttf_s: Exp(mean: 100.0), repair_s: Exp(mean: 10.0))])"#,
    );
    let result = run(&s);
    let ci = only_cell(&result)
        .interval("availability_system", 0.99)
        .unwrap();
    let a = 100.0 / 110.0;
    assert!(
        ci.contains(a),
        "availability {ci}, expected {a} (seed {})",
        result.seed
    );
    assert!(ci.half_width() < 0.02 * a, "{ci}");
    // Every instance is on the one node, so mean partition availability equals it too.
    let mean = only_cell(&result)
        .interval("availability_mean", 0.99)
        .unwrap();
    assert!((mean.mean - ci.mean).abs() < 1e-9, "{mean} vs {ci}");
}

fn detection_scenario(seed: u64, replications: u32) -> String {
    format!(
        r#"(version: 1, name: "detection", seed: {seed}, replications: {replications}, duration_s: 40.0, warmup_s: 0.0,
            cluster: (nodes: [(name: "coord"), (name: "w")], network: (latency_ms: Const(2.0))),
            operators: [
                (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 50.0), keys: Uniform(count: 10)),
                 placement: Nodes(["w"])),
                (name: "out", kind: Sink, inputs: [(from: "src")], placement: Nodes(["w"])),
            ],
            faults: [CrashAt(node: "w", at_s: 20.0, repair_s: 5.0)],
            fault_tolerance: (coordinator: "coord", detector: Heartbeat(interval_ms: 100.0, timeout_ms: 500.0)))"#
    )
}

/// Fixed-timeout heartbeat detector: period η = 100 ms, timeout Δ = 500 ms, constant network
/// delay d = 2 ms, each replication's heartbeats start at a uniformly random phase. The last
/// heartbeat before the crash left at most η earlier, so the suspicion comes Δ + d after it:
/// detection time ∈ (Δ + d − η, Δ + d] = (0.402, 0.502] s, uniformly, with mean
/// Δ + d − η/2 = 0.452 s. Every episode must fall in the interval (an exact property), and
/// over 40 replications the 99 % CI of the mean must contain 0.452 s.
#[test]
fn heartbeat_detection_time_lies_in_its_theoretical_interval() {
    let s = parse(&detection_scenario(12, 40));
    let result = run(&s);
    let mut times = Vec::new();
    for (r, rep) in only_cell(&result).replications.iter().enumerate() {
        let crashes: Vec<_> = rep
            .episodes
            .iter()
            .filter(|e| e.kind == EpisodeKind::NodeCrash)
            .collect();
        assert_eq!(crashes.len(), 1, "replication {r}: {:?}", rep.episodes);
        let e = crashes[0];
        let detection = (e.detected_at.expect("detected") - e.fault_at).as_secs_f64();
        assert!(
            detection > 0.402 - 1e-9 && detection <= 0.502 + 1e-9,
            "replication {r}: {detection}"
        );
        times.push(detection);
    }
    let ci = t_interval(&times, 0.99).unwrap();
    assert!(ci.contains(0.452), "mean detection {ci}");
}

/// A scripted crash produces exactly one recovery episode, with its phases in order: fault,
/// detection, recovery (the instances restart when the node is repaired 5 s later, since
/// there is no spare).
#[test]
fn scripted_crash_gives_one_episode_with_ordered_phases() {
    let result = run(&parse(&detection_scenario(13, 3)));
    for rep in &only_cell(&result).replications {
        assert_eq!(rep.episodes.len(), 1, "{:?}", rep.episodes);
        let e = rep.episodes[0];
        let (detected, recovered) = (e.detected_at.unwrap(), e.recovered_at.unwrap());
        assert!(e.fault_at < detected && detected < recovered, "{e:?}");
        assert!(
            ((recovered - e.fault_at).as_secs_f64() - 5.0).abs() < 1e-9,
            "{e:?}"
        );
        assert!(
            rep.conservation.dropped > 0,
            "a crash without recovery state loses events"
        );
    }
}

/// False suspicions from heartbeat loss: with loss probability p per heartbeat, period η and
/// timeout Δ = kη + ε (0 < ε < η, constant delay), a live node is suspected exactly when the
/// k heartbeats after a received one are all lost, so suspicions start at rate (1 − p)·p^k per
/// period: (1 − p)·p^k/η per second. With p = 0.2, k = 2 (Δ = 250 ms), η = 100 ms:
/// 0.8 × 0.04 / 0.1 s = 0.32 /s for each of 2 workers. 10 replications of 500 s; the 99 % CI
/// of the per-second rate must contain 0.64.
#[test]
fn false_suspicion_rate_matches_heartbeat_loss_formula() {
    let s = parse(
        r#"(version: 1, name: "lossy-heartbeats", seed: 14, replications: 10, duration_s: 500.0, warmup_s: 0.0,
            cluster: (nodes: [(name: "coord"), (name: "w", count: 2)], network: (latency_ms: Const(1.0), loss: 0.2)),
            operators: [
                (name: "src", kind: Source(arrivals: Constant(rate_per_s: 1.0), keys: Uniform(count: 1)), placement: Nodes(["w0"])),
                (name: "out", kind: Sink, inputs: [(from: "src")], placement: Nodes(["w0"])),
            ],
            fault_tolerance: (coordinator: "coord", detector: Heartbeat(interval_ms: 100.0, timeout_ms: 250.0)))"#,
    );
    let result = run(&s);
    let rates: Vec<f64> = only_cell(&result)
        .values("false_suspicions")
        .iter()
        .map(|n| n / 500.0)
        .collect();
    let ci = t_interval(&rates, 0.99).unwrap();
    let expected = 2.0 * 0.8 * 0.2f64.powi(2) / 0.1;
    assert!(
        ci.contains(expected),
        "false suspicions per second {ci}, expected {expected}"
    );
    assert!(ci.half_width() < 0.1 * expected, "{ci}");
}

/// Common random numbers: the fault plan depends on (seed, replication, fault models) only,
/// so changing how faults are handled (here: adding a detector and a spare) leaves every
/// fault at the same time.
#[test]
fn fault_times_do_not_depend_on_fault_handling() {
    let text = |ft: &str| {
        format!(
            r#"(version: 1, name: "crn", seed: 15, replications: 3, duration_s: 300.0,
                cluster: (nodes: [(name: "coord"), (name: "w", count: 3), (name: "spare")]),
                operators: [
                    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 100.0), keys: Uniform(count: 10)), parallelism: 3),
                    (name: "out", kind: Sink, inputs: [(from: "src")]),
                ],
                faults: [Crash(nodes: Workers, ttf_s: Exp(mean: 60.0), repair_s: Exp(mean: 5.0))],
                fault_tolerance: ({ft}))"#
        )
    };
    let plain = run(&parse(&text(r#"coordinator: "coord", spares: ["spare"]"#)));
    let detected = run(&parse(&text(
        r#"coordinator: "coord", spares: ["spare"], detector: Heartbeat(interval_ms: 50.0, timeout_ms: 200.0)"#,
    )));
    let (a, b) = (
        crash_times(only_cell(&plain)),
        crash_times(only_cell(&detected)),
    );
    assert!(a.iter().all(|r| !r.is_empty()), "expected crashes: {a:?}");
    assert_eq!(a, b);
}

/// Per replication, the (time [ns], node) of every node crash.
fn crash_times(cell: &crate::experiment::CellResult) -> Vec<Vec<(u64, u32)>> {
    cell.replications
        .iter()
        .map(|rep| {
            rep.episodes
                .iter()
                .filter(|e| e.kind == EpisodeKind::NodeCrash)
                .map(|e| (e.fault_at.as_nanos(), e.target))
                .collect()
        })
        .collect()
}

fn variants_scenario() -> crate::scenario::Scenario {
    parse(
        r#"(version: 1, name: "variants", seed: 16, replications: 4, duration_s: 200.0, warmup_s: 5.0,
            cluster: (nodes: [(name: "coord"), (name: "w", count: 3, cores: 2), (name: "spare", count: 2)]),
            operators: [
                (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 300.0), keys: Uniform(count: 50)), parallelism: 3),
                (name: "work", kind: Map(service_ms: Exp(mean: 1.0)), parallelism: 3, inputs: [(from: "src", partitioning: Hash)]),
                (name: "out", kind: Sink, inputs: [(from: "work")]),
            ],
            faults: [Crash(nodes: Workers, ttf_s: Exp(mean: 80.0), repair_s: Const(10.0))],
            fault_tolerance: (coordinator: "coord", spares: ["spare0", "spare1"],
                              detector: Heartbeat(interval_ms: 100.0, timeout_ms: 500.0)),
            variants: [
                (label: "fast"),
                (label: "same-as-fast"),
                (label: "slow", fault_tolerance: Some((coordinator: "coord", spares: ["spare0", "spare1"],
                              detector: Heartbeat(interval_ms: 1000.0, timeout_ms: 5000.0)))),
            ])"#,
    )
}

/// Common random numbers across variants: replication r of every variant meets the same
/// crashes at the same times, whatever its detector does.
#[test]
fn every_variant_sees_identical_fault_times() {
    let result = run(&variants_scenario());
    assert_eq!(result.cells.len(), 3);
    let first = crash_times(&result.cells[0]);
    assert!(first.iter().all(|r| !r.is_empty()), "{first:?}");
    for cell in &result.cells[1..] {
        assert_eq!(crash_times(cell), first, "variant {}", cell.label);
    }
}

/// A variant identical to the reference reproduces it exactly (same seeds, same model), so
/// every paired difference is exactly zero and none is significant; a slower detector is
/// significantly slower to detect and less available.
#[test]
fn paired_comparison_is_exact_for_a_copy_and_significant_for_a_real_change() {
    let result = run(&variants_scenario());
    let comparisons = result.compare(0.95);
    for c in comparisons.iter().filter(|c| c.variant == "same-as-fast") {
        if let Some(d) = c.difference {
            assert_eq!((d.mean, d.low, d.high), (0.0, 0.0, 0.0), "{c:?}");
        }
        assert!(!c.is_significant(), "{c:?}");
    }
    let get = |metric: &str| {
        comparisons
            .iter()
            .find(|c| c.variant == "slow" && c.metric == metric)
            .unwrap()
    };
    let detection = get("detection_time_mean_s");
    assert!(
        detection.is_significant() && detection.difference.unwrap().mean > 3.0,
        "{detection:?}"
    );
    let availability = get("availability_system");
    assert!(
        availability.is_significant() && availability.difference.unwrap().mean < 0.0,
        "{availability:?}"
    );
}
