//! `report.md`: one table per group of checks, each row with the quantity, the theory and
//! its source, the simulated value with its interval, the relative error and the verdict,
//! followed by the charts.

use std::fmt::Write as _;

use super::{Check, Group, Measured, Mode, Outcome, Setup, ValidateError, sig};

/// The report text for `outcome`.
pub fn render(setup: &Setup, outcome: &Outcome) -> String {
    let mut out = String::new();
    let failures = outcome.failures();
    let mode = match setup.mode {
        Mode::Full => "full run",
        Mode::Quick => {
            "quick run (`--quick`: shorter replications; the interval must contain the theory, its width is not required to be within 2 %)"
        }
    };
    writeln!(out, "# faultline validation report\n").expect("infallible");
    writeln!(
        out,
        "faultline {} — {mode}. {} checks, **{} passed, {} failed**.\n",
        env!("CARGO_PKG_VERSION"),
        outcome.checks.len(),
        outcome.checks.len() - failures,
        failures
    )
    .expect("infallible");
    writeln!(
        out,
        "A check passes when the theoretical value lies inside the {:.0} % Student-t interval of \
         the replication means and, in a full run, the interval's half-width is within {:.0} % of \
         the value; checks marked *exact* hold (or not) for every replication or event. \
         Expected values are derived in the header comment of each scenario in \
         `scenarios/validation/`; seeds and tolerances are never tuned to pass.\n",
        super::LEVEL * 100.0,
        super::MAX_RELATIVE_HALF_WIDTH * 100.0
    )
    .expect("infallible");
    let mut groups: Vec<Group> = outcome.checks.iter().map(|c| c.group).collect();
    groups.dedup();
    for group in groups {
        writeln!(out, "## {}\n", group.title()).expect("infallible");
        writeln!(
            out,
            "| check | theory | source | simulated ({:.0} % CI) | rel. error | result |",
            super::LEVEL * 100.0
        )
        .expect("infallible");
        writeln!(out, "|---|---:|---|---:|---:|---|").expect("infallible");
        for c in outcome.checks.iter().filter(|c| c.group == group) {
            row(&mut out, c);
        }
        out.push('\n');
        let notes: Vec<&Check> = outcome
            .checks
            .iter()
            .filter(|c| c.group == group && !c.note.is_empty())
            .collect();
        for c in notes {
            writeln!(out, "- *{}*: {}", c.name, c.note).expect("infallible");
        }
        out.push('\n');
        for chart in outcome
            .charts
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .filter(|p| chart_group(p) == Some(group))
        {
            let name = chart
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            writeln!(out, "![{name}]({name})\n").expect("infallible");
        }
    }
    out
}

/// Which section a chart belongs to, by its file name.
fn chart_group(path: &std::path::Path) -> Option<Group> {
    let stem = path.file_stem()?.to_str()?;
    Some(match stem {
        "availability_vs_mttf" => Group::Availability,
        "checkpoint_interval" => Group::Checkpointing,
        "recovery_vs_load" => Group::Recovery,
        "hwang_tradeoff" => Group::Trend,
        "presets" => Group::Presets,
        _ => return None,
    })
}

fn row(out: &mut String, c: &Check) {
    let unit = if c.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", c.unit)
    };
    let simulated = match &c.measured {
        Measured::Interval(ci) => format!(
            "{} ± {}{unit} (n = {})",
            sig(ci.mean),
            sig(ci.half_width()),
            ci.n
        ),
        Measured::Exact(v) => format!("{}{unit} (exact)", sig(*v)),
    };
    // An ordering check's "theory" is the bound it compares against: no relative error.
    let error = if c.group == Group::Trend {
        f64::NAN
    } else {
        c.relative_error()
    };
    let error = if error.is_finite() {
        format!("{:+.2} %", error * 100.0)
    } else {
        "—".to_string()
    };
    // A `|` inside a cell (E[X | X < τ]) would end it.
    let cell = |text: &str| text.replace('|', "\\|");
    writeln!(
        out,
        "| {} | {}{unit} | {} | {simulated} | {error} | {} |",
        cell(&c.name),
        sig(c.theory),
        cell(&c.source),
        if c.passed { "pass" } else { "**FAIL**" }
    )
    .expect("infallible");
}

/// Writes `report.md` into the output directory.
pub fn write(setup: &Setup, outcome: &Outcome) -> Result<(), ValidateError> {
    let path = setup.out.join("report.md");
    std::fs::write(&path, render(setup, outcome)).map_err(|e| ValidateError::Write(path, e))
}
