//! Recovery semantics checked, not assumed: rollback loses nothing (duplicates possible and
//! counted), restart-without-state (gap) loses exactly what it dropped, the checkpoint-progress
//! watchdog catches hangs that heartbeats cannot.

use super::{only_cell, parse, run};
use crate::metrics::EpisodeKind;

/// A map pipeline over three workers with a coordinator and a spare; worker w1 crashes at
/// 20 s. `checkpoint` is inserted into `fault_tolerance`.
fn crash_scenario(checkpoint: &str) -> String {
    format!(
        r#"(version: 1, name: "recovery", seed: 21, replications: 5, duration_s: 60.0, warmup_s: 1.0,
            cluster: (nodes: [(name: "coord"), (name: "w", count: 3, cores: 2), (name: "spare")],
                      network: (latency_ms: Const(0.5))),
            operators: [
                (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 400.0), keys: Uniform(count: 64)), parallelism: 2),
                (name: "work", kind: Map(service_ms: Exp(mean: 0.5)), parallelism: 3, state_bytes_per_key: 1024,
                 inputs: [(from: "src", partitioning: Hash)]),
                (name: "out", kind: Sink, inputs: [(from: "work")]),
            ],
            faults: [CrashAt(node: "w1", at_s: 20.0, repair_s: 30.0)],
            fault_tolerance: (coordinator: "coord", spares: ["spare"], restart_ms: Const(300.0),
                              detector: Heartbeat(interval_ms: 100.0, timeout_ms: 400.0){checkpoint}))"#
    )
}

/// Rollback to a checkpoint replays everything the crash destroyed: no source event is lost
/// in any replication, some are processed twice (at-least-once) and the ledger counts them,
/// and at least the replayed copies that reached a sink again are duplicates.
#[test]
fn rollback_recovery_loses_nothing_and_counts_duplicates() {
    let result = run(&parse(&crash_scenario(", checkpoint: (interval_s: 2.0)")));
    for (r, rep) in only_cell(&result).replications.iter().enumerate() {
        let m = |name: &str| rep.metric(name).unwrap();
        assert_eq!(
            m("events_lost"),
            0.0,
            "replication {r} lost events under rollback"
        );
        assert!(
            m("events_duplicated") > 0.0,
            "replication {r}: a replay after a crash duplicates"
        );
        assert!(
            m("events_duplicated") <= m("events_replayed"),
            "replication {r}"
        );
        assert!(
            m("checkpoints_completed") >= 20.0,
            "replication {r}: {}",
            m("checkpoints_completed")
        );
        assert!(
            m("checkpoint_bytes") > 0.0,
            "replication {r}: keyed state is snapshotted"
        );
        let crash = rep
            .episodes
            .iter()
            .find(|e| e.kind == EpisodeKind::NodeCrash)
            .expect("the crash");
        // Phases in order: detected, then restored (restart 300 ms + restore), then caught
        // up (a sink delivered an event created after the restore).
        let (detected, restored, recovered) = (
            crash.detected_at.expect("detected"),
            crash.restored_at.expect("restored"),
            crash.recovered_at.expect("recovered"),
        );
        assert!(crash.fault_at < detected, "{crash:?}");
        assert!(
            (restored - detected).as_secs_f64() >= 0.3 - 1e-9,
            "restart delay: {crash:?}"
        );
        assert!(restored < recovered, "catch-up takes time: {crash:?}");
    }
}

/// Without checkpoints a restarted instance starts empty (gap semantics): every event the
/// crash destroyed — queued, in service, on the wire to the dead node, or arriving while it
/// was down — is lost. In a pipeline where each source event travels alone (no filter, no
/// window) the ledger's loss must therefore equal the dropped count exactly, and nothing is
/// duplicated.
#[test]
fn gap_recovery_loses_exactly_what_it_dropped() {
    let result = run(&parse(&crash_scenario("")));
    for (r, rep) in only_cell(&result).replications.iter().enumerate() {
        let m = |name: &str| rep.metric(name).unwrap();
        assert!(
            m("events_lost") > 0.0,
            "replication {r}: a crash without state loses events"
        );
        assert_eq!(m("events_lost"), m("events_dropped"), "replication {r}");
        assert_eq!(m("events_duplicated"), 0.0, "replication {r}");
    }
}

/// A hang stops an instance from serving while its node keeps heartbeating: the heartbeat
/// detector never notices, and the hang lasts its full 20 s. The checkpoint-progress
/// watchdog sees the hung instance miss the next checkpoint's acknowledgement: checkpoints
/// start every 1 s, so the first one at or after the hang at 10 s starts within [0, 1) s of
/// it, and the watchdog fires 2 s after that start — detection within [2, 3) s of the hang. The rollback
/// restarts the instance and it catches up well before the hang would have ended.
#[test]
fn watchdog_catches_a_hang_that_heartbeats_miss() {
    let text = |watchdog: &str| {
        format!(
            r#"(version: 1, name: "hang", seed: 22, replications: 4, duration_s: 60.0, warmup_s: 1.0,
                cluster: (nodes: [(name: "coord"), (name: "w", count: 2, cores: 2)]),
                operators: [
                    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 200.0), keys: Uniform(count: 32)), parallelism: 2),
                    (name: "work", kind: Map(service_ms: Exp(mean: 0.5)), parallelism: 2, inputs: [(from: "src", partitioning: Hash)]),
                    (name: "out", kind: Sink, inputs: [(from: "work")]),
                ],
                faults: [Hang(operator: "work", instance: 1, at_s: 10.0, duration_s: 20.0)],
                fault_tolerance: (coordinator: "coord", restart_ms: Const(100.0),
                                  detector: Heartbeat(interval_ms: 100.0, timeout_ms: 500.0),
                                  checkpoint: (interval_s: 1.0{watchdog})))"#
        )
    };
    let hangs = |result: &crate::experiment::RunResult| -> Vec<crate::metrics::Episode> {
        only_cell(result)
            .replications
            .iter()
            .map(|rep| {
                *rep.episodes
                    .iter()
                    .find(|e| e.kind == EpisodeKind::Hang)
                    .expect("the hang")
            })
            .collect()
    };
    for e in hangs(&run(&parse(&text("")))) {
        assert_eq!(
            e.detected_at, None,
            "heartbeats alone cannot see a hang: {e:?}"
        );
        let outage = (e.recovered_at.unwrap() - e.fault_at).as_secs_f64();
        assert!(
            outage >= 20.0,
            "without the watchdog the hang lasts its 20 s: {outage}"
        );
    }
    for e in hangs(&run(&parse(&text(", watchdog_s: 2.0")))) {
        let detection =
            (e.detected_at.expect("the watchdog detects it") - e.fault_at).as_secs_f64();
        assert!(
            (2.0..3.0).contains(&detection),
            "detection after {detection} s"
        );
        let outage = (e.recovered_at.unwrap() - e.fault_at).as_secs_f64();
        assert!(
            outage < 10.0,
            "restarted long before the hang's end: {outage}"
        );
    }
}
