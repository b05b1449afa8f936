//! Sinks end to end: what a consumer sees under each sink and barrier mode, through a crash
//! and rollback, and the guarantee each combination declares.

use super::{parse, run};
use crate::ft::{Condition, RecoverySemantics};

/// Two sources feed a map of two instances (round robin, so both map instances send to the
/// sink and it has two input channels whose barriers can be skewed) and a sink; worker w1
/// crashes at 10 s and the job rolls back globally. `variants`: `(label, barriers, sink)`.
fn scenario(variants: &[(&str, &str, &str)], faults: bool) -> String {
    let ft = |barriers: &str, sink: &str| {
        format!(
            "(coordinator: \"coord\", spares: [\"spare\"], detector: Heartbeat(interval_ms: 50.0, \
             timeout_ms: 250.0), restart_ms: Const(200.0), checkpoint: Some((interval_s: 1.0, \
             barriers: {barriers})), sink: {sink})"
        )
    };
    let variants: Vec<String> = variants
        .iter()
        .map(|(label, b, s)| format!("(label: \"{label}\", fault_tolerance: Some({}))", ft(b, s)))
        .collect();
    format!(
        r#"(
  version: 1, name: "sinks", seed: 31, replications: 6, duration_s: 20.0, warmup_s: 2.0,
  cluster: (
    nodes: [(name: "coord"), (name: "src", cores: 2), (name: "w0", cores: 1), (name: "w1", cores: 1), (name: "out", cores: 1), (name: "spare", cores: 2)],
    network: (latency_ms: Exp(mean: 1.0)),
  ),
  operators: [
    (name: "in", kind: Source(arrivals: Poisson(rate_per_s: 800.0), keys: Uniform(count: 100)), parallelism: 2, placement: Nodes(["src", "src"])),
    (name: "work", kind: Map(service_ms: Exp(mean: 0.9)), parallelism: 2, state_bytes_per_key: 100, inputs: [(from: "in", partitioning: Rebalance)], placement: Nodes(["w0", "w1"])),
    (name: "sink", kind: Sink, inputs: [(from: "work")], placement: Nodes(["out"])),
  ],
  faults: [{faults}],
  fault_tolerance: {base},
  variants: [{variants}],
)"#,
        faults = if faults {
            "CrashAt(node: \"w1\", at_s: 10.0, repair_s: 3.0)"
        } else {
            ""
        },
        base = ft("Aligned", "AtLeastOnce"),
        variants = variants.join(", ")
    )
}

fn sum(cell: &crate::experiment::CellResult, metric: &str) -> f64 {
    cell.values(metric).iter().sum()
}

#[test]
fn consistent_barriers_behind_a_transactional_or_idempotent_sink_show_each_event_once() {
    let s = parse(&scenario(
        &[
            ("counted-alo", "AtLeastOnce", "AtLeastOnce"),
            ("counted-txn", "AtLeastOnce", "Transactional"),
            ("aligned-txn", "Aligned", "Transactional"),
            ("unaligned-txn", "Unaligned", "Transactional"),
            ("aligned-idem", "Aligned", "Idempotent"),
        ],
        true,
    ));
    let result = run(&s);
    let checks = result.semantics();
    for c in &checks {
        assert!(c.holds(), "{}: {:?}", c.variant, c.violations);
    }
    let declared: Vec<RecoverySemantics> = checks.iter().map(|c| c.declared).collect();
    use RecoverySemantics::{ExactlyOnce, Rollback};
    assert_eq!(
        declared,
        [Rollback, Rollback, ExactlyOnce, ExactlyOnce, ExactlyOnce]
    );
    for (cell, check) in result.cells.iter().zip(&checks) {
        assert_eq!(sum(cell, "events_lost"), 0.0, "{}", cell.label);
        // Every variant replays after the rollback: processing repeats in all of them.
        assert!(sum(cell, "events_duplicated") > 0.0, "{}", cell.label);
        let visible = sum(cell, "events_duplicated_visible");
        match cell.label.as_str() {
            // An at-least-once sink shows every processing duplicate.
            "counted-alo" => assert_eq!(visible, sum(cell, "events_duplicated")),
            // Counted barriers let a fast input's post-barrier events into checkpoint n's
            // transaction, and the rollback to n replays them: visible twice, which the
            // rollback guarantee allows.
            "counted-txn" => assert!(visible > 0.0, "{visible}"),
            _ => assert_eq!(visible, 0.0, "{}", cell.label),
        }
        assert!(
            check.conditions[Condition::Primary as usize].episodes > 0,
            "{}",
            cell.label
        );
    }
    let idem = &result.cells[4];
    assert!(sum(idem, "sink_duplicates_dropped") > 0.0);
    // The transactional sinks abort what the rollback does not cover, and lose none of it.
    for cell in &result.cells[1..4] {
        assert!(sum(cell, "sink_events_aborted") > 0.0, "{}", cell.label);
    }
}

#[test]
fn a_transactional_sink_delays_visibility_by_about_half_an_interval_and_the_checkpoint() {
    let s = parse(&scenario(
        &[
            ("alo", "Aligned", "AtLeastOnce"),
            ("txn", "Aligned", "Transactional"),
            ("idem", "Aligned", "Idempotent"),
        ],
        false,
    ));
    let result = run(&s);
    for cell in &result.cells {
        let delay = cell.values("delay_mean_ms");
        let visible = cell.values("visible_delay_mean_ms");
        let extra: Vec<f64> = visible.iter().zip(&delay).map(|(v, d)| v - d).collect();
        let mean = extra.iter().sum::<f64>() / extra.len() as f64;
        if cell.label == "txn" {
            // Extra wait = T/2 + (completion − barrier at the sink) + notice ≥ T/2 = 500 ms,
            // and the checkpoint here takes a few milliseconds: well under T/2 + 100 ms.
            assert!((500.0..600.0).contains(&mean), "{mean}");
            let ckpt = cell.values("checkpoint_duration_mean_s");
            assert!(ckpt.iter().all(|&c| c < 0.1), "{ckpt:?}");
        } else {
            // Visible at delivery.
            assert!(
                extra.iter().all(|&x| x.abs() < 1e-9),
                "{}: {extra:?}",
                cell.label
            );
        }
    }
    // Without faults nothing is replayed: no duplicates anywhere, and the idempotent sink
    // keeps one id per delivery.
    let idem = &result.cells[2];
    assert_eq!(sum(idem, "sink_duplicates_dropped"), 0.0);
    let delivered: f64 = idem
        .replications
        .iter()
        .map(|r| r.conservation.delivered as f64)
        .sum();
    assert_eq!(sum(idem, "sink_ids_kept"), delivered);
}

#[test]
fn sink_metrics_appear_only_when_some_variant_chooses_a_sink() {
    let s = parse(&scenario(&[("alo", "Aligned", "AtLeastOnce")], true));
    let result = run(&s);
    let names: Vec<&str> = result.cells[0].replications[0]
        .metrics
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    for m in [
        "visible_delay_mean_ms",
        "events_duplicated_visible",
        "sink_ids_kept",
    ] {
        assert!(!names.contains(&m), "{m} in {names:?}");
    }
}

#[test]
fn a_transactional_sink_needs_checkpoints_and_a_global_rollback() {
    let text = scenario(&[("txn", "Aligned", "Transactional")], true).replace(
        "barriers: Aligned)), sink: Transactional)",
        "barriers: Aligned)), sink: Transactional, replication: Passive())",
    );
    let err = crate::scenario::from_str(
        &text,
        std::path::Path::new("inline.ron"),
        std::path::Path::new("."),
    )
    .expect_err("passive with a transactional sink is refused");
    let msg = err.to_string();
    assert!(msg.contains("variants[0].fault_tolerance.sink"), "{msg}");
    assert!(msg.contains("sink: Idempotent"), "{msg}");
}
