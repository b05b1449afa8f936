//! `faultline sweep FILE` and `faultline merge`: parameter sweeps that resume and shard.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CliError;
use crate::sweep::{self, Shard};

/// Arguments of `sweep`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  faultline sweep scenarios/sweeps/availability-vs-mttf.ron\n  faultline sweep FILE --resume                (after an interruption: computes only what is missing)\n  faultline sweep FILE --shard 0/4 --out results/sweeps/shard0\n  faultline merge FILE results/sweeps/shard0 results/sweeps/shard1 --out results/sweeps/merged"
)]
pub struct Args {
    /// The sweep file.
    pub file: PathBuf,
    /// Output directory (default: results/sweeps/<name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue a sweep whose output directory already holds some points.
    #[arg(long)]
    pub resume: bool,
    /// Run only shard i of N (points k with k mod N = i), e.g. `--shard 0/4`.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Worker threads for each point's replications (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Arguments of `merge`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  faultline merge scenarios/sweeps/checkpoint-interval.ron shard0/ shard1/ --out merged/"
)]
pub struct MergeArgs {
    /// The sweep file the shards ran.
    pub file: PathBuf,
    /// Shard output directories.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged result goes.
    #[arg(long)]
    pub out: PathBuf,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}`: expected i/N, e.g. 0/4"))?;
    let index: u32 = i
        .parse()
        .map_err(|_| format!("`{i}` is not a shard index"))?;
    let count: u32 = n
        .parse()
        .map_err(|_| format!("`{n}` is not a shard count"))?;
    if count == 0 || index >= count {
        return Err(format!("shard {index}/{count}: need 0 ≤ i < N"));
    }
    Ok(Shard { index, count })
}

/// Runs a sweep (or one shard of it).
pub fn run(args: Args) -> Result<(), CliError> {
    let sweep = sweep::load(&args.file).map_err(CliError::Sweep)?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("results/sweeps").join(&sweep.name));
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mine = (0..sweep.points.len())
        .filter(|&k| args.shard.is_none_or(|s| s.owns(k)))
        .count();
    let bar = ProgressBar::with_draw_target(
        Some(mine as u64),
        if args.quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} points, elapsed {elapsed}, eta {eta}",
        )
        .expect("constant template is valid")
        .progress_chars("=> "),
    );
    bar.set_message(sweep.name.clone());
    let started = Instant::now();
    let skipped = AtomicUsize::new(0);
    let done = |_k: usize, ran: bool| {
        if !ran {
            skipped.fetch_add(1, Ordering::Relaxed);
        }
        bar.inc(1);
    };
    let computed = sweep::run(&sweep, &out, args.shard, args.resume, threads, &done)
        .map_err(CliError::Sweep)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{}: {computed} point(s) computed, {} already present, {:.1} s ({:.2} points/s); results: {}",
        sweep.name,
        skipped.load(Ordering::Relaxed),
        wall,
        computed as f64 / wall.max(1e-9),
        out.display()
    );
    if out.join("sweep.csv").exists() {
        println!("sweep.csv and plots/ written (every point present)");
    }
    Ok(())
}

/// Merges shard outputs.
pub fn merge(args: MergeArgs) -> Result<(), CliError> {
    let sweep = sweep::load(&args.file).map_err(CliError::Sweep)?;
    let copied = sweep::merge(&sweep, &args.dirs, &args.out).map_err(CliError::Sweep)?;
    println!(
        "merged {copied} point(s) into {}; sweep.csv and plots/ written",
        args.out.display()
    );
    Ok(())
}
