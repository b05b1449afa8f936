//! A complete sweep's `report.md`: the sweep file's and the base scenario's own descriptions,
//! the grid, the headline, the key rows of `sweep.csv` as a table, the guarantees, and every
//! chart — key metrics first. It is written with `sweep.csv`, from the same files, so a
//! merged sweep's page equals the unsharded one's byte for byte.

use std::fmt::Write as _;
use std::path::Path;

use super::Sweep;
use super::charts::{parameter_label, rows, shown};
use crate::report;

/// Metrics whose rows and charts come first, most important first.
const KEY: [&str; 6] = [
    "availability_system",
    "availability_sla",
    "recovery_time_mean_s",
    "delay_p99_ms",
    "cost_bytes",
    "cpu_seconds",
];

/// The page for the sweep whose results are in `out` (`csv` is its `sweep.csv`).
pub(crate) fn render(sweep: &Sweep, out: &Path, csv: &str) -> String {
    let variants = variants(sweep, csv);
    let runs = sweep.point_scenario(0).map_or(0, |s| s.replications);
    let mut page = format!(
        "# Sweep {}: {} point(s) × {} variant(s), {runs} runs each\n\n",
        sweep.name,
        sweep.points.len(),
        variants.len()
    );
    let description = report::header_of(&sweep.path);
    if !description.is_empty() {
        let _ = writeln!(page, "## Sweep\n\n{description}\n");
    }
    let _ = writeln!(
        page,
        "## Grid\n\n| parameter | path | values |\n|---|---|---|"
    );
    for a in &sweep.axes {
        let values: Vec<String> = a.values.iter().map(|&v| sig(v)).collect();
        let _ = writeln!(
            page,
            "| {} | `{}` | {} |",
            parameter_label(&a.path),
            a.path,
            values.join(", ")
        );
    }
    if !sweep.file.set.is_empty() {
        let _ = writeln!(page, "\nSet at every point:\n");
        for s in &sweep.file.set {
            let _ = writeln!(page, "- `{}` = {}", s.path, s.value);
        }
    }
    let _ = writeln!(
        page,
        "\nBase scenario `{}`, variants {}.\n",
        sweep.file.base,
        variants.join(", ")
    );
    let base = report::header_of(&sweep.base_path);
    if !base.is_empty() {
        let _ = writeln!(
            page,
            "<details><summary>Base scenario description</summary>\n\n{base}\n\n</details>\n"
        );
    }
    if let Some(headline) = super::headline::headline(sweep, csv) {
        let _ = writeln!(page, "## Headline\n\n{}", report::fenced(&headline));
    }
    let _ = writeln!(page, "## Key results\n\n{}", key_rows(sweep, csv));
    let violations = super::violations(sweep, out);
    let _ = writeln!(page, "## Guarantees\n");
    if violations.is_empty() {
        let _ = writeln!(
            page,
            "Every variant's declared guarantee held at every point (`semantics.csv`).\n"
        );
    } else {
        let _ = writeln!(
            page,
            "{} broken guarantee(s), a simulator defect:\n",
            violations.len()
        );
        for v in &violations {
            let _ = writeln!(page, "- {v}");
        }
        page.push('\n');
    }
    let rank = |name: &str| {
        let metric = name.strip_prefix("unavailability_").unwrap_or(name);
        KEY.iter().position(|k| *k == metric).unwrap_or(KEY.len())
    };
    let caption = |name: &str| {
        let (metric, log) = match name.strip_prefix("unavailability_") {
            Some(m) => (m, true),
            None => (name, false),
        };
        let words = shown(metric, 1.0).words;
        let x = sweep
            .axes
            .first()
            .map_or(String::new(), |a| parameter_label(&a.path));
        if log {
            format!(
                "1 − {} against {x} on log-log axes, with slope −1 and −2 references.",
                words.to_lowercase()
            )
        } else {
            format!("{words} against {x}, per variant, with confidence bands.")
        }
    };
    let _ = write!(
        page,
        "## Charts\n\n{}",
        report::charts_section(out, &rank, &caption)
    );
    let _ = writeln!(
        page,
        "## Provenance\n\nfaultline {}, commit {}. Every point's directory under `points/` \
         holds its resolved scenario, summary and manifest; `sweep.ron` is the sweep file as \
         run; `sweep.csv` holds every metric of every point and variant.",
        env!("CARGO_PKG_VERSION"),
        option_env!("FAULTLINE_GIT_COMMIT")
            .filter(|c| !c.is_empty())
            .unwrap_or("unknown")
    );
    page
}

/// Variant labels in the order of `sweep.csv`.
fn variants(sweep: &Sweep, csv: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows(sweep, csv) {
        if !out.contains(&r.variant) {
            out.push(r.variant);
        }
    }
    out
}

/// The rows of `sweep.csv` for the key metrics, as a Markdown table: point, variant, then
/// one column per key metric present, mean and interval in display units.
fn key_rows(sweep: &Sweep, csv: &str) -> String {
    let lines: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let axes = sweep.axes.len();
    let present: Vec<&str> = KEY
        .into_iter()
        .filter(|m| lines.iter().any(|f| f.get(axes + 1) == Some(m)))
        .collect();
    if present.is_empty() {
        return "(no key metric in sweep.csv)\n".to_string();
    }
    let mut out = String::from("|");
    for a in &sweep.axes {
        let _ = write!(out, " {} |", parameter_label(&a.path));
    }
    out.push_str(" variant |");
    let largest = |metric: &str| {
        lines
            .iter()
            .filter(|f| f.get(axes + 1) == Some(&metric))
            .filter_map(|f| f.get(axes + 2)?.parse::<f64>().ok())
            .fold(0.0f64, |m, v| m.max(v.abs()))
    };
    let units: Vec<_> = present.iter().map(|m| shown(m, largest(m))).collect();
    for u in &units {
        let _ = write!(out, " {} |", u.label());
    }
    out.push('\n');
    out.push_str(&"|---".repeat(axes + 1 + present.len()));
    out.push_str("|\n");
    // One line per (point, variant), in sweep.csv's order.
    let mut keys: Vec<(String, String)> = Vec::new();
    for f in &lines {
        if f.len() < axes + 6 {
            continue;
        }
        let key = (f[..axes].join(","), f[axes].to_string());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    for (point, variant) in keys {
        let point_cells: Vec<String> = point
            .split(',')
            .map(|v| v.parse::<f64>().map_or(v.to_string(), sig))
            .collect();
        let _ = write!(out, "| {} | {variant} |", point_cells.join(" | "));
        for (m, u) in present.iter().zip(&units) {
            let cell = lines
                .iter()
                .find(|f| {
                    f.len() >= axes + 6
                        && f[..axes].join(",") == point
                        && f[axes] == variant
                        && f[axes + 1] == *m
                })
                .map(|f| {
                    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN) * u.scale;
                    let (mean, low, high) = (num(f[axes + 2]), num(f[axes + 3]), num(f[axes + 4]));
                    let (low, high) = (
                        low.max(u.domain.0 * u.scale),
                        high.min(u.domain.1 * u.scale),
                    );
                    if mean.is_finite() && low.is_finite() && high.is_finite() {
                        format!("{} [{}, {}]", sig(mean), sig(low), sig(high))
                    } else if mean.is_finite() {
                        sig(mean)
                    } else {
                        "—".to_string()
                    }
                })
                .unwrap_or_else(|| "—".to_string());
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out
}

/// Four significant digits, never an exponent.
fn sig(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 8) as usize;
    format!("{v:.decimals$}")
}
