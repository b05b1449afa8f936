//! Sweep charts: every metric against the first swept parameter, one line per variant (and
//! per value of any further axes) with its confidence interval as a shaded band, clipped to
//! the metric's domain; log axes where the values span more than a decade. Availabilities
//! are drawn a second time as unavailability 1 − A on log-log axes with slope −1 and −2
//! reference lines (`unavailability_<metric>`): how unavailability falls with the parameter
//! (∝ 1/MTTF for one copy, ∝ 1/MTTF² for two independent ones) reads off the slope. Drawn
//! from `sweep.csv`, with each variant in its strategy's colour.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::style::{BLACK, RGBColor};
use rayon::prelude::*;

use super::{Sweep, SweepError};
use crate::plot::xy::{CiStyle, Series, XyChart};

/// A labelled curve: its variant and its rows in axis order.
type Curve<'r> = (String, String, Vec<&'r Row>);

/// One row of `sweep.csv` beyond the axes.
pub(crate) struct Row {
    pub x: f64,
    /// Variant label.
    pub variant: String,
    /// Legend text: the variant and the values of any further axes.
    pub series: String,
    pub metric: String,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// How a metric is shown: words, unit, the factor from its stored unit, and the range its
/// values cannot leave.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Shown {
    /// What it is, in words, e.g. `System availability`, `p99 delay`.
    pub words: String,
    /// Display unit, e.g. `ms`, `MB`; empty for none.
    pub unit: &'static str,
    /// Display value = stored value × `scale`.
    pub scale: f64,
    /// The metric's domain in stored units: intervals are clipped to it.
    pub domain: (f64, f64),
}

impl Shown {
    /// `words [unit]`.
    pub fn label(&self) -> String {
        if self.unit.is_empty() {
            self.words.clone()
        } else {
            format!("{} [{}]", self.words, self.unit)
        }
    }
}

/// How `metric` is shown, given the largest magnitude among its values (byte metrics are
/// drawn in MB, or GB from 10⁹ bytes on).
pub(crate) fn shown(metric: &str, largest: f64) -> Shown {
    let fraction = (0.0, 1.0);
    let non_negative = (0.0, f64::INFINITY);
    let named = |words: &str, unit: &'static str| Shown {
        words: words.to_string(),
        unit,
        scale: 1.0,
        domain: non_negative,
    };
    let known = match metric {
        "availability_system" => Some(("System availability", "fraction of time")),
        "availability_mean" => Some(("Mean instance availability", "fraction of time")),
        "availability_sla" => Some(("Availability within the delay SLA", "fraction of time")),
        "delay_mean_ms" => Some(("Mean delay", "ms")),
        "delay_max_ms" => Some(("Maximum delay", "ms")),
        "throughput_per_s" => Some(("Sink throughput", "events/s")),
        "source_rate_per_s" => Some(("Source rate", "events/s")),
        "recovery_time_mean_s" => Some(("Mean recovery time", "s")),
        "detection_time_mean_s" => Some(("Mean detection time", "s")),
        "downtime_system_s" => Some(("System downtime", "s")),
        "cpu_seconds" => Some(("CPU time", "core-seconds")),
        _ => None,
    };
    if let Some((words, unit)) = known {
        let mut s = named(words, unit);
        if metric.starts_with("availability") {
            s.domain = fraction;
        }
        return s;
    }
    if let Some(p) = metric
        .strip_prefix("delay_p")
        .and_then(|m| m.strip_suffix("_ms"))
    {
        // p50, p95, p99, p999 (99.9th percentile).
        let p = if p.len() > 2 {
            format!("p{}.{}", &p[..2], &p[2..])
        } else {
            format!("p{p}")
        };
        return named(&format!("{p} delay"), "ms");
    }
    let words = |name: &str| {
        let mut w = name.replace('_', " ");
        if let Some(first) = w.get(..1) {
            w = first.to_uppercase() + &w[1..];
        }
        w
    };
    if metric.contains("bytes") {
        let (unit, scale) = if largest >= 1e9 {
            ("GB", 1e-9)
        } else {
            ("MB", 1e-6)
        };
        let what = match metric {
            "cost_bytes" => "Network + checkpoint traffic per run".to_string(),
            "network_bytes" => "Network traffic per run".to_string(),
            "checkpoint_bytes" => "Checkpoint traffic per run".to_string(),
            m => words(&m.replace("bytes", "").replace("__", "_"))
                .trim_matches(' ')
                .to_string(),
        };
        return Shown {
            words: what,
            unit,
            scale,
            domain: non_negative,
        };
    }
    if metric.starts_with("utilisation") {
        return Shown {
            domain: fraction,
            ..named(&words(metric), "fraction")
        };
    }
    let (stem, unit) = if let Some(s) = metric.strip_suffix("_per_s") {
        (s, "1/s")
    } else if let Some(s) = metric.strip_suffix("_ms") {
        (s, "ms")
    } else if let Some(s) = metric.strip_suffix("_s") {
        (s, "s")
    } else if metric.starts_with("events_") {
        (metric, "events")
    } else {
        (metric, "")
    };
    named(&words(stem), unit)
}

/// A swept parameter in words with its unit, e.g. `faults[0].ttf_s.mean` →
/// `mean time to failure [s]`, `fault_tolerance.detector.timeout_ms` →
/// `detector timeout [ms]`.
pub(crate) fn parameter_label(path: &str) -> String {
    let fields: Vec<&str> = path
        .split('.')
        .map(|f| f.split('[').next().unwrap_or(f))
        .filter(|f| !f.is_empty())
        .collect();
    // The field carrying the unit: the last with a unit suffix, else the last.
    let at = fields
        .iter()
        .rposition(|f| f.ends_with("_s") || f.ends_with("_ms") || f.ends_with("_mbps"))
        .unwrap_or(fields.len().saturating_sub(1));
    let Some(field) = fields.get(at) else {
        return path.to_string();
    };
    // A rate (`rate_per_s`) is per second, not in seconds: a source's is in events.
    if let Some(s) = field.strip_suffix("_per_s") {
        let what = if fields.contains(&"arrivals") {
            "source arrival "
        } else {
            ""
        };
        return format!("{what}{} [events/s]", s.replace('_', " "));
    }
    let (stem, unit) = if let Some(s) = field.strip_suffix("_ms") {
        (s, " [ms]")
    } else if let Some(s) = field.strip_suffix("_mbps") {
        (s, " [Mbit/s]")
    } else if let Some(s) = field.strip_suffix("_s") {
        (s, " [s]")
    } else {
        (*field, "")
    };
    let stem = match stem {
        "ttf" => "time to failure",
        "repair" => "repair time",
        s => s,
    };
    let stem = stem.replace('_', " ");
    // A distribution's parameter after the unit field (`.mean`) qualifies it.
    let qualifier = fields
        .get(at + 1)
        .map_or(String::new(), |q| format!("{q} "));
    // The field before names what it belongs to (`detector timeout`), unless generic.
    let owner = at
        .checked_sub(1)
        .and_then(|i| fields.get(i))
        .filter(|o| !matches!(**o, "faults" | "fault_tolerance" | "cluster" | "network"))
        .map_or(String::new(), |o| format!("{} ", o.replace('_', " ")));
    format!("{qualifier}{owner}{stem}{unit}")
}

/// Parses `sweep.csv`: one row per point × variant × metric, after the axis columns.
pub(crate) fn rows(sweep: &Sweep, csv: &str) -> Vec<Row> {
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
            variant: f[axes].to_string(),
            series,
            metric: f[axes + 1].to_string(),
            mean: num(f[axes + 2]),
            low: num(f[axes + 3]),
            high: num(f[axes + 4]),
        });
    }
    rows
}

/// The strategy kind of each of the sweep's variants, from its first point's scenario.
pub(crate) fn strategies(sweep: &Sweep) -> Vec<(String, &'static str)> {
    sweep.point_scenario(0).map_or(Vec::new(), |s| {
        s.variants
            .iter()
            .map(|v| {
                (
                    v.label.clone(),
                    crate::experiment::output::strategy_kind(&v.fault_tolerance),
                )
            })
            .collect()
    })
}

/// Draws `plots/<metric>.png|svg` for every metric with a finite value that varies, and
/// `plots/unavailability_<metric>.png|svg` for availabilities.
pub fn draw(sweep: &Sweep, out: &Path, csv: &str) -> Result<(), SweepError> {
    let rows = rows(sweep, csv);
    // Metric → series → points, in first-seen order of series (BTreeMap for metrics only:
    // chart files are independent of each other).
    let mut by_metric: BTreeMap<String, Vec<Curve<'_>>> = BTreeMap::new();
    for r in &rows {
        let entry = by_metric.entry(r.metric.clone()).or_default();
        match entry.iter_mut().find(|(s, _, _)| *s == r.series) {
            Some((_, _, v)) => v.push(r),
            None => entry.push((r.series.clone(), r.variant.clone(), vec![r])),
        }
    }
    // One colour per series: its variant's strategy, shaded for further axis values.
    let kinds = strategies(sweep);
    let mut series_names: Vec<(&str, &str)> = Vec::new();
    for r in &rows {
        if !series_names.iter().any(|(s, _)| *s == r.series) {
            series_names.push((&r.series, &r.variant));
        }
    }
    let of_series: Vec<Option<&str>> = series_names
        .iter()
        .map(|(_, v)| {
            kinds
                .iter()
                .find(|(label, _)| label == v)
                .map(|(_, k)| *k)
                .or_else(|| crate::plot::strategy_from_label(v))
        })
        .collect();
    let palette = crate::plot::strategy_palette(&of_series);
    let colour = |series: &str| {
        series_names
            .iter()
            .position(|(s, _)| *s == series)
            .map_or(BLACK, |i| palette[i])
    };
    let level = sweep.point_scenario(0).map_or(0.95, |s| s.confidence);
    let plots = out.join("plots");
    let x_label = parameter_label(&sweep.axes[0].path);
    let xs: Vec<f64> = sweep.axes[0].values.clone();
    let band_note = format!("mean, {}% CI band", level * 100.0);
    // Charts are independent files: draw them in parallel (drawing, not simulating, is most
    // of a small sweep's time).
    let jobs: Vec<(String, Vec<Curve<'_>>)> = by_metric.into_iter().collect();
    jobs.into_par_iter().try_for_each(|(metric, series)| {
        let finite: Vec<f64> = series
            .iter()
            .flat_map(|(_, _, v)| v.iter().map(|r| r.mean))
            .filter(|m| m.is_finite())
            .collect();
        if finite.is_empty() || finite.iter().all(|&m| m == finite[0]) {
            return Ok(()); // nothing to show
        }
        let largest = finite.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let how = shown(&metric, largest);
        let mut chart = XyChart::new(
            format!(
                "{} vs {} — {} ({band_note})",
                how.words,
                strip_unit(&x_label),
                sweep.name
            ),
            x_label.clone(),
            how.label(),
        );
        chart.log_x = spans_decades(&xs);
        chart.log_y = spans_decades(&finite);
        for (label, _, points) in &series {
            chart.series.push(
                Series::new(
                    label.clone(),
                    points.iter().map(|r| (r.x, r.mean * how.scale)).collect(),
                )
                .with_ci(
                    points.iter().map(|r| band(&how, r)).collect(),
                    CiStyle::Band,
                )
                .with_colour(colour(label)),
            );
        }
        let draw = |chart: &XyChart, name: &str| {
            chart
                .write(&plots.join(name))
                .map(drop)
                .map_err(|e| SweepError::Output(format!("chart {name}: {e}")))
        };
        draw(&chart, &metric)?;
        if how.domain == (0.0, 1.0)
            && metric.starts_with("availability")
            && let Some(chart) = unavailability(&how, &series, &x_label, &colour)
        {
            let chart = XyChart {
                title: format!("{} — {} (log-log, {band_note})", chart.title, sweep.name),
                ..chart
            };
            draw(&chart, &format!("unavailability_{metric}"))?;
        }
        Ok(())
    })
}

/// The confidence band of `r` in display units, clipped to the metric's domain: an
/// availability's Student-t interval can reach past 1, a time's or a count's below 0.
fn band(how: &Shown, r: &Row) -> (f64, f64) {
    let (lo, hi) = how.domain;
    (
        r.low.clamp(lo, hi) * how.scale,
        r.high.clamp(lo, hi) * how.scale,
    )
}

/// 1 − A per series on log-log axes (points without any outage cannot be drawn and are left
/// out), with reference lines of slope −1 and −2 anchored at the first drawn point; `None`
/// if the parameter is not positive or no point has an outage.
fn unavailability(
    how: &Shown,
    series: &[Curve<'_>],
    x_label: &str,
    colour: &dyn Fn(&str) -> RGBColor,
) -> Option<XyChart> {
    let words = how.words.to_lowercase();
    let mut chart = XyChart::new(
        format!("Unavailability (1 − {words})"),
        x_label.to_string(),
        format!("1 − {words} [fraction of time]"),
    );
    chart.log_x = true;
    chart.log_y = true;
    let mut first: Option<(f64, f64)> = None;
    let (mut x_min, mut x_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for (label, _, points) in series {
        if points.iter().any(|r| r.x.is_nan() || r.x <= 0.0) {
            return None;
        }
        let kept: Vec<&&Row> = points
            .iter()
            .filter(|r| r.mean.is_finite() && 1.0 - r.mean > 0.0)
            .collect();
        for r in points {
            x_min = x_min.min(r.x);
            x_max = x_max.max(r.x);
        }
        if let Some(r) = kept.first() {
            let u = 1.0 - r.mean;
            if first.is_none_or(|(x, v)| r.x < x || (r.x == x && u > v)) {
                first = Some((r.x, u));
            }
        }
        if kept.is_empty() {
            continue;
        }
        let without = points.len() - kept.len();
        let legend = match without {
            0 => label.clone(),
            1 => format!("{label} (1 point without outage)"),
            n => format!("{label} ({n} points without outage)"),
        };
        chart.series.push(
            Series::new(legend, kept.iter().map(|r| (r.x, 1.0 - r.mean)).collect())
                .with_ci(
                    kept.iter()
                        // The interval flips: (1 − high, 1 − low), inside [0, 1].
                        .map(|r| {
                            (
                                (1.0 - r.high.clamp(0.0, 1.0)).max(0.0),
                                (1.0 - r.low.clamp(0.0, 1.0)).min(1.0),
                            )
                        })
                        .collect(),
                    CiStyle::Band,
                )
                .with_colour(colour(label)),
        );
    }
    let (x0, u0) = first?;
    let references: Vec<f64> = (0..=40)
        .map(|k| x_min * (x_max / x_min).powf(f64::from(k) / 40.0))
        .collect();
    for (slope, name, grey) in [
        (1.0, "slope −1 (∝ 1/x)", RGBColor(60, 60, 60)),
        (2.0, "slope −2 (∝ 1/x²)", RGBColor(150, 150, 150)),
    ] {
        let mut line = Series::new(
            name,
            references
                .iter()
                .map(|&x| (x, u0 * (x / x0).powf(-slope)))
                .collect(),
        )
        .with_colour(grey);
        line.markers = false;
        chart.series.push(line);
    }
    Some(chart)
}

/// `words` without a trailing ` [unit]`.
fn strip_unit(label: &str) -> &str {
    label.rsplit_once(" [").map_or(label, |(w, _)| w)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(metric: &str, mean: f64, low: f64, high: f64) -> Row {
        Row {
            x: 1.0,
            variant: "passive".into(),
            series: "passive".into(),
            metric: metric.into(),
            mean,
            low,
            high,
        }
    }

    #[test]
    fn bands_are_clipped_to_the_metric_domain() {
        let a = row("availability_system", 0.999, 0.995, 1.003);
        assert_eq!(band(&shown(&a.metric, 1.0), &a), (0.995, 1.0));
        let t = row("recovery_time_mean_s", 0.07, -0.02, 0.16);
        assert_eq!(band(&shown(&t.metric, 0.07), &t), (0.0, 0.16));
        let n = row("events_duplicated", 3.0, -1.5, 7.5);
        assert_eq!(band(&shown(&n.metric, 3.0), &n), (0.0, 7.5));
        // Bytes in MB, clipped before scaling.
        let b = row("cost_bytes", 2e6, -1e6, 5e6);
        assert_eq!(band(&shown(&b.metric, 2e6), &b), (0.0, 5.0));
    }

    #[test]
    fn metrics_and_parameters_are_named_in_words_with_units() {
        assert_eq!(
            shown("availability_system", 1.0).label(),
            "System availability [fraction of time]"
        );
        assert_eq!(shown("delay_p99_ms", 900.0).label(), "p99 delay [ms]");
        assert_eq!(shown("delay_p999_ms", 900.0).label(), "p99.9 delay [ms]");
        assert_eq!(shown("cost_bytes", 3e9).unit, "GB");
        assert_eq!(shown("cost_bytes", 3e8).unit, "MB");
        assert_eq!(
            parameter_label("faults[0].ttf_s.mean"),
            "mean time to failure [s]"
        );
        assert_eq!(
            parameter_label("fault_tolerance.detector.timeout_ms"),
            "detector timeout [ms]"
        );
        assert_eq!(
            parameter_label("fault_tolerance.checkpoint.interval_s"),
            "checkpoint interval [s]"
        );
        assert_eq!(
            parameter_label("operators[0].kind.arrivals.rate_per_s"),
            "source arrival rate [events/s]"
        );
    }
}
