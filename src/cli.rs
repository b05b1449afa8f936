//! The command-line interface: clap types and one file per subcommand. Data goes to files,
//! tables to stdout, progress and errors to stderr.

pub(crate) mod check;
mod explore;
mod gate;
mod headline;
mod plot;
mod report;
mod run;
mod sweep;
mod validate;

use std::fmt;

use clap::{Parser, Subcommand};

pub use check::{is_sweep_file, ron_files};

use crate::experiment::{OutputError, ReplicationError};
use crate::plot::PlotError;
use crate::scenario::ScenarioError;

/// faultline command line.
#[derive(Parser, Debug)]
#[command(
    name = "faultline",
    version,
    about = "Discrete-event evaluation of fault-tolerant stream processing",
    after_help = "Examples:\n  faultline run scenarios/sensor-monitoring.ron\n  faultline check scenarios/\n  faultline plot results/sensor-monitoring/<run-id>\n  faultline validate --quick"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run every replication of a scenario and write `results/<name>/<run-id>/`.
    Run(run::Args),
    /// Check scenario files without running them and report every problem found.
    Check(check::Args),
    /// Redraw the charts of a results directory from its CSV files.
    Plot(plot::Args),
    /// Check every mechanism against theory and write `results/validation/report.md`
    /// (`--quick`: `results/validation-quick/report.md`).
    Validate(validate::Args),
    /// Run a parameter sweep (resumable, shardable) and write one tidy CSV and charts.
    Sweep(sweep::Args),
    /// Combine the outputs of a sweep's shards into the unsharded result.
    Merge(sweep::MergeArgs),
    /// Rerun a scenario and fail if a declared guarantee broke or a gated metric
    /// (availability, loss, p99 delay) regressed from a baseline.
    Gate(gate::Args),
    /// Check every strategy on random small systems under random fault mixes; shrink and
    /// write every failure as a reproducing scenario file.
    Explore(explore::Args),
}

/// Why a command failed; decides the exit code.
#[derive(Debug)]
pub enum CliError {
    /// A scenario could not be loaded (exit 2).
    Scenario(ScenarioError),
    /// Several scenario files failed `check` (exit 2); each was already reported.
    ChecksFailed {
        /// Files that failed.
        failed: usize,
        /// Files checked.
        total: usize,
    },
    /// Bad arguments that clap could not catch (exit 2).
    Usage(String),
    /// A replication failed (exit 1).
    Run(ReplicationError),
    /// Results could not be written (exit 1).
    Output(OutputError),
    /// Charts could not be drawn (exit 1), or the directory holds no results (exit 2).
    Plot(PlotError),
    /// Validation could not run: a scenario it needs is missing or invalid (exit 2), or a
    /// run or the report failed (exit 1).
    Validate(crate::validate::ValidateError),
    /// A sweep could not be loaded (exit 2) or run (exit 1).
    Sweep(crate::sweep::SweepError),
    /// The gate found gated metrics worse than their baseline (exit 1).
    Regression {
        /// Metrics that regressed.
        failed: usize,
    },
    /// The gate cannot compare with (or write) the baseline as asked (exit 2).
    GateRefused(crate::gate::Refusal),
    /// Validation ran and some checks failed (exit 1); the report says which.
    ValidationFailed {
        /// Checks that failed.
        failed: usize,
    },
    /// The explorer found failing cases (exit 1); their reproducers were written.
    ExploreFailed {
        /// Failing (case, strategy) pairs.
        findings: usize,
    },
    /// The run cannot fit its memory budget or output limit (exit 2); nothing was run.
    Budget(crate::experiment::BudgetError),
    /// Replications outgrew their memory budget and were stopped (exit 1); the report was
    /// printed and the partial results written.
    Overloaded {
        /// Replications stopped.
        stopped: usize,
        /// Where the partial results are.
        dir: std::path::PathBuf,
    },
    /// Episodes broke their strategy's declared guarantee: a simulator defect (exit 1). The
    /// violations were printed; the results were written.
    GuaranteeViolated {
        /// Episodes that broke their guarantee.
        violations: usize,
        /// How to rerun what failed.
        reproduce: String,
    },
}

impl CliError {
    /// 2 for invalid input or usage, 1 for a run that failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Scenario(_)
            | Self::ChecksFailed { .. }
            | Self::Usage(_)
            | Self::Budget(_)
            | Self::GateRefused(_)
            | Self::Validate(crate::validate::ValidateError::Scenario(..))
            | Self::Plot(PlotError::NoResults { .. }) => 2,
            Self::Sweep(e) => match e {
                crate::sweep::SweepError::File { .. }
                | crate::sweep::SweepError::Budget(_)
                | crate::sweep::SweepError::Scenario(_)
                | crate::sweep::SweepError::Usage(_)
                | crate::sweep::SweepError::Path { .. } => 2,
                _ => 1,
            },
            Self::Run(_)
            | Self::Output(_)
            | Self::Plot(_)
            | Self::Validate(_)
            | Self::ValidationFailed { .. }
            | Self::GuaranteeViolated { .. }
            | Self::ExploreFailed { .. }
            | Self::Overloaded { .. }
            | Self::Regression { .. } => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scenario(e) => e.fmt(f),
            Self::ChecksFailed { failed, total } => {
                write!(f, "{failed} of {total} scenario files are invalid")
            }
            Self::Usage(m) => f.write_str(m),
            Self::Run(e) => e.fmt(f),
            Self::Output(e) => e.fmt(f),
            Self::Plot(e) => e.fmt(f),
            Self::Validate(e) => e.fmt(f),
            Self::Sweep(e) => e.fmt(f),
            Self::Budget(e) => write!(f, "refused before running: {e}"),
            Self::Overloaded { stopped, dir } => write!(
                f,
                "{stopped} replication(s) outgrew the memory budget and were stopped; partial \
                 results and overload.txt are in {}",
                dir.display()
            ),
            Self::Regression { failed } => {
                write!(
                    f,
                    "{failed} gated metric(s) regressed beyond the statistical tolerance"
                )
            }
            Self::GateRefused(r) => write!(f, "the gate refuses: {r}"),
            Self::ValidationFailed { failed } => {
                write!(f, "{failed} validation checks failed; see the report")
            }
            Self::ExploreFailed { findings } => write!(
                f,
                "the explorer found {findings} failing case(s); each reproducer's header says what failed"
            ),
            Self::GuaranteeViolated {
                violations,
                reproduce,
            } => write!(
                f,
                "{violations} recovery episode(s) broke their strategy's declared guarantee \
                 (a simulator defect; please report it with the reproduction): {reproduce}"
            ),
        }
    }
}

impl std::error::Error for CliError {}

impl From<ScenarioError> for CliError {
    fn from(e: ScenarioError) -> Self {
        Self::Scenario(e)
    }
}

impl From<PlotError> for CliError {
    fn from(e: PlotError) -> Self {
        Self::Plot(e)
    }
}

/// Prints the scenario's warnings (valid, probably unintended) to stderr, one per line.
pub(crate) fn print_warnings(path: &std::path::Path, scenario: &crate::scenario::Scenario) {
    for w in &scenario.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Gate(args) => gate::run(args),
        Command::Explore(args) => explore::run(args),
    }
}
