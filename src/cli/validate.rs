//! `faultline validate [--quick]`: run every validation check and write the report.

use std::path::PathBuf;

use super::CliError;
use crate::validate::{self, Mode, Setup};

/// Where a full run writes its report: the one committed under `results/validation/`.
const FULL_OUT: &str = "results/validation";
/// Where a quick run writes its report by default (ignored by git with the rest of
/// `results/`), so that it never overwrites the full one.
const QUICK_OUT: &str = "results/validation-quick";

/// Arguments of `validate`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  faultline validate            (full run: a few minutes; writes results/validation/report.md)\n  faultline validate --quick    (shorter runs, as the test suite does; writes results/validation-quick/)"
)]
pub struct Args {
    /// Shorter runs: the theory must still lie in each interval, whose width is not checked.
    #[arg(long)]
    pub quick: bool,
    /// Directory of the validation scenarios.
    #[arg(long, default_value = "scenarios/validation")]
    pub scenarios: PathBuf,
    /// Where `report.md` and the charts go (default: `results/validation`, or
    /// `results/validation-quick` with `--quick`, so a quick run never replaces the
    /// committed full report).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
}

/// Runs the checks, prints one line per check and fails (exit 1) if any failed.
pub fn run(args: Args) -> Result<(), CliError> {
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(if args.quick { QUICK_OUT } else { FULL_OUT }));
    let setup = Setup {
        scenarios: args.scenarios,
        out,
        mode: if args.quick { Mode::Quick } else { Mode::Full },
        threads: args
            .threads
            .map(|t| t as usize)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    };
    let started = std::time::Instant::now();
    let outcome = validate::run(&setup).map_err(CliError::Validate)?;
    for c in &outcome.checks {
        println!(
            "{}  {:<14} {}: theory {}, simulated {}",
            if c.passed { "pass" } else { "FAIL" },
            c.group.title().split_whitespace().next().unwrap_or(""),
            c.name,
            validate::sig(c.theory),
            validate::sig(c.measured.value()),
        );
    }
    let failed = outcome.failures();
    println!(
        "\n{} of {} checks passed in {:.1} s; report: {}",
        outcome.checks.len() - failed,
        outcome.checks.len(),
        started.elapsed().as_secs_f64(),
        setup.out.join("report.md").display()
    );
    if failed > 0 {
        return Err(CliError::ValidationFailed { failed });
    }
    Ok(())
}
