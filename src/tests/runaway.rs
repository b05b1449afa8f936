//! Runaway state: a run whose checkpoints stop completing, or whose buffers keep growing, is
//! flagged with its results (the printed result and `manifest.json` are driven from the
//! binary in `tests/cli.rs`); shipped scenarios that settle are not.

use crate::experiment;
use crate::metrics::HolderKind;
use crate::scenario::Scenario;
use crate::sim::SimTime;

use super::{load_fixture, run};

fn stalled() -> Scenario {
    load_fixture("../tests/fixtures/stalled-checkpoints.ron")
}

/// worker0 crashes at 30 s and never returns: no checkpoint completes after it, within
/// one checkpoint's duration and one sample (1/50 of the run) of the crash, and the replay
/// buffers are named as what grows.
#[test]
fn checkpoints_that_stop_completing_are_flagged_with_the_replay_buffers() {
    let result = run(&stalled());
    let cell = super::only_cell(&result);
    let sample = SimTime::from_secs_f64(120.0 / 50.0).as_nanos();
    for (r, rep) in cell.replications.iter().enumerate() {
        let a = rep
            .runaway
            .as_ref()
            .unwrap_or_else(|| panic!("run {r} not flagged"));
        let since = a.checkpoints_stalled_since.expect("checkpoints stalled");
        assert!(a.checkpoints_ever_completed);
        let crash = SimTime::from_secs_f64(30.0).as_nanos();
        assert!(
            (crash..=crash + sample + 1_000_000_000).contains(&since.as_nanos()),
            "run {r}: stalled since {since:?}"
        );
        let (most, least) = a.held_growth.expect("the replay buffers grow");
        assert!(least as f64 > 1.25 * most as f64);
        assert_eq!(
            a.holders[0].kind,
            HolderKind::ReplayBuffer,
            "{:?}",
            a.holders
        );
        assert!(a.held_end >= least);
    }
    let manifest = experiment::output::runaway_manifest(&result);
    assert_eq!(manifest.len(), 2);
}

/// The shipped scenarios settle, faults and all: none is flagged.
#[test]
fn shipped_scenarios_that_settle_are_not_flagged() {
    for file in [
        "sensor-monitoring.ron",
        "examples/crash-and-failover.ron",
        "examples/checkpoint-interval-tradeoff.ron",
        "examples/backpressure-and-checkpoints.ron",
        "examples/exactly-once-sinks.ron",
    ] {
        let mut scenario = load_fixture(file);
        scenario.replications = 2;
        let result = run(&scenario);
        let flagged = experiment::output::runaway_manifest(&result);
        assert!(flagged.is_empty(), "{file}: {flagged:?}");
    }
}
