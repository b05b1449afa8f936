//! Parameter sweeps: a grid of scenario edits × variants × replications, run as one list of
//! runs spread over every core, each point written atomically once its runs are done, so
//! that an interrupted sweep resumes where it stopped, sharded across machines and merged
//! back into exactly the same files.
//!
//! A sweep file names a base scenario, axes (a parameter path and its values; several axes
//! form a grid), optionally a subset of the base's variants and the replications. Point k of
//! the grid (row-major, the last axis fastest) is written to `points/pNNNN/` — the summary
//! and replication CSVs of that point — by writing a temporary directory and renaming it,
//! so a point is either complete or absent. `--resume` skips the points present; `--shard
//! i/N` runs the points k with k mod N = i; [`merge`] copies shards' points together. Once
//! every point is present, `sweep.csv` (one row per point × variant × metric) and the charts
//! are written from the points' files alone, so their bytes do not depend on how the points
//! were run.

mod locate;
pub mod path;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::experiment::{self, output};
use crate::memory::Budget;
use crate::scenario::{self, ScenarioFile};

/// The files of a point's directory (written by a sweep, copied by a merge).
const POINT_FILES: [&str; 4] = [
    "summary.csv",
    "replications.csv",
    "semantics.csv",
    "point.txt",
];

/// Sweep file format version.
pub const SWEEP_VERSION: u32 = 1;

/// One axis in a sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSpec {
    /// Parameter path, e.g. `faults[0].ttf_s.mean`.
    pub path: String,
    /// The values, in order.
    #[serde(default)]
    pub values: Vec<f64>,
    /// Or a range: `steps` values from `from` to `to`, evenly or log-spaced.
    #[serde(default)]
    pub range: Option<RangeSpec>,
}

/// Evenly or logarithmically spaced values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    /// First value.
    pub from: f64,
    /// Last value.
    pub to: f64,
    /// How many values (≥ 2).
    pub steps: u32,
    /// Log-spaced (needs positive bounds).
    #[serde(default)]
    pub log: bool,
}

/// A sweep file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// Format version.
    pub version: u32,
    /// Names the output directory.
    pub name: String,
    /// Base scenario, relative to the sweep file.
    pub base: String,
    /// The grid's axes.
    pub axes: Vec<AxisSpec>,
    /// Variants of the base to run (default: all).
    #[serde(default)]
    pub variants: Vec<String>,
    /// Replications per point and variant (default: the base's).
    #[serde(default)]
    pub replications: Option<u32>,
    /// Fixed edits applied to every point before the axes' (e.g. a shorter `duration_s`).
    #[serde(default)]
    pub set: Vec<SetSpec>,
}

/// A fixed parameter edit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSpec {
    /// Parameter path.
    pub path: String,
    /// Its value.
    pub value: f64,
}

/// An axis with its values resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Parameter path.
    pub path: String,
    /// Values, in order.
    pub values: Vec<f64>,
}

/// A loaded, checked sweep.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// Name: a label (`[a-z0-9-]`, checked by [`load`]), safe as a directory name.
    pub name: String,
    /// The sweep file (errors name it).
    pub path: PathBuf,
    /// The sweep file (for the output's copy).
    pub file: SweepFile,
    /// The base scenario, parsed.
    pub base: ScenarioFile,
    /// Where the base lives (errors name it; relative paths inside it resolve from it).
    pub base_path: PathBuf,
    /// Axes.
    pub axes: Vec<Axis>,
    /// Grid points: one value per axis.
    pub points: Vec<Vec<f64>>,
}

/// Most grid points a sweep may have (the product of its axes' lengths, and the `steps` of
/// one range): 100 000. Every point is validated before anything runs, and each is a whole
/// experiment, so a larger grid is a slip (a range of 2³¹ steps) rather than a study.
pub const MAX_GRID_POINTS: u64 = 100_000;

/// Why a sweep could not be loaded or run.
#[derive(Debug)]
pub enum SweepError {
    /// The sweep file could not be read or parsed, or says something impossible: the file,
    /// the 1-based line and column where known, and what is wrong and how to fix it.
    File {
        /// The sweep file.
        path: PathBuf,
        /// Line and column of the offending text, where known.
        at: Option<(usize, usize)>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The base scenario or an edited point is invalid (the sweep file is named first).
    Scenario(String),
    /// A parameter path of the sweep file is wrong.
    Path {
        /// The sweep file.
        file: PathBuf,
        /// Line and column of the path, where known.
        at: Option<(usize, usize)>,
        /// What is wrong with it.
        error: path::PathError,
    },
    /// A replication failed.
    Run(String),
    /// Output could not be written.
    Write(PathBuf, std::io::Error),
    /// The output directory holds another sweep's results, or results without `--resume`;
    /// or shards given to merge do not hold this sweep's results or leave points missing: a
    /// usage mistake (exit 2), which the message says how to fix.
    Usage(String),
    /// Output (a chart) could not be produced.
    Output(String),
    /// A point cannot fit its share of the memory budget (nothing was run).
    Budget(String),
    /// A point's replications outgrew their memory budget and were stopped; the point was
    /// not written (the points finished before it were).
    Overloaded {
        /// The point.
        point: usize,
        /// Its axis values.
        describe: String,
        /// The overload report (which stage, its load and queue, how to fix it).
        report: String,
    },
}

/// `file:line:col` or `file`.
fn located(
    f: &mut std::fmt::Formatter<'_>,
    file: &Path,
    at: Option<(usize, usize)>,
) -> std::fmt::Result {
    match at {
        Some((line, col)) => write!(f, "{}:{line}:{col}", file.display()),
        None => write!(f, "{}", file.display()),
    }
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File { path, at, message } => {
                located(f, path, *at)?;
                write!(f, ": {message}")
            }
            Self::Scenario(e)
            | Self::Run(e)
            | Self::Usage(e)
            | Self::Output(e)
            | Self::Budget(e) => f.write_str(e),
            Self::Overloaded {
                point,
                describe,
                report,
            } => write!(
                f,
                "point {point} ({describe}) outgrew its memory budget and was not written; the \
                 points before it were (rerun with --resume once the scenario is fixed):\n{report}"
            ),
            Self::Path { file, at, error } => {
                located(f, file, *at)?;
                write!(f, ": {error}")
            }
            Self::Write(p, e) => write!(f, "cannot write {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for SweepError {}

/// Loads and checks a sweep file: its name is a label, its grid is within
/// [`MAX_GRID_POINTS`], no parameter is edited twice, the base parses, every path names a
/// number, every variant is the base's and every grid point is a valid scenario.
pub fn load(file_path: &Path) -> Result<Sweep, SweepError> {
    let fail = |at: Option<(usize, usize)>, message: String| SweepError::File {
        path: file_path.to_path_buf(),
        at,
        message,
    };
    let text = scenario::read_input(file_path, scenario::MAX_RON_BYTES).map_err(|e| match e {
        scenario::InputError::InvalidUtf8 { line, column, .. } => {
            fail(Some((line, column)), e.reason())
        }
        e => fail(None, e.reason()),
    })?;
    let file: SweepFile = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(&text)
        .map_err(|e| {
            let (at, message) = scenario::syntax_message(&text, &e);
            fail(Some(at), message)
        })?;
    let spans = locate::Spans::new(&text);
    if file.version != SWEEP_VERSION {
        return Err(fail(
            spans.field("version"),
            format!(
                "version {} is not supported (expected {SWEEP_VERSION}); set `version: {SWEEP_VERSION}`",
                file.version
            ),
        ));
    }
    // The name chooses the output directory and appears in Slurm scripts: the scenario
    // names' rule keeps it one plain path component.
    if let Some(problem) = scenario::label_problem(&file.name) {
        return Err(fail(spans.field("name"), format!("name: {problem}")));
    }
    if file.axes.is_empty() {
        return Err(fail(
            spans.field("axes"),
            "a sweep needs at least one axis: add `axes: [(path: \"...\", values: [...])]`"
                .to_string(),
        ));
    }
    let mut axes = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut points: u64 = 1;
    for a in &file.axes {
        let nth = seen.iter().filter(|p| **p == a.path).count();
        let at = spans.value_of("path", &a.path, nth);
        let shown = scenario::excerpt(&a.path, scenario::EXCERPT_CHARS);
        if let Some(problem) = path::check_length(&a.path) {
            return Err(fail(at, problem));
        }
        if seen.contains(&a.path.as_str()) {
            return Err(fail(
                at,
                format!(
                    "axis {shown} is already an axis; a parameter can vary along one axis only"
                ),
            ));
        }
        if let Some(k) = file.set.iter().position(|s| s.path == a.path) {
            return Err(fail(
                at,
                format!(
                    "axis {shown} is also fixed by set[{k}]; the axis would override it: remove \
                     one of the two"
                ),
            ));
        }
        seen.push(&a.path);
        let values = match &a.range {
            Some(r) if a.values.is_empty() => {
                let steps_at = at.and_then(|at| spans.field_after(at, "steps"));
                if u64::from(r.steps) > MAX_GRID_POINTS {
                    return Err(fail(
                        steps_at,
                        format!(
                            "axis {shown}: range steps is {}, more than the {MAX_GRID_POINTS} \
                             points a sweep may have",
                            r.steps
                        ),
                    ));
                }
                range_values(r).ok_or_else(|| {
                    fail(
                        steps_at.or(at),
                        format!(
                            "axis {shown}: a range needs steps ≥ 2, finite bounds and, when log, \
                             positive bounds"
                        ),
                    )
                })?
            }
            None if !a.values.is_empty() => {
                if let Some((k, v)) = a.values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(fail(
                        at,
                        format!(
                            "axis {shown}: value {} is {v}; every value must be a finite number",
                            k + 1
                        ),
                    ));
                }
                a.values.clone()
            }
            _ => {
                return Err(fail(
                    at,
                    format!("axis {shown}: give either `values: [...]` or `range: (...)`"),
                ));
            }
        };
        points = points
            .checked_mul(values.len() as u64)
            .filter(|&n| n <= MAX_GRID_POINTS)
            .ok_or_else(|| {
                fail(
                    spans.field("axes"),
                    format!(
                        "the grid has more than {MAX_GRID_POINTS} points (the product of the \
                         axes' lengths), the most a sweep may have; use fewer values or split \
                         the sweep"
                    ),
                )
            })?;
        axes.push(Axis {
            path: a.path.clone(),
            values,
        });
    }
    for (k, set) in file.set.iter().enumerate() {
        let at = spans.value_of("path", &set.path, 0);
        if let Some(problem) = path::check_length(&set.path) {
            return Err(fail(at, problem));
        }
        if let Some(j) = file.set[..k].iter().position(|s| s.path == set.path) {
            return Err(fail(
                spans.value_of("path", &set.path, 1),
                format!(
                    "set[{k}] edits {} again (already set[{j}]); keep one",
                    scenario::excerpt(&set.path, scenario::EXCERPT_CHARS)
                ),
            ));
        }
    }
    let dir = file_path.parent().unwrap_or(Path::new("."));
    let base_path = dir.join(&file.base);
    let base = scenario::load(&base_path).map_err(|e| {
        SweepError::Scenario(format!(
            "{}: its base scenario is invalid: {e}",
            file_path.display()
        ))
    })?;
    let known: Vec<&str> = base
        .resolved
        .variants
        .iter()
        .map(|v| v.label.as_str())
        .collect();
    for v in &file.variants {
        if !known.contains(&v.as_str()) {
            let has = if known.is_empty() {
                "the base scenario declares no variants: leave `variants` out to run its base \
                 configuration"
                    .to_string()
            } else {
                format!(
                    "the base scenario's variants are {}",
                    scenario::name_list(known.iter().copied(), "none")
                )
            };
            return Err(fail(
                spans.item_of("variants", v),
                format!(
                    "variant {} is not in the base scenario; {has}",
                    scenario::excerpt(v, scenario::EXCERPT_CHARS)
                ),
            ));
        }
    }
    // Each path on its own first, so that a wrong one is reported once, located, rather than
    // as the first grid point's problem.
    let mut probe = base.resolved.clone();
    for (p, v) in file
        .set
        .iter()
        .map(|s| (&s.path, s.value))
        .chain(axes.iter().map(|a| (&a.path, a.values[0])))
    {
        path::set(&mut probe, p, v).map_err(|error| SweepError::Path {
            file: file_path.to_path_buf(),
            at: spans.value_of("path", p, 0),
            error,
        })?;
    }
    let mut grid = vec![Vec::new()];
    for axis in &axes {
        grid = grid
            .into_iter()
            .flat_map(|p| {
                axis.values.iter().map(move |&v| {
                    let mut q = p.clone();
                    q.push(v);
                    q
                })
            })
            .collect();
    }
    let sweep = Sweep {
        name: file.name.clone(),
        path: file_path.to_path_buf(),
        file,
        base: base.resolved.clone(),
        base_path,
        axes,
        points: grid,
    };
    // Every point must be a valid scenario before anything runs.
    for k in 0..sweep.points.len() {
        sweep.point_scenario(k)?;
    }
    Ok(sweep)
}

fn range_values(r: &RangeSpec) -> Option<Vec<f64>> {
    if r.steps < 2
        || !r.from.is_finite()
        || !r.to.is_finite()
        || (r.log && (r.from <= 0.0 || r.to <= 0.0))
    {
        return None;
    }
    let n = f64::from(r.steps - 1);
    Some(
        (0..r.steps)
            .map(|k| {
                let t = f64::from(k) / n;
                let v = if r.log {
                    (r.from.ln() + t * (r.to.ln() - r.from.ln())).exp()
                } else {
                    r.from + t * (r.to - r.from)
                };
                // Twelve significant digits: 30, not 30.000000000000004, in files and paths.
                format!("{v:.11e}").parse().unwrap_or(v)
            })
            .collect(),
    )
}

impl Sweep {
    /// The scenario of grid point `k`: the base with the point's values set, restricted to
    /// the sweep's variants.
    pub fn point_scenario(&self, k: usize) -> Result<scenario::Scenario, SweepError> {
        let mut file = self.base.clone();
        let path_error = |error| SweepError::Path {
            file: self.path.clone(),
            at: None,
            error,
        };
        for set in &self.file.set {
            path::set(&mut file, &set.path, set.value).map_err(path_error)?;
        }
        for (axis, &value) in self.axes.iter().zip(&self.points[k]) {
            path::set(&mut file, &axis.path, value).map_err(path_error)?;
        }
        if let Some(r) = self.file.replications {
            file.replications = r;
        }
        // `load` checked that every listed variant is the base's.
        if !self.file.variants.is_empty() {
            file.variants
                .retain(|v| self.file.variants.contains(&v.label));
        }
        let base_dir = self.base_path.parent().unwrap_or(Path::new("."));
        scenario::from_file(file, &self.base_path, base_dir).map_err(|e| {
            SweepError::Scenario(format!(
                "{}: point {k} ({}) is not a valid scenario: {e}",
                self.path.display(),
                self.describe(k)
            ))
        })
    }

    /// `path = value` for every axis of point `k`.
    pub fn describe(&self, k: usize) -> String {
        self.axes
            .iter()
            .zip(&self.points[k])
            .map(|(a, v)| format!("{} = {v}", a.path))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Directory name of point `k`.
    pub fn point_dir(k: usize) -> String {
        format!("p{k:04}")
    }
}

/// A shard: this process runs the points k with k mod `count` = `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based shard index.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl Shard {
    /// Whether point `k` belongs to this shard.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count as usize == self.index as usize
    }
}

/// Runs the points of `sweep` that `shard` owns and that are not in `out` yet (`resume`
/// allows an `out` that already holds some), calling `done(k, ran)` after each point. Writes
/// `sweep.csv` and the charts if every point of the grid is then present. Returns the number
/// of points computed.
pub fn run(
    sweep: &Sweep,
    out: &Path,
    shard: Option<Shard>,
    resume: bool,
    threads: usize,
    budget: Option<Budget>,
    done: &(dyn Fn(usize, bool) + Sync),
) -> Result<usize, SweepError> {
    let points_dir = out.join("points");
    let stamp = out.join("sweep.ron");
    let identity = sweep_identity(sweep);
    match scenario::read_input(&stamp, scenario::MAX_RON_BYTES) {
        Ok(existing) if existing == identity => {
            if !resume {
                return Err(SweepError::Usage(format!(
                    "{} already holds this sweep's results; add --resume to compute only what is missing",
                    out.display()
                )));
            }
        }
        Ok(_) => {
            return Err(SweepError::Usage(format!(
                "{} holds a different sweep's results; choose another --out",
                out.display()
            )));
        }
        Err(_) => {
            std::fs::create_dir_all(&points_dir)
                .map_err(|e| SweepError::Write(points_dir.clone(), e))?;
            write_atomically(&stamp, &identity)?;
        }
    }
    std::fs::create_dir_all(&points_dir).map_err(|e| SweepError::Write(points_dir.clone(), e))?;
    let mut missing = Vec::new();
    for k in 0..sweep.points.len() {
        if shard.is_some_and(|s| !s.owns(k)) {
            continue;
        }
        if points_dir.join(Sweep::point_dir(k)).is_dir() {
            done(k, false);
        } else {
            missing.push(k);
        }
    }
    // Every run (point × variant × replication) gets an equal share of the budget per core
    // (at most one run per core at once; see `point_budget`), so its stop line does not
    // depend on --threads.
    let mut plans = Vec::with_capacity(missing.len());
    for &k in &missing {
        let scenario = sweep.point_scenario(k)?;
        let stop_line = budget
            .map(|b| point_budget(sweep, k, &scenario, b))
            .transpose()?;
        plans.push(PointPlan {
            k,
            jobs: experiment::job_count(&scenario),
            stop_line,
        });
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("a thread pool of this size can be built");
    pool.install(|| run_points(sweep, &points_dir, &plans, done))?;
    let computed = missing.len();
    // Charts too are drawn by the sweep's workers, so `--threads` bounds the whole run.
    pool.install(|| finish_if_complete(sweep, out))?;
    Ok(computed)
}

/// A missing point to compute: its index, how many runs it has and their stop line.
struct PointPlan {
    k: usize,
    jobs: u32,
    stop_line: Option<u64>,
}

/// A point whose runs are under way: its scenario (built when its first run starts) and the
/// output of each run finished so far, in job order.
#[derive(Default)]
struct PointRuns {
    scenario: Option<std::sync::Arc<scenario::Scenario>>,
    outputs: Vec<Option<experiment::JobOutput>>,
    finished: u32,
}

/// Runs every job of `plans`' points on the current pool's workers and writes each point
/// (calling `done(k, true)`) as soon as its last run finishes.
///
/// The jobs form one list — point by point, each point's in `experiment::job_count` order —
/// handed out in that order: each worker takes the next job whenever it is free, so every
/// core stays busy until the last run, whatever the number of points, and the points are
/// finished roughly in order, at most about one per worker in flight (which bounds the
/// results held, see `point_budget`, and leaves a killed sweep a near prefix of points).
/// A run's result depends on its point's scenario, seed and job number alone, and a point
/// is assembled from its runs in job order (`experiment::assemble`), so neither the order
/// the runs finish in nor the thread count reaches the files.
///
/// After a failure no further job starts; the runs under way finish and the points they
/// complete are written. Of the failures, the first point's (then its first job's) is
/// returned.
fn run_points(
    sweep: &Sweep,
    points_dir: &Path,
    plans: &[PointPlan],
    done: &(dyn Fn(usize, bool) + Sync),
) -> Result<(), SweepError> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    // Job j of the list is job j − starts[i] of point i, where starts[i] ≤ j < starts[i + 1].
    let mut starts = Vec::with_capacity(plans.len() + 1);
    starts.push(0usize);
    for p in plans {
        starts.push(starts.last().copied().unwrap_or(0) + p.jobs as usize);
    }
    let total = starts.last().copied().unwrap_or(0);
    let points: Vec<Mutex<PointRuns>> = plans.iter().map(|_| Mutex::default()).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let failures: Mutex<Vec<(usize, u32, SweepError)>> = Mutex::new(Vec::new());
    let fail = |i: usize, job: u32, e: SweepError| {
        failed.store(true, Ordering::SeqCst);
        failures.lock().expect("no worker panics").push((i, job, e));
    };
    let worker = || {
        while !failed.load(Ordering::SeqCst) {
            let j = next.fetch_add(1, Ordering::SeqCst);
            if j >= total {
                break;
            }
            let i = starts.partition_point(|&s| s <= j) - 1;
            let plan = &plans[i];
            let job = (j - starts[i]) as u32;
            let scenario = {
                let mut runs = points[i].lock().expect("no worker panics");
                if runs.scenario.is_none() {
                    match sweep.point_scenario(plan.k) {
                        Ok(s) => runs.scenario = Some(Arc::new(s)),
                        Err(e) => {
                            drop(runs);
                            fail(i, job, e);
                            break;
                        }
                    }
                    runs.outputs = (0..plan.jobs).map(|_| None).collect();
                }
                Arc::clone(runs.scenario.as_ref().expect("built above"))
            };
            let seed = scenario.seed.unwrap_or(1);
            let output =
                match experiment::run_job(&scenario, seed, job, plan.stop_line, None, &|_| {}) {
                    Ok(o) => o,
                    Err(e) => {
                        let describe = sweep.describe(plan.k);
                        fail(
                            i,
                            job,
                            SweepError::Run(format!("point {} ({describe}): {e}", plan.k)),
                        );
                        break;
                    }
                };
            let complete = {
                let mut runs = points[i].lock().expect("no worker panics");
                runs.outputs[job as usize] = Some(output);
                runs.finished += 1;
                (runs.finished == plan.jobs).then(|| std::mem::take(&mut *runs))
            };
            if let Some(runs) = complete {
                let outputs = runs
                    .outputs
                    .into_iter()
                    .map(|o| o.expect("every run of a complete point has finished"))
                    .collect();
                let scenario = runs.scenario.expect("built by the point's first run");
                match finish_point(sweep, points_dir, plan.k, &scenario, outputs) {
                    Ok(()) => done(plan.k, true),
                    Err(e) => fail(i, 0, e),
                }
            }
        }
    };
    // One worker per pool thread, each taking jobs until the list is done.
    rayon::broadcast(|_| worker());
    let mut failures = failures.into_inner().expect("no worker panics");
    failures.sort_by_key(|&(i, job, _)| (i, job));
    match failures.into_iter().next() {
        Some((_, _, e)) => Err(e),
        None => Ok(()),
    }
}

/// Assembles point `k` of `scenario` from its runs' `outputs` (in job order) and writes
/// `points_dir/pNNNN/` atomically: into a temporary directory first, renamed when complete,
/// so a kill at any moment leaves it complete or absent. A point one of whose runs outgrew
/// its memory budget is not written.
fn finish_point(
    sweep: &Sweep,
    points_dir: &Path,
    k: usize,
    scenario: &scenario::Scenario,
    outputs: Vec<experiment::JobOutput>,
) -> Result<(), SweepError> {
    let seed = scenario.seed.unwrap_or(1);
    let result = experiment::assemble(scenario, seed, outputs);
    if !result.stopped.is_empty() {
        return Err(SweepError::Overloaded {
            point: k,
            describe: sweep.describe(k),
            report: experiment::budget::overload_report(&result),
        });
    }
    let dir = points_dir.join(Sweep::point_dir(k));
    let tmp = points_dir.join(format!(
        ".{}.partial-{}",
        Sweep::point_dir(k),
        std::process::id()
    ));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| SweepError::Write(tmp.clone(), e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| SweepError::Write(tmp.clone(), e))?;
    let texts = [
        output::summary_csv(&result),
        output::replications_csv(&result),
        output::semantics_csv(&result),
        format!("{}\n", sweep.describe(k)),
    ];
    for (name, text) in POINT_FILES.into_iter().zip(texts) {
        let p = tmp.join(name);
        std::fs::write(&p, text).map_err(|e| SweepError::Write(p, e))?;
    }
    std::fs::rename(&tmp, &dir).map_err(|e| SweepError::Write(dir.clone(), e))
}

/// Whether `text` is a sweep file rather than a scenario: it writes the fields `base` and
/// `axes` (found by a scan that tolerates syntax errors and skips comments).
pub fn looks_like_sweep(text: &str) -> bool {
    let spans = locate::Spans::new(text);
    spans.field("base").is_some() && spans.field("axes").is_some()
}

/// The cores of this machine: at most one run per core runs at once.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The stop line of point `k`'s runs. One run per core runs at once, and the worker running
/// it holds, besides, the finished runs of the point it works on until that point is
/// written (about one point per worker is in flight, see `run_points`). So each core's
/// share is the budget over the cores, and it must hold one run and its point's results:
/// the plan of the whole point (every variant and replication kept) run one at a time.
fn point_budget(
    sweep: &Sweep,
    k: usize,
    scenario: &scenario::Scenario,
    budget: Budget,
) -> Result<u64, SweepError> {
    let share = Budget {
        bytes: budget.bytes / cores() as u64,
        ..budget
    };
    experiment::plan(scenario, share, 1)
        .map(|p| p.stop_line)
        .map_err(|e| {
            SweepError::Budget(format!(
                "point {k} ({}) cannot fit its share ({}) of the memory budget of {budget}, one \
                 run per core: {e}",
                sweep.describe(k),
                crate::memory::Bytes(share.bytes)
            ))
        })
}

/// What identifies a sweep's results: its resolved file and its grid.
fn sweep_identity(sweep: &Sweep) -> String {
    let mut s = ron::ser::to_string_pretty(&sweep.file, ron::ser::PrettyConfig::new())
        .expect("sweep files serialise");
    s.push('\n');
    for (k, _) in sweep.points.iter().enumerate() {
        writeln!(s, "// point {k}: {}", sweep.describe(k)).expect("infallible");
    }
    s
}

fn write_atomically(path: &Path, text: &str) -> Result<(), SweepError> {
    let tmp = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| SweepError::Write(tmp.clone(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| SweepError::Write(path.to_path_buf(), e))
}

/// Writes `sweep.csv` and the charts once every point is present; returns whether it did.
pub fn finish_if_complete(sweep: &Sweep, out: &Path) -> Result<bool, SweepError> {
    let points_dir = out.join("points");
    let mut csv = String::new();
    for a in &sweep.axes {
        write!(csv, "{},", a.path).expect("infallible");
    }
    csv.push_str("variant,metric,mean,ci_low,ci_high,n\n");
    for k in 0..sweep.points.len() {
        let summary = points_dir.join(Sweep::point_dir(k)).join("summary.csv");
        let Ok(text) = scenario::read_input(&summary, scenario::MAX_CSV_BYTES) else {
            return Ok(false);
        };
        let values: String = sweep.points[k].iter().map(|v| format!("{v},")).collect();
        for line in text.lines().skip(1) {
            // variant,metric,mean,std_dev,ci_low,ci_high,level,n
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 8 {
                continue;
            }
            writeln!(
                csv,
                "{values}{},{},{},{},{},{}",
                f[0], f[1], f[2], f[4], f[5], f[7]
            )
            .expect("infallible");
        }
    }
    write_atomically(&out.join("sweep.csv"), &csv)?;
    write_atomically(
        &out.join("semantics.csv"),
        &semantics_table(sweep, &points_dir),
    )?;
    charts::draw(sweep, out, &csv)?;
    // Last: the page embeds the charts just drawn.
    write_atomically(&out.join("report.md"), &report::render(sweep, out, &csv))?;
    Ok(true)
}

/// The sweep-wide `semantics.csv`: every point's rows, prefixed with its axis values.
fn semantics_table(sweep: &Sweep, points_dir: &Path) -> String {
    let mut out = String::new();
    for a in &sweep.axes {
        write!(out, "{},", a.path).expect("infallible");
    }
    out.push_str("variant,strategy,declared,condition,guarantee,replications,episodes,with_loss,with_duplicates,lost,duplicated,visible_duplicated,violations,holds\n");
    for k in 0..sweep.points.len() {
        let path = points_dir.join(Sweep::point_dir(k)).join("semantics.csv");
        let Ok(text) = scenario::read_input(&path, scenario::MAX_CSV_BYTES) else {
            continue; // written by a version before semantics were checked per point
        };
        let values: String = sweep.points[k].iter().map(|v| format!("{v},")).collect();
        for line in text.lines().skip(1) {
            writeln!(out, "{values}{line}").expect("infallible");
        }
    }
    out
}

/// Every (point, variant, condition) of the sweep in `out` whose guarantee was broken, as
/// `point k (axis = value…): variant, condition: n violation(s)` lines.
pub fn violations(sweep: &Sweep, out: &Path) -> Vec<String> {
    let points_dir = out.join("points");
    let mut found = Vec::new();
    for k in 0..sweep.points.len() {
        let path = points_dir.join(Sweep::point_dir(k)).join("semantics.csv");
        let Ok(text) = scenario::read_input(&path, scenario::MAX_CSV_BYTES) else {
            continue;
        };
        for line in text.lines().skip(1) {
            // variant,strategy,declared,condition,guarantee,…,visible_duplicated,violations,holds
            let f: Vec<&str> = line.split(',').collect();
            if f.len() >= 14 && f[13] == "false" {
                found.push(format!(
                    "point {k} ({}): variant {}, {} condition (guarantees {}): {} episode(s) broke it, {} lost, {} duplicated",
                    sweep.describe(k),
                    f[0],
                    f[3],
                    f[4],
                    f[12],
                    f[9],
                    f[10]
                ));
            }
        }
    }
    found
}

/// Copies the points of shard directories `dirs` into `out` (which may be one of them) and
/// finishes the sweep there.
pub fn merge(sweep: &Sweep, dirs: &[PathBuf], out: &Path) -> Result<usize, SweepError> {
    let identity = sweep_identity(sweep);
    let points = out.join("points");
    std::fs::create_dir_all(&points).map_err(|e| SweepError::Write(points.clone(), e))?;
    write_atomically(&out.join("sweep.ron"), &identity)?;
    let mut copied = 0;
    for dir in dirs {
        let stamp = scenario::read_input(&dir.join("sweep.ron"), scenario::MAX_RON_BYTES)
            .unwrap_or_default();
        if stamp != identity {
            return Err(SweepError::Usage(format!(
                "{} does not hold results of this sweep",
                dir.display()
            )));
        }
        for k in 0..sweep.points.len() {
            let name = Sweep::point_dir(k);
            let (from, to) = (dir.join("points").join(&name), points.join(&name));
            if from.is_dir() && !to.is_dir() {
                let tmp = points.join(format!(".{name}.partial-{}", std::process::id()));
                std::fs::create_dir_all(&tmp).map_err(|e| SweepError::Write(tmp.clone(), e))?;
                for f in POINT_FILES {
                    // A point written before guarantees were checked per point has no
                    // semantics.csv.
                    if f == "semantics.csv" && !from.join(f).exists() {
                        continue;
                    }
                    std::fs::copy(from.join(f), tmp.join(f))
                        .map_err(|e| SweepError::Write(tmp.join(f), e))?;
                }
                std::fs::rename(&tmp, &to).map_err(|e| SweepError::Write(to.clone(), e))?;
                copied += 1;
            }
        }
    }
    if !finish_if_complete(sweep, out)? {
        let missing: Vec<usize> = (0..sweep.points.len())
            .filter(|k| !points.join(Sweep::point_dir(*k)).is_dir())
            .collect();
        return Err(SweepError::Usage(format!(
            "merged, but points {missing:?} are still missing: run their shards (with --resume)"
        )));
    }
    Ok(copied)
}

mod charts;
pub mod headline;
mod report;
