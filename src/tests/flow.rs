//! Credit-based flow control in whole runs: flow metrics only where a buffer is bounded, the
//! credit invariant and the declared guarantees under crashes with one-event buffers,
//! backpressure and source lag under overload, shedding that is not loss, byte capacities
//! smaller than an event, and reproducibility.
//!
//! The world checks the credit invariant of every channel and event conservation at the end
//! of every run and fails the run if either breaks, so a run that returns `Ok` has kept both;
//! the tests assert conservation again on the summaries to say so where it matters.

use super::{load_fixture, only_cell, parse, run};
use crate::experiment::{self, RunResult, output};
use crate::ft::RecoverySemantics;
use crate::metrics::ReplicationSummary;
use crate::scenario::Scenario;

/// Names of the flow-control metrics in a replication's summary.
fn flow_metric_names(rep: &ReplicationSummary) -> Vec<&str> {
    rep.metrics
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| {
            *n == "events_shed"
                || *n == "shed_fraction"
                || n.starts_with("source_lag_")
                || n.starts_with("backpressure_")
        })
        .collect()
}

/// A source, a map and a sink on one node, with `buffers` and the map's `buffer` spliced in.
fn pipeline(buffers: &str, map_buffer: &str) -> Scenario {
    parse(&format!(
        r#"(version: 1, name: "flow-metrics", seed: 51, replications: 2, duration_s: 5.0, warmup_s: 1.0,
            buffers: {buffers},
            cluster: (nodes: [(name: "server")]),
            operators: [
                (name: "arrivals", kind: Source(arrivals: Poisson(rate_per_s: 800.0), keys: Uniform(count: 1))),
                (name: "queue", kind: Map(service_ms: Exp(mean: 1.0)), inputs: [(from: "arrivals")],
                 buffer: {map_buffer}),
                (name: "departures", kind: Sink, inputs: [(from: "queue")]),
            ])"#
    ))
}

/// With every buffer unbounded (the default, and an operator's explicit `Some(Unbounded)`)
/// the world has no flow state and reports no flow metric; bounding any one buffer brings the
/// whole set: shedding, source lag, and a backpressure share for every operator but the sink.
#[test]
fn flow_metrics_appear_only_with_a_bounded_buffer() {
    for (buffers, map_buffer) in [("Unbounded", "None"), ("Unbounded", "Some(Unbounded)")] {
        let result = run(&pipeline(buffers, map_buffer));
        for rep in &only_cell(&result).replications {
            let names = flow_metric_names(rep);
            assert!(
                names.is_empty(),
                "buffers: {buffers}, buffer: {map_buffer}: {names:?}"
            );
        }
    }
    for (buffers, map_buffer) in [("Events(10)", "None"), ("Unbounded", "Some(Events(10))")] {
        let result = run(&pipeline(buffers, map_buffer));
        for rep in &only_cell(&result).replications {
            let names = flow_metric_names(rep);
            for expected in [
                "events_shed",
                "shed_fraction",
                "source_lag_events_mean",
                "source_lag_events_max",
                "source_lag_events_end",
                "source_lag_s_mean",
                "source_lag_s_max",
                "backpressure_arrivals",
                "backpressure_queue",
            ] {
                assert!(
                    names.contains(&expected),
                    "buffers: {buffers}, buffer: {map_buffer}: {expected} missing in {names:?}"
                );
            }
            assert!(
                !names.contains(&"backpressure_departures"),
                "a sink has no backpressure share: {names:?}"
            );
        }
    }
}

/// Delivered events in the series buckets that start at or after `from_s`.
fn delivered_from(rep: &ReplicationSummary, from_s: f64) -> u64 {
    rep.series
        .iter()
        .enumerate()
        .filter(|(b, _)| *b as f64 * rep.bucket_s >= from_s)
        .map(|(_, p)| p.delivered)
        .sum()
}

/// One-event buffers (every channel at most one event outstanding, so almost every send
/// waits for a credit) under two node crashes, for every replication strategy: each run ends
/// with the credit invariant and conservation intact (the world checks both), every episode
/// keeps its condition's guarantee, nothing is lost where that guarantee is not a gap, and
/// events still reach the sink after the last crash has been repaired.
#[test]
fn credits_are_conserved_through_crashes_for_every_strategy() {
    let strategies = [
        ("global-rollback", "checkpoint: (interval_s: 1.0),", "None"),
        (
            "local-rollback",
            "checkpoint: (interval_s: 1.0, rollback: Local),",
            "None",
        ),
        ("active", "", "Active(replicas: 2)"),
        ("passive", "checkpoint: (interval_s: 1.0),", "Passive()"),
        (
            "passive-continuous",
            "checkpoint: (interval_s: 1.0),",
            "Passive(sync: Continuous)",
        ),
        (
            "upstream-backup",
            "checkpoint: (interval_s: 1.0),",
            "UpstreamBackup",
        ),
    ];
    for (label, checkpoint, replication) in strategies {
        let s = parse(&format!(
            r#"(version: 1, name: "credits-under-crashes", seed: 52, replications: 4, duration_s: 40.0, warmup_s: 1.0,
                buffers: Events(1),
                cluster: (nodes: [(name: "coord"), (name: "w", count: 3, cores: 2), (name: "spare", cores: 2)],
                          network: (latency_ms: Exp(mean: 0.4))),
                operators: [
                    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 600.0), keys: Uniform(count: 100)), parallelism: 2),
                    (name: "enrich", kind: Map(service_ms: Exp(mean: 0.3)), parallelism: 3, state_bytes_per_key: 256,
                     inputs: [(from: "src", partitioning: Hash)]),
                    (name: "count", kind: Window(size_s: 0.5, service_ms: Exp(mean: 0.2)), parallelism: 3,
                     state_bytes_per_key: 64, inputs: [(from: "enrich", partitioning: Hash)]),
                    (name: "out", kind: Sink, inputs: [(from: "count")]),
                ],
                faults: [CrashAt(node: "w1", at_s: 12.0, repair_s: 5.0), CrashAt(node: "w2", at_s: 25.0, repair_s: 5.0)],
                fault_tolerance: (coordinator: "coord", spares: ["spare"], restart_ms: Const(300.0),
                                  detector: Heartbeat(interval_ms: 100.0, timeout_ms: 400.0),
                                  {checkpoint} replication: {replication}))"#
        ));
        let seed = s.seed.expect("set above");
        let result = experiment::run(&s, seed, 2, &|_| {})
            .unwrap_or_else(|e| panic!("{label}: the run failed: {e}"));
        let check = &result.semantics()[0];
        assert!(check.holds(), "{label}: {check:?}");
        for (r, rep) in only_cell(&result).replications.iter().enumerate() {
            assert!(
                rep.conservation.holds(),
                "{label} replication {r}: {:?}",
                rep.conservation
            );
            assert!(
                rep.episodes.len() >= 2,
                "{label} replication {r}: both crashes are episodes: {:?}",
                rep.episodes
            );
            let no_gap = rep.episodes.iter().all(|e| {
                check.conditions[e.condition as usize].guarantee != RecoverySemantics::Gap
            });
            if no_gap {
                assert_eq!(
                    rep.metric("events_lost"),
                    Some(0.0),
                    "{label} replication {r}: no episode allows a gap"
                );
            }
            let after = delivered_from(rep, 32.0);
            assert!(
                after > 0,
                "{label} replication {r}: nothing delivered after the last repair"
            );
        }
        for c in &check.conditions {
            if c.guarantee != RecoverySemantics::Gap {
                assert_eq!(c.lost, 0, "{label}: {c:?}");
            }
        }
    }
}

/// A Pull source at λ = 1200/s into a fast map (0.1 ms) and a slow one (μ = 1000/s, ρ = 1.2),
/// one node, ten-event buffers. The slow map is never idle, so it sets the throughput; the
/// fast map is unblocked only while it serves (1000/s × 0.1 ms = 10 % of the time, as its
/// input never runs dry with the source lagging: its share's 99 % CI must contain 0.9), and
/// the source holds events back all the time: both shares exceed 0.5. The slow map is never
/// blocked (its sink shares the node, so its credits come back at once): exactly 0. The lag grows at λ − μ: replication r of a
/// 60 s and a 120 s run share their seeds, so the difference of their end lags, divided by
/// 60 s, has mean 200/s up to the change in the bounded number of events inside the system
/// (≤ 30 in the three channels plus an output buffer each: < 1/s over 60 s, far inside the
/// interval); its 99 % CI must contain 200, and the throughput's must contain μ.
#[test]
fn an_overloaded_stage_blocks_its_upstream_and_the_pull_source_lags() {
    let text = |duration_s: f64| {
        format!(
            r#"(version: 1, name: "backpressure", seed: 53, replications: 10, duration_s: {duration_s:.1}, warmup_s: 10.0,
                buffers: Events(10),
                cluster: (nodes: [(name: "server", cores: 2)]),
                operators: [
                    (name: "log", kind: Source(arrivals: Poisson(rate_per_s: 1200.0), keys: Uniform(count: 1))),
                    (name: "parse", kind: Map(service_ms: Exp(mean: 0.1)), inputs: [(from: "log")]),
                    (name: "work", kind: Map(service_ms: Exp(mean: 1.0)), inputs: [(from: "parse")]),
                    (name: "out", kind: Sink, inputs: [(from: "work")]),
                ])"#
        )
    };
    let short = run(&parse(&text(60.0)));
    let long = run(&parse(&text(120.0)));
    for (duration, result) in [(60.0, &short), (120.0, &long)] {
        for (r, s) in only_cell(result).replications.iter().enumerate() {
            let m = |name| s.metric(name).unwrap();
            assert!(
                m("backpressure_parse") > 0.5,
                "{duration} s, replication {r}"
            );
            assert!(m("backpressure_log") > 0.5, "{duration} s, replication {r}");
            assert_eq!(
                m("backpressure_work"),
                0.0,
                "{duration} s, replication {r}: the sink shares the node, credits return at once"
            );
            assert_eq!(m("events_shed"), 0.0, "a Pull source never sheds");
            assert!(s.conservation.holds(), "{:?}", s.conservation);
        }
    }
    let growth: Vec<f64> = only_cell(&long)
        .values("source_lag_events_end")
        .iter()
        .zip(only_cell(&short).values("source_lag_events_end"))
        .map(|(l, s)| (l - s) / 60.0)
        .collect();
    assert!(growth.iter().all(|g| *g > 0.0), "{growth:?}");
    let ci = crate::stats::t_interval(&growth, 0.99).unwrap();
    assert!(ci.contains(200.0), "lag growth {ci} events/s, expected 200");
    let throughput = only_cell(&long).interval("throughput_per_s", 0.99).unwrap();
    assert!(
        throughput.contains(1000.0),
        "throughput {throughput}, expected μ = 1000"
    );
    let parse_blocked = only_cell(&long)
        .interval("backpressure_parse", 0.99)
        .unwrap();
    assert!(
        parse_blocked.contains(1.0 - 1000.0 * 0.1e-3),
        "backpressure_parse {parse_blocked}, expected 1 − μ × 0.1 ms = 0.9"
    );
}

/// `Push(buffer: 0)` into one server with a five-event channel at ρ = 1.2 sheds what the
/// channel cannot take; the server's node crashes and the job rolls back to its last
/// checkpoint. Shed events are neither lost nor replayed: conservation counts them apart,
/// the rollback loses nothing (events_lost = 0, every guarantee holds).
#[test]
fn a_push_source_sheds_without_losing_events_through_a_crash() {
    let s = parse(
        r#"(version: 1, name: "push-shed-crash", seed: 54, replications: 6, duration_s: 30.0, warmup_s: 2.0,
            cluster: (nodes: [(name: "coord"), (name: "io"), (name: "w"), (name: "spare")],
                      network: (latency_ms: Exp(mean: 0.2))),
            operators: [
                (name: "sensors", kind: Source(arrivals: Poisson(rate_per_s: 1200.0), keys: Uniform(count: 20),
                                               pressure: Push(buffer: 0)), placement: Nodes(["io"])),
                (name: "queue", kind: Map(service_ms: Exp(mean: 1.0)), state_bytes_per_key: 64,
                 inputs: [(from: "sensors")], placement: Nodes(["w"]), buffer: Some(Events(5))),
                (name: "out", kind: Sink, inputs: [(from: "queue")], placement: Nodes(["io"])),
            ],
            faults: [CrashAt(node: "w", at_s: 10.0, repair_s: 5.0)],
            fault_tolerance: (coordinator: "coord", spares: ["spare"], restart_ms: Const(300.0),
                              detector: Heartbeat(interval_ms: 100.0, timeout_ms: 400.0),
                              checkpoint: (interval_s: 1.0)))"#,
    );
    let result = run(&s);
    for check in result.semantics() {
        assert!(check.holds(), "{check:?}");
    }
    for (r, rep) in only_cell(&result).replications.iter().enumerate() {
        let m = |name| rep.metric(name).unwrap();
        assert!(m("events_shed") > 0.0, "replication {r}: ρ = 1.2 sheds");
        assert_eq!(m("events_lost"), 0.0, "replication {r}: shed is not lost");
        let c = rep.conservation;
        assert!(c.holds(), "replication {r}: {c:?}");
        assert_eq!(c.shed as f64, m("events_shed"), "replication {r}: {c:?}");
        assert!(delivered_from(rep, 20.0) > 0, "replication {r}");
    }
}

/// Without faults the same push source is M/M/1/K (see `validation/mm1k.ron`): at ρ = 1.2 and
/// K = 10 an arrival is shed with probability (1 − ρ)ρ^K/(1 − ρ^(K+1)) = 0.19259; the 99 % CI
/// of the shed fraction must contain it, and still nothing is lost.
#[test]
fn a_push_source_sheds_the_mm1k_blocking_fraction() {
    let s = parse(
        r#"(version: 1, name: "push-shed", seed: 55, replications: 8, duration_s: 65.0, warmup_s: 5.0,
            cluster: (nodes: [(name: "server")]),
            operators: [
                (name: "arrivals", kind: Source(arrivals: Poisson(rate_per_s: 1200.0), keys: Uniform(count: 1),
                                                pressure: Push(buffer: 0))),
                (name: "queue", kind: Map(service_ms: Exp(mean: 1.0)), inputs: [(from: "arrivals")], buffer: Some(Events(10))),
                (name: "departures", kind: Sink, inputs: [(from: "queue")]),
            ])"#,
    );
    let result = run(&s);
    let cell = only_cell(&result);
    let (rho, k) = (1.2f64, 10);
    let expected = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
    let ci = cell.interval("shed_fraction", 0.99).unwrap();
    assert!(
        ci.contains(expected),
        "shed fraction {ci}, expected {expected}"
    );
    for rep in &cell.replications {
        assert_eq!(rep.metric("events_lost"), Some(0.0));
        assert!(rep.conservation.holds(), "{:?}", rep.conservation);
    }
}

/// `Bytes(50)` with 200-byte events: the capacity is smaller than one event, so an event takes
/// all of it (`Capacity::units` clamps) and passes when the channel is empty. Every channel
/// then holds exactly one event at a time, as with `Events(1)`: the two runs must agree on
/// every metric, bit for bit. Events flow: a channel is busy for about a round trip (1 ms)
/// plus a service (1 ms) per event, so at λ = 300/s it is stable (ρ ≈ 0.6) and the 99 % CI
/// of the throughput must contain λ.
#[test]
fn a_byte_buffer_smaller_than_an_event_passes_one_event_at_a_time() {
    let text = |buffers: &str| {
        format!(
            r#"(version: 1, name: "tiny-bytes", seed: 56, replications: 4, duration_s: 20.0, warmup_s: 2.0,
                buffers: {buffers},
                cluster: (nodes: [(name: "a"), (name: "b")], network: (latency_ms: Const(0.5))),
                operators: [
                    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 300.0), keys: Uniform(count: 10), event_bytes: 200),
                     placement: Nodes(["a"])),
                    (name: "work", kind: Map(service_ms: Exp(mean: 1.0)), inputs: [(from: "src")], placement: Nodes(["b"])),
                    (name: "out", kind: Sink, inputs: [(from: "work")], placement: Nodes(["a"])),
                ])"#
        )
    };
    let bytes = run(&parse(&text("Bytes(50)")));
    let events = run(&parse(&text("Events(1)")));
    for (r, (b, e)) in only_cell(&bytes)
        .replications
        .iter()
        .zip(&only_cell(&events).replications)
        .enumerate()
    {
        assert!(
            b.metric("throughput_per_s").unwrap() > 0.0,
            "replication {r}: Bytes(50) makes progress"
        );
        let bits = |m: &[(String, f64)]| {
            m.iter()
                .map(|(n, v)| (n.clone(), v.to_bits()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            bits(&b.metrics),
            bits(&e.metrics),
            "replication {r}: Bytes(50) of 200-byte events is Events(1)"
        );
    }
    let throughput = only_cell(&bytes)
        .interval("throughput_per_s", 0.99)
        .unwrap();
    assert!(
        throughput.contains(300.0),
        "throughput {throughput}, expected λ = 300"
    );
}

/// The example with bounded buffers, a crash and a rollback, cut to three replications: the
/// same seed gives byte-identical result files, on one thread or two.
#[test]
fn bounded_buffers_with_faults_are_reproducible_whatever_the_thread_count() {
    let mut s = load_fixture("examples/backpressure-and-checkpoints.ron");
    s.set_replications(3);
    let with = |threads: usize| -> RunResult {
        experiment::run(&s, 1212, threads, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
    };
    let rendered = |result: &RunResult| {
        [
            output::summary_csv(result),
            output::replications_csv(result),
            output::timeseries_csv(result),
            output::cdf_csv(result),
        ]
    };
    let first = with(2);
    let names = flow_metric_names(&first.cells[0].replications[0]);
    assert!(names.contains(&"backpressure_enrich"), "{names:?}");
    let again = rendered(&with(2));
    let one_thread = rendered(&with(1));
    let first = rendered(&first);
    for ((a, b), c) in first.iter().zip(&again).zip(&one_thread) {
        assert!(a == b, "the same seed twice differs:\n{a}\n---\n{b}");
        assert!(a == c, "2 threads and 1 thread differ:\n{a}\n---\n{c}");
    }
}

/// Two active copies of a map on `a` and `b`, no spare: `a` crashes at 5 s for 10 s, the
/// detector suspects it within half a second and no replacement can be placed, so the copy
/// on `b` alone carries the stream — as it does with unbounded buffers, where every second
/// of [6, 15) delivers events (the crash is masked: availability 1, nothing lost). With a
/// bounded buffer it must too. Found by this test: the dead copy's channel got its credit
/// back only at the repair, and the source's output buffer — one FIFO for both copies —
/// blocked behind it, so nothing reached the sink until `a` was repaired while the episode
/// still read "recovered at the fault"; outputs for a receiver that is not running and has
/// no credit are now dropped at the sender, as they would be on arrival.
#[test]
fn a_dead_active_copy_does_not_stall_its_live_sibling() {
    let text = |buffers: &str| {
        format!(
            r#"(version: 1, name: "dead-copy", seed: 57, replications: 2, duration_s: 20.0, warmup_s: 1.0,
                buffers: {buffers},
                cluster: (nodes: [(name: "coord"), (name: "a"), (name: "b"), (name: "io")]),
                operators: [
                    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 100.0), keys: Uniform(count: 10)),
                     placement: Nodes(["io"])),
                    (name: "work", kind: Map(service_ms: Exp(mean: 1.0)), inputs: [(from: "src")], placement: Nodes(["a"])),
                    (name: "out", kind: Sink, inputs: [(from: "work")], placement: Nodes(["io"])),
                ],
                faults: [CrashAt(node: "a", at_s: 5.0, repair_s: 10.0)],
                fault_tolerance: (coordinator: "coord", restart_ms: Const(300.0),
                                  detector: Heartbeat(interval_ms: 100.0, timeout_ms: 400.0),
                                  replication: Active(replicas: 2)))"#
        )
    };
    for buffers in ["Unbounded", "Events(1)", "Events(100)"] {
        let result = run(&parse(&text(buffers)));
        for (r, rep) in only_cell(&result).replications.iter().enumerate() {
            assert_eq!(
                rep.metric("events_lost"),
                Some(0.0),
                "{buffers} replication {r}"
            );
            let stalled: Vec<f64> = rep
                .series
                .iter()
                .enumerate()
                .filter(|(b, p)| (6..15).contains(b) && p.delivered == 0)
                .map(|(b, _)| b as f64 * rep.bucket_s)
                .collect();
            assert!(
                stalled.is_empty(),
                "{buffers} replication {r}: nothing delivered in the seconds from {stalled:?} \
                 while the copy on b lived"
            );
        }
    }
}
