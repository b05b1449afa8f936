//! The results directory: `<root>/<scenario>/<run-id>/` with the manifest, the resolved
//! scenario and tidy CSV files.
//!
//! Files are written into a temporary sibling directory that is renamed into place at the
//! end, so a results directory is either complete or absent; an existing run directory is
//! never overwritten. Labels and metric names are `[a-z0-9_-]`, so CSV fields never need
//! quoting. Floats use Rust's shortest round-trip formatting: exact and deterministic.

use std::fmt::{self, Write as _};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::RunResult;
use crate::metrics::CDF_PROBABILITIES;
use crate::scenario::CURRENT_VERSION;

/// Why results could not be written.
#[derive(Debug)]
pub struct OutputError {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// The underlying error; check permissions and free space.
    pub source: io::Error,
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Provenance of a run, written as `manifest.json`.
#[derive(Clone, Debug, Serialize)]
pub struct RunManifest {
    /// faultline version.
    pub faultline_version: String,
    /// Git commit faultline was built from, when known.
    pub git_commit: Option<String>,
    /// Scenario schema version.
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// FNV-1a 64 hash of the resolved scenario text.
    pub scenario_hash: String,
    /// Master seed.
    pub master_seed: u64,
    /// Replications per cell.
    pub replications: u32,
    /// Cell labels.
    pub cells: Vec<String>,
    /// How per-replication seeds are derived.
    pub seed_derivation: String,
    /// Command line that produced the run.
    pub command_line: String,
    /// Worker threads used (does not affect results).
    pub threads: usize,
    /// UTC start time, `YYYY-MM-DDTHH:MM:SSZ`.
    pub started_utc: String,
    /// Wall-clock duration \[s\].
    pub wall_time_s: f64,
    /// Kernel events processed over all replications.
    pub kernel_events: u64,
    /// How to rerun exactly.
    pub reproduce: String,
    /// Whether every replication ran to its end (false: some outgrew the memory budget and
    /// were stopped; `overload.txt` says which and why).
    pub complete: bool,
    /// Simulated length of a replication `T` \[s\]: whole-run metrics (`cost_bytes`) cover
    /// `[0, T)`.
    pub duration_s: f64,
    /// Warm-up `W` \[s\]: window metrics (`cpu_seconds`, availability) cover `[W, T)`.
    pub warmup_s: f64,
    /// What `trace.csv` holds, when the run was traced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceManifest>,
    /// Replications whose state ran away: checkpoints stopped completing, or the events held
    /// kept growing (see `metrics::Runaway`). Absent when none did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runaway: Vec<RunawayManifest>,
}

/// One replication whose state ran away, in the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct RunawayManifest {
    /// Variant label.
    pub variant: String,
    /// Run (replication) number.
    pub replication: u32,
    /// No checkpoint completed after this time \[s\] (0 with `checkpoints_ever_completed`
    /// false: none ever did); absent if checkpoints did not stall.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoints_stalled_since_s: Option<f64>,
    /// Whether any checkpoint completed.
    pub checkpoints_ever_completed: bool,
    /// Events held: the most in the window's second quarter and the least in its last;
    /// absent if they did not grow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_second_quarter_max: Option<u64>,
    /// See `held_second_quarter_max`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_last_quarter_min: Option<u64>,
    /// Events held at the end.
    pub held_end: u64,
    /// The largest holders at the end: `operator[index] on node: kind: events`.
    pub largest_holders: Vec<String>,
}

/// Every replication of `result` whose state ran away, in (variant, replication) order.
pub fn runaway_manifest(result: &RunResult) -> Vec<RunawayManifest> {
    result
        .cells
        .iter()
        .flat_map(|cell| {
            cell.replications.iter().enumerate().filter_map(|(r, rep)| {
                let a = rep.runaway.as_ref()?;
                Some(RunawayManifest {
                    variant: cell.label.clone(),
                    replication: r as u32,
                    checkpoints_stalled_since_s: a
                        .checkpoints_stalled_since
                        .map(|t| t.as_secs_f64()),
                    checkpoints_ever_completed: a.checkpoints_ever_completed,
                    held_second_quarter_max: a.held_growth.map(|g| g.0),
                    held_last_quarter_min: a.held_growth.map(|g| g.1),
                    held_end: a.held_end,
                    largest_holders: a
                        .holders
                        .iter()
                        .map(|h| {
                            format!(
                                "{}[{}] on {}: {}: {}",
                                h.operator,
                                h.index,
                                h.node,
                                h.kind.label(),
                                h.events
                            )
                        })
                        .collect(),
                })
            })
        })
        .collect()
}

/// The printed warning for replications whose state ran away; empty if none did.
pub fn runaway_report(result: &RunResult) -> String {
    let runs: Vec<(&str, usize, &crate::metrics::Runaway)> = result
        .cells
        .iter()
        .flat_map(|cell| {
            cell.replications
                .iter()
                .enumerate()
                .filter_map(|(r, rep)| Some((cell.label.as_str(), r, rep.runaway.as_ref()?)))
        })
        .collect();
    if runs.is_empty() {
        return String::new();
    }
    let jobs = result.cells.len() * result.scenario.replications as usize;
    let mut out = format!(
        "warning: runaway state in {} of {jobs} runs: their results cover the whole run, but \
         a longer run would not settle (manifest.json lists them under \"runaway\").\n",
        runs.len()
    );
    let end = result.scenario.metrics.end;
    for (label, r, a) in runs {
        let _ = writeln!(out, "{label}, run {r}:");
        for line in a.describe(end).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// The traced runs of a results directory, as its manifest records them.
#[derive(Clone, Debug, Serialize)]
pub struct TraceManifest {
    /// Kinds written (events that changed state are written whatever their kind).
    pub kinds: String,
    /// Per traced run: variant, run number, rows, and where a cap was reached.
    pub runs: Vec<TracedRunManifest>,
    /// The caps.
    pub data_rows_cap: u64,
    /// Rows per run after which a trace stops.
    pub rows_cap: u64,
}

/// One traced run in the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct TracedRunManifest {
    /// Variant label.
    pub variant: String,
    /// Run (replication) number.
    pub run: u32,
    /// Kernel events the run handled.
    pub kernel_events: u64,
    /// Rows written (one per kernel event written and state change).
    pub rows: usize,
    /// Simulated time \[s\] at which data rows were capped.
    pub data_capped_at_s: Option<f64>,
    /// Simulated time \[s\] at which the trace stopped at the row cap.
    pub truncated_at_s: Option<f64>,
}

impl TraceManifest {
    /// The manifest entry of `result`'s traces, if it has any.
    pub fn of(result: &RunResult, kinds: crate::world::TraceKinds) -> Option<Self> {
        if result.traces.is_empty() {
            return None;
        }
        Some(Self {
            kinds: kinds.names(),
            runs: result
                .traces
                .iter()
                .map(|t| TracedRunManifest {
                    variant: result.cells[t.variant].label.clone(),
                    run: t.run,
                    kernel_events: t.trace.kernel_events(),
                    rows: t.trace.rows(),
                    data_capped_at_s: t.trace.data_capped().map(|x| x.as_secs_f64()),
                    truncated_at_s: t.trace.truncated().map(|x| x.as_secs_f64()),
                })
                .collect(),
            data_rows_cap: crate::world::DATA_ROWS_CAP,
            rows_cap: crate::world::ROWS_CAP,
        })
    }
}

/// Writes `trace.csv`: the header, then every traced run's rows in (variant, run) order.
pub fn write_trace_csv(result: &RunResult, path: &Path) -> io::Result<()> {
    let mut out = io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "{}", crate::world::TRACE_HEADER)?;
    for t in &result.traces {
        t.trace
            .write_csv(&mut out, &result.cells[t.variant].label, t.run)?;
    }
    out.flush()
}

/// FNV-1a 64-bit hash: stable, dependency-free, enough to tell scenario texts apart.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        format!("{v}")
    }
}

/// `summary.csv`: one row per cell and metric.
pub fn summary_csv(result: &RunResult) -> String {
    let level = result.scenario.confidence;
    let mut out = String::from("variant,metric,mean,std_dev,ci_low,ci_high,level,n\n");
    for cell in &result.cells {
        for m in cell.summarise(level) {
            match m.interval {
                Some(i) => writeln!(
                    out,
                    "{},{},{},{},{},{},{},{}",
                    cell.label,
                    m.name,
                    num(i.mean),
                    num(i.std_dev),
                    num(i.low),
                    num(i.high),
                    level,
                    i.n
                ),
                None => {
                    let n = cell
                        .values(&m.name)
                        .iter()
                        .filter(|v| v.is_finite())
                        .count();
                    let mean = if n == 1 {
                        cell.values(&m.name)
                            .into_iter()
                            .find(|v| v.is_finite())
                            .unwrap_or(f64::NAN)
                    } else {
                        f64::NAN
                    };
                    writeln!(
                        out,
                        "{},{},{},NaN,NaN,NaN,{},{}",
                        cell.label,
                        m.name,
                        num(mean),
                        level,
                        n
                    )
                }
            }
            .expect("writing to a String cannot fail");
        }
    }
    out
}

/// `comparison.csv`: for every variant after the first, the paired difference (variant −
/// first variant) of every metric, its interval, and whether it excludes zero.
pub fn comparison_csv(result: &RunResult) -> String {
    let level = result.scenario.confidence;
    let mut out = String::from(
        "variant,reference,metric,diff_mean,diff_ci_low,diff_ci_high,level,n,significant\n",
    );
    for c in result.compare(level) {
        match c.difference {
            Some(d) => writeln!(
                out,
                "{},{},{},{},{},{},{level},{},{}",
                c.variant,
                c.reference,
                c.metric,
                num(d.mean),
                num(d.low),
                num(d.high),
                d.n,
                c.is_significant()
            ),
            None => writeln!(
                out,
                "{},{},{},NaN,NaN,NaN,{level},0,false",
                c.variant, c.reference, c.metric
            ),
        }
        .expect("infallible");
    }
    out
}

/// `semantics.csv`: per variant and condition, the guarantee that applies, how many
/// episodes fell under it, the loss and duplicates blamed on them, and whether every one of
/// them kept the guarantee.
pub fn semantics_csv(result: &RunResult) -> String {
    semantics_rows(&result.semantics(), "")
}

/// The rows of `semantics.csv` for `checks`, each line prefixed with `prefix` (a sweep
/// point's coordinates); with the header when `prefix` is empty.
pub fn semantics_rows(checks: &[super::SemanticsCheck], prefix: &str) -> String {
    let mut out = String::new();
    if prefix.is_empty() {
        out.push_str(
            "variant,strategy,declared,condition,guarantee,replications,episodes,with_loss,with_duplicates,lost,duplicated,visible_duplicated,violations,holds\n",
        );
    }
    for c in checks {
        for k in &c.conditions {
            let violations = c
                .violations
                .iter()
                .filter(|v| v.condition == k.condition && v.kind != "before-any-fault")
                .count();
            writeln!(
                out,
                "{prefix}{},{},{},{},{},{},{},{},{},{},{},{},{violations},{}",
                c.variant,
                c.strategy,
                c.declared.label(),
                k.condition.label(),
                k.guarantee.label(),
                c.n,
                k.episodes,
                k.with_loss,
                k.with_duplicates,
                k.lost,
                k.duplicated,
                k.visible_duplicated,
                violations == 0
            )
            .expect("infallible");
        }
        let before: Vec<_> = c
            .violations
            .iter()
            .filter(|v| v.kind == "before-any-fault")
            .collect();
        writeln!(
            out,
            "{prefix}{},{},{},before-any-fault,precise,{},0,{},{},{},{},{},{},{}",
            c.variant,
            c.strategy,
            c.declared.label(),
            c.n,
            before.iter().filter(|v| v.lost > 0).count(),
            before.iter().filter(|v| v.duplicated > 0).count(),
            before.iter().map(|v| v.lost).sum::<u64>(),
            before.iter().map(|v| v.duplicated).sum::<u64>(),
            before.iter().map(|v| v.visible_duplicated).sum::<u64>(),
            before.len(),
            before.is_empty()
        )
        .expect("infallible");
    }
    out
}

/// `violations.csv`: every episode that broke the guarantee of its condition (only the
/// header when none did).
pub fn violations_csv(result: &RunResult) -> String {
    let mut out = String::from(
        "variant,replication,kind,target_name,fault_s,condition,guarantee,lost,duplicated,visible_duplicated\n",
    );
    for c in result.semantics() {
        for v in &c.violations {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{}",
                v.variant,
                v.replication,
                v.kind,
                v.target,
                num(v.fault_s),
                v.condition.label(),
                v.guarantee.label(),
                v.lost,
                v.duplicated,
                v.visible_duplicated
            )
            .expect("infallible");
        }
    }
    out
}

/// `replications.csv`: one row per cell and replication, one column per metric.
pub fn replications_csv(result: &RunResult) -> String {
    let mut out = String::new();
    for (c, cell) in result.cells.iter().enumerate() {
        for (r, rep) in cell.replications.iter().enumerate() {
            if c == 0 && r == 0 {
                out.push_str("variant,replication");
                for (name, _) in &rep.metrics {
                    write!(out, ",{name}").expect("infallible");
                }
                out.push('\n');
            }
            write!(out, "{},{r}", cell.label).expect("infallible");
            for (_, v) in &rep.metrics {
                write!(out, ",{}", num(*v)).expect("infallible");
            }
            out.push('\n');
        }
    }
    out
}

/// `timeseries.csv`: per cell, replication and bucket.
pub fn timeseries_csv(result: &RunResult) -> String {
    let mut out =
        String::from("variant,replication,t_s,delivered,throughput_per_s,emitted,delay_mean_ms\n");
    for cell in &result.cells {
        for (r, rep) in cell.replications.iter().enumerate() {
            for (b, point) in rep.series.iter().enumerate() {
                writeln!(
                    out,
                    "{},{r},{},{},{},{},{}",
                    cell.label,
                    num(b as f64 * rep.bucket_s),
                    point.delivered,
                    num(point.delivered as f64 / rep.bucket_s),
                    point.emitted,
                    num(point.delay_mean_ms())
                )
                .expect("infallible");
            }
        }
    }
    out
}

/// `delay_cdf.csv`: delay quantiles per cell and replication.
pub fn cdf_csv(result: &RunResult) -> String {
    let mut out = String::from("variant,replication,probability,delay_ms\n");
    for cell in &result.cells {
        for (r, rep) in cell.replications.iter().enumerate() {
            for (p, d) in CDF_PROBABILITIES.iter().zip(&rep.cdf_ms) {
                writeln!(out, "{},{r},{p},{}", cell.label, num(*d)).expect("infallible");
            }
        }
    }
    out
}

/// `episodes.csv`: every recovery episode per cell and replication, with its phases in
/// seconds of simulated time (empty when a phase did not happen before the end).
pub fn episodes_csv(result: &RunResult) -> String {
    let mut out = String::from(
        "variant,replication,kind,target,target_name,fault_s,detected_s,restored_s,recovered_s,detection_s,restore_s,catchup_s,recovery_s,condition,lost,duplicated,visible_duplicated\n",
    );
    // Node kinds name a node; instance kinds name `operator#index`. Names are [a-z0-9-], so
    // the field never needs quoting.
    let name = |e: &crate::metrics::Episode| super::target_name(&result.scenario, e);
    let opt = |t: Option<crate::sim::SimTime>| t.map_or(String::new(), |t| num(t.as_secs_f64()));
    for cell in &result.cells {
        for (r, rep) in cell.replications.iter().enumerate() {
            for e in &rep.episodes {
                let since = |t: Option<crate::sim::SimTime>| {
                    t.map_or(String::new(), |t| num((t - e.fault_at).as_secs_f64()))
                };
                let between =
                    |a: Option<crate::sim::SimTime>, b: Option<crate::sim::SimTime>| match (a, b) {
                        (Some(a), Some(b)) => num(b.saturating_since(a).as_secs_f64()),
                        _ => String::new(),
                    };
                writeln!(
                    out,
                    "{},{r},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    cell.label,
                    e.kind.label(),
                    e.target,
                    name(e),
                    num(e.fault_at.as_secs_f64()),
                    opt(e.detected_at),
                    opt(e.restored_at),
                    opt(e.recovered_at),
                    since(e.detected_at),
                    between(e.detected_at.or(Some(e.fault_at)), e.restored_at),
                    between(e.restored_at, e.recovered_at),
                    since(e.recovered_at),
                    e.condition.label(),
                    e.lost,
                    e.duplicated,
                    e.visible_duplicated,
                )
                .expect("infallible");
            }
        }
    }
    out
}

/// The kind of replication strategy a configuration uses, by which every chart and notebook
/// colours it: `active`, `passive`, `upstream-backup`, `checkpoint-only` (no replication,
/// rollback to checkpoints) or `none` (no replication and no checkpoints: a restarted
/// instance starts empty).
pub fn strategy_kind(ft: &crate::ft::FaultTolerance) -> &'static str {
    use crate::ft::Replication;
    match ft.replication {
        Replication::Active(_) => "active",
        Replication::Passive(_) => "passive",
        Replication::UpstreamBackup(_) => "upstream-backup",
        Replication::None(_) if ft.checkpoint.is_some() => "checkpoint-only",
        Replication::None(_) => "none",
    }
}

/// `variants.csv`: each cell's strategy kind (see [`strategy_kind`]), so that charts and
/// notebooks give a strategy the same colour whatever the variants are called.
pub fn variants_csv(result: &RunResult) -> String {
    let mut out = String::from("variant,strategy\n");
    for cell in &result.cells {
        let kind = result
            .scenario
            .variants
            .iter()
            .find(|v| v.label == cell.label)
            .map_or("none", |v| strategy_kind(&v.fault_tolerance));
        writeln!(out, "{},{kind}", cell.label).expect("infallible");
    }
    out
}

/// `network_faults.csv`: the partitions and link spikes of each replication's fault plan
/// (the same in every variant: common random numbers), as `[start_s, end_s)` intervals in
/// simulated seconds; one still open at the end of the run ends at `duration_s`. The sides are
/// node names joined by `+`.
pub fn network_faults_csv(result: &RunResult) -> String {
    use crate::fault::FaultEvent;
    let scenario = &result.scenario;
    let end = scenario.metrics.end;
    let names = |ids: &[crate::model::NodeId]| {
        ids.iter()
            .map(|n| {
                scenario
                    .cluster
                    .nodes
                    .get(n.index())
                    .map_or(String::new(), |node| node.name.clone())
            })
            .collect::<Vec<_>>()
            .join("+")
    };
    let mut out = String::from("replication,kind,start_s,end_s,side_a,side_b\n");
    for r in 0..scenario.replications {
        let plan = scenario.faults.plan(end, result.seed, r);
        // (kind, index) -> start, closed in event order.
        let mut open: Vec<(&str, u16, crate::sim::SimTime)> = Vec::new();
        let mut rows: Vec<(crate::sim::SimTime, &str, u16, crate::sim::SimTime)> = Vec::new();
        for &(at, ref event) in &plan.events {
            let (kind, index, starts) = match *event {
                FaultEvent::PartitionStart { partition } => ("partition", partition, true),
                FaultEvent::PartitionEnd { partition } => ("partition", partition, false),
                FaultEvent::SpikeStart { spike } => ("link-spike", spike, true),
                FaultEvent::SpikeEnd { spike } => ("link-spike", spike, false),
                _ => continue,
            };
            if starts {
                open.push((kind, index, at));
            } else if let Some(i) = open.iter().position(|o| o.0 == kind && o.1 == index) {
                let (_, _, start) = open.remove(i);
                rows.push((start, kind, index, at));
            }
        }
        rows.extend(
            open.into_iter()
                .map(|(kind, index, start)| (start, kind, index, end)),
        );
        rows.sort_by_key(|&(start, kind, index, _)| (start, kind, index));
        for (start, kind, index, stop) in rows {
            let (a, b) = if kind == "partition" {
                plan.partitions
                    .get(usize::from(index))
                    .map_or((String::new(), String::new()), |p| {
                        (names(&p.a), names(&p.b))
                    })
            } else {
                plan.spikes
                    .get(usize::from(index))
                    .map_or((String::new(), String::new()), |s| {
                        (names(&s.a), names(&s.b))
                    })
            };
            writeln!(
                out,
                "{r},{kind},{},{},{a},{b}",
                num(start.as_secs_f64()),
                num(stop.as_secs_f64())
            )
            .expect("infallible");
        }
    }
    out
}

/// Builds the manifest of `result`.
pub fn manifest(
    result: &RunResult,
    command_line: &str,
    threads: usize,
    started_utc: String,
    wall_time_s: f64,
) -> RunManifest {
    let text = result.scenario.resolved_text();
    RunManifest {
        faultline_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("FAULTLINE_GIT_COMMIT").filter(|c| !c.is_empty()).map(str::to_string),
        schema_version: CURRENT_VERSION,
        scenario: result.scenario.name.clone(),
        scenario_hash: format!("{:016x}", fnv1a64(text.as_bytes())),
        master_seed: result.seed,
        replications: result.scenario.replications,
        cells: result.cells.iter().map(|c| c.label.clone()).collect(),
        seed_derivation: "stream seed = derive_seed(master_seed, replication, stream, index) (SplitMix64 chain), generator Pcg64".to_string(),
        command_line: command_line.to_string(),
        threads,
        started_utc,
        wall_time_s,
        kernel_events: result.kernel_events,
        reproduce: "faultline run scenario.ron (the resolved copy in this directory holds the seed and replications)".to_string(),
        complete: result.stopped.is_empty(),
        duration_s: result.scenario.metrics.end.as_secs_f64(),
        warmup_s: result.scenario.metrics.warmup.as_secs_f64(),
        trace: None,
        runaway: runaway_manifest(result),
    }
}

/// Checks, before a run starts, that its results can be written under `root`: creates
/// `root/<scenario>/` and a probe file in it. A `--out` that is a file, or a directory that
/// cannot be written, then fails in a second instead of after the whole run.
pub fn check_root(root: &Path, scenario: &str) -> Result<PathBuf, OutputError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError { path, source }
    };
    if root.exists() && !root.is_dir() {
        return Err(OutputError {
            path: root.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::AlreadyExists,
                "it is a file, not a directory; give --out a directory",
            ),
        });
    }
    let parent = root.join(scenario);
    std::fs::create_dir_all(&parent).map_err(err(&parent))?;
    let probe = parent.join(format!(".probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(err(&probe))?;
    std::fs::remove_file(&probe).map_err(err(&probe))?;
    Ok(parent)
}

/// Temporary directories left in `dir` by runs that were killed before they finished
/// (`.NAME.partial-PID` whose process no longer runs on this machine), sorted. They hold no
/// complete result; delete them. Directories of processes still running (another run in
/// progress) are not listed. On a shared file system a PID may belong to another machine, so
/// they are reported, never deleted.
pub fn stale_partials(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let pid = name.strip_prefix('.')?.rsplit_once(".partial-")?.1;
            let pid: u32 = pid.parse().ok()?;
            let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
            (!alive && e.path().is_dir()).then(|| e.path())
        })
        .collect();
    stale.sort();
    stale
}

/// Writes the results directory under `root` and returns its path. `finish` runs on the
/// complete temporary directory before it is renamed into place (the CLI draws the charts
/// there), so a directory that exists has its charts too.
pub fn write_results(
    result: &RunResult,
    root: &Path,
    manifest: &RunManifest,
    finish: &dyn Fn(&Path),
) -> Result<PathBuf, OutputError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError { path, source }
    };
    let parent = root.join(&result.scenario.name);
    std::fs::create_dir_all(&parent).map_err(err(&parent))?;
    let stamp: String = manifest
        .started_utc
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let base = format!("{stamp}-{}", &manifest.scenario_hash[..8]);
    let tmp = parent.join(format!(".{base}.partial-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(err(&tmp))?;
    }
    std::fs::create_dir(&tmp).map_err(err(&tmp))?;
    let json = serde_json::to_string_pretty(manifest).expect("manifest always serialises");
    let mut files = vec![
        ("manifest.json", json + "\n"),
        ("scenario.ron", result.scenario.resolved_text()),
        ("summary.csv", summary_csv(result)),
        ("replications.csv", replications_csv(result)),
        ("timeseries.csv", timeseries_csv(result)),
        ("delay_cdf.csv", cdf_csv(result)),
        ("episodes.csv", episodes_csv(result)),
        ("variants.csv", variants_csv(result)),
        ("network_faults.csv", network_faults_csv(result)),
        ("comparison.csv", comparison_csv(result)),
        ("semantics.csv", semantics_csv(result)),
        ("violations.csv", violations_csv(result)),
    ];
    if !result.stopped.is_empty() {
        files.push((
            "overload.txt",
            format!(
                "{}\n{}\n",
                super::budget::overload_report(result),
                super::budget::STOPPED_RUN_WRITTEN
            ),
        ));
    }
    for (name, content) in files {
        let path = tmp.join(name);
        std::fs::write(&path, content).map_err(err(&path))?;
    }
    if !result.traces.is_empty() {
        let path = tmp.join("trace.csv");
        write_trace_csv(result, &path).map_err(err(&path))?;
    }
    finish(&tmp);
    // Never overwrite: runs started in the same second get a numeric suffix.
    for k in 1.. {
        let dir = if k == 1 {
            parent.join(&base)
        } else {
            parent.join(format!("{base}-{k}"))
        };
        if dir.exists() {
            continue;
        }
        std::fs::rename(&tmp, &dir).map_err(err(&dir))?;
        return Ok(dir);
    }
    unreachable!("some suffix is free")
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, H. Hinnant's algorithm).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    utc_from_unix(secs)
}

fn utc_from_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The finishing step (the charts) runs on the temporary directory, with every file
    /// already in it and before the run directory exists: a run directory that exists is
    /// complete, charts included.
    #[test]
    fn the_finishing_step_runs_before_the_directory_is_renamed_into_place() {
        let scenario = crate::tests::parse(
            r#"(version: 1, name: "finish", seed: 1, replications: 2, duration_s: 2.0,
                cluster: (nodes: [(name: "n", cores: 1)]),
                operators: [
                  (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 10.0), keys: Uniform(count: 1))),
                  (name: "out", kind: Sink, inputs: [(from: "src")]),
                ])"#,
        );
        let result = crate::experiment::run(&scenario, 1, 1, &|_| {}).unwrap();
        let root = std::env::temp_dir().join(format!("faultline-finish-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let m = manifest(&result, "test", 1, "2026-12-02T00:00:00Z".into(), 0.0);
        let seen = std::cell::RefCell::new(None);
        let dir = write_results(&result, &root, &m, &|tmp: &Path| {
            let name = tmp.file_name().unwrap().to_string_lossy().into_owned();
            let complete = ["summary.csv", "timeseries.csv", "manifest.json"]
                .iter()
                .all(|f| tmp.join(f).is_file());
            let siblings = std::fs::read_dir(tmp.parent().unwrap()).unwrap().count();
            *seen.borrow_mut() = Some((name, complete, siblings));
        })
        .unwrap();
        let (name, complete, siblings) = seen.into_inner().expect("the finishing step ran");
        assert!(
            name.starts_with('.') && name.contains(".partial-"),
            "{name}"
        );
        assert!(complete, "files were missing when the finishing step ran");
        assert_eq!(
            siblings, 1,
            "the run directory existed before the finishing step"
        );
        assert!(dir.join("summary.csv").is_file());
        assert!(stale_partials(&root.join("finish")).is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn utc_formatting_matches_known_dates() {
        assert_eq!(utc_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_from_unix(1_795_500_000), "2026-11-24T06:00:00Z");
    }

    #[test]
    fn fnv_hash_is_pinned() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
