//! `report.md`: a run's or a sweep's results as one paste-ready Markdown page — the headline,
//! the recovery semantics, the scenario's own description, provenance, and every chart with a
//! caption — for a design review or a paper's appendix. Charts are linked by relative path,
//! so the page renders wherever the results directory is copied.

use std::fmt::Write as _;
use std::path::Path;

use crate::experiment::RunManifest;

/// The leading `//` comment of a scenario or sweep file: its author's description.
pub(crate) fn header_comment(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix("//") else {
            break;
        };
        out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The leading comment of the file at `path`, or nothing if it cannot be read.
pub(crate) fn header_of(path: &Path) -> String {
    crate::scenario::read_input(path, crate::scenario::MAX_RON_BYTES)
        .map(|text| header_comment(&text))
        .unwrap_or_default()
}

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

/// The charts under `dir/plots/` as Markdown, PNGs in a fixed order: the run's charts first
/// (as `draw_all` lists them), timelines last, each with its caption.
pub(crate) fn charts_section(dir: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("plots"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".png").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    const ORDER: [&str; 5] = [
        "throughput",
        "availability",
        "recovery_time",
        "delay_tail",
        "cost_vs_recovery",
    ];
    names.sort_by_key(|n| {
        (
            n.starts_with("timeline_"),
            ORDER.iter().position(|o| o == n).unwrap_or(ORDER.len()),
            n.clone(),
        )
    });
    let mut out = String::new();
    for name in names {
        let _ = writeln!(
            out,
            "### {name}\n\n![{name}](plots/{name}.png)\n\n{}\n",
            caption(&name)
        );
    }
    if out.is_empty() {
        out.push_str("(no charts were drawn)\n");
    }
    out
}

/// A fenced block of preformatted text.
pub(crate) fn fenced(text: &str) -> String {
    format!("```text\n{}\n```\n", text.trim_end())
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
            fenced(self.headline)
        );
        let _ = writeln!(
            out,
            "## Recovery semantics\n\nWhat each variant guarantees per condition, checked event \
             by event (`semantics.csv`, violations in `violations.csv`).\n\n{}",
            fenced(self.semantics)
        );
        let _ = writeln!(out, "## Charts\n\n{}", charts_section(dir));
        let _ = writeln!(out, "## Provenance\n\n{}", provenance(m));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_comment_is_the_leading_comment_only() {
        let text = "// Title\n//\n//   indented\n(\n  // not this\n)";
        assert_eq!(header_comment(text), "Title\n\n  indented");
        assert_eq!(header_comment("(name: \"x\")"), "");
    }

    #[test]
    fn timeline_captions_name_variant_and_run() {
        assert!(caption("timeline_passive").contains("run 0 of `passive`"));
        assert!(caption("timeline_check_run_x_run3").contains("run 3 of `check_run_x`"));
    }
}
