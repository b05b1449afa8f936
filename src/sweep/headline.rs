//! The headline `faultline sweep` prints when the sweep is complete: per point of the first
//! axis, the two key metrics (of `KEY`, those present) of each variant with their units and
//! confidence half-widths, in at most [`WIDTH`] columns and without exponents.

use std::fmt::Write as _;

use super::Sweep;
use super::charts::{Row, parameter_label, rows, shown};

/// Widest line printed.
pub const WIDTH: usize = 100;
/// Key metrics, most important first; as many as fit are shown.
const KEY: [&str; 4] = [
    "availability_system",
    "recovery_time_mean_s",
    "delay_p99_ms",
    "cost_bytes",
];

/// The table, or `None` if `sweep.csv` has none of the key metrics.
pub fn headline(sweep: &Sweep, csv: &str) -> Option<String> {
    let rows = rows(sweep, csv);
    let mut series: Vec<&str> = Vec::new();
    for r in &rows {
        if !series.contains(&r.series.as_str()) {
            series.push(&r.series);
        }
    }
    let present: Vec<&str> = KEY
        .into_iter()
        .filter(|m| rows.iter().any(|r| r.metric == *m && r.mean.is_finite()))
        .collect();
    if present.is_empty() || series.is_empty() {
        return None;
    }
    let x_label = parameter_label(&sweep.axes[0].path);
    let xs: Vec<f64> = {
        let mut xs: Vec<f64> = Vec::new();
        for r in &rows {
            if !xs.contains(&r.x) {
                xs.push(r.x);
            }
        }
        xs
    };
    let x_cells: Vec<String> = xs.iter().map(|x| trimmed(plain(*x, 4))).collect();
    let x_width = x_cells
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(1)
        .max(5);
    // Cells of every metric, to size the columns; one number of decimals per column (the
    // most any of its cells needs), so the points line up.
    let find = |metric: &str, series: &str, x: f64| {
        rows.iter()
            .find(|r| r.metric == metric && r.series == series && r.x == x)
    };
    let column_decimals = |metric: &str, series: &str| {
        xs.iter()
            .filter_map(|x| find(metric, series, *x))
            .filter_map(|r| cell_value(metric, r, &rows).map(|c| c.2))
            .max()
            .unwrap_or(0)
    };
    let cell = |metric: &str, series: &str, x: f64| -> String {
        let decimals = column_decimals(metric, series);
        find(metric, series, x)
            .and_then(|r| cell_value(metric, r, &rows))
            .map_or("–".to_string(), |(mean, half, _)| match half {
                Some(h) => format!("{mean:.decimals$} ± {h:.decimals$}"),
                None => format!("{mean:.decimals$}"),
            })
    };
    // At most two blocks, each no wider than WIDTH.
    let mut metrics = Vec::new();
    for m in present.iter().take(2) {
        let w = series
            .iter()
            .flat_map(|s| xs.iter().map(move |x| (s, x)))
            .map(|(s, x)| cell(m, s, *x).chars().count())
            .max()
            .unwrap_or(1)
            .max(series.iter().map(|s| s.chars().count()).max().unwrap_or(1));
        if x_width + series.len() * (w + 2) <= WIDTH {
            metrics.push((*m, w));
        }
    }
    let mut out = String::new();
    for (i, (m, w)) in metrics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let largest = rows
            .iter()
            .filter(|r| r.metric == *m)
            .fold(0.0f64, |a, r| a.max(r.mean.abs()));
        let how = shown(m, largest);
        let unit = if m.starts_with("availability") {
            "%".to_string()
        } else {
            how.unit.to_string()
        };
        writeln!(
            out,
            "{} [{unit}], mean ± CI half-width, by {x_label}:",
            how.words
        )
        .expect("infallible");
        let mut head = format!("{:>x_width$}", "");
        for s in &series {
            write!(head, "  {s:>w$}", w = w).expect("infallible");
        }
        writeln!(out, "{}", head.trim_end()).expect("infallible");
        for (x, xc) in xs.iter().zip(&x_cells) {
            let mut line = format!("{xc:>x_width$}");
            for s in &series {
                write!(line, "  {:>w$}", cell(m, s, *x), w = w).expect("infallible");
            }
            writeln!(out, "{line}").expect("infallible");
        }
    }
    Some(out)
}

/// A value with `significant` digits in fixed notation (no exponent).
fn plain(v: f64, significant: i32) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (significant - 1 - magnitude).clamp(0, 9) as usize;
    format!("{v:.decimals$}")
}

/// `plain`'s text without trailing zeros after the decimal point.
fn trimmed(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Mean, confidence half-width (if defined) and the decimals they need, in the metric's
/// display unit: availabilities in % with the decimals their unavailability needs for two
/// significant digits, bytes in MB or GB, others with two significant digits of the
/// half-width (three of the mean when the half-width is zero or undefined).
fn cell_value(metric: &str, r: &Row, all: &[Row]) -> Option<(f64, Option<f64>, usize)> {
    if !r.mean.is_finite() {
        return None;
    }
    let half = (r.low.is_finite() && r.high.is_finite()).then(|| (r.high - r.low) / 2.0);
    if metric.starts_with("availability") {
        let u = ((1.0 - r.mean) * 100.0).abs();
        let decimals = if u > 0.0 {
            (1 - u.log10().floor() as i32).clamp(1, 6) as usize
        } else {
            1
        };
        return Some((r.mean * 100.0, half.map(|h| h * 100.0), decimals));
    }
    let largest = all
        .iter()
        .filter(|a| a.metric == metric)
        .fold(0.0f64, |a, x| a.max(x.mean.abs()));
    let how = shown(metric, largest);
    let (mean, half) = (r.mean * how.scale, half.map(|h| h * how.scale));
    let decimals = match half {
        Some(h) if h > 0.0 => (1 - h.log10().floor() as i32).clamp(0, 6) as usize,
        _ if mean != 0.0 => (2 - mean.abs().log10().floor() as i32).clamp(0, 6) as usize,
        _ => 0,
    };
    Some((mean, half, decimals))
}
