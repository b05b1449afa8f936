//! `faultline gate` as CI drives it: a comparison the gate cannot make at the baseline's
//! confidence is refused with exit 2 (invalid input) and a message saying what differs,
//! instead of passing because wider intervals or missing entries hide a regression.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

mod common;

use common::{TempDir, manifest_path};

/// `faultline gate SCENARIO --baseline BASELINE EXTRA...`.
fn gate(scenario: &Path, baseline: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .arg("gate")
        .arg(scenario)
        .arg("--baseline")
        .arg(baseline)
        .args(extra)
        .output()
        .expect("the faultline binary starts")
}

/// Asserts exit 2 and that stderr says each of `phrases`, showing both streams otherwise.
fn assert_refused(out: &Output, phrases: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for phrase in phrases {
        assert!(stderr.contains(phrase), "missing {phrase:?} in:\n{stderr}");
    }
}

/// A baseline of tests/fixtures/sweep-base.ron (4 replications) written into `tmp`.
fn sweep_base_baseline(tmp: &TempDir) -> std::path::PathBuf {
    let baseline = tmp.path().join("baseline.json");
    let out = gate(
        &manifest_path("tests/fixtures/sweep-base.ron"),
        &baseline,
        &["--update"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    baseline
}

/// Two replications instead of the baseline's four: intervals about three times wider
/// (t₀.₉₇₅ with 1 d.o.f. is 12.7, with 3 it is 3.2), wide enough to pass a real regression.
#[test]
fn a_baseline_with_more_replications_than_the_rerun_exits_2() {
    let tmp = TempDir::new("gate", "fewer-replications");
    let baseline = sweep_base_baseline(&tmp);
    let text = fs::read_to_string(manifest_path("tests/fixtures/sweep-base.ron")).unwrap();
    assert!(text.contains("replications: 4,"));
    let fewer = tmp.path().join("fewer.ron");
    fs::write(&fewer, text.replace("replications: 4,", "replications: 2,")).unwrap();
    assert_refused(
        &gate(&fewer, &baseline, &[]),
        &["2 replication(s), the baseline 4", "--update"],
    );
}

/// A baseline whose metric list is empty gates nothing, so it would pass anything.
#[test]
fn an_empty_metric_list_exits_2() {
    let tmp = TempDir::new("gate", "empty-metrics");
    let baseline = sweep_base_baseline(&tmp);
    let mut json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&baseline).unwrap()).unwrap();
    json["metrics"] = serde_json::Value::Array(Vec::new());
    fs::write(&baseline, json.to_string()).unwrap();
    assert_refused(
        &gate(
            &manifest_path("tests/fixtures/sweep-base.ron"),
            &baseline,
            &[],
        ),
        &["gates no metric"],
    );
}

/// Another scenario's baseline compares unrelated numbers: refused by name.
#[test]
fn another_scenarios_baseline_exits_2() {
    let tmp = TempDir::new("gate", "other-scenario");
    let baseline = sweep_base_baseline(&tmp);
    assert_refused(
        &gate(&manifest_path("tests/fixtures/tiny.ron"), &baseline, &[]),
        &["written for scenario \"sweep-base\", not \"tiny\""],
    );
}

/// A baseline that is not valid JSON for a baseline is refused at its line and column.
#[test]
fn a_malformed_baseline_exits_2_saying_where() {
    let tmp = TempDir::new("gate", "malformed");
    let baseline = tmp.path().join("baseline.json");
    fs::write(
        &baseline,
        "{\n  \"scenario\": \"sweep-base\",\n  \"replications\": -4\n}\n",
    )
    .unwrap();
    let at = format!("{}:3:", baseline.display());
    assert_refused(
        &gate(
            &manifest_path("tests/fixtures/sweep-base.ron"),
            &baseline,
            &[],
        ),
        &[at.as_str()],
    );
}
