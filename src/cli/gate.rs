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
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Reruns the scenario and compares (or updates) the baseline; exit 1 on a regression.
pub fn run(args: Args) -> Result<(), CliError> {
    let scenario = scenario::load(&args.scenario)?;
    let seed = args.seed.or(scenario.seed).unwrap_or(1);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let result = experiment::run(&scenario, seed, threads, &|_| {}).map_err(CliError::Run)?;
    let existing: Option<Baseline> = std::fs::read_to_string(&args.baseline)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    if args.update {
        // Keep the metrics the baseline gates; default to availability.
        let metrics: Vec<(String, bool)> = match &existing {
            Some(b) => {
                let mut m: Vec<(String, bool)> = b
                    .metrics
                    .iter()
                    .map(|g| (g.metric.clone(), g.higher_is_better))
                    .collect();
                m.dedup();
                m
            }
            None => DEFAULT_METRICS
                .iter()
                .map(|m| (m.to_string(), true))
                .collect(),
        };
        let baseline = gate::baseline(&result, &metrics);
        let text = serde_json::to_string_pretty(&baseline).expect("baselines serialise") + "\n";
        std::fs::write(&args.baseline, text).map_err(|e| {
            CliError::Usage(format!("cannot write {}: {e}", args.baseline.display()))
        })?;
        println!(
            "baseline {} written: {} gated metric(s), seed {seed}",
            args.baseline.display(),
            baseline.metrics.len()
        );
        return Ok(());
    }
    let baseline = existing.ok_or_else(|| {
        CliError::Usage(format!(
            "{} is missing or not a baseline; create it with --update",
            args.baseline.display()
        ))
    })?;
    let rows = gate::compare(&baseline, &result);
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
