//! The verdict `run` prints first: a headline table of the metrics a design decision rests
//! on — availability, p99 delay, recovery time, loss, duplicates, cost as rates — with units
//! and intervals, at most 100 columns wide for up to four variants, and one line per metric
//! naming the best variant and the differences to it that the paired intervals show.

use std::fmt::Write as _;

use crate::experiment::RunResult;
use crate::stats::{Interval, paired_difference, t_interval};

/// Widest line the headline prints.
pub const WIDTH: usize = 100;

/// Variants shown side by side.
pub const MAX_VARIANTS: usize = 4;

/// A replication's metric by name.
type Lookup<'a> = &'a dyn Fn(&str) -> Option<f64>;

/// One headline metric: how to read it from a replication and how to print it.
struct Row {
    /// Name in verdicts.
    label: &'static str,
    /// Name in the table, with the unit.
    heading: &'static str,
    unit: &'static str,
    /// Fixed decimals (availability: four, to tell 0.9990 from 0.9999), else three
    /// significant digits.
    decimals: Option<usize>,
    higher_is_better: bool,
    /// The value of one replication, from its metrics and the run's (duration, window) \[s\].
    value: fn(Lookup<'_>, f64, f64) -> Option<f64>,
}

const ROWS: [Row; 8] = [
    Row {
        label: "availability",
        heading: "availability",
        unit: "",
        decimals: Some(4),
        higher_is_better: true,
        value: |m, _, _| m("availability_system"),
    },
    Row {
        label: "availability (SLA)",
        heading: "availability (SLA)",
        unit: "",
        decimals: Some(4),
        higher_is_better: true,
        value: |m, _, _| m("availability_sla"),
    },
    Row {
        label: "p99 delay",
        heading: "p99 delay [ms]",
        unit: " ms",
        decimals: None,
        higher_is_better: false,
        value: |m, _, _| m("delay_p99_ms"),
    },
    Row {
        label: "recovery time",
        heading: "recovery time [s]",
        unit: " s",
        decimals: None,
        higher_is_better: false,
        value: |m, _, _| m("recovery_time_mean_s"),
    },
    Row {
        label: "events lost",
        heading: "events lost",
        unit: "",
        decimals: None,
        higher_is_better: false,
        value: |m, _, _| m("events_lost"),
    },
    Row {
        label: "duplicated",
        heading: "duplicated",
        unit: "",
        decimals: None,
        higher_is_better: false,
        value: |m, _, _| m("events_duplicated"),
    },
    Row {
        label: "traffic",
        heading: "traffic [MB/s]",
        unit: " MB/s",
        decimals: None,
        higher_is_better: false,
        // Network and checkpoint bytes over the whole run.
        value: |m, duration, _| m("cost_bytes").map(|b| b / duration / 1e6),
    },
    Row {
        label: "CPU",
        heading: "CPU [cores]",
        unit: " cores",
        decimals: None,
        higher_is_better: false,
        // Busy core time in the measurement window.
        value: |m, _, window| m("cpu_seconds").map(|s| s / window),
    },
];

/// The headline of `result`: the table, then one verdict line per metric.
pub fn render(result: &RunResult) -> String {
    let level = result.scenario.confidence;
    let metrics = &result.scenario.metrics;
    let duration = metrics.end.as_secs_f64();
    let window = (metrics.end - metrics.warmup).as_secs_f64();
    let cells = &result.cells[..result.cells.len().min(MAX_VARIANTS)];
    let label_width = 18;
    let column = (WIDTH - label_width) / cells.len().max(1);
    let column = column.min(24);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} variant(s) × {} runs, mean ± half-width of the {:.0}% interval",
        result.scenario.name,
        result.cells.len(),
        result.scenario.replications,
        level * 100.0
    );
    let mut header = format!("{:<label_width$}", "");
    for c in cells {
        let _ = write!(header, "{:>column$}", clip(&c.label, column - 1));
    }
    let _ = writeln!(out, "{}", header.trim_end());
    let mut verdicts = Vec::new();
    for row in &ROWS {
        // Per variant, the values of its replications (NaN where undefined).
        let values: Vec<Vec<f64>> = cells
            .iter()
            .map(|c| {
                c.replications
                    .iter()
                    .map(|r| (row.value)(&|n| r.metric(n), duration, window).unwrap_or(f64::NAN))
                    .collect()
            })
            .collect();
        let intervals: Vec<Option<Interval>> = values
            .iter()
            .map(|v| {
                let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
                t_interval(&finite, level).ok()
            })
            .collect();
        if intervals.iter().all(Option::is_none) {
            continue; // not measured in this run (no SLA, no faults)
        }
        let mut line = format!("{:<label_width$}", row.heading);
        for i in &intervals {
            let text = match i {
                Some(i) => plus_minus(i.mean, i.half_width(), row.decimals),
                None => "—".to_string(),
            };
            let _ = write!(line, "{:>column$}", clip(&text, column - 1));
        }
        let _ = writeln!(out, "{}", line.trim_end());
        if cells.len() > 1 {
            verdicts.push(verdict(row, cells, &values, &intervals, level));
        }
    }
    if result.cells.len() > MAX_VARIANTS {
        let _ = writeln!(
            out,
            "(+{} more variant(s): --full prints every variant and metric)",
            result.cells.len() - MAX_VARIANTS
        );
    }
    if !verdicts.is_empty() {
        let _ = writeln!(out);
        for v in verdicts {
            out.push_str(&wrap(&v, WIDTH, 4));
        }
    }
    out
}

/// "p99 delay: best passive 412 ms; active +35 ± 12 ms" — the best variant by mean, and the
/// paired difference of each other variant to it whose interval excludes zero.
fn verdict(
    row: &Row,
    cells: &[crate::experiment::CellResult],
    values: &[Vec<f64>],
    intervals: &[Option<Interval>],
    level: f64,
) -> String {
    let better = |a: f64, b: f64| {
        if row.higher_is_better { a > b } else { a < b }
    };
    let mut best: Option<usize> = None;
    for (k, i) in intervals.iter().enumerate() {
        if let Some(i) = i
            && best.is_none_or(|b| better(i.mean, intervals[b].expect("set").mean))
        {
            best = Some(k);
        }
    }
    let Some(b) = best else {
        return String::new();
    };
    let mean = intervals[b].expect("the best has an interval").mean;
    if intervals
        .iter()
        .all(|i| i.is_some_and(|i| i.mean == mean && i.half_width() == 0.0))
    {
        return format!(
            "{}: {}{} in every variant\n",
            row.label,
            number(mean, row.decimals),
            row.unit
        );
    }
    let mut text = format!(
        "{}: best {} {}{}",
        row.label,
        cells[b].label,
        number(mean, row.decimals),
        row.unit
    );
    let mut alike = Vec::new();
    for k in (0..cells.len()).filter(|&k| k != b) {
        let (x, y): (Vec<f64>, Vec<f64>) = values[b]
            .iter()
            .zip(&values[k])
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(x, y)| (*x, *y))
            .unzip();
        match paired_difference(&x, &y, level) {
            Ok(d) if d.low > 0.0 || d.high < 0.0 => {
                let sign = if d.mean >= 0.0 { "+" } else { "−" };
                let _ = write!(
                    text,
                    "; {} {sign}{}{}",
                    cells[k].label,
                    plus_minus(d.mean.abs(), d.half_width(), row.decimals),
                    row.unit
                );
            }
            _ => alike.push(cells[k].label.as_str()),
        }
    }
    if !alike.is_empty() {
        let _ = write!(text, "; not different: {}", alike.join(", "));
    }
    text.push('\n');
    text
}

/// `mean ± half-width`, both with `fixed` decimals or to three significant digits of the
/// larger.
fn plus_minus(mean: f64, half_width: f64, fixed: Option<usize>) -> String {
    let decimals = fixed.unwrap_or_else(|| decimals(mean, half_width));
    format!("{mean:.decimals$} ± {half_width:.decimals$}")
}

fn number(v: f64, fixed: Option<usize>) -> String {
    let decimals = fixed.unwrap_or_else(|| decimals(v, 0.0));
    format!("{v:.decimals$}")
}

/// Decimals that give three significant digits of the larger of `v` and `h`, none for
/// values of 100 and more.
fn decimals(v: f64, h: f64) -> usize {
    let m = v.abs().max(h.abs());
    if m == 0.0 || !m.is_finite() {
        return 0;
    }
    (2 - m.log10().floor() as i32).clamp(0, 6) as usize
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// `text` broken into lines of at most `width` columns, continuation lines indented by
/// `indent`: between its `; `-separated clauses where they fit (so `412 ± 12 ms` stays
/// whole), within a clause at spaces where one alone is too long.
fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    let clauses: Vec<&str> = text.trim_end().split("; ").collect();
    let last = clauses.len().saturating_sub(1);
    for (k, clause) in clauses.iter().enumerate() {
        let piece = if k < last {
            format!("{clause};")
        } else {
            (*clause).to_string()
        };
        let len = line.chars().count();
        let fits = len + usize::from(len > indent) + piece.chars().count() <= width;
        if len > 0 && !fits && !line.trim().is_empty() {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(indent);
        }
        for word in piece.split(' ') {
            let len = line.chars().count();
            if !line.trim().is_empty() && len + 1 + word.chars().count() > width {
                out.push_str(line.trim_end());
                out.push('\n');
                line = " ".repeat(indent);
            } else if !line.trim().is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    if !line.trim().is_empty() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four variants of a small pipeline under a crash: the headline fits in 100 columns,
    /// names the best variant per metric, and prints units rather than raw floats.
    #[test]
    fn the_headline_of_four_variants_fits_in_100_columns() {
        let scenario = crate::tests::parse(
            r#"(version: 1, name: "headline", seed: 3, replications: 4, duration_s: 30.0, warmup_s: 5.0,
             cluster: (nodes: [(name: "coord"), (name: "ingest", cores: 2), (name: "worker", count: 2, cores: 2),
                               (name: "standby", cores: 2)]),
             operators: [
               (name: "clicks", kind: Source(arrivals: Poisson(rate_per_s: 500.0), keys: Uniform(count: 50)), placement: Nodes(["ingest"])),
               (name: "enrich", kind: Map(service_ms: Exp(mean: 0.5)), state_bytes_per_key: 64, parallelism: 2,
                inputs: [(from: "clicks", partitioning: Hash)]),
               (name: "out", kind: Sink, placement: Nodes(["ingest"]), inputs: [(from: "enrich")])],
             metrics: (sla_ms: 500.0),
             faults: [CrashAt(node: "worker0", at_s: 15.0, repair_s: 5.0)],
             fault_tolerance: (coordinator: "coord", spares: ["standby"], detector: Heartbeat(interval_ms: 100.0, timeout_ms: 500.0),
                               restart_ms: Const(500.0), checkpoint: (interval_s: 2.0)),
             variants: [(label: "active-replication", replication: Some(Active())),
                        (label: "passive-continuous", replication: Some(Passive(sync: Continuous))),
                        (label: "checkpoint-only", replication: None),
                        (label: "upstream-backup", replication: Some(UpstreamBackup))])"#,
        );
        let result = crate::experiment::run(&scenario, 3, 2, &|_| {}).unwrap();
        let text = render(&result);
        eprintln!("{text}");
        for line in text.lines() {
            assert!(
                line.chars().count() <= WIDTH,
                "{} columns: {line}",
                line.chars().count()
            );
        }
        for needle in ["availability", "p99 delay", " ms", "MB/s", "cores", "best "] {
            assert!(text.contains(needle), "no {needle:?} in\n{text}");
        }
        let exponent = text.as_bytes().windows(3).any(|w| {
            w[0].is_ascii_digit() && w[1] == b'e' && (w[2].is_ascii_digit() || w[2] == b'-')
        });
        assert!(!exponent, "raw floats in\n{text}");
        assert!(!text.contains('…'), "a clipped cell in\n{text}");
    }

    #[test]
    fn numbers_keep_three_significant_digits() {
        assert_eq!(plus_minus(412.3, 12.1, None), "412 ± 12");
        assert_eq!(plus_minus(0.98854, 0.0021, None), "0.989 ± 0.002");
        assert_eq!(plus_minus(1.2345, 0.05, None), "1.23 ± 0.05");
        assert_eq!(plus_minus(0.98854, 0.0021, Some(4)), "0.9885 ± 0.0021");
        assert_eq!(number(0.0, None), "0");
    }

    #[test]
    fn long_verdicts_wrap_between_clauses_within_the_width() {
        let text = "p99 delay: best a 1 ms; b +1442 ± 103 ms; c +12 ± 3 ms; d +1 ± 1 ms";
        let wrapped = wrap(text, 30, 4);
        assert_eq!(
            wrapped,
            "p99 delay: best a 1 ms;\n    b +1442 ± 103 ms;\n    c +12 ± 3 ms; d +1 ± 1 ms\n"
        );
        for line in wrap(&"word ".repeat(50), 40, 4).lines() {
            assert!(line.chars().count() <= 40, "{line}");
        }
    }
}
