//! `faultline run SCENARIO`: run the replications and write the results directory.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CliError;
use crate::experiment::{self, MetricSummary, TracePlan};
use crate::memory::{self, Budget, Bytes};
use crate::scenario;
use crate::sim::SimDuration;
use crate::world::TraceKinds;

/// Arguments of `run`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  faultline run scenarios/sensor-monitoring.ron --replications 20 --seed 7\n  \
faultline run scenarios/sensor-monitoring.ron --trace --trace-variants passive\n\n\
Writes results/<scenario>/<run-id>/: report.md (headline, semantics, every chart),\n\
manifest.json, scenario.ron (resolved, rerunnable), summary.csv, comparison.csv,\n\
replications.csv, timeseries.csv, delay_cdf.csv, episodes.csv, semantics.csv,\n\
violations.csv, variants.csv, network_faults.csv, plots/, and with --trace trace.csv and\n\
plots/timeline_*."
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
    /// Memory the run may use, e.g. 4G or 512M (default: 3/4 of this machine's memory
    /// limit). A replication that outgrows its share is stopped and reported; a run that
    /// cannot fit is refused before it starts.
    #[arg(long, value_name = "SIZE", value_parser = memory::parse_size)]
    pub max_memory: Option<u64>,
    /// After the headline, print every metric of every variant with its interval and the
    /// paired difference to the first variant (summary.csv and comparison.csv always hold
    /// them).
    #[arg(long)]
    pub full: bool,
    /// Write trace.csv: one row per kernel event of the traced runs (and per state change
    /// it caused), and a timeline chart per traced run and variant (plots/timeline_*).
    /// Implied by any --trace-* option.
    #[arg(long)]
    pub trace: bool,
    /// Runs (seeded replications) to trace, comma-separated [default: 0].
    #[arg(long, value_name = "N,N…", value_delimiter = ',')]
    pub trace_runs: Vec<u32>,
    /// Variants to trace, by label, comma-separated [default: every variant].
    #[arg(long, value_name = "LABEL,…", value_delimiter = ',')]
    pub trace_variants: Vec<String>,
    /// Kinds of kernel event to write: faults, detection, checkpoints, recovery, data, or
    /// all [default: every kind but data]. Events that change a node's or instance's state
    /// are written whatever their kind; data rows are capped at 200 000 per run.
    #[arg(long, value_name = "KIND,…", value_parser = parse_kinds)]
    pub trace_kinds: Option<TraceKinds>,
}

fn parse_kinds(list: &str) -> Result<TraceKinds, String> {
    TraceKinds::parse(list)
}

/// The runs `args` asks to trace, checked against the scenario: every problem at once.
fn trace_plan(args: &Args, scenario: &scenario::Scenario) -> Result<Option<TracePlan>, CliError> {
    let asked = args.trace
        || !args.trace_runs.is_empty()
        || !args.trace_variants.is_empty()
        || args.trace_kinds.is_some();
    if !asked {
        return Ok(None);
    }
    let mut problems = Vec::new();
    let runs = if args.trace_runs.is_empty() {
        vec![0]
    } else {
        let mut runs = args.trace_runs.clone();
        runs.sort_unstable();
        runs.dedup();
        for r in runs.iter().filter(|&&r| r >= scenario.replications) {
            problems.push(format!(
                "--trace-runs {r}: the scenario has runs 0 to {} (--replications {})",
                scenario.replications - 1,
                scenario.replications
            ));
        }
        runs
    };
    let labels: Vec<&str> = scenario.variants.iter().map(|v| v.label.as_str()).collect();
    let variants = if args.trace_variants.is_empty() {
        (0..labels.len()).collect()
    } else {
        let mut chosen = Vec::new();
        for name in &args.trace_variants {
            match labels.iter().position(|l| l == name) {
                Some(v) if !chosen.contains(&v) => chosen.push(v),
                Some(_) => {}
                None => problems.push(format!(
                    "--trace-variants {name}: no such variant; the scenario's variants are {}",
                    labels.join(", ")
                )),
            }
        }
        chosen.sort_unstable();
        chosen
    };
    if !problems.is_empty() {
        return Err(CliError::Usage(problems.join("\n")));
    }
    Ok(Some(TracePlan {
        runs,
        variants,
        kinds: args.trace_kinds.unwrap_or(TraceKinds::DEFAULT),
    }))
}

/// Runs the scenario and writes its results.
pub fn run(args: Args) -> Result<(), CliError> {
    let mut scenario = scenario::load(&args.scenario)?;
    super::print_warnings(&args.scenario, &scenario);
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
    // Everything that can fail before the run, fails before it: the trace options, the
    // output directory, then the memory budget.
    let trace = trace_plan(&args, &scenario)?;
    let parent = experiment::output::check_root(&args.out, &scenario.name)
        .map_err(|e| CliError::Usage(format!("--out: {e}")))?;
    for stale in experiment::output::stale_partials(&parent) {
        eprintln!(
            "warning: {} is left over from a run that was killed before it finished; it holds \
             no complete result: delete it (rm -r)",
            stale.display()
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let budget = args.max_memory.map_or_else(Budget::machine, Budget::given);
    let plan = experiment::plan(&scenario, budget, cores).map_err(CliError::Budget)?;
    let threads = match args.threads.map(|t| t as usize) {
        Some(t) if t > plan.parallel => {
            eprintln!(
                "note: --threads {t} lowered to {}: the memory budget of {budget} holds {} \
                 replications at once (results do not depend on the thread count)",
                plan.parallel, plan.parallel
            );
            plan.parallel
        }
        Some(t) => t,
        None => plan.parallel,
    };
    print_estimate(&plan, threads);

    let total_ns = scenario.metrics.end.as_nanos()
        * u64::from(scenario.replications)
        * scenario.variants.len() as u64;
    let bar = ProgressBar::with_draw_target(Some(total_ns), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {simulated} elapsed {elapsed} eta {eta}",
        )
        .expect("constant template is valid")
        // Simulated seconds covered, summed over replications: it moves every 65 536
        // kernel events, however long one replication is.
        .with_key(
            "simulated",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(
                    w,
                    "{:.0}/{:.0} simulated s",
                    state.pos() as f64 * 1e-9,
                    state.len().unwrap_or(0) as f64 * 1e-9
                );
            },
        )
        .progress_chars("=> "),
    );
    bar.set_message(format!(
        "{}: {} variant(s) × {} replications",
        scenario.name,
        scenario.variants.len(),
        scenario.replications
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
    let result = experiment::run_traced(
        &scenario,
        seed,
        threads,
        Some(plan.stop_line),
        trace.as_ref(),
        &progress,
    )
    .map_err(CliError::Run)?;
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let command_line = std::env::args().collect::<Vec<_>>().join(" ");
    let mut manifest = experiment::manifest(&result, &command_line, threads, started_utc, wall);
    if let Some(plan) = &trace {
        manifest.trace = experiment::output::TraceManifest::of(&result, plan.kinds);
    }
    // Charts are drawn from the CSVs just written (as `faultline plot` would), before the
    // directory is renamed into place; a chart that cannot be drawn does not undo a finished
    // run.
    let charts = std::cell::Cell::new(0);
    let headline = super::headline::render(&result);
    let semantics = render_semantics(&result.semantics());
    let description = scenario.description.clone();
    let draw = |tmp: &std::path::Path| {
        match crate::plot::draw_all(tmp) {
            Ok(paths) => charts.set(paths.len()),
            Err(e) => eprintln!("warning: charts not drawn: {e}"),
        }
        // The report embeds the charts just drawn, so it is written after them.
        let report = super::report::RunReport {
            description: &description,
            headline: &headline,
            semantics: &semantics,
            manifest: &manifest,
        };
        if let Err(e) = std::fs::write(tmp.join("report.md"), report.render(tmp)) {
            eprintln!("warning: report.md not written: {e}");
        }
    };
    let dir = experiment::write_results(&result, &args.out, &manifest, &draw)
        .map_err(CliError::Output)?;
    let charts = charts.get();
    if !result.stopped.is_empty() {
        eprintln!();
        eprint!("{}", experiment::budget::overload_report(&result));
        eprintln!("\n{}", experiment::budget::STOPPED_RUN_WRITTEN);
        return Err(CliError::Overloaded {
            stopped: result.stopped.len(),
            dir,
        });
    }
    print!("{headline}");
    let runaway = experiment::output::runaway_report(&result);
    if !runaway.is_empty() {
        print!("\n{runaway}");
    }
    if args.full {
        println!();
        print_table(&result);
    }
    let checks = result.semantics();
    print!("\n{semantics}");
    if let Some(t) = &manifest.trace {
        print_trace(t);
    }
    println!(
        "\n{} replications × {} variant(s), seed {seed}, {:.1} s wall, {:.2} M kernel events/s\nresults: {} ({charts} chart files in plots/, report.md)",
        scenario.replications,
        scenario.variants.len(),
        wall,
        result.kernel_events as f64 / wall / 1e6,
        dir.display()
    );
    let violations: usize = checks.iter().map(|c| c.violations.len()).sum();
    if violations > 0 {
        let first = checks
            .iter()
            .flat_map(|c| &c.violations)
            .next()
            .expect("counted above");
        return Err(CliError::GuaranteeViolated {
            violations,
            reproduce: format!(
                "faultline run {} --seed {seed} --replications {} (variant {}, replication {})",
                args.scenario.display(),
                (first.replication + 1).max(2),
                first.variant,
                first.replication
            ),
        });
    }
    Ok(())
}

/// Says what trace.csv holds and where a cap was reached.
fn print_trace(t: &experiment::output::TraceManifest) {
    println!("\ntrace.csv ({}):", t.kinds);
    for r in &t.runs {
        let mut line = format!(
            "  {} run {}: {} rows from {} kernel events",
            r.variant, r.run, r.rows, r.kernel_events
        );
        if let Some(at) = r.data_capped_at_s {
            line.push_str(&format!(
                "; data rows capped at {} from {at:.3} s (later data events only where they \
                 change state)",
                t.data_rows_cap
            ));
        }
        if let Some(at) = r.truncated_at_s {
            line.push_str(&format!(
                "; trace stopped at {} rows at {at:.3} s",
                t.rows_cap
            ));
        }
        println!("{line}");
    }
}

/// Prints the estimate of a large run before it starts (more than 10⁸ kernel events, or
/// replications of more than 256 MiB), and every stage whose offered load reaches 1.
fn print_estimate(plan: &experiment::Plan, threads: usize) {
    let e = &plan.estimate;
    if e.kernel_events > 1e8 || e.replication_bytes > 256 << 20 {
        eprintln!(
            "estimate: about {:.1e} kernel events; {} per replication, {threads} at once; \
             {} of results kept; output about {}; memory budget {}",
            e.kernel_events,
            Bytes(e.replication_bytes),
            Bytes(e.results_bytes),
            Bytes(e.output_bytes),
            plan.budget
        );
    }
    for s in e.overloaded() {
        eprintln!(
            "warning: stage `{}` has offered load ρ = {:.2} ({:.0} events/s arrive, it serves \
             at most {:.0}/s): its queue grows without bound, and each replication will be \
             stopped when it holds {}",
            s.operator,
            s.rho,
            s.arrival_rate,
            s.capacity,
            Bytes(plan.stop_line)
        );
    }
}

/// Each variant's guarantees per condition — how many episodes fell under each, the loss
/// and duplicates blamed on them — and every violation (at most ten per variant).
fn render_semantics(checks: &[experiment::SemanticsCheck]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "recovery semantics, per condition: episodes, and the loss and duplicates blamed on them\n",
    );
    for c in checks {
        let _ = writeln!(
            out,
            "  {} ({}): {} over {} runs (mean lost {}, duplicated {})",
            c.variant,
            c.strategy,
            if c.holds() { "holds" } else { "VIOLATED" },
            c.n,
            fmt_sig(c.lost_mean),
            fmt_sig(c.duplicated_mean),
        );
        for k in &c.conditions {
            if k.episodes == 0 && k.condition != crate::ft::Condition::Primary {
                continue;
            }
            let _ = writeln!(
                out,
                "    {:<9} {:<52} {:<9} {:>5} episodes, {} lost, {} duplicated",
                k.condition.label(),
                k.text,
                k.guarantee.label(),
                k.episodes,
                k.lost,
                k.duplicated
            );
        }
        for v in c.violations.iter().take(10) {
            let _ = writeln!(out, "    VIOLATION {v}");
        }
        if c.violations.len() > 10 {
            let _ = writeln!(
                out,
                "    … and {} more (violations.csv)",
                c.violations.len() - 10
            );
        }
    }
    out
}

/// Prints every metric with its confidence interval: one column per variant and, for every
/// variant after the first, the paired difference to the first (`*`: its interval excludes 0).
fn print_table(result: &experiment::RunResult) {
    let level = result.scenario.confidence;
    let summaries: Vec<Vec<MetricSummary>> =
        result.cells.iter().map(|c| c.summarise(level)).collect();
    let comparisons = result.compare(level);
    let Some(first) = summaries.first() else {
        return;
    };
    let width = first.iter().map(|m| m.name.len()).max().unwrap_or(6).max(6);
    println!(
        "{}: {} replications per variant, mean ± half-width of the {:.0}% confidence interval",
        result.scenario.name,
        result.scenario.replications,
        level * 100.0
    );
    let mut header = format!("{:<width$}", "metric");
    for (k, cell) in result.cells.iter().enumerate() {
        header.push_str(&format!("  {:>24}", cell.label));
        if k > 0 {
            header.push_str(&format!(
                "  {:>22}",
                format!("Δ vs {}", result.cells[0].label)
            ));
        }
    }
    println!("{header}");
    for (row, m) in first.iter().enumerate() {
        let mut line = format!("{:<width$}", m.name);
        for (k, cell) in summaries.iter().enumerate() {
            let value = match cell.get(row).and_then(|c| c.interval) {
                Some(i) => {
                    let (low, high) = crate::metrics::clip_interval(&m.name, i.low, i.high);
                    if (low, high) == (i.low, i.high) {
                        format!("{} ± {}", fmt_sig(i.mean), fmt_sig(i.half_width()))
                    } else {
                        // Clipped to the metric's range: the bounds, not a symmetric ±.
                        format!("{} [{}, {}]", fmt_sig(i.mean), fmt_sig(low), fmt_sig(high))
                    }
                }
                None => "—".to_string(),
            };
            line.push_str(&format!("  {value:>24}"));
            if k > 0 {
                let c = comparisons
                    .iter()
                    .find(|c| c.variant == result.cells[k].label && c.metric == m.name);
                let diff = match c.and_then(|c| c.difference.map(|d| (d, c.is_significant()))) {
                    Some((d, significant)) => format!(
                        "{}{} ± {}{}",
                        if d.mean >= 0.0 { "+" } else { "" },
                        fmt_sig(d.mean),
                        fmt_sig(d.half_width()),
                        if significant { " *" } else { "  " }
                    ),
                    None => "—".to_string(),
                };
                line.push_str(&format!("  {diff:>22}"));
            }
        }
        println!("{line}");
    }
    if result.cells.len() > 1 {
        println!("(* the paired difference's interval excludes zero)");
    }
}

/// Four significant digits, without scientific notation for everyday magnitudes.
fn fmt_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-3..7).contains(&magnitude) {
        let decimals = (3 - magnitude).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}
