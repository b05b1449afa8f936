//! The randomized fault-schedule explorer: random small systems under random fault mixes,
//! every strategy checked against the per-event ledger and the invariants, every failure
//! shrunk and written as a standalone scenario file that reproduces it.
//!
//! A case ([`case::Case`]) is 1–4 processing stages (maps and windows, stateless or keyed,
//! parallelism 1–4, every partitioning) on 2–6 workers, 0–2 spares and a coordinator, with
//! one to five faults among crashes of any node (the coordinator's and the spares' too),
//! repeated crashes and crashes during a recovery, partitions, link spikes, hangs,
//! stragglers and poison keys. Every strategy of [`case::StrategyKind`] runs it as a variant
//! (common random numbers: the same faults hit each), and the [`oracle`] checks each run.
//! Cases are drawn from `(seed, index)` alone, so an exploration is reproducible and any one
//! case can be regenerated; they run in parallel and are reported in index order.

pub mod case;
pub mod oracle;
pub mod shrink;

use std::path::Path;

use rayon::prelude::*;

pub use case::{Case, StrategyKind};
pub use oracle::Failure;

use crate::ft::Sabotage;

/// What to explore.
#[derive(Clone, Debug)]
pub struct Options {
    /// Cases to generate.
    pub cases: u32,
    /// Seed of the exploration.
    pub seed: u64,
    /// Strategies to check (each case runs every one).
    pub strategies: Vec<StrategyKind>,
    /// A deliberate defect to apply to every run (to check that the explorer catches it).
    pub sabotage: Option<Sabotage>,
    /// Worker threads.
    pub threads: usize,
}

/// One failing (case, strategy), and its shrunk form.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The strategy that failed.
    pub strategy: StrategyKind,
    /// The case as generated.
    pub original: Case,
    /// How it failed.
    pub failure: Failure,
    /// The smallest case found that fails the same way.
    pub shrunk: Case,
    /// How the shrunk case fails.
    pub shrunk_failure: Failure,
    /// The sabotage the exploration applied, if any.
    pub sabotage: Option<Sabotage>,
}

impl Finding {
    /// File name of the reproducer: `case-<index>-<strategy>.ron`.
    pub fn file_name(&self) -> String {
        format!("case-{}-{}.ron", self.original.index, self.strategy.label())
    }

    /// The shrunk case as a standalone scenario file whose header says what failed and how
    /// to reproduce it.
    pub fn reproducer(&self, exploration_seed: u64) -> String {
        let s = &self.shrunk;
        let mut header = format!(
            "Found by `faultline explore --seed {exploration_seed}` (case {}), shrunk from {} faults, {} stages and {} s\n\
             to {} faults, {} stages and {} s.\n\
             Strategy `{}` fails: {}\n\
             Reproduce: faultline run {} (replication 0 of seed {}; exits 1 on a broken guarantee or a model error)\n",
            self.original.index,
            self.original.faults.len(),
            self.original.stages.len(),
            self.original.duration_s,
            s.faults.len(),
            s.stages.len(),
            s.duration_s,
            self.strategy.label(),
            self.shrunk_failure,
            self.file_name(),
            s.seed,
        );
        if matches!(self.shrunk_failure, Failure::Nondeterministic) {
            header.push_str("Nondeterminism shows when the same run is repeated: run it twice and compare summary.csv.\n");
        }
        if let Some(sabotage) = self.sabotage {
            header.push_str(&format!(
                "The exploration ran with the deliberate defect {sabotage:?}, which no scenario file can set:\n\
                 without it this file should pass.\n"
            ));
        }
        s.render(&[self.strategy], &header)
    }
}

/// What an exploration found.
#[derive(Clone, Debug)]
pub struct Report {
    /// Cases generated.
    pub cases: u32,
    /// Runs checked (case × strategy, each run twice for determinism).
    pub runs: u64,
    /// Failures, in case order.
    pub findings: Vec<Finding>,
}

/// Checks one case under every strategy of `options`.
fn explore_case(options: &Options, index: u32) -> Vec<Finding> {
    let case = Case::generate(options.seed, index);
    let text = case.render(&options.strategies, "");
    let scenario = match crate::scenario::from_str(&text, Path::new("case.ron"), Path::new(".")) {
        Ok(s) => s,
        Err(e) => {
            // The generator made an invalid file: a defect of the explorer itself.
            let failure = Failure::Model(format!("the generated case is invalid: {e}"));
            return vec![Finding {
                strategy: options.strategies[0],
                original: case.clone(),
                failure: failure.clone(),
                shrunk: case,
                shrunk_failure: failure,
                sabotage: options.sabotage,
            }];
        }
    };
    let mut findings = Vec::new();
    for (v, &strategy) in options.strategies.iter().enumerate() {
        if let Err(failure) = oracle::check(&scenario, v, options.sabotage) {
            let (shrunk, shrunk_failure) =
                shrink::shrink(&case, strategy, &failure, options.sabotage);
            findings.push(Finding {
                strategy,
                original: case.clone(),
                failure,
                shrunk,
                shrunk_failure,
                sabotage: options.sabotage,
            });
        }
    }
    findings
}

/// Runs the exploration; `progress` is called once per finished case.
pub fn explore(options: &Options, progress: &(dyn Fn() + Sync)) -> Report {
    let run = |index: u32| {
        let f = explore_case(options, index);
        progress();
        f
    };
    let per_case: Vec<Vec<Finding>> = if options.threads <= 1 {
        (0..options.cases).map(run).collect()
    } else {
        rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .build()
            .expect("a thread pool of this size can be built")
            .install(|| (0..options.cases).into_par_iter().map(run).collect())
    };
    Report {
        cases: options.cases,
        runs: u64::from(options.cases) * options.strategies.len() as u64,
        findings: per_case.into_iter().flatten().collect(),
    }
}
