//! Hostile and heavy input to the whole loader (issue 10): files that are not regular files,
//! too large or not UTF-8; CSV files with many bad rows; faults that could never fire or
//! would overflow their plan; unknown names. Each is refused with a located message that
//! states the limit, and nothing blocks or panics.

use std::path::{Path, PathBuf};

use crate::fault::{FaultEvent, FaultModelConfig, MAX_FAULTS_PER_MODEL};
use crate::scenario::{self, InputError, Problem, ScenarioError};
use crate::sim::SimTime;
use crate::world::{SimError, run_replication};

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-hostile-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A 60 s scenario on nodes a, b, c, keys 0..4, with `faults` as its fault list and
/// `service` as the map's service time.
fn scenario_text(faults: &str, service: &str) -> String {
    format!(
        r#"(version: 1, name: "hostile", seed: 3, duration_s: 60.0,
  cluster: (nodes: [(name: "a"), (name: "b"), (name: "c")]),
  operators: [
    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 5.0), keys: Uniform(count: 4))),
    (name: "work", kind: Map(service_ms: {service}), inputs: [(from: "src")]),
    (name: "out", kind: Sink, inputs: [(from: "work")]),
  ],
  faults: [{faults}],
)"#
    )
}

/// The problems of scenario `text` written as `dir/s.ron` and loaded from there.
fn problems_of(dir: &Path, text: &str) -> Vec<Problem> {
    let path = dir.join("s.ron");
    std::fs::write(&path, text).unwrap();
    match scenario::load(&path) {
        Err(ScenarioError::Invalid { problems, .. }) => problems,
        other => panic!("expected semantic problems, got {other:?}"),
    }
}

fn assert_says(problem: &Problem, path: &str, parts: &[&str]) {
    assert_eq!(problem.path, path, "{problem}");
    for part in parts {
        assert!(
            problem.message.contains(part),
            "{problem} does not say {part:?}"
        );
    }
}

#[test]
fn a_directory_fifo_or_device_is_not_a_scenario() {
    let dir = scratch("kinds");
    let e = scenario::load(&dir).unwrap_err();
    assert!(
        matches!(&e, ScenarioError::Input(InputError::NotAFile { .. })),
        "{e:?}"
    );
    #[cfg(unix)]
    {
        let e = scenario::load(Path::new("/dev/zero")).unwrap_err();
        assert!(
            e.to_string().contains("a device, not a regular file"),
            "{e}"
        );
        let fifo = dir.join("fifo.ron");
        if std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            // Would block forever if it were opened.
            let e = scenario::load(&fifo).unwrap_err();
            assert!(e.to_string().contains("FIFO"), "{e}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_oversized_scenario_is_refused_with_the_cap_stated() {
    let dir = scratch("oversized");
    let path = dir.join("huge.ron");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(scenario::MAX_RON_BYTES + 1)
        .unwrap();
    let e = scenario::load(&path).unwrap_err();
    assert!(
        matches!(&e, ScenarioError::Input(InputError::TooLarge { .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("8 MiB"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_invalid_byte_in_a_scenario_is_a_located_syntax_error() {
    let dir = scratch("utf8");
    let path = dir.join("s.ron");
    let mut bytes = scenario_text("", "Const(1.0)").into_bytes();
    // Line 1 is `(version: 1, name: "hostile", …`: replace the `h` (column 21).
    let at = bytes.iter().position(|&b| b == b'h').unwrap();
    bytes[at] = 0xFE;
    std::fs::write(&path, bytes).unwrap();
    match scenario::load(&path) {
        Err(ScenarioError::Syntax {
            line,
            column,
            message,
            ..
        }) => {
            assert_eq!((line, column), (1, 21), "{message}");
            assert!(message.contains("0xFE"), "{message}");
        }
        other => panic!("expected a located syntax error, got {other:?}"),
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_bad_trace_row_is_listed_with_its_line_up_to_a_cap() {
    let dir = scratch("trace");
    let mut trace = String::from("time_s,kind,target,value\n1.0,crash,a\n");
    trace.push_str("2.0,crash,zz\n"); // line 3: unknown node
    trace.push_str("x,crash,a\n"); // line 4: not a time
    trace.push_str("3.0,explode,a\n"); // line 5: unknown kind
    trace.push_str("61.0,crash,b\n"); // line 6: after the end
    trace.push_str("62.0,repair,b\n"); // a repair after the end is harmless
    for _ in 0..30 {
        trace.push_str("4.0,slow,c,0.5\n"); // lines 8..37: factor below 1
    }
    std::fs::write(dir.join("t.csv"), trace).unwrap();
    let problems = problems_of(
        &dir,
        &scenario_text(r#"Trace(path: "t.csv")"#, "Const(1.0)"),
    );
    assert_eq!(problems.len(), 21, "{problems:#?}");
    let csv = dir.join("t.csv").display().to_string();
    assert_says(
        &problems[0],
        "faults[0].path",
        &[
            &format!("{csv}:3: no node named \"zz\""),
            "the nodes are \"a\", \"b\", \"c\"",
        ],
    );
    assert_says(
        &problems[1],
        "faults[0].path",
        &[&format!("{csv}:4:"), "\"x\" is not a time"],
    );
    assert_says(
        &problems[2],
        "faults[0].path",
        &[&format!("{csv}:5:"), "unknown kind"],
    );
    assert_says(
        &problems[3],
        "faults[0].path",
        &[&format!("{csv}:6:"), "never happen"],
    );
    assert_says(
        &problems[4],
        "faults[0].path",
        &[&format!("{csv}:8:"), "factor"],
    );
    assert_says(&problems[20], "faults[0].path", &["… and 14 more bad rows"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_bad_empirical_row_is_listed_with_its_line() {
    let dir = scratch("empirical");
    std::fs::write(dir.join("e.csv"), "ms\n1.0\nabc\n2.0\n-1\n").unwrap();
    let problems = problems_of(&dir, &scenario_text("", r#"EmpiricalFile(path: "e.csv")"#));
    let csv = dir.join("e.csv").display().to_string();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_says(
        &problems[0],
        "operators[1].kind.service_ms",
        &[&format!("{csv}:3: \"abc\" is not a number")],
    );
    assert_says(
        &problems[1],
        "operators[1].kind.service_ms",
        &[&format!("{csv}:5: -1 must be zero or positive")],
    );
    // The CSV readers share the loader's rules for files.
    let problems = problems_of(&dir, &scenario_text("", r#"EmpiricalFile(path: ".")"#));
    assert!(
        problems[0].message.contains("not a regular file"),
        "{problems:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn faults_that_can_never_fire_are_refused() {
    let dir = scratch("never");
    let problems = problems_of(
        &dir,
        &scenario_text(
            r#"Poison(key: 4, at_s: 1.0), Poison(key: 3, at_s: 1.0),
               Hang(operator: "work", instance: 1, at_s: 1.0, duration_s: 1.0),"#,
            "Const(1.0)",
        ),
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_says(
        &problems[0],
        "faults[0].key",
        &["is 4", "keys 0 to 3", "never"],
    );
    assert_says(
        &problems[1],
        "faults[2].instance",
        &["is 1", "has 1 instances"],
    );
    // Random models whose shortest first draw is past the end (60 s).
    let problems = problems_of(
        &dir,
        &scenario_text(
            r#"Crash(nodes: Workers, ttf_s: Const(60.0), repair_s: Const(1.0)),
               GroupCrash(nodes: ["a", "b"], ttf_s: Uniform(low: 70.0, high: 80.0), repair_s: Const(1.0)),
               RandomPartitions(groups: (a: ["a"], b: ["b"]), gap_s: Const(100.0), duration_s: Const(1.0)),
               Crash(nodes: Workers, ttf_s: Uniform(low: 59.0, high: 80.0), repair_s: Const(1.0)),
               Crash(nodes: Workers, ttf_s: Exp(mean: 1000.0), repair_s: Const(1.0)),"#,
            "Const(1.0)",
        ),
    );
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert_says(
        &problems[0],
        "faults[0].ttf_s",
        &["no value below 60 s", "never fire"],
    );
    assert_says(&problems[1], "faults[1].ttf_s", &["no value below 70 s"]);
    assert_says(&problems[2], "faults[2].gap_s", &["no value below 100 s"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let dir = scratch("names");
    let long = "q".repeat(5000);
    let problems = problems_of(
        &dir,
        &scenario_text(
            &format!(
                r#"CrashAt(node: "{long}", at_s: 1.0, repair_s: 1.0),
                   Hang(operator: "wrok", at_s: 1.0, duration_s: 1.0),"#
            ),
            "Const(1.0)",
        ),
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_says(
        &problems[0],
        "faults[0].node",
        &["(5000 characters)", "the nodes are \"a\", \"b\", \"c\""],
    );
    assert!(problems[0].message.len() < 300, "{}", problems[0]);
    assert_says(
        &problems[1],
        "faults[1].operator",
        &["\"wrok\"", "the operators are \"src\", \"work\", \"out\""],
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_fault_model_expected_to_overflow_its_plan_is_refused() {
    let dir = scratch("overflow");
    // 2 × 3 nodes × 60 s / (1 ms + 0) ≈ 360 000 events: allowed. 1e8 s runs are not
    // needed: a 1 ms mean with a 60 s run and 3 nodes is under the cap, so raise the
    // duration through the text.
    let text = scenario_text(
        "Crash(nodes: Workers, ttf_s: Exp(mean: 0.001), repair_s: Const(0.0))",
        "Const(1.0)",
    )
    .replace("duration_s: 60.0", "duration_s: 600.0");
    let problems = problems_of(&dir, &text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_says(
        &problems[0],
        "faults[0].ttf_s",
        &[
            "expects about 3600000 fault events",
            "more than the 1000000",
        ],
    );
    let text = scenario_text(
        "RandomPartitions(groups: (a: [\"a\"], b: [\"b\"]), gap_s: Const(0.001), duration_s: Const(0.0))",
        "Const(1.0)",
    )
    .replace("duration_s: 60.0", "duration_s: 1000.0");
    let problems = problems_of(&dir, &text);
    assert_says(&problems[0], "faults[0].gap_s", &["expects about 2000000"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_plan_cut_at_the_cap_fails_its_replication() {
    let dir = scratch("capped");
    let path = dir.join("s.ron");
    std::fs::write(&path, scenario_text("", "Const(1.0)")).unwrap();
    let mut s = scenario::load(&path).unwrap();
    // Validation refuses such a model; a model can still draw past the cap by chance, which
    // this stands for.
    let n = u64::from(MAX_FAULTS_PER_MODEL) + 1;
    let events = (0..n)
        .map(|k| {
            (
                SimTime::from_nanos(1_000 + k),
                FaultEvent::PoisonKey { key: 99 },
            )
        })
        .collect();
    s.faults.models.push(FaultModelConfig::Scripted(events));
    match run_replication(&s, 0, 1, 0, &|_| {}) {
        Err(SimError::FaultPlanCapped { model: 0, cap }) => assert_eq!(cap, MAX_FAULTS_PER_MODEL),
        other => panic!("expected a capped plan, got {other:?}"),
    }
    std::fs::remove_dir_all(dir).unwrap();
}
