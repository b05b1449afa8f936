//! A run is a pure function of (scenario, seed, version): same inputs give byte-identical
//! result files whatever the thread count; another seed gives other numbers.

use super::load_fixture;
use crate::experiment::{self, RunResult, output};
use crate::scenario::Scenario;

fn run_with(scenario: &Scenario, seed: u64, threads: usize) -> RunResult {
    experiment::run(scenario, seed, threads, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// Every result file whose content must be reproducible.
fn rendered(result: &RunResult) -> [String; 4] {
    [
        output::summary_csv(result),
        output::replications_csv(result),
        output::timeseries_csv(result),
        output::cdf_csv(result),
    ]
}

fn short_sensor_scenario() -> Scenario {
    let mut s = load_fixture("sensor-monitoring.ron");
    s.set_replications(4);
    s
}

#[test]
fn same_seed_gives_identical_results() {
    let s = short_sensor_scenario();
    assert_eq!(
        rendered(&run_with(&s, 42, 2)),
        rendered(&run_with(&s, 42, 2))
    );
}

#[test]
fn thread_count_does_not_change_results() {
    let s = short_sensor_scenario();
    let one = rendered(&run_with(&s, 7, 1));
    let three = rendered(&run_with(&s, 7, 3));
    for (a, b) in one.iter().zip(&three) {
        assert!(a == b, "1 thread and 3 threads differ:\n{a}\n---\n{b}");
    }
}

#[test]
fn another_seed_gives_other_numbers() {
    let s = short_sensor_scenario();
    let a = run_with(&s, 1, 2);
    let b = run_with(&s, 2, 2);
    assert_ne!(output::summary_csv(&a), output::summary_csv(&b));
    // …and replications within one run differ from each other (first variant).
    let delays = a.cells[0].values("delay_mean_ms");
    assert!(delays.windows(2).all(|w| w[0] != w[1]), "{delays:?}");
}

/// Replication r of a run is the same whether it runs alone or among others: its seeds
/// depend on (master seed, r) only.
#[test]
fn a_replication_can_be_rerun_alone() {
    let s = short_sensor_scenario();
    let all = run_with(&s, 9, 2);
    let third = crate::world::run_replication(&s, 0, 9, 2, &|_| {}).expect("runs");
    // Bit patterns, so that undefined (NaN) metrics compare equal to themselves.
    let bits = |m: &[(String, f64)]| {
        m.iter()
            .map(|(n, v)| (n.clone(), v.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        bits(&all.cells[0].replications[2].metrics),
        bits(&third.metrics)
    );
}
