//! The availability regression gate: rerun a scenario and compare gated metrics with a
//! committed baseline, failing when one is worse by more than the two confidence intervals
//! allow, and refusing a comparison it cannot make at the baseline's confidence.
//!
//! A baseline (`results/baselines/NAME.json`) records, per variant and gated metric, the mean
//! and the half-width of its confidence interval, and whether higher is better. The rerun is
//! worse when it lies on the bad side of the baseline by more than the statistical tolerance
//! √(h_baseline² + h_rerun²) — the half-width of the difference of two independent means —
//! so a rerun with another seed passes, and a real regression larger than the noise fails.
//!
//! The tolerance grows as the rerun's interval widens, so a rerun with fewer replications, a
//! lower confidence level, or values missing from some replications could let any regression
//! through. The gate therefore refuses ([`Refusal`]) rather than compares when the rerun is not
//! the baseline's experiment at the baseline's confidence: another scenario, another level,
//! fewer replications, fewer defined values of a gated metric, a gated variant or metric
//! missing, or a baseline that gates nothing or does not parse.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::experiment::RunResult;
use crate::scenario::Scenario;

/// Metrics gated when a baseline is first written: availability, higher is better.
pub const DEFAULT_METRICS: [&str; 2] = ["availability_system", "availability_mean"];

/// Two confidence levels are the same level when they differ by less than this: the JSON
/// round trip of an `f64` may move it by an ulp, and no one sets levels a billionth apart.
const LEVEL_SLACK: f64 = 1e-9;

/// One gated metric of one variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatedMetric {
    /// Variant label.
    pub variant: String,
    /// Metric name.
    pub metric: String,
    /// Mean over replications.
    pub mean: f64,
    /// Half-width of its confidence interval.
    pub half_width: f64,
    /// Replications in which the metric was defined (finite).
    pub n: usize,
    /// Whether a larger value is better (availability) or worse (delay).
    pub higher_is_better: bool,
}

/// A committed baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Scenario name.
    pub scenario: String,
    /// Seed the baseline ran with.
    pub seed: u64,
    /// Replications per variant.
    pub replications: u32,
    /// Confidence level of the half-widths.
    pub level: f64,
    /// The gated metrics.
    pub metrics: Vec<GatedMetric>,
}

/// One line of the gate's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct GateRow {
    /// The baseline's entry.
    pub baseline: GatedMetric,
    /// The rerun's mean.
    pub mean: f64,
    /// Half-width of the rerun's interval.
    pub half_width: f64,
    /// How much worse the rerun is (negative: better).
    pub worse_by: f64,
    /// √(h_baseline² + h_rerun²).
    pub tolerance: f64,
    /// Whether the rerun is acceptable.
    pub passed: bool,
}

/// Why the gate will not compare (or will not write a baseline): each says what differs and
/// how to make the comparison possible.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The baseline file could not be read.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The baseline file is not a baseline's JSON.
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What serde_json found, without its position.
        message: String,
    },
    /// The baseline gates no metric, so every rerun would pass.
    NoMetrics {
        /// The file (`None`: a baseline about to be written).
        path: Option<PathBuf>,
    },
    /// The baseline parses but cannot be compared with anything.
    InvalidBaseline {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the entry.
        problem: String,
    },
    /// The baseline was written for another scenario.
    ScenarioDiffers {
        /// The baseline's scenario name.
        baseline: String,
        /// The rerun's scenario name.
        rerun: String,
    },
    /// The rerun's intervals would be at another confidence level.
    LevelDiffers {
        /// The baseline's level.
        baseline: f64,
        /// The scenario's level.
        rerun: f64,
    },
    /// The rerun has fewer replications than the baseline: wider intervals, looser gate.
    FewerReplications {
        /// The baseline's replications.
        baseline: u32,
        /// The rerun's replications.
        rerun: u32,
    },
    /// A gated metric is defined (finite) in fewer of the rerun's replications than of the
    /// baseline's.
    FewerValues {
        /// Variant label.
        variant: String,
        /// Metric name.
        metric: String,
        /// Replications defining it in the baseline.
        baseline: usize,
        /// Replications defining it in the rerun.
        rerun: usize,
    },
    /// Gated (variant, metric) entries of the baseline that the rerun does not have.
    Missing {
        /// The missing entries, in baseline order.
        entries: Vec<(String, String)>,
        /// The rerun's variants, to help spot a renamed one.
        variants: Vec<String>,
    },
    /// A metric asked to be gated is not a metric of this scenario's summary.csv.
    UnknownMetric {
        /// The name asked for.
        metric: String,
        /// The metrics summary.csv has.
        known: Vec<String>,
    },
    /// A metric asked to be gated has no confidence interval in any variant.
    NoInterval {
        /// The name asked for.
        metric: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const REWRITE: &str = "or rewrite the baseline from this scenario with --update";
        match self {
            Self::Unreadable { path, reason } => write!(
                f,
                "cannot read the baseline {}: {reason}; create it with --update",
                path.display()
            ),
            Self::Malformed {
                path,
                line,
                column,
                message,
            } => write!(
                f,
                "{}:{line}:{column}: not a gate baseline: {message}; fix the file, or delete it \
                 and write a new one with --update",
                path.display()
            ),
            Self::NoMetrics { path } => write!(
                f,
                "{} gates no metric, so every rerun would pass; rewrite it with --update \
                 (which gates {} by default)",
                path.as_ref()
                    .map_or("the new baseline".to_string(), |p| format!(
                        "the baseline {}",
                        p.display()
                    )),
                DEFAULT_METRICS.join(" and ")
            ),
            Self::InvalidBaseline { path, problem } => write!(
                f,
                "the baseline {} cannot be compared with: {problem}; rewrite it with --update",
                path.display()
            ),
            Self::ScenarioDiffers { baseline, rerun } => write!(
                f,
                "the baseline was written for scenario {baseline:?}, not {rerun:?}; pass \
                 {baseline:?}'s scenario file, or write a baseline for {rerun:?} with --update"
            ),
            Self::LevelDiffers { baseline, rerun } => write!(
                f,
                "the baseline's intervals are at {}% confidence, the scenario's at {}%; set \
                 metrics: (confidence: {baseline}) in the scenario, {REWRITE}",
                baseline * 100.0,
                rerun * 100.0
            ),
            Self::FewerReplications { baseline, rerun } => write!(
                f,
                "the rerun has {rerun} replication(s), the baseline {baseline}: its wider \
                 intervals would let a real regression pass; rerun with the baseline's \
                 {baseline} replications, {REWRITE}"
            ),
            Self::FewerValues {
                variant,
                metric,
                baseline,
                rerun,
            } => write!(
                f,
                "{variant}/{metric} is defined in {rerun} of the rerun's replications but in \
                 {baseline} of the baseline's, so its interval is not at the baseline's \
                 confidence; find out why the metric is undefined (NaN) in the others, {REWRITE}"
            ),
            Self::Missing { entries, variants } => {
                let listed: Vec<String> = entries.iter().map(|(v, m)| format!("{v}/{m}")).collect();
                write!(
                    f,
                    "the rerun lacks {} gated entr{} of the baseline: {} (the rerun's variants: \
                     {}); restore them in the scenario, {REWRITE}",
                    entries.len(),
                    if entries.len() == 1 { "y" } else { "ies" },
                    listed.join(", "),
                    variants.join(", ")
                )
            }
            Self::UnknownMetric { metric, known } => write!(
                f,
                "{metric:?} is not a metric of summary.csv for this scenario; gate one of: {}",
                known.join(", ")
            ),
            Self::NoInterval { metric } => write!(
                f,
                "{metric:?} has no confidence interval in any variant (fewer than two \
                 replications define it), so it cannot be gated; gate another metric, or run \
                 more replications"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// Reads a baseline file; `Ok(None)` when there is none (so `--update` can create it).
pub fn read(path: &Path) -> Result<Option<Baseline>, Refusal> {
    // A regular file of at most 8 MiB: a FIFO or /dev/zero given as --baseline is refused,
    // not read forever.
    match crate::scenario::read_optional(path, crate::scenario::MAX_RON_BYTES) {
        Ok(Some(text)) => parse(path, &text).map(Some),
        Ok(None) => Ok(None),
        Err(e) => Err(Refusal::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// Parses a baseline's JSON, reporting where it is wrong.
pub fn parse(path: &Path, text: &str) -> Result<Baseline, Refusal> {
    serde_json::from_str(text).map_err(|e| {
        // serde_json's Display appends " at line L column C"; the position goes first instead.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        Refusal::Malformed {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: full.strip_suffix(&suffix).unwrap_or(&full).to_string(),
        }
    })
}

/// Reads and checks the baseline a comparison needs: present, parseable and usable.
pub fn load(path: &Path) -> Result<Baseline, Refusal> {
    let baseline = read(path)?.ok_or_else(|| Refusal::Unreadable {
        path: path.to_path_buf(),
        reason: "no such file".to_string(),
    })?;
    baseline.check(path)?;
    Ok(baseline)
}

impl Baseline {
    /// Whether the baseline can be compared with at all: it gates something, at a real
    /// confidence level, and each entry is a finite interval over 2..=replications values,
    /// listed once.
    pub fn check(&self, path: &Path) -> Result<(), Refusal> {
        let invalid = |problem: String| Refusal::InvalidBaseline {
            path: path.to_path_buf(),
            problem,
        };
        if self.metrics.is_empty() {
            return Err(Refusal::NoMetrics {
                path: Some(path.to_path_buf()),
            });
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(invalid(format!(
                "level {} is not a confidence level in (0, 1)",
                self.level
            )));
        }
        for (i, g) in self.metrics.iter().enumerate() {
            let name = format!("{}/{}", g.variant, g.metric);
            if !g.mean.is_finite() || !g.half_width.is_finite() || g.half_width < 0.0 {
                return Err(invalid(format!(
                    "{name} has mean {} and half-width {}; both must be finite, the half-width \
                     non-negative",
                    g.mean, g.half_width
                )));
            }
            if g.n < 2 || g.n > self.replications as usize {
                return Err(invalid(format!(
                    "{name} has n = {}, outside 2..={} (the baseline's replications)",
                    g.n, self.replications
                )));
            }
            if self.metrics[..i]
                .iter()
                .any(|e| e.variant == g.variant && e.metric == g.metric)
            {
                return Err(invalid(format!("{name} is listed twice")));
            }
        }
        Ok(())
    }
}

/// Builds a baseline from a run: `metrics` (name, higher is better) for every variant that
/// has an interval of it. Refuses a metric summary.csv lacks, one without an interval in any
/// variant, and an empty list — each would write a baseline that gates less than asked.
pub fn baseline(result: &RunResult, metrics: &[(String, bool)]) -> Result<Baseline, Refusal> {
    let level = result.scenario.confidence;
    let mut gated = Vec::new();
    for (metric, higher) in metrics {
        if result.cells.iter().all(|c| c.values(metric).is_empty()) {
            return Err(Refusal::UnknownMetric {
                metric: metric.clone(),
                known: known_metrics(result),
            });
        }
        let before = gated.len();
        for cell in &result.cells {
            if let Some(ci) = cell.interval(metric, level) {
                gated.push(GatedMetric {
                    variant: cell.label.clone(),
                    metric: metric.clone(),
                    mean: ci.mean,
                    half_width: ci.half_width(),
                    n: ci.n,
                    higher_is_better: *higher,
                });
            }
        }
        if gated.len() == before {
            return Err(Refusal::NoInterval {
                metric: metric.clone(),
            });
        }
    }
    if gated.is_empty() {
        return Err(Refusal::NoMetrics { path: None });
    }
    // Per variant, then per metric, as the committed baselines list them.
    let order = |label: &str| result.cells.iter().position(|c| c.label == label);
    gated.sort_by_key(|g| order(&g.variant));
    Ok(Baseline {
        scenario: result.scenario.name.clone(),
        seed: result.seed,
        replications: result.scenario.replications,
        level,
        metrics: gated,
    })
}

/// Metric names of the run's summary.csv, in the order replications report them.
fn known_metrics(result: &RunResult) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in result.cells.iter().flat_map(|c| c.replications.first()) {
        for (name, _) in &r.metrics {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// Whether `scenario` reruns the baseline's experiment at the baseline's confidence: the same
/// scenario name and level, and at least as many replications. Needs no run, so the gate can
/// refuse before spending one.
pub fn check_rerun(baseline: &Baseline, scenario: &Scenario) -> Result<(), Refusal> {
    if scenario.name != baseline.scenario {
        return Err(Refusal::ScenarioDiffers {
            baseline: baseline.scenario.clone(),
            rerun: scenario.name.clone(),
        });
    }
    if (scenario.confidence - baseline.level).abs() > LEVEL_SLACK {
        return Err(Refusal::LevelDiffers {
            baseline: baseline.level,
            rerun: scenario.confidence,
        });
    }
    if scenario.replications < baseline.replications {
        return Err(Refusal::FewerReplications {
            baseline: baseline.replications,
            rerun: scenario.replications,
        });
    }
    Ok(())
}

/// Compares a rerun with the baseline, metric by metric, after checking that the rerun is the
/// baseline's experiment at the baseline's confidence (see the module docs).
pub fn compare(baseline: &Baseline, result: &RunResult) -> Result<Vec<GateRow>, Refusal> {
    check_rerun(baseline, &result.scenario)?;
    let missing: Vec<(String, String)> = baseline
        .metrics
        .iter()
        .filter(|b| {
            result
                .cells
                .iter()
                .find(|c| c.label == b.variant)
                .is_none_or(|c| c.values(&b.metric).is_empty())
        })
        .map(|b| (b.variant.clone(), b.metric.clone()))
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::Missing {
            entries: missing,
            variants: result.cells.iter().map(|c| c.label.clone()).collect(),
        });
    }
    let mut rows = Vec::with_capacity(baseline.metrics.len());
    for b in &baseline.metrics {
        let cell = result.cells.iter().find(|c| c.label == b.variant);
        let ci = cell.and_then(|c| c.interval(&b.metric, baseline.level));
        let defined = cell.map_or(0, |c| {
            c.values(&b.metric).iter().filter(|v| v.is_finite()).count()
        });
        let Some(ci) = ci.filter(|_| defined >= b.n) else {
            return Err(Refusal::FewerValues {
                variant: b.variant.clone(),
                metric: b.metric.clone(),
                baseline: b.n,
                rerun: defined,
            });
        };
        let (mean, half_width) = (ci.mean, ci.half_width());
        let worse_by = if b.higher_is_better {
            b.mean - mean
        } else {
            mean - b.mean
        };
        let tolerance = b.half_width.hypot(half_width);
        rows.push(GateRow {
            baseline: b.clone(),
            mean,
            half_width,
            worse_by,
            tolerance,
            // The slack of a few ulps absorbs the JSON round trip of an identical rerun.
            passed: worse_by <= tolerance + 1e-12 * b.mean.abs(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tests/fixtures/tiny.ron cut to 2 s with two variants: an M/M/1 queue that runs in
    /// milliseconds, with its detector metrics undefined (no fault, so no episode).
    fn tiny(replications: u32, confidence: f64, name: &str) -> RunResult {
        let text = format!(
            r#"(
  version: 1,
  name: "{name}",
  seed: 20261124,
  replications: {replications},
  metrics: (confidence: {confidence}),
  duration_s: 2.0,
  warmup_s: 0.5,
  cluster: (nodes: [(name: "server", cores: 1)]),
  operators: [
    (name: "arrivals", kind: Source(arrivals: Poisson(rate_per_s: 800.0), keys: Uniform(count: 1))),
    (name: "queue", kind: Map(service_ms: Exp(mean: 1.0)), inputs: [(from: "arrivals")]),
    (name: "departures", kind: Sink, inputs: [(from: "queue")]),
  ],
  variants: [(label: "one"), (label: "two")],
)"#
        );
        crate::tests::run(&crate::tests::parse(&text))
    }

    fn delay_and_availability() -> Vec<(String, bool)> {
        vec![
            ("availability_system".to_string(), true),
            ("delay_mean_ms".to_string(), false),
        ]
    }

    fn tiny_baseline(replications: u32) -> Baseline {
        baseline(&tiny(replications, 0.95, "tiny"), &delay_and_availability())
            .expect("tiny's metrics are defined")
    }

    fn path() -> &'static Path {
        Path::new("baseline.json")
    }

    fn row(mean: f64, h: f64) -> GatedMetric {
        GatedMetric {
            variant: "v".into(),
            metric: "availability_system".into(),
            mean,
            half_width: h,
            n: 10,
            higher_is_better: true,
        }
    }

    #[test]
    fn tolerance_is_the_half_width_of_the_difference() {
        let b = row(0.99, 0.003);
        let tolerance = b.half_width.hypot(0.004);
        assert!((tolerance - 0.005).abs() < 1e-12);
    }

    #[test]
    fn the_baselines_own_run_passes_and_lists_entries_per_variant() {
        let b = tiny_baseline(4);
        let order: Vec<(&str, &str)> = b
            .metrics
            .iter()
            .map(|g| (g.variant.as_str(), g.metric.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("one", "availability_system"),
                ("one", "delay_mean_ms"),
                ("two", "availability_system"),
                ("two", "delay_mean_ms"),
            ]
        );
        b.check(path()).expect("a fresh baseline is valid");
        let rows = compare(&b, &tiny(4, 0.95, "tiny")).expect("same experiment");
        assert!(rows.iter().all(|r| r.passed), "{rows:?}");
    }

    #[test]
    fn more_replications_than_the_baseline_are_compared() {
        let rows = compare(&tiny_baseline(4), &tiny(6, 0.95, "tiny")).expect("tighter is fine");
        assert_eq!(rows.len(), 4);
    }

    #[test]
    fn fewer_replications_than_the_baseline_are_refused() {
        let refusal = compare(&tiny_baseline(6), &tiny(3, 0.95, "tiny")).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::FewerReplications {
                baseline: 6,
                rerun: 3
            }
        );
        let message = refusal.to_string();
        assert!(
            message.contains("rerun with the baseline's 6 replications")
                && message.contains("--update"),
            "{message}"
        );
    }

    #[test]
    fn another_scenario_is_refused() {
        let refusal = compare(&tiny_baseline(3), &tiny(3, 0.95, "other")).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::ScenarioDiffers {
                baseline: "tiny".into(),
                rerun: "other".into()
            }
        );
    }

    #[test]
    fn another_confidence_level_is_refused() {
        let refusal = compare(&tiny_baseline(3), &tiny(3, 0.9, "tiny")).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::LevelDiffers {
                baseline: 0.95,
                rerun: 0.9
            }
        );
        assert!(
            refusal.to_string().contains("metrics: (confidence: 0.95)"),
            "{refusal}"
        );
    }

    #[test]
    fn an_empty_metric_list_is_refused() {
        let mut b = tiny_baseline(3);
        b.metrics.clear();
        assert_eq!(
            b.check(path()),
            Err(Refusal::NoMetrics {
                path: Some(path().to_path_buf())
            })
        );
        assert_eq!(
            baseline(&tiny(3, 0.95, "tiny"), &[]),
            Err(Refusal::NoMetrics { path: None })
        );
    }

    #[test]
    fn a_malformed_baseline_is_refused_with_its_line_and_column() {
        let text = "{\n  \"scenario\": \"tiny\",\n  \"seed\": 1,\n  \"replications\": \"three\"\n}";
        let refusal = parse(path(), text).unwrap_err();
        let Refusal::Malformed {
            line,
            column,
            message,
            ..
        } = &refusal
        else {
            panic!("{refusal:?}");
        };
        assert_eq!((*line, *column), (4, 25), "{refusal}");
        assert!(message.contains("expected u32"), "{message}");
        assert!(
            refusal.to_string().starts_with("baseline.json:4:25: "),
            "{refusal}"
        );
        assert!(matches!(
            parse(path(), "{\"scenario\": \"tiny\"}"),
            Err(Refusal::Malformed { .. })
        ));
        assert!(matches!(parse(path(), ""), Err(Refusal::Malformed { .. })));
    }

    #[test]
    fn a_missing_baseline_file_is_refused_but_may_be_created() {
        let nowhere = Path::new("/nonexistent/faultline/baseline.json");
        assert_eq!(read(nowhere), Ok(None));
        assert!(matches!(load(nowhere), Err(Refusal::Unreadable { .. })));
    }

    #[test]
    fn a_variant_or_metric_missing_from_the_rerun_is_refused() {
        let mut b = tiny_baseline(3);
        b.metrics[0].variant = "renamed".into();
        b.metrics[3].metric = "no_such_metric".into();
        let refusal = compare(&b, &tiny(3, 0.95, "tiny")).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::Missing {
                entries: vec![
                    ("renamed".into(), "availability_system".into()),
                    ("two".into(), "no_such_metric".into()),
                ],
                variants: vec!["one".into(), "two".into()],
            }
        );
    }

    #[test]
    fn a_metric_defined_in_fewer_replications_is_refused() {
        let b = tiny_baseline(4);
        let mut rerun = tiny(4, 0.95, "tiny");
        // A metric that turned NaN in one replication: three values, a wider interval.
        for (name, value) in &mut rerun.cells[1].replications[0].metrics {
            if name == "delay_mean_ms" {
                *value = f64::NAN;
            }
        }
        assert_eq!(
            compare(&b, &rerun),
            Err(Refusal::FewerValues {
                variant: "two".into(),
                metric: "delay_mean_ms".into(),
                baseline: 4,
                rerun: 3
            })
        );
    }

    #[test]
    fn an_inconsistent_baseline_is_refused() {
        type Breakage = fn(&mut Baseline);
        let cases: [(&str, Breakage); 5] = [
            ("n above replications", |b| b.metrics[0].n = 99),
            ("n below two", |b| b.metrics[0].n = 1),
            ("NaN mean", |b| b.metrics[0].mean = f64::NAN),
            ("level of 95", |b| b.level = 95.0),
            ("a duplicate", |b| {
                let first = b.metrics[0].clone();
                b.metrics.push(first);
            }),
        ];
        for (what, break_it) in cases {
            let mut b = tiny_baseline(3);
            break_it(&mut b);
            assert!(
                matches!(b.check(path()), Err(Refusal::InvalidBaseline { .. })),
                "{what}: {:?}",
                b.check(path())
            );
        }
    }

    #[test]
    fn updating_with_a_metric_outside_summary_csv_is_refused() {
        let result = tiny(3, 0.95, "tiny");
        let refusal = baseline(&result, &[("delay_p99".to_string(), false)]).unwrap_err();
        let Refusal::UnknownMetric { metric, known } = &refusal else {
            panic!("{refusal:?}");
        };
        assert_eq!(metric, "delay_p99");
        assert!(known.iter().any(|k| k == "delay_p99_ms"), "{known:?}");
    }

    #[test]
    fn updating_with_a_metric_without_an_interval_is_refused() {
        // No fault, so no detection: the metric is in summary.csv, NaN in every replication.
        let result = tiny(3, 0.95, "tiny");
        assert_eq!(
            baseline(&result, &[("detection_time_mean_s".to_string(), false)]),
            Err(Refusal::NoInterval {
                metric: "detection_time_mean_s".into()
            })
        );
    }

    #[test]
    fn the_committed_baselines_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/baselines");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("results/baselines exists") {
            let path = entry.expect("readable entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                load(&path).unwrap_or_else(|e| panic!("{e}"));
                seen += 1;
            }
        }
        assert!(seen >= 2, "expected the CI baselines in {}", dir.display());
    }
}
