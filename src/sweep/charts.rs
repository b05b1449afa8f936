//! Sweep charts: every metric against the first swept parameter, one line per variant (and
//! per value of any further axes) with its confidence interval as a shaded band; log axes
//! where the values span more than a decade. Drawn from `sweep.csv` alone.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;

use super::{Sweep, SweepError};
use crate::plot::xy::{CiStyle, Series, XyChart};

/// A labelled curve: its rows in axis order.
type Curve<'r> = (String, Vec<&'r Row>);

/// One row of `sweep.csv` beyond the axes.
struct Row {
    x: f64,
    series: String,
    metric: String,
    mean: f64,
    low: f64,
    high: f64,
}

/// Draws `plots/<metric>.png|svg` for every metric with a finite value.
pub fn draw(sweep: &Sweep, out: &Path, csv: &str) -> Result<(), SweepError> {
    let axes = sweep.axes.len();
    let mut rows = Vec::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < axes + 6 {
            continue;
        }
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        let others: Vec<String> = (1..axes)
            .map(|a| format!("{} = {}", short(&sweep.axes[a].path), f[a]))
            .collect();
        let series = if others.is_empty() {
            f[axes].to_string()
        } else {
            format!("{}, {}", f[axes], others.join(", "))
        };
        rows.push(Row {
            x: num(f[0]),
            series,
            metric: f[axes + 1].to_string(),
            mean: num(f[axes + 2]),
            low: num(f[axes + 3]),
            high: num(f[axes + 4]),
        });
    }
    // Metric → series → points, in first-seen order of series (BTreeMap for metrics only:
    // chart files are independent of each other).
    let mut by_metric: BTreeMap<String, Vec<(String, Vec<&Row>)>> = BTreeMap::new();
    for r in &rows {
        let entry = by_metric.entry(r.metric.clone()).or_default();
        match entry.iter_mut().find(|(s, _)| *s == r.series) {
            Some((_, v)) => v.push(r),
            None => entry.push((r.series.clone(), vec![r])),
        }
    }
    let plots = out.join("plots");
    let x_path = &sweep.axes[0].path;
    // Charts are independent files: draw them in parallel (drawing, not simulating, is most
    // of a small sweep's time).
    let jobs: Vec<(String, Vec<Curve<'_>>)> = by_metric.into_iter().collect();
    jobs.into_par_iter().try_for_each(|(metric, series)| {
        let finite: Vec<f64> = series
            .iter()
            .flat_map(|(_, v)| v.iter().map(|r| r.mean))
            .filter(|m| m.is_finite())
            .collect();
        if finite.is_empty() || finite.iter().all(|&m| m == finite[0]) {
            return Ok(()); // nothing to show
        }
        let mut chart = XyChart::new(
            format!("{metric} vs {x_path} — {}", sweep.name),
            format!("{x_path}{}", unit(x_path)),
            format!("{metric}{}", unit(&metric)),
        );
        let xs: Vec<f64> = sweep.axes[0].values.clone();
        chart.log_x = spans_decades(&xs);
        chart.log_y = spans_decades(&finite);
        for (label, points) in series {
            chart.series.push(
                Series::new(label, points.iter().map(|r| (r.x, r.mean)).collect()).with_ci(
                    points
                        .iter()
                        .map(|r| crate::metrics::clip_interval(&metric, r.low, r.high))
                        .collect(),
                    CiStyle::Band,
                ),
            );
        }
        chart
            .write(&plots.join(&metric))
            .map(drop)
            .map_err(|e| SweepError::Output(format!("chart {metric}: {e}")))
    })
}

/// The unit a field name carries by the project's naming rule (`_ms`, `_s`, `_mbps`,
/// `bytes`, `per_s`), as an axis-label suffix.
fn unit(name: &str) -> &'static str {
    let field = name
        .split(['.', '['])
        .rev()
        .find(|f| f.contains('_') || f.contains("bytes"))
        .unwrap_or(name);
    if field.ends_with("_ms") {
        " [ms]"
    } else if field.ends_with("per_s") {
        " [1/s]"
    } else if field.ends_with("_s") || field.ends_with("_seconds") {
        " [s]"
    } else if field.ends_with("_mbps") {
        " [Mbit/s]"
    } else if field.contains("bytes") {
        " [bytes]"
    } else if field.starts_with("availability") {
        " [fraction of time]"
    } else {
        ""
    }
}

/// The last field of a path, for titles and legends.
fn short(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// Positive values spanning more than a factor of ten.
fn spans_decades(values: &[f64]) -> bool {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    lo > 0.0 && hi / lo > 10.0
}
