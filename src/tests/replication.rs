//! Replication strategies against closed forms and against their own declared semantics.

use super::{only_cell, parse, run};
use crate::ft::RecoverySemantics;
use crate::metrics::EpisodeKind;

/// Two active copies of the only processing stage, on nodes `a` and `b` that crash and are
/// repaired independently (exponential MTTF = 100 s, MTTR = 10 s); the source and sink sit
/// on `io`, which never fails. With no detector a copy restarts when its node is repaired,
/// rebuilt from the live copy at once (no state), so each copy is up exactly when its node
/// is: A = 100/110 each, and the stage is up when either is: 1 − (1 − A)² = 1 − (1/11)² =
/// 0.991736. 10 replications of 20 000 s (≈ 180 crash cycles per node each): the 99 % CI must
/// contain it and be within 2 % of it; the unavailability must also be of the right order
/// (its CI contains 1/121), which a single copy (1/11) could not fake.
#[test]
fn two_active_copies_give_one_minus_the_square_of_unavailability() {
    let s = parse(
        r#"(version: 1, name: "two-copies", seed: 31, replications: 10, duration_s: 20000.0, warmup_s: 0.0,
            cluster: (nodes: [(name: "a"), (name: "b"), (name: "io")]),
            operators: [
                (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 2.0), keys: Uniform(count: 10)),
                 placement: Nodes(["io"])),
                (name: "work", kind: Map(service_ms: Exp(mean: 1.0)), inputs: [(from: "src")],
                 placement: Nodes(["a"])),
                (name: "out", kind: Sink, inputs: [(from: "work")], placement: Nodes(["io"])),
            ],
            faults: [Crash(nodes: Nodes(["a", "b"]), ttf_s: Exp(mean: 100.0), repair_s: Exp(mean: 10.0))],
            fault_tolerance: (replication: Active(replicas: 2)))"#,
    );
    let result = run(&s);
    let cell = only_cell(&result);
    let ci = cell.interval("availability_system", 0.99).unwrap();
    let a = 100.0 / 110.0;
    let expected = 1.0 - (1.0 - a) * (1.0 - a);
    assert!(
        ci.contains(expected),
        "availability {ci}, expected {expected}"
    );
    assert!(ci.half_width() < 0.02 * expected, "{ci}");
    let down = cell.interval("downtime_system_s", 0.99).unwrap();
    let unavailability =
        (down.mean - down.half_width()) / 20000.0..=(down.mean + down.half_width()) / 20000.0;
    assert!(
        unavailability.contains(&(1.0 / 121.0)),
        "unavailability {unavailability:?}, expected 1/121"
    );
}

/// A two-stage map pipeline with both stages actively replicated on `a` and `b`; `a`
/// crashes at 10 s and is detected; its copies are rebuilt on the spare. The copies on `b`
/// mask the crash: no source event is lost, none reaches the sink twice (receivers keep the
/// first copy), the pipeline never counts as down, and the crash's episode is recovered the
/// moment it happened (masked) while its detection is still recorded.
#[test]
fn active_replication_masks_a_crash_without_loss_or_duplicates() {
    let s = parse(
        r#"(version: 1, name: "active-mask", seed: 32, replications: 5, duration_s: 30.0, warmup_s: 1.0,
            cluster: (nodes: [(name: "coord"), (name: "a", cores: 2), (name: "b", cores: 2), (name: "io"), (name: "spare", cores: 2)],
                      network: (latency_ms: Exp(mean: 0.5))),
            operators: [
                (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 500.0), keys: Uniform(count: 50)),
                 placement: Nodes(["io"])),
                (name: "parse", kind: Map(service_ms: Exp(mean: 0.3)), inputs: [(from: "src")], placement: Nodes(["a"])),
                (name: "enrich", kind: Map(service_ms: Exp(mean: 0.3)), state_bytes_per_key: 512,
                 inputs: [(from: "parse", partitioning: Hash)], placement: Nodes(["a"])),
                (name: "out", kind: Sink, inputs: [(from: "enrich")], placement: Nodes(["io"])),
            ],
            faults: [CrashAt(node: "a", at_s: 10.0, repair_s: 10.0)],
            fault_tolerance: (coordinator: "coord", spares: ["spare"], restart_ms: Const(200.0),
                              detector: Heartbeat(interval_ms: 100.0, timeout_ms: 400.0),
                              replication: Active(replicas: 2)))"#,
    );
    let result = run(&s);
    let cell = only_cell(&result);
    for (r, rep) in cell.replications.iter().enumerate() {
        let m = |name| rep.metric(name).unwrap();
        assert_eq!(m("events_lost"), 0.0, "replication {r}");
        assert_eq!(m("events_duplicated"), 0.0, "replication {r}");
        assert_eq!(m("availability_system"), 1.0, "replication {r}");
        // Copies dropped at the dead node are not losses: the conservation check balanced.
        assert!(
            m("events_dropped") > 0.0,
            "replication {r}: the crash dropped copies"
        );
        let crash: Vec<_> = rep
            .episodes
            .iter()
            .filter(|e| e.kind == EpisodeKind::NodeCrash)
            .collect();
        assert_eq!(crash.len(), 1, "replication {r}");
        assert_eq!(crash[0].recovered_at, Some(crash[0].fault_at), "masked");
        assert!(crash[0].detected_at.is_some(), "the detector still saw it");
    }
}

/// Every strategy's declared semantics, checked on the same failure: a keyed map and a
/// keyed window on three workers, worker w1 crashing at 15 s (its instances failing over to
/// the spare). Every episode keeps the guarantee of its condition; where the strategy's own
/// mechanism worked (the primary condition) precise strategies lose and duplicate nothing and
/// rollback ones lose nothing; a strategy must never claim more than it delivers. (Under
/// continuous sync this crash is a fallback: the map and the window it feeds share w1, so the
/// map's in-memory log dies with the window's input.)
#[test]
fn every_strategy_keeps_its_declared_semantics() {
    let strategies = [
        ("global-rollback", "checkpoint: (interval_s: 1.0),", "None"),
        (
            "local-rollback",
            "checkpoint: (interval_s: 1.0, rollback: Local),",
            "None",
        ),
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
        ("active", "", "Active(replicas: 2)"),
    ];
    for (label, checkpoint, replication) in strategies {
        let s = parse(&format!(
            r#"(version: 1, name: "semantics", seed: 33, replications: 4, duration_s: 40.0, warmup_s: 1.0,
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
                faults: [CrashAt(node: "w1", at_s: 15.0, repair_s: 20.0)],
                fault_tolerance: (coordinator: "coord", spares: ["spare"], restart_ms: Const(300.0),
                                  detector: Heartbeat(interval_ms: 100.0, timeout_ms: 400.0),
                                  {checkpoint} replication: {replication}))"#
        ));
        let result = run(&s);
        let check = &result.semantics()[0];
        assert!(check.holds(), "{label}: {check:?}");
        for (r, rep) in only_cell(&result).replications.iter().enumerate() {
            let recovered = rep.episodes.iter().all(|e| e.recovered_at.is_some());
            assert!(recovered, "{label} replication {r}: {:?}", rep.episodes);
            for e in &rep.episodes {
                let guarantee = check.conditions[e.condition as usize].guarantee;
                match guarantee {
                    RecoverySemantics::Precise => {
                        assert_eq!((e.lost, e.duplicated), (0, 0), "{label} replication {r}")
                    }
                    RecoverySemantics::ExactlyOnce => assert_eq!(
                        (e.lost, e.visible_duplicated),
                        (0, 0),
                        "{label} replication {r}"
                    ),
                    RecoverySemantics::Rollback => {
                        assert_eq!(e.lost, 0, "{label} replication {r}")
                    }
                    RecoverySemantics::Gap => {}
                }
            }
        }
        if label == "passive-continuous" {
            assert!(check.conditions[1].episodes > 0, "{check:?}");
        }
    }
}

/// Promotion is what makes passive replication fast: with a 1 s restart and a 50 ms
/// promotion, a passive variant's recovery (detection ≤ 0.5 s, promotion, catch-up) must
/// finish before a cold restart could even have started the process, while the
/// checkpoint-only variant's cannot (detection + restart ≥ 1.4 s).
#[test]
fn passive_promotion_beats_a_cold_restart() {
    let text = |replication: &str| {
        format!(
            r#"(version: 1, name: "promotion", seed: 34, replications: 4, duration_s: 30.0, warmup_s: 1.0,
                cluster: (nodes: [(name: "coord"), (name: "w", count: 2, cores: 2), (name: "spare", cores: 2)],
                          network: (latency_ms: Const(0.5))),
                operators: [
                    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 300.0), keys: Uniform(count: 50)),
                     placement: Nodes(["w0"])),
                    (name: "work", kind: Map(service_ms: Exp(mean: 0.3)), state_bytes_per_key: 256,
                     inputs: [(from: "src")], placement: Nodes(["w1"])),
                    (name: "out", kind: Sink, inputs: [(from: "work")], placement: Nodes(["w0"])),
                ],
                faults: [CrashAt(node: "w1", at_s: 10.0, repair_s: 10.0)],
                fault_tolerance: (coordinator: "coord", spares: ["spare"], restart_ms: Const(1000.0),
                                  detector: Heartbeat(interval_ms: 100.0, timeout_ms: 400.0),
                                  checkpoint: (interval_s: 1.0), replication: {replication}))"#
        )
    };
    for (replication, fast) in [("Passive()", true), ("None", false)] {
        let result = run(&parse(&text(replication)));
        for rep in &only_cell(&result).replications {
            let t = rep.metric("recovery_time_mean_s").unwrap();
            assert_eq!(t < 1.0, fast, "{replication}: recovery {t} s");
            assert_eq!(rep.metric("events_lost"), Some(0.0), "{replication}");
        }
    }
}
