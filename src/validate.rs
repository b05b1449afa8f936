//! `faultline validate`: every mechanism checked against theory and published results.
//!
//! Each check runs a scenario of `scenarios/validation/` (or a small model of its own),
//! compares a simulated quantity with its theoretical value, and decides pass or fail from
//! the confidence interval alone: the theoretical value must lie inside the 99 % Student-t
//! interval of the replication means, and in a full run that interval must also be narrow —
//! a half-width within 2 % of the value — so that passing means something. `--quick` runs
//! shorter replications and keeps only the first rule. Expected values are derived in the
//! header comment of each scenario file; nothing here is tuned to pass.
//!
//! [`run`] gathers every group's checks and charts; [`report`] writes them as Markdown.

pub mod availability;
mod charts;
pub mod checkpointing;
pub mod detection;
pub mod flow;
pub mod hwang;
pub mod presets;
pub mod queues;
pub mod recovery;
pub mod report;
pub mod sinks;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::stats::{Interval, t_interval};

/// Confidence level of the pass/fail intervals.
pub const LEVEL: f64 = 0.99;

/// Largest relative half-width a full run accepts.
pub const MAX_RELATIVE_HALF_WIDTH: f64 = 0.02;

/// How much to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every check at full length: narrow intervals required.
    Full,
    /// Shorter runs for the test suite: the theoretical value must still lie in the interval.
    Quick,
}

impl Mode {
    /// Scales a full-run duration or count down in quick mode (by `factor`, at least `min`).
    pub fn scale(self, full: f64, factor: f64, min: f64) -> f64 {
        match self {
            Self::Full => full,
            Self::Quick => (full / factor).max(min),
        }
    }
}

/// The family a check belongs to (a section of the report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// Queueing delay against queueing theory.
    Queues,
    /// Availability against renewal theory and replication formulas.
    Availability,
    /// Failure detectors against their timing analysis.
    Detection,
    /// Checkpoint intervals against Young and Daly.
    Checkpointing,
    /// Recovery time against the catch-up formula.
    Recovery,
    /// The published recovery-time-versus-overhead trend.
    Trend,
    /// Real engines' failure-detection defaults.
    Presets,
    /// Credit-based flow control against M/M/1/K and overload.
    Flow,
    /// Sink commit: visible delay of a transactional sink.
    Sinks,
}

impl Group {
    /// Section title in the report.
    pub fn title(self) -> &'static str {
        match self {
            Self::Queues => "Queues",
            Self::Availability => "Availability",
            Self::Detection => "Failure detection",
            Self::Checkpointing => "Checkpointing",
            Self::Recovery => "Recovery time",
            Self::Trend => "A published trend (Hwang et al., ICDE 2005)",
            Self::Presets => "Real systems' detection defaults",
            Self::Flow => "Flow control",
            Self::Sinks => "Sink commit",
        }
    }
}

/// What a check measured.
#[derive(Clone, Debug, PartialEq)]
pub enum Measured {
    /// A confidence interval over replications (level [`LEVEL`]).
    Interval(Interval),
    /// A value that is exact for the run (a count, a bound over every episode).
    Exact(f64),
}

impl Measured {
    /// The point estimate.
    pub fn value(&self) -> f64 {
        match self {
            Self::Interval(i) => i.mean,
            Self::Exact(v) => *v,
        }
    }
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Report section.
    pub group: Group,
    /// What is checked, e.g. "M/M/1 mean delay, ρ = 0.9".
    pub name: String,
    /// Unit of `theory` and the measurement, e.g. "ms" ("" for ratios).
    pub unit: String,
    /// The theoretical (or published) value.
    pub theory: f64,
    /// Where the theoretical value comes from (formula and reference).
    pub source: String,
    /// What the simulation gave.
    pub measured: Measured,
    /// Whether the check passed.
    pub passed: bool,
    /// Why it failed, or what to know about it (empty when there is nothing to say).
    pub note: String,
}

impl Check {
    /// Relative error of the point estimate against the theory (NaN for a zero theory).
    pub fn relative_error(&self) -> f64 {
        (self.measured.value() - self.theory) / self.theory.abs()
    }

    /// A check decided by the confidence-interval rule: `theory` inside the [`LEVEL`]
    /// interval of `samples` and, in a full run, a half-width within
    /// [`MAX_RELATIVE_HALF_WIDTH`] of `theory`.
    pub fn from_samples(
        group: Group,
        name: impl Into<String>,
        unit: impl Into<String>,
        theory: f64,
        source: impl Into<String>,
        samples: &[f64],
        mode: Mode,
    ) -> Self {
        let (name, unit, source) = (name.into(), unit.into(), source.into());
        let finite: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
        match t_interval(&finite, LEVEL) {
            Ok(ci) => {
                let inside = ci.contains(theory);
                let narrow = ci.half_width() <= MAX_RELATIVE_HALF_WIDTH * theory.abs();
                let passed = inside && (mode == Mode::Quick || narrow);
                let note = match (inside, narrow || mode == Mode::Quick) {
                    (true, true) => String::new(),
                    (false, _) => format!(
                        "theory outside the {:.0} % interval [{}, {}]",
                        LEVEL * 100.0,
                        sig(ci.low),
                        sig(ci.high)
                    ),
                    (true, false) => format!(
                        "interval too wide: half-width {} is more than {:.0} % of the value",
                        sig(ci.half_width()),
                        MAX_RELATIVE_HALF_WIDTH * 100.0
                    ),
                };
                Self {
                    group,
                    name,
                    unit,
                    theory,
                    source,
                    measured: Measured::Interval(ci),
                    passed,
                    note,
                }
            }
            Err(e) => Self {
                group,
                name,
                unit,
                theory,
                source,
                measured: Measured::Exact(f64::NAN),
                passed: false,
                note: format!("no interval: {e}"),
            },
        }
    }

    /// A check decided by an exact condition (`passed`), e.g. a bound over every episode.
    // One argument per column of the report row; a builder would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub fn exact(
        group: Group,
        name: impl Into<String>,
        unit: impl Into<String>,
        theory: f64,
        source: impl Into<String>,
        value: f64,
        passed: bool,
        note: impl Into<String>,
    ) -> Self {
        Self {
            group,
            name: name.into(),
            unit: unit.into(),
            theory,
            source: source.into(),
            measured: Measured::Exact(value),
            passed,
            note: note.into(),
        }
    }
}

/// Four significant digits, for notes and the report.
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{v:.digits$}")
}

/// Why validation could not run (as opposed to a check that failed).
#[derive(Debug)]
pub enum ValidateError {
    /// A validation scenario could not be loaded.
    Scenario(PathBuf, String),
    /// A replication failed (a simulator bug).
    Run(String),
    /// The report or a chart could not be written.
    Write(PathBuf, std::io::Error),
    /// A chart could not be drawn.
    Chart(String),
}

impl fmt::Display for ValidateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scenario(p, e) => write!(f, "{}: {e}", p.display()),
            Self::Run(e) => write!(f, "validation run failed: {e}"),
            Self::Write(p, e) => write!(f, "cannot write {}: {e}", p.display()),
            Self::Chart(e) => write!(f, "cannot draw a validation chart: {e}"),
        }
    }
}

impl std::error::Error for ValidateError {}

impl From<crate::plot::PlotError> for ValidateError {
    fn from(e: crate::plot::PlotError) -> Self {
        match e {
            crate::plot::PlotError::Write { path, source } => Self::Write(path, source),
            other => Self::Chart(other.to_string()),
        }
    }
}

/// What `validate` produced: every check and the charts it drew.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Every check, in report order.
    pub checks: Vec<Check>,
    /// Charts written (PNG and SVG), relative to the output directory.
    pub charts: Vec<PathBuf>,
}

impl Outcome {
    /// Checks that failed.
    pub fn failures(&self) -> usize {
        self.checks.iter().filter(|c| !c.passed).count()
    }
}

/// Where validation reads its scenarios and writes its report.
#[derive(Clone, Debug)]
pub struct Setup {
    /// `scenarios/validation/`.
    pub scenarios: PathBuf,
    /// Where `report.md` and the charts go.
    pub out: PathBuf,
    /// Full or quick.
    pub mode: Mode,
    /// Worker threads of the pool [`run`] runs every check on (a family of checks run on
    /// its own uses the pool it is called in).
    pub threads: usize,
}

impl Setup {
    /// A validation scenario by file name.
    pub fn scenario(&self, file: &str) -> PathBuf {
        self.scenarios.join(file)
    }

    /// A chart path (without extension) in the output directory.
    pub fn chart(&self, name: &str) -> PathBuf {
        self.out.join(name)
    }
}

/// What one family of checks gives: its checks and the charts it drew.
type GroupOutcome = Result<(Vec<Check>, Vec<PathBuf>), ValidateError>;

/// Runs every check and writes `report.md` with its charts into `setup.out`.
///
/// The families of checks are independent (each runs its own scenarios and draws its own
/// charts), so they run at once on one pool of `setup.threads` workers, their replications
/// sharing it: a family with fewer replications than workers, or waiting on its last one,
/// leaves no core idle while another has work. Their outcomes are put together in a fixed
/// order, so the report does not depend on which finished first.
pub fn run(setup: &Setup) -> Result<Outcome, ValidateError> {
    std::fs::create_dir_all(&setup.out).map_err(|e| ValidateError::Write(setup.out.clone(), e))?;
    let no_charts = |checks: Vec<Check>| (checks, Vec::new());
    let families: [&(dyn Fn() -> GroupOutcome + Sync); 9] = [
        &|| queues::checks(setup).map(no_charts),
        &|| {
            let (checks, unavailability) = availability::checks(setup)?;
            Ok((checks, charts::availability(setup, &unavailability)?))
        },
        &|| detection::checks(setup).map(no_charts),
        &|| flow::checks(setup).map(no_charts),
        &|| sinks::checks(setup).map(no_charts),
        &|| checkpointing::checks(setup),
        &|| {
            let (checks, recovery) = recovery::checks(setup)?;
            Ok((checks, charts::recovery(setup, &recovery)?))
        },
        &|| hwang::checks(setup),
        &|| presets::checks(setup),
    ];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(setup.threads.max(1))
        .build()
        .map_err(|e| ValidateError::Run(format!("no thread pool: {e}")))?;
    let outcomes: Vec<GroupOutcome> = pool.install(|| {
        use rayon::prelude::*;
        families.par_iter().map(|family| family()).collect()
    });
    let mut outcome = Outcome::default();
    // The first family's error in report order, whichever failed first.
    for family in outcomes {
        let (checks, charts) = family?;
        outcome.checks.extend(checks);
        outcome.charts.extend(charts);
    }
    // Stable sort: report order is group order, then the order checks were made in.
    outcome.checks.sort_by_key(|c| c.group);
    report::write(setup, &outcome)?;
    Ok(outcome)
}

/// Loads validation scenario `file`, lets `edit` change its parsed form (durations in quick
/// mode, a swept parameter), validates it again and runs every replication with the file's
/// own seed, on the current rayon pool.
pub(crate) fn run_file(
    setup: &Setup,
    file: &str,
    edit: impl FnOnce(&mut crate::scenario::ScenarioFile),
) -> Result<(crate::scenario::Scenario, crate::experiment::RunResult), ValidateError> {
    let path = setup.scenario(file);
    let scenario = crate::scenario::load(&path)
        .map_err(|e| ValidateError::Scenario(path.clone(), e.to_string()))?;
    let mut parsed = scenario.resolved.clone();
    edit(&mut parsed);
    let base = path.parent().unwrap_or(Path::new("."));
    let scenario = crate::scenario::from_file(parsed, &path, base)
        .map_err(|e| ValidateError::Scenario(path.clone(), e.to_string()))?;
    let seed = scenario.seed.unwrap_or(1);
    // On the pool `run` installed (the checks of several files run at once on it).
    let result = crate::experiment::run_in_current_pool(&scenario, seed, None, None, &|_| {})
        .map_err(|e| ValidateError::Run(format!("{}: {e}", path.display())))?;
    Ok((scenario, result))
}
