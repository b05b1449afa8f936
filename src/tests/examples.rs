//! The example scenarios under `scenarios/examples/` do what their header comments promise.
//!
//! Every bound is derived from the scenario file itself (fault times, detector settings,
//! latency and restart distributions), so editing a file keeps its test meaningful. Times are
//! compared in integer nanoseconds; the only slack is [`ROUNDING_NS`], because the simulator
//! rounds every configured value and every sample to the nearest nanosecond.

use std::path::Path;

use super::only_cell;
use crate::experiment::{self, RunResult};
use crate::metrics::EpisodeKind;
use crate::scenario::{self, DetectorSpec, DistSpec, FaultSpec, Scenario};
use crate::sim::SimDuration;

/// Rounding of a configured or sampled value to whole nanoseconds (±0.5 ns each).
const ROUNDING_NS: u64 = 1;

fn load_example(file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/examples")
        .join(file);
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn run_example(s: &Scenario) -> RunResult {
    let seed = s.seed.expect("example scenarios set a seed");
    experiment::run(s, seed, 2, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn ms(v: f64) -> u64 {
    SimDuration::from_millis_f64(v).as_nanos()
}

fn s_ns(v: f64) -> u64 {
    SimDuration::from_secs_f64(v).as_nanos()
}

/// Smallest and largest value of a bounded distribution \[ns\], from a field in ms.
fn bounds_ms(d: &DistSpec) -> (u64, u64) {
    match *d {
        DistSpec::Const(x) => (ms(x), ms(x)),
        DistSpec::Uniform { low, high } => (ms(low), ms(high)),
        ref other => panic!("the examples use bounded distributions, not {other:?}"),
    }
}

/// Heartbeat period and timeout of the fixed-timeout detector \[ns\].
fn heartbeat(s: &Scenario) -> (u64, u64) {
    match s.resolved.fault_tolerance.detector {
        Some(DetectorSpec::Heartbeat {
            interval_ms,
            timeout_ms,
        }) => (ms(interval_ms), ms(timeout_ms)),
        ref other => panic!("the examples use a Heartbeat detector, not {other:?}"),
    }
}

fn within(x: u64, (low, high): (u64, u64)) -> bool {
    x + ROUNDING_NS >= low && x <= high + ROUNDING_NS
}

fn metric(rep: &crate::metrics::ReplicationSummary, name: &str) -> f64 {
    rep.metric(name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// A partition cuts one live worker off from the coordinator. The heartbeat sent last before
/// it starts left at some s in [at − η, at] and arrives after d, so the fixed-timeout detector
/// suspects the worker at s + d + Δ ∈ [at − η + Δ + d_min, at + Δ + d_max], well inside the
/// partition. No heartbeat is lost otherwise, so that is the only suspicion, and it is false.
/// The coordinator fences the worker's instances and restarts them on the spare: one
/// `false-failover` episode whose recovery is the slowest of their restart delays, and the
/// system is down exactly for that long.
#[test]
fn partition_example_falsely_suspects_the_cut_off_worker_and_fails_over() {
    let s = load_example("partition-false-suspicion.ron");
    let [
        FaultSpec::Partition {
            groups,
            at_s,
            duration_s,
        },
    ] = s.resolved.faults.as_slice()
    else {
        panic!("expected one Partition fault: {:?}", s.resolved.faults)
    };
    assert_eq!(
        (groups.a.len(), &groups.b),
        (
            1,
            &vec![s.resolved.fault_tolerance.coordinator.clone().unwrap()]
        ),
        "one worker cut off from the coordinator"
    );
    let worker = s.cluster.node_named(&groups.a[0]).expect("a node").0;
    let (interval, timeout) = heartbeat(&s);
    let (d_min, d_max) = bounds_ms(&s.resolved.cluster.network.latency_ms);
    let restart = bounds_ms(&s.resolved.fault_tolerance.restart_ms);
    let (at, duration) = (s_ns(*at_s), s_ns(*duration_s));
    assert_eq!(
        s.resolved.cluster.network.loss, 0.0,
        "only the partition drops heartbeats"
    );
    assert!(
        timeout + d_max < duration,
        "the suspicion must come before the heal"
    );
    let suspected = (at - interval + timeout + d_min, at + timeout + d_max);
    // The window the suspicion must fall in anyway: during the partition, or one timeout after.
    assert!(suspected.0 >= at && suspected.1 <= at + duration + timeout);

    let result = run_example(&s);
    for (r, rep) in only_cell(&result).replications.iter().enumerate() {
        assert_eq!(
            (metric(rep, "suspicions"), metric(rep, "false_suspicions")),
            (1.0, 1.0),
            "replication {r}"
        );
        let [e] = rep.episodes.as_slice() else {
            panic!(
                "replication {r}: expected one episode, got {:?}",
                rep.episodes
            )
        };
        assert_eq!(
            (e.kind, e.target, e.detected_at),
            (EpisodeKind::FalseFailover, worker, None),
            "replication {r}: {e:?}"
        );
        let fault = e.fault_at.as_nanos();
        assert!(
            within(fault, suspected),
            "replication {r}: suspicion at {fault} ns, expected in {suspected:?}"
        );
        let recovery = (e.recovered_at.expect("recovers on the spare") - e.fault_at).as_nanos();
        assert!(
            within(recovery, restart),
            "replication {r}: recovery {recovery} ns, restart delays lie in {restart:?}"
        );
        // Nothing else is ever down: the system's down time is exactly this recovery.
        let down_ns = (metric(rep, "downtime_system_s") * 1e9).round() as u64;
        assert_eq!(down_ns, recovery, "replication {r}");
        assert!(metric(rep, "availability_system") < 1.0, "replication {r}");
        assert!(
            metric(rep, "events_dropped") > 0.0,
            "fencing loses queued events"
        );
    }
}

/// Random worker crashes, a fixed-timeout heartbeat detector and two spares. Every crash is
/// detected after a delay in [Δ − η + d_min, Δ + d_max] (the last heartbeat left at most η
/// before the crash; repairs take longer than Δ + d_max, so the node is still down when
/// suspected). A crashed worker that hosted instances recovers when the slowest of them has
/// restarted on a spare: recovery − detection lies in the restart-delay range. A worker
/// whose instances already moved away hosts nothing, so its crash has nothing to recover
/// (the episode closes at the crash). Nothing else suspects a node: no false suspicions.
#[test]
fn crash_example_detects_within_heartbeat_bounds_and_recovers_after_detection() {
    let s = load_example("crash-and-failover.ron");
    let [FaultSpec::Crash { repair_s, .. }] = s.resolved.faults.as_slice() else {
        panic!("expected one Crash fault: {:?}", s.resolved.faults)
    };
    let (interval, timeout) = heartbeat(&s);
    let (d_min, d_max) = bounds_ms(&s.resolved.cluster.network.latency_ms);
    let restart = bounds_ms(&s.resolved.fault_tolerance.restart_ms);
    let DistSpec::Uniform {
        low: repair_min, ..
    } = *repair_s
    else {
        panic!("expected a Uniform repair time: {repair_s:?}")
    };
    assert!(
        s_ns(repair_min) > timeout + d_max,
        "crashed nodes are still down when suspected"
    );
    assert!(
        restart.0 > 0,
        "a real recovery takes time, telling it from an empty node's"
    );
    let detection = (timeout - interval + d_min, timeout + d_max);
    let end = s_ns(s.resolved.duration_s);
    let ft = &s.resolved.fault_tolerance;
    let reserved: Vec<u32> = ft
        .coordinator
        .iter()
        .chain(&ft.spares)
        .map(|n| s.cluster.node_named(n).expect("a node").0)
        .collect();

    let warmup = s_ns(s.resolved.warmup_s);

    let result = run_example(&s);
    let mut failovers = 0;
    for (r, rep) in only_cell(&result).replications.iter().enumerate() {
        assert_eq!(metric(rep, "false_suspicions"), 0.0, "replication {r}");
        // Some instance is down in the window whenever a hosting node crashes in it.
        let mut outage_in_window = false;
        for e in &rep.episodes {
            assert_eq!(e.kind, EpisodeKind::NodeCrash, "replication {r}: {e:?}");
            assert!(
                !reserved.contains(&e.target),
                "Workers spares the coordinator and spares"
            );
            let fault = e.fault_at.as_nanos();
            let Some(detected) = e.detected_at else {
                assert!(
                    fault + detection.1 > end,
                    "replication {r}: undetected {e:?}"
                );
                continue;
            };
            let took = detected.as_nanos() - fault;
            assert!(
                within(took, detection),
                "replication {r}: detection {took} ns, expected in {detection:?}"
            );
            let Some(recovered) = e.recovered_at else {
                continue; // restarting at the end of the run
            };
            if recovered == e.fault_at {
                continue; // the node hosted nothing any more
            }
            outage_in_window |= (warmup..end).contains(&fault);
            let after = recovered
                .as_nanos()
                .checked_sub(detected.as_nanos())
                .unwrap_or_else(|| panic!("replication {r}: recovered before detection {e:?}"));
            assert!(
                within(after, restart),
                "replication {r}: recovery {after} ns after detection, restarts take {restart:?}"
            );
            failovers += 1;
        }
        if outage_in_window {
            assert!(metric(rep, "availability_system") < 1.0, "replication {r}");
        }
    }
    assert!(failovers > 0, "the example is meant to show failovers");
}

/// `checkpoint-interval-tradeoff.ron`: rollback variants lose nothing in any replication,
/// restart-only loses events and duplicates none, and a 5 s interval (against 1 s) gives
/// significantly more duplicates and fewer checkpoint bytes (paired over the same crashes).
#[test]
fn checkpoint_interval_tradeoff_shows_loss_duplicates_and_cost() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/examples/checkpoint-interval-tradeoff.ron");
    let scenario = crate::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let result = crate::experiment::run(&scenario, scenario.seed.unwrap(), 2, &|_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let cell = |label: &str| result.cells.iter().find(|c| c.label == label).expect(label);
    for label in ["checkpoint-1s", "checkpoint-5s"] {
        assert!(
            cell(label).values("events_lost").iter().all(|&v| v == 0.0),
            "{label} lost events"
        );
    }
    let restart = cell("restart-only");
    assert!(
        restart.values("events_lost").iter().all(|&v| v > 0.0),
        "restart-only must lose events"
    );
    assert!(
        restart
            .values("events_duplicated")
            .iter()
            .all(|&v| v == 0.0)
    );
    let comparisons = result.compare(0.95);
    let diff = |metric: &str| {
        let c = comparisons
            .iter()
            .find(|c| c.variant == "checkpoint-5s" && c.metric == metric)
            .expect(metric);
        assert!(c.is_significant(), "{c:?}");
        c.difference.unwrap().mean
    };
    assert!(diff("events_duplicated") > 0.0);
    assert!(diff("checkpoint_bytes") < 0.0);
}
