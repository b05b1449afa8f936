//! Experiments: replications of a scenario run in parallel, aggregated into confidence
//! intervals, and written as a results directory.
//!
//! Replication `r` of a run with master seed `S` draws every random number from streams
//! seeded by `derive_seed(S, r, stream, index)`, so it can be rerun alone and gives the same
//! numbers whatever the thread count. Rayon's indexed `collect` keeps replication order, and
//! every sum runs in that order, so the summary files are byte-identical with 1 or N threads.

pub mod budget;
pub mod output;
pub mod semantics;

use std::fmt;

use rayon::prelude::*;

pub use budget::{BudgetError, Estimate, Plan, StageLoad, estimate, plan};
pub use output::{OutputError, RunManifest, manifest, utc_now as output_utc_now, write_results};
pub use semantics::{ConditionCheck, SemanticsCheck, Violation, target_name};

use crate::metrics::ReplicationSummary;
use crate::scenario::Scenario;
use crate::sim::SimDuration;
use crate::stats::{Interval, t_interval};
use crate::world::{Overload, SimError, Trace, TraceKinds, run_replication_traced};

/// Results of every replication of one configuration (a cell; one per variant from the
/// fault-tolerance work on).
#[derive(Clone, Debug)]
pub struct CellResult {
    /// Label of the cell, `[a-z0-9-]`.
    pub label: String,
    /// Per-replication summaries, in replication order.
    pub replications: Vec<ReplicationSummary>,
}

/// One metric aggregated across replications.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSummary {
    /// Metric name (see `metrics`).
    pub name: String,
    /// Mean and confidence interval over the replications where the metric is defined;
    /// `None` when fewer than two are.
    pub interval: Option<Interval>,
}

impl CellResult {
    /// Values of metric `name` in replication order.
    pub fn values(&self, name: &str) -> Vec<f64> {
        self.replications
            .iter()
            .filter_map(|r| r.metric(name))
            .collect()
    }

    /// Every metric with its interval at `level`, in the order replications report them.
    pub fn summarise(&self, level: f64) -> Vec<MetricSummary> {
        let Some(first) = self.replications.first() else {
            return Vec::new();
        };
        first
            .metrics
            .iter()
            .map(|(name, _)| {
                let finite: Vec<f64> = self
                    .values(name)
                    .into_iter()
                    .filter(|v| v.is_finite())
                    .collect();
                MetricSummary {
                    name: name.clone(),
                    interval: t_interval(&finite, level).ok(),
                }
            })
            .collect()
    }

    /// The interval of metric `name` at `level`, if defined.
    pub fn interval(&self, name: &str, level: f64) -> Option<Interval> {
        let finite: Vec<f64> = self
            .values(name)
            .into_iter()
            .filter(|v| v.is_finite())
            .collect();
        t_interval(&finite, level).ok()
    }
}

/// Everything one `run` produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The scenario as run (seed and replications resolved).
    pub scenario: Scenario,
    /// The master seed.
    pub seed: u64,
    /// One cell per configuration.
    pub cells: Vec<CellResult>,
    /// Kernel events processed over all replications.
    pub kernel_events: u64,
    /// Replications stopped before their end because they outgrew their memory budget, in
    /// (variant, replication) order. Their metrics cover the window up to the stop.
    pub stopped: Vec<Stopped>,
    /// Event traces of the runs chosen by a [`TracePlan`], in (variant, run) order.
    pub traces: Vec<TracedRun>,
}

/// Which runs to trace, and what to write of them.
#[derive(Clone, Debug, PartialEq)]
pub struct TracePlan {
    /// Run (replication) numbers.
    pub runs: Vec<u32>,
    /// Variant indices.
    pub variants: Vec<usize>,
    /// Kinds of kernel event written (state-changing events always are).
    pub kinds: TraceKinds,
}

impl TracePlan {
    fn covers(&self, variant: usize, run: u32) -> bool {
        self.runs.contains(&run) && self.variants.contains(&variant)
    }
}

/// The trace of one run of one variant.
#[derive(Clone, Debug)]
pub struct TracedRun {
    /// Variant index.
    pub variant: usize,
    /// Run (replication) number.
    pub run: u32,
    /// Its rows.
    pub trace: Trace,
}

/// A replication stopped by its memory budget.
#[derive(Clone, Debug, PartialEq)]
pub struct Stopped {
    /// Variant label.
    pub variant: String,
    /// Replication number.
    pub replication: u32,
    /// What grew.
    pub overload: Overload,
}

/// A replication that failed; rerun it alone with the seed and replication shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicationError {
    /// Which variant.
    pub variant: String,
    /// Which replication.
    pub replication: u32,
    /// The master seed.
    pub seed: u64,
    /// What went wrong.
    pub source: SimError,
}

impl fmt::Display for ReplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "variant {} replication {} failed: {} (reproduce: --seed {} --replications {})",
            self.variant,
            self.replication,
            self.source,
            self.seed,
            self.replication + 1
        )
    }
}

impl std::error::Error for ReplicationError {}

/// Runs every replication of every variant of `scenario` with master seed `seed` on
/// `threads` threads, with no memory budget. `progress` receives simulated time covered, for
/// progress bars only.
///
/// Replication r of every variant uses the same seeds, so variants meet the same workload and
/// faults (common random numbers) and their differences can be paired.
pub fn run(
    scenario: &Scenario,
    seed: u64,
    threads: usize,
    progress: &(dyn Fn(SimDuration) + Sync),
) -> Result<RunResult, ReplicationError> {
    run_within(scenario, seed, threads, None, progress)
}

/// [`run`], stopping each replication that holds more than `stop_line` bytes of heap (see
/// [`budget::plan`]); the stopped ones are listed in [`RunResult::stopped`].
pub fn run_within(
    scenario: &Scenario,
    seed: u64,
    threads: usize,
    stop_line: Option<u64>,
    progress: &(dyn Fn(SimDuration) + Sync),
) -> Result<RunResult, ReplicationError> {
    run_traced(scenario, seed, threads, stop_line, None, progress)
}

/// [`run_within`], tracing the runs `trace` chooses (see [`crate::world::Trace`]); the
/// results are those of the untraced run.
pub fn run_traced(
    scenario: &Scenario,
    seed: u64,
    threads: usize,
    stop_line: Option<u64>,
    trace: Option<&TracePlan>,
    progress: &(dyn Fn(SimDuration) + Sync),
) -> Result<RunResult, ReplicationError> {
    // One thread runs in the caller's thread: no pool, so a caller that is itself a pool
    // worker does not spin waiting on a nested pool.
    if threads <= 1 {
        let results = (0..job_count(scenario))
            .map(|job| run_job(scenario, seed, job, stop_line, trace, progress))
            .collect::<Result<_, _>>()?;
        return Ok(assemble(scenario, seed, results));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool of this size can be built")
        .install(|| run_in_current_pool(scenario, seed, stop_line, trace, progress))
}

/// [`run_traced`] on the rayon pool the caller runs in (the global pool outside any), for a
/// caller that runs several experiments at once on one pool of its own (`validate`).
pub fn run_in_current_pool(
    scenario: &Scenario,
    seed: u64,
    stop_line: Option<u64>,
    trace: Option<&TracePlan>,
    progress: &(dyn Fn(SimDuration) + Sync),
) -> Result<RunResult, ReplicationError> {
    // One flat, indexed job list: rayon's collect keeps the order (variant, replication).
    let results = (0..job_count(scenario))
        .into_par_iter()
        .map(|job| run_job(scenario, seed, job, stop_line, trace, progress))
        .collect::<Result<_, _>>()?;
    Ok(assemble(scenario, seed, results))
}

/// What one job (one replication of one variant) produced: its summary, the overload that
/// stopped it if one did, and its trace if it was traced.
pub type JobOutput = (ReplicationSummary, Option<Overload>, Option<Trace>);

/// The jobs of a run of `scenario`: one per variant and replication, numbered variant-major
/// (job `v · replications + r` is replication `r` of variant `v`).
pub fn job_count(scenario: &Scenario) -> u32 {
    scenario.variants.len() as u32 * scenario.replications
}

/// Runs job `job` of `scenario` (see [`job_count`]) with master seed `seed`. Its result
/// depends on the scenario, the seed and the job number alone, so jobs can run in any order
/// on any thread; [`assemble`] puts them together.
pub fn run_job(
    scenario: &Scenario,
    seed: u64,
    job: u32,
    stop_line: Option<u64>,
    trace: Option<&TracePlan>,
    progress: &(dyn Fn(SimDuration) + Sync),
) -> Result<JobOutput, ReplicationError> {
    let reps = scenario.replications;
    let (v, r) = ((job / reps) as usize, job % reps);
    let kinds = trace.filter(|t| t.covers(v, r)).map(|t| t.kinds);
    run_replication_traced(scenario, v, seed, r, stop_line, kinds, progress).map_err(|source| {
        ReplicationError {
            variant: scenario.variants[v].label.clone(),
            replication: r,
            seed,
            source,
        }
    })
}

/// The [`RunResult`] of `scenario` run with master seed `seed`, from every job's output in
/// job order (see [`job_count`]). Every sum runs in that order, so the result does not
/// depend on the order the jobs ran in.
pub fn assemble(scenario: &Scenario, seed: u64, results: Vec<JobOutput>) -> RunResult {
    let reps = scenario.replications;
    assert_eq!(
        results.len(),
        job_count(scenario) as usize,
        "a run is assembled from every one of its jobs"
    );
    let kernel_events = results.iter().map(|r| r.0.kernel_events).sum();
    let mut stopped = Vec::new();
    let mut traces = Vec::new();
    let mut summaries = Vec::with_capacity(results.len());
    for (job, (summary, overload, trace)) in results.into_iter().enumerate() {
        let (v, r) = (job / reps as usize, job as u32 % reps);
        if let Some(trace) = trace {
            traces.push(TracedRun {
                variant: v,
                run: r,
                trace,
            });
        }
        if let Some(overload) = overload {
            stopped.push(Stopped {
                variant: scenario.variants[v].label.clone(),
                replication: r,
                overload,
            });
        }
        summaries.push(summary);
    }
    let mut results = summaries.into_iter();
    let cells = scenario
        .variants
        .iter()
        .map(|v| CellResult {
            label: v.label.clone(),
            replications: results.by_ref().take(reps as usize).collect(),
        })
        .collect();
    let mut scenario = scenario.clone();
    scenario.set_seed(seed);
    RunResult {
        scenario,
        seed,
        cells,
        kernel_events,
        stopped,
        traces,
    }
}

/// The paired difference of one metric between a variant and the first (reference) variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Metric name.
    pub metric: String,
    /// The variant compared.
    pub variant: String,
    /// The reference variant.
    pub reference: String,
    /// Interval of the per-replication difference (variant − reference); `None` when fewer
    /// than two replications define the metric in both.
    pub difference: Option<Interval>,
}

impl Comparison {
    /// Whether the interval of the difference excludes zero.
    pub fn is_significant(&self) -> bool {
        self.difference.is_some_and(|d| d.low > 0.0 || d.high < 0.0)
    }
}

impl RunResult {
    /// Paired differences of every metric of every variant against the first variant, at
    /// `level`. Replication i of both used the same seeds, so pairing removes the variance
    /// they share.
    pub fn compare(&self, level: f64) -> Vec<Comparison> {
        let Some(reference) = self.cells.first() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for cell in &self.cells[1..] {
            for m in reference.summarise(level) {
                let pairs: Vec<(f64, f64)> = reference
                    .replications
                    .iter()
                    .zip(&cell.replications)
                    .filter_map(|(a, b)| Some((a.metric(&m.name)?, b.metric(&m.name)?)))
                    .filter(|(a, b)| a.is_finite() && b.is_finite())
                    .collect();
                let (a, b): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
                out.push(Comparison {
                    metric: m.name.clone(),
                    variant: cell.label.clone(),
                    reference: reference.label.clone(),
                    difference: crate::stats::paired_difference(&a, &b, level).ok(),
                });
            }
        }
        out
    }
}
