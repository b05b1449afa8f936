//! `faultline gate SCENARIO --baseline FILE [--update]`: the availability regression gate.

use std::path::PathBuf;

use super::CliError;
use crate::gate::{self, Baseline, DEFAULT_METRICS};
use crate::{experiment, scenario};

/// Arguments of `gate`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  faultline gate scenarios/sensor-monitoring.ron --baseline results/baselines/sensor-monitoring.json\n  faultline gate scenarios/sensor-monitoring.ron --baseline results/baselines/sensor-monitoring.json --update"
)]
pub struct Args {
    /// The scenario to rerun.
    pub scenario: PathBuf,
    /// The baseline JSON file.
    #[arg(long)]
    pub baseline: PathBuf,
    /// Rewrite the baseline from this run instead of comparing.
    #[arg(long)]
    pub update: bool,
    /// Master seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// With --update: also gate this metric of summary.csv, as NAME=higher or NAME=lower
    /// (which direction is better); repeatable.
    #[arg(long = "metric", value_parser = parse_metric)]
    pub metrics: Vec<(String, bool)>,
}

fn parse_metric(s: &str) -> Result<(String, bool), String> {
    match s.rsplit_once('=') {
        Some((name, "higher")) if !name.is_empty() => Ok((name.to_string(), true)),
        Some((name, "lower")) if !name.is_empty() => Ok((name.to_string(), false)),
        _ => Err(format!(
            "{s:?}: expected NAME=higher or NAME=lower, e.g. delay_p99_ms=lower"
        )),
    }
}

/// What the gate does once the scenario has run.
enum Plan {
    /// Write the baseline, keeping the metrics of the existing one if any.
    Update(Option<Baseline>),
    /// Compare with this baseline.
    Compare(Baseline),
}

/// Reruns the scenario and compares (or updates) the baseline; exit 1 on a regression, exit 2
/// when the gate refuses the comparison (see [`gate::Refusal`]).
pub fn run(args: Args) -> Result<(), CliError> {
    let scenario = scenario::load(&args.scenario)?;
    // Everything that can be refused without a run is refused before one.
    let plan = if args.update {
        Plan::Update(gate::read(&args.baseline).map_err(CliError::GateRefused)?)
    } else {
        let baseline = gate::load(&args.baseline).map_err(CliError::GateRefused)?;
        gate::check_rerun(&baseline, &scenario).map_err(CliError::GateRefused)?;
        Plan::Compare(baseline)
    };
    let seed = args.seed.or(scenario.seed).unwrap_or(1);
    // The rerun is bounded like `run`: a gated scenario that overloads ends with a report,
    // never with a baseline or a verdict drawn from replications stopped early.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let budget = crate::memory::Budget::machine();
    let fit = experiment::plan(&scenario, budget, cores).map_err(CliError::Budget)?;
    let threads = args
        .threads
        .map_or(fit.parallel, |t| t as usize)
        .min(fit.parallel);
    let result = experiment::run_within(&scenario, seed, threads, Some(fit.stop_line), &|_| {})
        .map_err(CliError::Run)?;
    if !result.stopped.is_empty() {
        eprint!("{}", experiment::budget::overload_report(&result));
        return Err(CliError::Usage(format!(
            "{}: {} replication(s) outgrew the memory budget; the gate compares only complete \
             runs",
            args.scenario.display(),
            result.stopped.len()
        )));
    }
    // Declared guarantees are always gated: a broken one is a defect whatever the metrics say,
    // and no baseline is written from such a run.
    let violations: Vec<experiment::Violation> = result
        .semantics()
        .into_iter()
        .flat_map(|c| c.violations)
        .collect();
    if !violations.is_empty() {
        for v in violations.iter().take(10) {
            println!("VIOLATION {v}");
        }
        return Err(CliError::GuaranteeViolated {
            violations: violations.len(),
            reproduce: format!("faultline run {} --seed {seed}", args.scenario.display()),
        });
    }
    let baseline = match plan {
        Plan::Update(existing) => return update(&args, existing.as_ref(), &result, seed),
        Plan::Compare(baseline) => baseline,
    };
    let rows = gate::compare(&baseline, &result).map_err(CliError::GateRefused)?;
    println!(
        "{:<18} {:<22} {:>22} {:>22} {:>11} {:>10}  verdict",
        "variant", "metric", "baseline", "now", "worse by", "tolerance"
    );
    for r in &rows {
        println!(
            "{:<18} {:<22} {:>22} {:>22} {:>11.3e} {:>10.3e}  {}",
            r.baseline.variant,
            r.baseline.metric,
            format!("{:.5} ± {:.5}", r.baseline.mean, r.baseline.half_width),
            format!("{:.5} ± {:.5}", r.mean, r.half_width),
            r.worse_by,
            r.tolerance,
            if r.passed { "ok" } else { "REGRESSION" }
        );
    }
    let failed = rows.iter().filter(|r| !r.passed).count();
    println!(
        "\n{} of {} gated metrics within tolerance (seed {seed}; baseline seed {})",
        rows.len() - failed,
        rows.len(),
        baseline.seed
    );
    if failed > 0 {
        return Err(CliError::Regression { failed });
    }
    Ok(())
}

/// `--update`: writes the baseline from this run, gating what the old one gated (availability
/// when there is none, or it gated nothing) plus every `--metric`.
fn update(
    args: &Args,
    existing: Option<&Baseline>,
    result: &experiment::RunResult,
    seed: u64,
) -> Result<(), CliError> {
    let kept: Vec<(String, bool)> = match existing {
        Some(b) if !b.metrics.is_empty() => b
            .metrics
            .iter()
            .map(|g| (g.metric.clone(), g.higher_is_better))
            .collect(),
        _ => DEFAULT_METRICS
            .iter()
            .map(|m| (m.to_string(), true))
            .collect(),
    };
    // Once each, in first-seen order (the baseline lists them per variant).
    let metrics: Vec<(String, bool)> =
        kept.into_iter()
            .chain(args.metrics.iter().cloned())
            .fold(Vec::new(), |mut acc, m| {
                if !acc.iter().any(|(name, _)| *name == m.0) {
                    acc.push(m);
                }
                acc
            });
    let baseline = gate::baseline(result, &metrics).map_err(CliError::GateRefused)?;
    let text = serde_json::to_string_pretty(&baseline).expect("baselines serialise") + "\n";
    std::fs::write(&args.baseline, text)
        .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", args.baseline.display())))?;
    println!(
        "baseline {} written: {} gated metric(s), seed {seed}",
        args.baseline.display(),
        baseline.metrics.len()
    );
    Ok(())
}
