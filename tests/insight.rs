//! What a run says about itself, through the built binary: `run --trace` (the options choose
//! runs, variants and kinds; trace.csv, the manifest's trace entry and one timeline per
//! traced run and variant are written; the other result files are those of the untraced run;
//! bad options are usage errors, exit 2, that name what exists) and `report.md` (headline,
//! semantics, the scenario's description, provenance, every chart).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{TempDir, manifest_path, only_run_dir};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("the faultline binary starts")
}

fn run(out: &Path, extra: &[&str]) -> Output {
    let scenario = manifest_path("scenarios/sensor-monitoring.ron");
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--replications",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    faultline(&args)
}

fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_traced_run_writes_the_trace_its_timelines_and_the_untraced_results() {
    let dir = TempDir::new("trace", "written");
    let plain = dir.path().join("plain");
    let traced = dir.path().join("traced");
    assert_exit(&run(&plain, &[]), 0);
    let o = run(
        &traced,
        &[
            "--trace-runs",
            "0,2",
            "--trace-variants",
            "passive,active",
            "--trace-kinds",
            "faults,recovery",
        ],
    );
    assert_exit(&o, 0);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("trace.csv (faults,recovery):"), "{stdout}");
    let (plain, traced) = (only_run_dir(&plain), only_run_dir(&traced));
    for file in [
        "summary.csv",
        "replications.csv",
        "timeseries.csv",
        "episodes.csv",
    ] {
        assert_eq!(
            std::fs::read(plain.join(file)).unwrap(),
            std::fs::read(traced.join(file)).unwrap(),
            "{file} differs with tracing"
        );
    }
    assert!(!plain.join("trace.csv").exists());
    let trace = std::fs::read_to_string(traced.join("trace.csv")).unwrap();
    let mut runs: Vec<(String, String)> = trace
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0].to_string(), c[1].to_string())
        })
        .collect();
    runs.dedup();
    // Variants in scenario order (active before passive), runs in order.
    let expected: Vec<(String, String)> = [
        ("active", "0"),
        ("active", "2"),
        ("passive", "0"),
        ("passive", "2"),
    ]
    .iter()
    .map(|(v, r)| (v.to_string(), r.to_string()))
    .collect();
    assert_eq!(runs, expected);
    let manifest = std::fs::read_to_string(traced.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"trace\"") && manifest.contains("\"kinds\": \"faults,recovery\""));
    assert!(
        !std::fs::read_to_string(plain.join("manifest.json"))
            .unwrap()
            .contains("\"trace\"")
    );
    for name in [
        "timeline_active",
        "timeline_active_run2",
        "timeline_passive",
        "timeline_passive_run2",
    ] {
        for ext in ["png", "svg"] {
            let p = traced.join("plots").join(format!("{name}.{ext}"));
            assert!(
                p.metadata().is_ok_and(|m| m.len() > 1000),
                "{}",
                p.display()
            );
        }
    }
    assert!(!traced.join("plots/timeline_checkpoint-only.png").exists());

    // The report embeds every chart drawn, timelines included, and says what was run.
    let report = std::fs::read_to_string(traced.join("report.md")).unwrap();
    common::assert_report_embeds_every_chart(&traced, &report, 8);
    for part in [
        "## Scenario\n\nSensor monitoring under faults",
        "## Headline",
        "availability (SLA)",
        "## Recovery semantics",
        "passive (passive): holds over 3 runs",
        "| master seed | 1000 |",
    ] {
        assert!(report.contains(part), "report.md lacks {part:?}:\n{report}");
    }
    // The untraced run's report differs only in its charts.
    let plain_report = std::fs::read_to_string(plain.join("report.md")).unwrap();
    assert!(!plain_report.contains("timeline_"));
    assert_eq!(
        plain_report.split("## Charts").next(),
        report.split("## Charts").next()
    );
}

#[test]
fn bad_trace_options_are_usage_errors_naming_what_exists() {
    let dir = TempDir::new("trace", "usage");
    let o = run(
        dir.path(),
        &["--trace-runs", "5", "--trace-variants", "pasive"],
    );
    assert_exit(&o, 2);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("--trace-runs 5") && stderr.contains("runs 0 to 2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pasive") && stderr.contains("active, passive, checkpoint-only"),
        "{stderr}"
    );
    let o = run(dir.path(), &["--trace-kinds", "faults,heartbeats"]);
    assert_exit(&o, 2);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("'heartbeats'") && stderr.contains("detection"),
        "{stderr}"
    );
    // Nothing was run, so nothing was written.
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}
