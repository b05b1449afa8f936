//! Conversions shared by the scenario's builders (`validate.rs` for the system, `faults.rs`
//! for faults and fault tolerance): unit factors to nanoseconds, distributions from their
//! specs, and the wording of node names in messages. Kept apart so that neither builder
//! imports the other's helpers.

use std::path::Path;

use super::error::Problems;
use super::input::{BadRows, EXCERPT_CHARS, MAX_CSV_BYTES, excerpt, name_list, read_input};
use super::schema::DistSpec;
use crate::model::{Cluster, DurationDist};
use crate::sim::SimDuration;

/// Nanoseconds per millisecond, the factor of `_ms` fields.
pub(super) const NS_PER_MS: f64 = 1e6;
/// Nanoseconds per second, the factor of `_s` fields.
pub(super) const NS_PER_S: f64 = 1e9;
/// Most values in an empirical distribution.
const MAX_EMPIRICAL: usize = 10_000_000;

/// "No node named …", listing the nodes there are.
pub(super) fn unknown_node(cluster: &Cluster, name: &str) -> String {
    format!(
        "no node named {}; the nodes are {}",
        quoted(name),
        name_list(cluster.nodes.iter().map(|n| n.name.as_str()), "none")
    )
}

/// `name` quoted and cut short for messages.
pub(super) fn quoted(name: &str) -> String {
    excerpt(name, EXCERPT_CHARS)
}

/// Checks a distribution and converts it to nanoseconds (`ns_per_unit` per unit of the
/// field). Loads `EmpiricalFile`s and rewrites them in place as inline `Empirical` values,
/// so the resolved scenario is self-contained.
pub(super) fn build_dist(
    spec: &mut DistSpec,
    ns_per_unit: f64,
    base_dir: &Path,
    path: &str,
    p: &mut Problems,
) -> Option<DurationDist> {
    let finite_nonneg = |v: f64| v.is_finite() && v >= 0.0;
    let before = p.0.len();
    if let DistSpec::EmpiricalFile { path: file } = spec {
        match read_empirical(&base_dir.join(&*file)) {
            Ok(values) => *spec = DistSpec::Empirical { values },
            Err(lines) => {
                for line in lines {
                    p.push(
                        path,
                        format!("cannot use {}: {line}", excerpt(file, EXCERPT_CHARS)),
                    );
                }
                return None;
            }
        }
    }
    let dist = match spec {
        DistSpec::Const(v) => {
            p.require(
                finite_nonneg(*v),
                path,
                format!("Const({v}) must be zero or positive"),
            );
            DurationDist::Const(SimDuration::from_secs_f64(*v * ns_per_unit * 1e-9))
        }
        DistSpec::Exp { mean } => {
            p.require(
                mean.is_finite() && *mean > 0.0,
                path,
                format!("Exp mean {mean} must be positive"),
            );
            DurationDist::exp(*mean * ns_per_unit)
        }
        DistSpec::Uniform { low, high } => {
            p.require(
                finite_nonneg(*low) && finite_nonneg(*high) && low <= high,
                path,
                format!("Uniform needs 0 <= low <= high, got low {low}, high {high}"),
            );
            DurationDist::Uniform {
                low_ns: *low * ns_per_unit,
                high_ns: *high * ns_per_unit,
            }
        }
        DistSpec::LogNormal { mean, sd } => {
            p.require(
                mean.is_finite() && *mean > 0.0 && finite_nonneg(*sd),
                path,
                format!("LogNormal needs mean > 0 and sd >= 0, got mean {mean}, sd {sd}"),
            );
            DurationDist::log_normal_from_moments(*mean * ns_per_unit, *sd * ns_per_unit)
        }
        DistSpec::Weibull { shape, scale } => {
            p.require(
                shape.is_finite() && *shape >= 0.05 && scale.is_finite() && *scale > 0.0,
                path,
                format!(
                    "Weibull needs shape >= 0.05 and scale > 0, got shape {shape}, scale {scale}"
                ),
            );
            DurationDist::Weibull {
                shape: *shape,
                scale_ns: *scale * ns_per_unit,
            }
        }
        DistSpec::Empirical { values } => {
            p.require(
                !values.is_empty() && values.len() <= MAX_EMPIRICAL,
                path,
                format!(
                    "Empirical needs 1 to {MAX_EMPIRICAL} values, got {}",
                    values.len()
                ),
            );
            if let Some(bad) = values.iter().find(|v| !finite_nonneg(**v)) {
                p.push(
                    path,
                    format!("Empirical value {bad} must be zero or positive"),
                );
            }
            DurationDist::Empirical {
                values: values
                    .iter()
                    .map(|v| SimDuration::from_secs_f64(v * ns_per_unit * 1e-9))
                    .collect(),
            }
        }
        DistSpec::EmpiricalFile { .. } => unreachable!("rewritten to Empirical above"),
    };
    (p.0.len() == before).then_some(dist)
}

/// Reads the first column of a CSV file as numbers, skipping a non-numeric header line.
/// On failure, one line per problem: every bad row (the first [`super::input::MAX_LISTED_ROWS`] of them)
/// with its `file:line`.
fn read_empirical(path: &Path) -> Result<Vec<f64>, Vec<String>> {
    let text = read_input(path, MAX_CSV_BYTES).map_err(|e| vec![e.to_string()])?;
    let mut values = Vec::new();
    let mut bad = BadRows::default();
    for (n, line) in text.lines().enumerate() {
        let field = line.split(',').next().unwrap_or("").trim();
        if field.is_empty() || field.starts_with('#') {
            continue;
        }
        match field.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => values.push(v),
            Ok(v) => bad.push(path, n + 1, format!("{v} must be zero or positive")),
            Err(_) if n == 0 => {} // header
            Err(_) => bad.push(
                path,
                n + 1,
                format!("{} is not a number", excerpt(field, EXCERPT_CHARS)),
            ),
        }
        if values.len() > MAX_EMPIRICAL {
            return Err(vec![format!(
                "{}: more than {MAX_EMPIRICAL} values; an empirical distribution holds at most \
                 {MAX_EMPIRICAL}",
                path.display()
            )]);
        }
    }
    if !bad.is_empty() {
        return Err(bad.into_lines());
    }
    if values.is_empty() {
        return Err(vec![format!("{}: no values found", path.display())]);
    }
    Ok(values)
}
