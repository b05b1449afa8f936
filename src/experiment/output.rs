//! The results directory: `<root>/<scenario>/<run-id>/` with the manifest, the resolved
//! scenario and tidy CSV files.
//!
//! Files are written into a temporary sibling directory that is renamed into place at the
//! end, so a results directory is either complete or absent; an existing run directory is
//! never overwritten. Labels and metric names are `[a-z0-9_-]`, so CSV fields never need
//! quoting. Floats use Rust's shortest round-trip formatting: exact and deterministic.

use std::fmt::{self, Write as _};
use std::io;
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
            "variant,strategy,declared,condition,guarantee,replications,episodes,with_loss,with_duplicates,lost,duplicated,violations,holds\n",
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
                "{prefix}{},{},{},{},{},{},{},{},{},{},{},{violations},{}",
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
            "{prefix}{},{},{},before-any-fault,precise,{},0,{},{},{},{},{},{}",
            c.variant,
            c.strategy,
            c.declared.label(),
            c.n,
            before.iter().filter(|v| v.lost > 0).count(),
            before.iter().filter(|v| v.duplicated > 0).count(),
            before.iter().map(|v| v.lost).sum::<u64>(),
            before.iter().map(|v| v.duplicated).sum::<u64>(),
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
        "variant,replication,kind,target_name,fault_s,condition,guarantee,lost,duplicated\n",
    );
    for c in result.semantics() {
        for v in &c.violations {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{},{}",
                v.variant,
                v.replication,
                v.kind,
                v.target,
                num(v.fault_s),
                v.condition.label(),
                v.guarantee.label(),
                v.lost,
                v.duplicated
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
        "variant,replication,kind,target,target_name,fault_s,detected_s,restored_s,recovered_s,detection_s,restore_s,catchup_s,recovery_s,condition,lost,duplicated\n",
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
                    "{},{r},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
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
                )
                .expect("infallible");
            }
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
    }
}

/// Writes the results directory under `root` and returns its path.
pub fn write_results(
    result: &RunResult,
    root: &Path,
    manifest: &RunManifest,
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
    let files = [
        ("manifest.json", json + "\n"),
        ("scenario.ron", result.scenario.resolved_text()),
        ("summary.csv", summary_csv(result)),
        ("replications.csv", replications_csv(result)),
        ("timeseries.csv", timeseries_csv(result)),
        ("delay_cdf.csv", cdf_csv(result)),
        ("episodes.csv", episodes_csv(result)),
        ("comparison.csv", comparison_csv(result)),
        ("semantics.csv", semantics_csv(result)),
        ("violations.csv", violations_csv(result)),
    ];
    for (name, content) in files {
        let path = tmp.join(name);
        std::fs::write(&path, content).map_err(err(&path))?;
    }
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
