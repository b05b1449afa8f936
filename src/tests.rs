//! Whole-run tests: analytic validation against queueing theory, mechanisms with exact or
//! closed-form outcomes, determinism, and every shipped scenario file.

mod alloc;
mod analytic;
mod budget;
mod determinism;
mod examples;
mod faults;
mod flow;
mod fuzz;
mod guarantees;
mod hostile_input;
mod mechanisms;
mod recovery;
mod replication;
mod runaway;
mod scenario_errors;
mod scenario_files;
mod sink;
mod sweep_errors;
mod sweep_threads;
mod trace;

use std::path::{Path, PathBuf};

use crate::experiment::{self, CellResult, RunResult};
use crate::scenario::{self, Scenario};

/// Path of a file under `scenarios/`.
pub(crate) fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(relative)
}

/// Loads a shipped scenario, failing the test with the loader's message.
pub(crate) fn load_fixture(relative: &str) -> Scenario {
    scenario::load(&fixture(relative)).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses an inline scenario, failing the test with the loader's message.
pub(crate) fn parse(text: &str) -> Scenario {
    scenario::from_str(text, Path::new("inline.ron"), Path::new("."))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `scenario` with its own seed on two threads.
pub(crate) fn run(scenario: &Scenario) -> RunResult {
    let seed = scenario.seed.expect("test scenarios set a seed");
    experiment::run(scenario, seed, 2, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// The single cell of a run.
pub(crate) fn only_cell(result: &RunResult) -> &CellResult {
    assert_eq!(result.cells.len(), 1);
    &result.cells[0]
}
