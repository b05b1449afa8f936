//! A run's `report.md`: its results as one paste-ready Markdown page — the scenario's own
//! description, the headline, the recovery semantics, every chart with a caption, and the
//! provenance — for a design review or a paper's appendix (pieces shared with the sweep's
//! page in [`crate::report`]).

use std::fmt::Write as _;
use std::path::Path;

use crate::experiment::RunManifest;
use crate::report;

/// One line on what a chart shows, by its file name (without extension).
fn caption(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("timeline_") {
        let (variant, run) = match rest.rsplit_once("_run") {
            Some((v, r)) if r.chars().all(|c| c.is_ascii_digit()) => (v, r),
            _ => (rest, "0"),
        };
        return format!(
            "Failure timeline of run {run} of `{variant}`: node and instance states over \
             simulated time, faults, detections, checkpoints and failovers (from trace.csv)."
        );
    }
    let text = match name {
        "throughput" => concat!(
            "Deliveries per second over simulated time in run 0, one panel per variant, with ",
            "its faults, detections and recoveries marked and partitions and link spikes shaded."
        ),
        "availability" => "System availability per variant with its confidence interval.",
        "recovery_time" => "Mean recovery time per variant with its confidence interval.",
        "cost_vs_recovery" => concat!(
            "Cost as rates (network and checkpoint traffic in MB/s, CPU in cores) against ",
            "mean recovery time, one point per variant."
        ),
        "delay_tail" => concat!(
            "P(delay > d) on log-log axes from the median to the 99.99th percentile, with 95 % ",
            "bands across runs: where the variants' delays differ."
        ),
        _ => return format!("`{name}`."),
    };
    text.to_string()
}

/// The run's charts in a fixed order — as `draw_all` lists them, timelines last — with
/// captions.
fn charts(dir: &Path) -> String {
    const ORDER: [&str; 5] = [
        "throughput",
        "availability",
        "recovery_time",
        "delay_tail",
        "cost_vs_recovery",
    ];
    let rank = |n: &str| {
        let known = ORDER.iter().position(|o| *o == n).unwrap_or(ORDER.len());
        known + if n.starts_with("timeline_") { 100 } else { 0 }
    };
    report::charts_section(dir, &rank, &caption)
}

/// The provenance table of a run's manifest.
fn provenance(m: &RunManifest) -> String {
    let mut out = String::from("| | |\n|---|---|\n");
    let mut row = |k: &str, v: String| {
        let v = v.replace('|', "\\|");
        let _ = writeln!(out, "| {k} | {v} |");
    };
    row("faultline", m.faultline_version.clone());
    row(
        "git commit",
        m.git_commit.clone().unwrap_or_else(|| "unknown".into()),
    );
    row(
        "scenario",
        format!("{} (hash {})", m.scenario, m.scenario_hash),
    );
    row("schema version", m.schema_version.to_string());
    row("master seed", m.master_seed.to_string());
    row("runs per variant", m.replications.to_string());
    row("variants", m.cells.join(", "));
    row("seeds", m.seed_derivation.clone());
    row("kernel events", m.kernel_events.to_string());
    row("complete", m.complete.to_string());
    row("reproduce", m.reproduce.clone());
    // The command line, thread count, start and wall time vary from run to run and are in
    // manifest.json; leaving them out keeps this page byte-identical like the CSVs.
    out.push_str("\nCommand line, threads, start time and wall time: `manifest.json`.\n");
    out
}

/// Everything a run's `report.md` holds, but the charts (listed from the directory).
pub(crate) struct RunReport<'a> {
    /// The scenario's leading comment.
    pub description: &'a str,
    /// The headline table and verdicts, as printed.
    pub headline: &'a str,
    /// The recovery-semantics block, as printed.
    pub semantics: &'a str,
    /// Provenance.
    pub manifest: &'a RunManifest,
}

impl RunReport<'_> {
    /// The page, for the results directory `dir` (its charts already drawn).
    pub(crate) fn render(&self, dir: &Path) -> String {
        let m = self.manifest;
        let mut out = format!(
            "# {}: {} variant(s) × {} runs\n\n",
            m.scenario,
            m.cells.len(),
            m.replications
        );
        if !self.description.is_empty() {
            let _ = writeln!(out, "## Scenario\n\n{}\n", self.description);
        }
        let _ = writeln!(
            out,
            "## Headline\n\nMean ± half-width of the confidence interval over the runs \
             (seeded replications); the lines below the table name the best variant per \
             metric and the paired differences to it that are significant. Every metric is in \
             `summary.csv`, paired differences in `comparison.csv`.\n\n{}",
            report::fenced(self.headline)
        );
        let _ = writeln!(
            out,
            "## Recovery semantics\n\nWhat each variant guarantees per condition, checked event \
             by event (`semantics.csv`, violations in `violations.csv`).\n\n{}",
            report::fenced(self.semantics)
        );
        let _ = writeln!(out, "## Charts\n\n{}", charts(dir));
        let _ = writeln!(out, "## Provenance\n\n{}", provenance(m));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_captions_name_variant_and_run() {
        assert!(caption("timeline_passive").contains("run 0 of `passive`"));
        assert!(caption("timeline_check_run_x_run3").contains("run 3 of `check_run_x`"));
    }
}
