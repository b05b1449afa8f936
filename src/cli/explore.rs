//! `faultline explore`: the randomized fault-schedule explorer, with a progress bar; every
//! failure is shrunk and written as a scenario file that reproduces it.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use super::CliError;
use crate::explore::{self, Options, StrategyKind};

/// Arguments of `explore`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  faultline explore --cases 500\n  \
faultline explore --cases 200 --seed 7 --strategy passive --strategy active\n\n\
Strategies: checkpoint-global, checkpoint-local, active, passive, passive-continuous,\n\
upstream-backup, restart-only. Each failure is written to DIR/explore-<seed>/case-<i>-<strategy>.ron\n\
(shrunk; its header says what failed and how to reproduce it); exit 1 if any.")]
pub struct Args {
    /// Random cases to generate.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub cases: u32,
    /// Seed of the exploration (the same seed explores the same cases).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Strategy to check (repeatable; default: all).
    #[arg(long = "strategy", value_parser = parse_strategy)]
    pub strategies: Vec<StrategyKind>,
    /// Where reproducers of failures go.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Worker threads (default: all cores). Findings do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
}

fn parse_strategy(s: &str) -> Result<StrategyKind, String> {
    StrategyKind::parse(s).ok_or_else(|| {
        let names: Vec<&str> = StrategyKind::ALL.iter().map(|k| k.label()).collect();
        format!(
            "unknown strategy {s:?}; expected one of {}",
            names.join(", ")
        )
    })
}

/// Explores, writes reproducers and fails (exit 1) if anything failed.
pub fn run(args: Args) -> Result<(), CliError> {
    let mut strategies = args.strategies;
    if strategies.is_empty() {
        strategies = StrategyKind::ALL.to_vec();
    }
    strategies.sort();
    strategies.dedup();
    let threads = args
        .threads
        .map(|t| t as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = Options {
        cases: args.cases,
        seed: args.seed,
        strategies,
        sabotage: None,
        threads,
    };
    let bar = ProgressBar::new(u64::from(args.cases));
    bar.set_style(
        ProgressStyle::with_template("explore [{bar:30}] {pos}/{len} cases, eta {eta}")
            .expect("constant template is valid")
            .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let report = explore::explore(&options, &|| bar.inc(1));
    bar.finish_and_clear();
    println!(
        "explored {} cases × {} strategies ({} runs, each twice) in {:.1} s, seed {}: {} failure(s)",
        report.cases,
        options.strategies.len(),
        report.runs,
        started.elapsed().as_secs_f64(),
        options.seed,
        report.findings.len()
    );
    if report.findings.is_empty() {
        return Ok(());
    }
    let dir = args.out.join(format!("explore-{}", options.seed));
    std::fs::create_dir_all(&dir).map_err(|source| {
        CliError::Output(crate::experiment::OutputError {
            path: dir.clone(),
            source,
        })
    })?;
    for f in &report.findings {
        let path = dir.join(f.file_name());
        std::fs::write(&path, f.reproducer(options.seed)).map_err(|source| {
            CliError::Output(crate::experiment::OutputError {
                path: path.clone(),
                source,
            })
        })?;
        println!(
            "  case {:>5} {:<19} {} ({} faults, {} stages after shrinking): {}",
            f.original.index,
            f.strategy.label(),
            f.shrunk_failure.kind(),
            f.shrunk.faults.len(),
            f.shrunk.stages.len(),
            path.display()
        );
    }
    Err(CliError::ExploreFailed {
        findings: report.findings.len(),
    })
}
