//! Charts of a results directory, drawn from its CSV files alone.
//!
//! [`draw_all`] reads `summary.csv`, `timeseries.csv`, `delay_cdf.csv`, `episodes.csv`,
//! `network_faults.csv`, `variants.csv` and `manifest.json` of one run directory
//! (`results/<scenario>/<run-id>/`) and writes each chart as PNG and SVG (1200 × 800 px; the
//! throughput chart grows with the variants) into its `plots/` subdirectory:
//!
//! | file | shows | from |
//! |---|---|---|
//! | `throughput` | small multiples, one panel per variant on shared axes: deliveries per second over simulated time (warm-up included, each bucket at its midpoint) of run 0, with that variant's fault (red), detection (orange), recovery (green) and false-failover (black) times as dashed vertical marks and the run's partitions (grey) and link spikes (yellow) shaded | `timeseries.csv`, `episodes.csv`, `network_faults.csv` |
//! | `availability` | `availability_system` per variant with its confidence interval | `summary.csv` |
//! | `recovery_time` | `recovery_time_mean_s` per variant with its confidence interval | `summary.csv` |
//! | `cost_vs_recovery` | what a strategy costs as rates against `recovery_time_mean_s`, one labelled point per variant with intervals in both directions: traffic (`cost_bytes`, network plus checkpoint bytes over the whole run, per second of run: MB/s) and CPU (`cpu_seconds` over the measurement window, per second of window: cores); totals per run for results whose manifest lacks the window | `summary.csv`, `manifest.json` |
//! | `delay_tail` | P(delay > d) on log-log axes from the median to the 99.99th percentile, per variant, with the Student-t confidence band of each quantile across runs: where the strategies' delays differ | `delay_cdf.csv` |
//!
//! A "run" is one seeded replication of the scenario; "replication" in a chart only ever
//! means a strategy. Each variant is drawn in the colour of its strategy kind
//! (`variants.csv`; for older results guessed from the label), the same in every chart, in
//! the sweep charts and in the notebooks (`notebooks/palette.py`). A line with more points
//! than the plot is pixels wide is drawn from [`decimate`]d points (four per pixel column,
//! the same envelope), so a chart's size does not grow with the run's length. A chart whose
//! input file is missing, or whose values are all undefined (`NaN`, e.g. recovery times of a
//! run without faults), is skipped.
//!
//! Following the project's rule that results are files, this module never runs a simulation
//! and never imports the engine: everything comes from the CSVs, so plots can be redrawn from
//! an old results directory at any time (`faultline plot DIR`).
//!
//! The font (DejaVu Sans) is embedded in the binary and registered with plotters' `ab_glyph`
//! renderer, so drawing needs no system fonts or fontconfig and renders identically on every
//! machine. SVG files name the `sans-serif` family and are rendered by the viewer's font.

mod charts;
mod csv;
mod decimate;
pub(crate) mod frame;
mod results;
mod timeline;
pub mod xy;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::style::FontStyle;

pub use decimate::decimate;
pub(crate) use frame::{strategy_from_label, strategy_palette};
use results::Results;

/// The result files a run directory can hold; at least one is needed (`network_faults.csv`
/// and `variants.csv` only add to the charts of these).
const RESULT_FILES: [&str; 4] = [
    "summary.csv",
    "timeseries.csv",
    "delay_cdf.csv",
    "episodes.csv",
];

/// Why charts could not be drawn.
#[derive(Debug)]
pub enum PlotError {
    /// A file or directory could not be read; check the path and its permissions.
    Read {
        /// What was being read.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The `plots/` directory could not be created; check permissions and free space.
    Write {
        /// What was being created.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A result file is malformed; it was probably edited or truncated. Rerun the scenario.
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem (1 for the header).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The directory holds none of the result files; pass a run directory
    /// (`results/<scenario>/<run-id>`), not its parent.
    NoResults {
        /// The directory given.
        dir: PathBuf,
    },
    /// plotters could not draw or encode a chart (including failing to write it).
    Draw {
        /// The chart file being drawn.
        path: PathBuf,
        /// plotters' message.
        message: String,
    },
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Write { path, source } => {
                write!(f, "cannot create {}: {source}", path.display())
            }
            Self::Parse {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Self::NoResults { dir } => write!(
                f,
                "{} holds no result files ({}); pass a run directory such as \
                 results/<scenario>/<run-id>",
                dir.display(),
                RESULT_FILES.join(", ")
            ),
            Self::Draw { path, message } => {
                write!(f, "cannot draw {}: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Draws every chart the result files of `dir` support into `dir/plots/`, as PNG and SVG,
/// and returns the paths written (PNG then SVG for each chart).
///
/// Missing files skip their charts; a malformed line is an error naming file and line.
/// Existing charts of the same name are overwritten.
pub fn draw_all(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::metadata(dir).map_err(|source| PlotError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let results = Results::read(dir)?;
    if results.is_empty() {
        return Err(PlotError::NoResults {
            dir: dir.to_path_buf(),
        });
    }
    register_font();
    let out = dir.join("plots");
    std::fs::create_dir_all(&out).map_err(|source| PlotError::Write {
        path: out.clone(),
        source,
    })?;
    let mut written = Vec::new();
    for chart in charts::charts(&results) {
        written.extend(chart.write(&out)?);
    }
    written.extend(delay_tail(&results, &out)?);
    written.extend(timeline::draw_timelines(dir, &out)?);
    Ok(written)
}

/// `delay_tail`: the complementary CDF P(delay > d) on log-log axes, from the median to the
/// 99.99th percentile, one line per variant with the Student-t confidence band of its
/// quantiles across runs (seeded replications) — where strategies differ when the bulk of
/// the delay (a window, say) makes their CDFs overlap, and whether the difference is more
/// than run-to-run noise.
fn delay_tail(results: &Results, out: &Path) -> Result<Vec<PathBuf>, PlotError> {
    use xy::{CiStyle, Series, XyChart};
    let Some(rows) = results.delay_cdf.as_deref() else {
        return Ok(Vec::new());
    };
    let level = results
        .summary
        .iter()
        .flatten()
        .map(|e| e.level)
        .find(|l| l.is_finite() && *l > 0.0 && *l < 1.0)
        .unwrap_or(0.95);
    let runs = results
        .replications
        .map(|n| format!(" over {n} runs"))
        .unwrap_or_default();
    let mut chart = XyChart::new(
        format!(
            "Delay tail P(delay > d){}: mean{runs}, {}% CI band",
            results
                .scenario
                .as_ref()
                .map(|s| format!(" — {s}"))
                .unwrap_or_default(),
            level * 100.0
        ),
        "delay d [ms], log scale",
        "P(delay > d), log scale",
    );
    chart.log_x = true;
    chart.log_y = true;
    for (variant, bands) in results::delay_quantile_bands(rows, level) {
        let tail: Vec<&results::QuantileBand> = bands
            .iter()
            .filter(|b| (0.5..1.0).contains(&b.probability) && b.mean_ms > 0.0)
            .collect();
        if tail.is_empty() {
            continue;
        }
        let points = tail
            .iter()
            .map(|b| (b.mean_ms, 1.0 - b.probability))
            .collect();
        let ci = tail
            .iter()
            .map(|b| b.ci_ms.unwrap_or((f64::NAN, f64::NAN)))
            .collect();
        let colour = results.colour(&variant);
        chart.series.push(
            Series::new(variant, points)
                .with_ci(ci, CiStyle::BandX)
                .with_colour(colour),
        );
    }
    if chart.series.is_empty() {
        return Ok(Vec::new());
    }
    chart.write(&out.join("delay_tail"))
}

// DejaVu Sans 2.37; its licence (Bitstream Vera with DejaVu changes) permits redistribution.
static DEJAVU_SANS: &[u8] = include_bytes!("plot/DejaVuSans.ttf");

/// Registers the embedded font as plotters' `sans-serif` family, once per process. Every
/// text of the charts uses that family in its normal style; other styles fall back to it.
pub(crate) fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        let registered =
            plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS);
        assert!(
            registered.is_ok(),
            "the embedded DejaVu Sans is a valid TrueType font"
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh, empty directory under the system temp dir, unique to this test and process.
    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("faultline-plot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A small results directory with two variants, faults and one undefined metric.
    fn write_results(dir: &Path) {
        let mut summary = String::from("variant,metric,mean,std_dev,ci_low,ci_high,level,n\n");
        let mut timeseries = String::from(
            "variant,replication,t_s,delivered,throughput_per_s,emitted,delay_mean_ms\n",
        );
        let mut cdf = String::from("variant,replication,probability,delay_ms\n");
        for (k, variant) in ["base", "active"].into_iter().enumerate() {
            let k = k as f64;
            for (metric, mean) in [
                ("availability_system", 0.99 + k * 0.005),
                ("recovery_time_mean_s", 0.5 - k * 0.2),
                ("network_bytes", 8e6 + k * 4e6),
            ] {
                let (lo, hi) = (mean * 0.95, mean * 1.05);
                summary.push_str(&format!("{variant},{metric},{mean},0.1,{lo},{hi},0.95,4\n"));
            }
            summary.push_str(&format!("{variant},delay_p99_ms,NaN,NaN,NaN,NaN,0.95,0\n"));
            for r in 0..2 {
                for t in 0..20 {
                    let rate = if (5..7).contains(&t) {
                        100.0
                    } else {
                        500.0 + k * 10.0
                    };
                    timeseries.push_str(&format!("{variant},{r},{t},{rate},{rate},{rate},2.0\n"));
                }
                for p in [0.01, 0.5, 0.9, 0.99, 0.9999] {
                    let d = 0.1 / (1.0 - p) * (1.0 + k);
                    cdf.push_str(&format!("{variant},{r},{p},{d}\n"));
                }
            }
        }
        let episodes = "variant,replication,kind,target,fault_s,detected_s,recovered_s,detection_s,recovery_s\n\
                        base,0,node-crash,2,5,5.5,6.5,0.5,1.5\n\
                        base,0,false-failover,3,12,,12.2,,0.2\n";
        for (name, text) in [
            ("summary.csv", summary.as_str()),
            ("timeseries.csv", timeseries.as_str()),
            ("delay_cdf.csv", cdf.as_str()),
            ("episodes.csv", episodes),
            (
                "manifest.json",
                r#"{"scenario": "tiny", "replications": 2}"#,
            ),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    #[test]
    fn draws_every_chart_as_png_and_svg() {
        let dir = temp_dir("all");
        write_results(&dir);
        let written = draw_all(&dir).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let mut expected = Vec::new();
        for chart in [
            "throughput",
            "availability",
            "recovery_time",
            "cost_vs_recovery",
            "delay_tail",
        ] {
            expected.push(format!("{chart}.png"));
            expected.push(format!("{chart}.svg"));
        }
        assert_eq!(names, expected);
        for path in &written {
            assert!(path.starts_with(dir.join("plots")), "{}", path.display());
            let bytes = std::fs::read(path).unwrap();
            if path.extension().unwrap() == "png" {
                assert!(
                    bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
                    "{}",
                    path.display()
                );
                assert!(bytes.len() > 10_000, "{} looks blank", path.display());
            } else {
                let text = String::from_utf8(bytes).unwrap();
                assert!(text.starts_with("<svg"), "{}", path.display());
                assert!(text.contains("<text"), "{} has no text", path.display());
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_files_skip_their_charts() {
        let dir = temp_dir("partial");
        write_results(&dir);
        for name in [
            "timeseries.csv",
            "delay_cdf.csv",
            "episodes.csv",
            "manifest.json",
        ] {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        // Without faults recovery is undefined: its two charts are skipped as well.
        let summary = std::fs::read_to_string(dir.join("summary.csv"))
            .unwrap()
            .lines()
            .map(|l| {
                if l.contains("recovery_time_mean_s") {
                    let mut f: Vec<&str> = l.split(',').collect();
                    f[2..6].fill("NaN");
                    f.join(",")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(dir.join("summary.csv"), summary).unwrap();
        let written = draw_all(&dir).unwrap();
        let names: Vec<_> = written.iter().map(|p| p.file_name().unwrap()).collect();
        assert_eq!(names, ["availability.png", "availability.svg"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_malformed_line_names_file_and_line() {
        let dir = temp_dir("malformed");
        write_results(&dir);
        std::fs::write(
            dir.join("timeseries.csv"),
            "variant,replication,t_s,delivered,throughput_per_s,emitted,delay_mean_ms\n\
             base,0,0,5,5,5,1.0\n\
             base,0,1,5,five,5,1.0\n",
        )
        .unwrap();
        let e = draw_all(&dir).unwrap_err();
        assert!(matches!(e, PlotError::Parse { line: 3, .. }), "{e:?}");
        let message = e.to_string();
        assert!(
            message
                .ends_with("timeseries.csv:3: column `throughput_per_s`: `five` is not a number"),
            "{message}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_without_results_is_an_error() {
        let dir = temp_dir("empty");
        assert!(matches!(draw_all(&dir), Err(PlotError::NoResults { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(draw_all(&dir), Err(PlotError::Read { .. })));
    }
}
