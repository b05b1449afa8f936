//! `faultline run SCENARIO`: run the replications and write the results directory.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CliError;
use crate::experiment::{self, MetricSummary};
use crate::scenario;
use crate::sim::SimDuration;

/// Arguments of `run`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  faultline run scenarios/sensor-monitoring.ron --replications 20 --seed 7\n\n\
Writes results/<scenario>/<run-id>/ with manifest.json, scenario.ron (resolved, rerunnable),\n\
summary.csv, replications.csv, timeseries.csv and delay_cdf.csv."
)]
pub struct Args {
    /// Scenario file (RON).
    pub scenario: PathBuf,
    /// Replications to run (overrides the file; at least 2).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..))]
    pub replications: Option<u32>,
    /// Master seed (overrides the file; drawn at random and printed if neither sets one).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Results root directory.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Do not show a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the scenario and writes its results.
pub fn run(args: Args) -> Result<(), CliError> {
    let mut scenario = scenario::load(&args.scenario)?;
    if let Some(r) = args.replications {
        scenario.set_replications(r);
    }
    let seed = match args.seed.or(scenario.seed) {
        Some(s) => s,
        None => {
            let s = rand::random::<u64>();
            eprintln!("no seed given; using --seed {s}");
            s
        }
    };
    scenario.set_seed(seed);
    let threads = args.threads.map(|t| t as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });

    let total_ns = scenario.metrics.end.as_nanos() * u64::from(scenario.replications);
    let bar = ProgressBar::with_draw_target(Some(total_ns), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {percent:>3}% elapsed {elapsed} eta {eta}",
        )
        .expect("constant template is valid")
        .progress_chars("=> "),
    );
    bar.set_message(format!(
        "{} × {} replications",
        scenario.name, scenario.replications
    ));
    let started = Instant::now();
    // Show the bar only for runs longer than about a second.
    let shown = Mutex::new(args.quiet);
    let progress = |d: SimDuration| {
        bar.inc(d.as_nanos());
        if started.elapsed() > Duration::from_secs(1) {
            let mut shown = shown.lock().expect("progress lock is never poisoned");
            if !*shown {
                *shown = true;
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
        }
    };
    let started_utc = experiment::output_utc_now();
    let result = experiment::run(&scenario, seed, threads, &progress).map_err(CliError::Run)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let command_line = std::env::args().collect::<Vec<_>>().join(" ");
    let manifest = experiment::manifest(&result, &command_line, threads, started_utc, wall);
    let dir = experiment::write_results(&result, &args.out, &manifest).map_err(CliError::Output)?;

    print_table(&result);
    println!(
        "\n{} replications, seed {seed}, {:.1} s wall, {:.2} M kernel events/s\nresults: {}",
        scenario.replications,
        wall,
        result.kernel_events as f64 / wall / 1e6,
        dir.display()
    );
    Ok(())
}

/// Prints every metric of every cell with its confidence interval.
fn print_table(result: &experiment::RunResult) {
    let level = result.scenario.confidence;
    for cell in &result.cells {
        let rows: Vec<MetricSummary> = cell.summarise(level);
        let width = rows.iter().map(|m| m.name.len()).max().unwrap_or(6).max(6);
        println!(
            "{}  ({} replications, {:.0}% confidence intervals)",
            result.scenario.name,
            cell.replications.len(),
            level * 100.0
        );
        println!("{:<width$}  {:>14}  {:>31}", "metric", "mean", "interval");
        for m in rows {
            match m.interval {
                Some(i) => println!(
                    "{:<width$}  {:>14}  [{:>14}, {:>14}]",
                    m.name,
                    fmt_sig(i.mean),
                    fmt_sig(i.low),
                    fmt_sig(i.high)
                ),
                None => println!("{:<width$}  {:>14}  {:>31}", m.name, "—", "undefined"),
            }
        }
    }
}

/// Six significant digits, without scientific notation for everyday magnitudes.
fn fmt_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-4..9).contains(&magnitude) {
        let decimals = (5 - magnitude).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.5e}")
    }
}
