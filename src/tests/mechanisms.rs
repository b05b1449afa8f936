//! Mechanisms with exact or closed-form outcomes: network delay composition, speed factors,
//! selectivity and fan-out, range and hash partitioning in a whole run, and bursty sources.

use super::{only_cell, parse, run};

/// Constant arrivals every 10 ms and constant times leave no queueing, so every delay is the
/// same sum: 1000 B at 8 Mbit/s = 1 ms on the wire + 3 ms latency + a 4 ms service on a node
/// of speed 2 (2 ms) = 6 ms exactly; the sink shares the map's node (no second hop).
#[test]
fn delay_is_serialisation_plus_latency_plus_scaled_service() {
    let s = parse(
        r#"(version: 1, name: "exact-delay", seed: 1, replications: 2, duration_s: 10.0, warmup_s: 1.0,
            cluster: (
                nodes: [(name: "a"), (name: "b", speed: 2.0)],
                network: (latency_ms: Const(3.0), bandwidth_mbps: 8.0),
            ),
            operators: [
                (name: "src", kind: Source(arrivals: Constant(rate_per_s: 100.0), keys: Uniform(count: 5), event_bytes: 1000),
                 placement: Nodes(["a"])),
                (name: "work", kind: Map(service_ms: Const(4.0)), placement: Nodes(["b"]), inputs: [(from: "src")]),
                (name: "out", kind: Sink, placement: Nodes(["b"]), inputs: [(from: "work")]),
            ])"#,
    );
    let result = run(&s);
    for rep in &only_cell(&result).replications {
        for m in [
            "delay_mean_ms",
            "delay_p50_ms",
            "delay_p99_ms",
            "delay_max_ms",
        ] {
            let v = rep.metric(m).unwrap();
            assert!(
                (v - 6.0).abs() < 6e-3,
                "{m} = {v}, expected 6 ms (histogram error ≤ 0.1 %)"
            );
        }
        assert_eq!(
            rep.metric("network_bytes"),
            Some(rep.metric("network_messages").unwrap() * 1000.0)
        );
    }
}

/// A flat-map of selectivity 2.5 feeds a sink directly and, through a 30 % filter, a second
/// sink. Per source event the sinks receive 2.5 + 2.5 × 0.3 = 3.25 events on average, so
/// throughput / source rate must be 3.25 within the 99 % CI; conservation (checked at the end
/// of every run) must count the spawned and absorbed events.
#[test]
fn selectivity_and_fan_out_multiply_throughput() {
    let s = parse(
        r#"(version: 1, name: "fan-out", seed: 2, replications: 8, duration_s: 30.0, warmup_s: 1.0,
            cluster: (nodes: [(name: "n", count: 2, cores: 4)]),
            operators: [
                (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 2000.0), keys: Uniform(count: 100))),
                (name: "split", kind: Map(service_ms: Exp(mean: 0.05), selectivity: 2.5), parallelism: 2,
                 inputs: [(from: "src", partitioning: Hash)]),
                (name: "filter", kind: Map(service_ms: Const(0.01), selectivity: 0.3), inputs: [(from: "split")]),
                (name: "all", kind: Sink, inputs: [(from: "split")]),
                (name: "alerts", kind: Sink, inputs: [(from: "filter")]),
            ])"#,
    );
    let result = run(&s);
    let cell = only_cell(&result);
    let ratios: Vec<f64> = cell
        .replications
        .iter()
        .map(|r| r.metric("throughput_per_s").unwrap() / r.metric("source_rate_per_s").unwrap())
        .collect();
    let ci = crate::stats::t_interval(&ratios, 0.99).unwrap();
    assert!(
        ci.contains(3.25),
        "delivered per emitted: {ci}, expected 3.25"
    );
    let c = cell.replications[0].conservation;
    assert!(c.spawned > 0 && c.absorbed > 0, "{c:?}");
}

/// Range partitioning routes by its boundaries: uniform keys 0..1000 with bounds
/// [100, 200, 300] send 10 %, 10 %, 10 % and 70 % of events to the four instances, so the load
/// skew (max / mean) is 0.7 / 0.25 = 2.8; with quartile bounds it is 1. Hash partitioning of the
/// same keys is balanced (skew within 5 % of 1).
#[test]
fn range_partitioning_follows_its_boundaries_in_a_run() {
    let text = |partitioning: &str| {
        format!(
            r#"(version: 1, name: "ranges", seed: 3, replications: 4, duration_s: 20.0, warmup_s: 1.0,
                cluster: (nodes: [(name: "n", cores: 8)]),
                operators: [
                    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 4000.0), keys: Uniform(count: 1000))),
                    (name: "part", kind: Map(service_ms: Exp(mean: 0.01)), parallelism: 4,
                     inputs: [(from: "src", partitioning: {partitioning})]),
                    (name: "out", kind: Sink, inputs: [(from: "part")]),
                ])"#
        )
    };
    let skew = |partitioning: &str| {
        only_cell(&run(&parse(&text(partitioning))))
            .interval("load_skew_part", 0.99)
            .expect("skew is defined")
    };
    let skewed = skew("Range(bounds: [100, 200, 300])");
    assert!(
        skewed.contains(2.8) || (skewed.mean - 2.8).abs() < 0.03,
        "{skewed}"
    );
    let even = skew("Range(bounds: [250, 500, 750])");
    assert!(even.mean < 1.03, "{even}");
    let hashed = skew("Hash");
    assert!(hashed.mean < 1.05, "{hashed}");
}

/// An on/off source with rate 1000/s, on periods Exp(0.2 s) and off periods Exp(0.6 s) emits
/// 1000 × 0.2/0.8 = 250 events/s in the long run.
#[test]
fn on_off_source_rate_is_scaled_by_its_duty_cycle() {
    let s = parse(
        r#"(version: 1, name: "bursts", seed: 4, replications: 10, duration_s: 1000.0, warmup_s: 1.0,
            cluster: (nodes: [(name: "n", cores: 2)]),
            operators: [
                (name: "src", kind: Source(arrivals: OnOff(rate_per_s: 1000.0, on_s: Exp(mean: 0.2), off_s: Exp(mean: 0.6)),
                                           keys: Uniform(count: 10))),
                (name: "out", kind: Sink, inputs: [(from: "src")]),
            ])"#,
    );
    let result = run(&s);
    let ci = only_cell(&result)
        .interval("source_rate_per_s", 0.99)
        .unwrap();
    assert!(ci.contains(250.0), "{ci}");
    assert!(ci.half_width() < 0.05 * 250.0, "{ci}");
}
