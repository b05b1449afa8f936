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
    /// Worker threads, each running one replication of one variant of one point at a time
    /// (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Memory the sweep may use, e.g. 4G (default: 3/4 of this machine's memory limit). Each
    /// core gets an equal share, for the replication it runs and the finished replications
    /// of that replication's point; a point whose replications outgrow it is stopped and
    /// reported, and a point that cannot fit is refused before anything runs.
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_size)]
    pub max_memory: Option<u64>,
    /// Instead of running, write a Slurm job-array script running N shards (one array task
    /// each, with --resume so a requeued task continues) and a dependent merge job, into
    /// `<out>/slurm/`; submit them with `bash <out>/slurm/submit.sh`.
    #[arg(long, value_name = "N")]
    pub emit_slurm: Option<u32>,
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
    if let Some(n) = args.emit_slurm {
        let dir = emit_slurm(&args.file, &sweep.name, &out, n)?;
        println!(
            "Slurm scripts for {n} shards written to {}; submit with: bash {}",
            dir.display(),
            dir.join("submit.sh").display()
        );
        return Ok(());
    }
    // A regular file as --out fails now, not after the first point.
    if out.exists() && !out.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {}: it is a file, not a directory; give --out a directory",
            out.display()
        )));
    }
    for stale in crate::experiment::output::stale_partials(&out.join("points")) {
        eprintln!(
            "note: {} is left over from a killed run; it holds no complete point and will \
             not be used: delete it (rm -r)",
            stale.display()
        );
    }
    // One run per core at most: each run's share of the budget is per core.
    let cores = sweep::cores();
    let threads = match args.threads.map(|t| t as usize) {
        Some(t) if t > cores => {
            eprintln!(
                "note: --threads {t} lowered to {cores}: each run's memory share assumes at \
                 most one run per core (results do not depend on the thread count)"
            );
            cores
        }
        Some(t) => t,
        None => cores,
    };
    let budget = args
        .max_memory
        .map_or_else(crate::memory::Budget::machine, crate::memory::Budget::given);
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
    let computed = sweep::run(
        &sweep,
        &out,
        args.shard,
        args.resume,
        threads,
        Some(budget),
        &done,
    )
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
        println!("sweep.csv, semantics.csv and plots/ written (every point present)");
        print_headline(&sweep, &out);
    }
    check_semantics(&sweep, &out, &args.file)
}

/// Prints the key metrics per point of a complete sweep (see [`sweep::headline`]).
fn print_headline(sweep: &sweep::Sweep, out: &std::path::Path) {
    let path = out.join("sweep.csv");
    let Ok(csv) = crate::scenario::read_input(&path, crate::scenario::MAX_CSV_BYTES) else {
        return;
    };
    if let Some(table) = sweep::headline::headline(sweep, &csv) {
        println!("\n{table}");
    }
}

/// Prints every broken guarantee of the sweep's points and fails (exit 1) if there is one.
fn check_semantics(
    sweep: &sweep::Sweep,
    out: &std::path::Path,
    file: &std::path::Path,
) -> Result<(), CliError> {
    let violations = sweep::violations(sweep, out);
    if violations.is_empty() {
        return Ok(());
    }
    println!(
        "\nbroken guarantees (a simulator defect; each point's semantics.csv and the sweep's semantics.csv list them):"
    );
    for v in &violations {
        println!("  {v}");
    }
    Err(CliError::GuaranteeViolated {
        violations: violations.len(),
        reproduce: format!(
            "rerun the point with `faultline sweep {} --out DIR` and look at points/pNNNN/semantics.csv",
            file.display()
        ),
    })
}

/// Merges shard outputs.
pub fn merge(args: MergeArgs) -> Result<(), CliError> {
    let sweep = sweep::load(&args.file).map_err(CliError::Sweep)?;
    let copied = sweep::merge(&sweep, &args.dirs, &args.out).map_err(CliError::Sweep)?;
    println!(
        "merged {copied} point(s) into {}; sweep.csv, semantics.csv and plots/ written",
        args.out.display()
    );
    print_headline(&sweep, &args.out);
    check_semantics(&sweep, &args.out, &args.file)
}

/// Writes `array.sbatch` (N array tasks, one shard each, requeue-safe through `--resume`),
/// `merge.sbatch` (merges the shards into `out`) and `submit.sh` (submits the array, then the
/// merge with `--dependency=afterok`) into `out/slurm/`. Paths are absolute, so the jobs run
/// from any directory on a shared file system.
fn emit_slurm(
    file: &std::path::Path,
    name: &str,
    out: &std::path::Path,
    n: u32,
) -> Result<PathBuf, CliError> {
    if n == 0 {
        return Err(CliError::Usage(
            "--emit-slurm needs at least 1 shard".to_string(),
        ));
    }
    let abs = |p: &std::path::Path| -> Result<PathBuf, CliError> {
        std::path::absolute(p).map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))
    };
    let (file, out) = (abs(file)?, abs(out)?);
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Usage(format!("cannot locate the faultline binary: {e}")))?;
    let dir = out.join("slurm");
    // `#SBATCH` lines are read by sbatch, not by a shell, so values there cannot be quoted:
    // the job name keeps only plain characters and the log paths must need no quoting.
    // (`load` already restricts sweep names to labels; this holds whatever the caller.)
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let plain = |p: &std::path::Path| -> Result<String, CliError> {
        let text = p.display().to_string();
        match text
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || "%'\"\\#$`".contains(*c))
        {
            None => Ok(text),
            Some(c) => Err(CliError::Usage(format!(
                "--emit-slurm: the output directory {} contains {c:?}, which the scripts' \
                 #SBATCH --output lines cannot carry; choose an --out path without whitespace, \
                 quotes, '%', '#', '$', '`' or backslashes",
                crate::scenario::excerpt(
                    &out.display().to_string(),
                    crate::scenario::EXCERPT_CHARS
                )
            ))),
        }
    };
    // `%a` is sbatch's array-index pattern: the only '%' allowed.
    let slurm_dir = plain(&dir)?;
    let (shard_log, merge_log) = (
        format!("{slurm_dir}/shard-%a.log"),
        format!("{slurm_dir}/merge.log"),
    );
    let out_disp = plain(&out)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    let q = |p: &std::path::Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let array = format!(
        "#!/bin/bash\n\
         # Sweep `{name}`: shard $SLURM_ARRAY_TASK_ID of {n}. --resume makes a requeued task\n\
         # continue where it stopped (finished points are kept, atomically written).\n\
         #SBATCH --job-name=faultline-{name}\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --requeue\n\
         #SBATCH --cpus-per-task=1\n\
         #SBATCH --output={log}\n\
         set -euo pipefail\n\
         exec {exe} sweep {file} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" \\\n           --out {shards}/\"${{SLURM_ARRAY_TASK_ID}}\" --resume --quiet --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"\n",
        last = n - 1,
        log = shard_log,
        exe = q(&exe),
        file = q(&file),
        shards = q(&out.join("shards")),
    );
    let shard_dirs: String = (0..n)
        .map(|i| format!(" {}", q(&out.join("shards").join(i.to_string()))))
        .collect();
    let merge = format!(
        "#!/bin/bash\n\
         # Sweep `{name}`: merge the {n} shards into {out_disp} once every array task succeeded.\n\
         #SBATCH --job-name=faultline-{name}-merge\n\
         #SBATCH --output={log}\n\
         set -euo pipefail\n\
         exec {exe} merge {file}{shard_dirs} --out {out}\n",
        log = merge_log,
        exe = q(&exe),
        file = q(&file),
        out = q(&out),
    );
    let submit = format!(
        "#!/bin/bash\n\
         # Submits the shard array, then the merge once every task succeeded; prints both job ids.\n\
         set -euo pipefail\n\
         array=$(sbatch --parsable {a})\n\
         merge=$(sbatch --parsable --dependency=afterok:${{array%%;*}} {m})\n\
         echo \"array ${{array%%;*}} merge ${{merge%%;*}}\"\n",
        a = q(&dir.join("array.sbatch")),
        m = q(&dir.join("merge.sbatch")),
    );
    for (f, text) in [
        ("array.sbatch", array),
        ("merge.sbatch", merge),
        ("submit.sh", submit),
    ] {
        let path = dir.join(f);
        std::fs::write(&path, text)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(dir)
}
