//! The `faultline` binary as a user drives it: the results directory of `run`, byte-identical
//! summaries whatever the thread count, rerunning the resolved scenario, `check`, exit codes
//! (0 success, 1 a run failed, 2 invalid scenario or usage), error messages, `validate`,
//! sweeps that resume after `kill -9` and merge from shards, and the regression gate.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::{TempDir, manifest_path, only_run_dir, tree_files};

/// Runs the binary with `args` and returns what it did.
fn faultline<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("the faultline binary starts")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it differs.
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// Runs `scenario` with `extra` flags into `out` and returns the run directory,
/// `<out>/<name>/<run-id>/`, which must be the only run there.
fn run_into(scenario: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "run".to_string(),
        scenario.display().to_string(),
        "--out".to_string(),
        out.display().to_string(),
        "--quiet".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let result = faultline(&args);
    assert_exit(&result, 0);
    only_run_dir(out)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Files a run writes besides the manifest, whose bytes depend only on scenario and seed.
const RESULT_FILES: [&str; 8] = [
    "report.md",
    "summary.csv",
    "replications.csv",
    "timeseries.csv",
    "delay_cdf.csv",
    "episodes.csv",
    "comparison.csv",
    "semantics.csv",
];

/// The README's main command (with 2 replications instead of 10, to keep the suite short):
/// the comparison of the four strategies with paired differences to `active`, each
/// strategy's semantics check, and every chart as PNG and SVG.
#[test]
fn the_main_command_compares_the_strategies_and_draws_the_charts() {
    let tmp = TempDir::new("cli", "main-command");
    let out = tmp.path().join("results");
    let dir = run_into(
        &manifest_path("scenarios/sensor-monitoring.ron"),
        &out,
        &["--replications", "2"],
    );
    let semantics = read(&dir.join("semantics.csv"));
    for (variant, declared) in [
        ("active", "precise"),
        ("passive", "rollback"),
        ("checkpoint-only", "rollback"),
        ("upstream-backup", "rollback"),
    ] {
        let row = semantics
            .lines()
            .find(|l| l.starts_with(&format!("{variant},")))
            .unwrap_or_else(|| panic!("{variant} missing:\n{semantics}"));
        assert!(row.contains(&format!(",{declared},")), "{row}");
        assert!(row.ends_with(",true"), "claim violated: {row}");
    }
    let comparison = read(&dir.join("comparison.csv"));
    assert!(
        comparison.contains("passive,active,availability_system,"),
        "{comparison}"
    );
    assert!(
        !dir.join("plots").join("delay_cdf.png").exists(),
        "delay_cdf is no longer drawn: its curves coincide, delay_tail shows the difference"
    );
    for chart in [
        "throughput",
        "availability",
        "recovery_time",
        "cost_vs_recovery",
        "delay_tail",
    ] {
        for ext in ["png", "svg"] {
            let path = dir.join("plots").join(format!("{chart}.{ext}"));
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            assert!(bytes > 1000, "{} missing or empty", path.display());
        }
    }
}

#[test]
fn run_writes_the_results_directory_and_prints_a_table() {
    let tmp = TempDir::new("cli", "run-writes");
    let out = tmp.path().join("results");
    let result = faultline(&[
        "run".as_ref(),
        manifest_path("tests/fixtures/tiny.ron").as_os_str(),
        "--replications".as_ref(),
        "3".as_ref(),
        "--seed".as_ref(),
        "5".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--full".as_ref(),
    ]);
    assert_exit(&result, 0);
    let printed = stdout(&result);
    assert!(printed.contains("p99 delay"), "no headline:\n{printed}");
    assert!(
        printed.contains("delay_mean_ms"),
        "no full table:\n{printed}"
    );
    assert!(printed.contains("interval"), "no table header:\n{printed}");

    let dir = only_run_dir(&out);
    assert_eq!(
        dir.parent().and_then(Path::file_name),
        Some("tiny".as_ref()),
        "{}",
        dir.display()
    );
    assert!(
        printed.contains(&dir.display().to_string()),
        "the run directory {} is not printed:\n{printed}",
        dir.display()
    );
    for name in ["manifest.json", "scenario.ron"]
        .iter()
        .chain(RESULT_FILES.iter())
    {
        assert!(
            dir.join(name).is_file(),
            "{name} missing in {}",
            dir.display()
        );
    }

    let manifest: serde_json::Value =
        serde_json::from_str(&read(&dir.join("manifest.json"))).expect("manifest is JSON");
    assert_eq!(manifest["master_seed"], 5);
    assert_eq!(manifest["replications"], 3);
    assert_eq!(manifest["faultline_version"], env!("CARGO_PKG_VERSION"));
    assert!(
        manifest["scenario_hash"]
            .as_str()
            .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        "{manifest}"
    );
    let command_line = manifest["command_line"].as_str().expect("a string");
    assert!(
        command_line.contains("tiny.ron") && command_line.contains("--seed 5"),
        "{command_line}"
    );
    assert!(
        manifest["threads"].as_u64().is_some_and(|t| t >= 1),
        "{manifest}"
    );
    assert!(
        manifest["wall_time_s"].as_f64().is_some_and(|t| t >= 0.0),
        "{manifest}"
    );
    let git = manifest
        .get("git_commit")
        .expect("git_commit is present, null when unknown");
    assert!(git.is_null() || git.is_string(), "{manifest}");

    // The resolved scenario spells out the overrides and the defaults.
    let resolved = read(&dir.join("scenario.ron"));
    for field in ["seed: 5", "replications: 3", "bandwidth_mbps", "bucket_s"] {
        assert!(resolved.contains(field), "{field} missing in:\n{resolved}");
    }

    // One row per replication, after the header.
    let replications = read(&dir.join("replications.csv"));
    assert_eq!(replications.lines().count(), 1 + 3, "{replications}");
    let summary = read(&dir.join("summary.csv"));
    assert!(
        summary.starts_with("variant,metric,mean,std_dev,ci_low,ci_high,level,n\n"),
        "{summary}"
    );
    assert!(summary.contains(",delay_mean_ms,"), "{summary}");
}

#[test]
fn results_are_byte_identical_whatever_the_thread_count() {
    let tmp = TempDir::new("cli", "threads");
    let tiny = manifest_path("tests/fixtures/tiny.ron");
    let common = ["--replications", "4", "--seed", "11"];
    let one = run_into(
        &tiny,
        &tmp.path().join("one"),
        &[&common[..], &["--threads", "1"]].concat(),
    );
    let two = run_into(
        &tiny,
        &tmp.path().join("two"),
        &[&common[..], &["--threads", "2"]].concat(),
    );
    for name in RESULT_FILES {
        assert!(
            read(&one.join(name)) == read(&two.join(name)),
            "{name} differs between --threads 1 and --threads 2 ({} vs {})",
            one.display(),
            two.display()
        );
    }
    // The same scenario with a different seed gives different numbers.
    let other = run_into(
        &tiny,
        &tmp.path().join("other"),
        &["--replications", "4", "--seed", "12", "--threads", "2"],
    );
    assert_ne!(
        read(&one.join("summary.csv")),
        read(&other.join("summary.csv")),
        "seeds 11 and 12 gave the same summary"
    );
}

#[test]
fn the_resolved_scenario_reruns_to_the_same_summary() {
    let tmp = TempDir::new("cli", "rerun");
    let first = run_into(
        &manifest_path("tests/fixtures/tiny.ron"),
        &tmp.path().join("first"),
        &["--replications", "3", "--seed", "5"],
    );
    // No --seed or --replications: both come from the resolved file.
    let again = run_into(&first.join("scenario.ron"), &tmp.path().join("again"), &[]);
    for name in RESULT_FILES {
        assert!(
            read(&first.join(name)) == read(&again.join(name)),
            "{name} differs after rerunning the resolved scenario"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&again.join("manifest.json"))).expect("manifest is JSON");
    assert_eq!(manifest["master_seed"], 5);
    assert_eq!(manifest["replications"], 3);
    // The resolved scenario resolves to itself.
    assert_eq!(
        read(&first.join("scenario.ron")),
        read(&again.join("scenario.ron"))
    );
}

#[test]
fn check_accepts_every_shipped_scenario() {
    let result = faultline(&["check".as_ref(), manifest_path("scenarios").as_os_str()]);
    assert_exit(&result, 0);
    let printed = stdout(&result);
    assert!(
        printed.contains("ok: ") && printed.contains("mm1.ron"),
        "{printed}"
    );
}

#[test]
fn check_locates_a_syntax_error() {
    let result = faultline(&[
        "check".as_ref(),
        manifest_path("tests/fixtures/bad.ron").as_os_str(),
    ]);
    assert_exit(&result, 2);
    let errors = stderr(&result);
    assert!(errors.contains("bad.ron:9:7: "), "{errors}");
    assert!(
        errors.contains("cores_per_node") && errors.contains("`cores`"),
        "{errors}"
    );
    assert!(errors.starts_with("error: "), "{errors}");
}

#[test]
fn check_lists_every_semantic_problem() {
    let result = faultline(&[
        "check".as_ref(),
        manifest_path("tests/fixtures/invalid.ron").as_os_str(),
    ]);
    assert_exit(&result, 2);
    let errors = stderr(&result);
    assert!(
        errors.contains("invalid.ron is invalid (5 problems)"),
        "{errors}"
    );
    for line in [
        "  cluster.network.loss: is 1.5;",
        "  operators[0].kind.arrivals.rate_per_s: is -800;",
        "  operators[1].placement[0]: no node named \"nowhere\"",
        "  operators[1]: \"queue\" has no downstream operator;",
        "  operators[2].inputs[0].from: no operator named \"queu\"",
    ] {
        assert!(
            errors.lines().any(|l| l.starts_with(line)),
            "{line:?} missing in:\n{errors}"
        );
    }
}

#[test]
fn check_reports_each_bad_file_and_still_checks_the_rest() {
    let mut args = vec![std::ffi::OsString::from("check")];
    for fixture in ["bad.ron", "tiny.ron", "invalid.ron"] {
        args.push(manifest_path(&format!("tests/fixtures/{fixture}")).into_os_string());
    }
    let result = faultline(&args);
    assert_exit(&result, 2);
    assert!(stdout(&result).contains("tiny.ron"), "{}", stdout(&result));
    let errors = stderr(&result);
    assert!(
        errors.contains("bad.ron:9:7") && errors.contains("invalid.ron is invalid"),
        "{errors}"
    );
    assert!(
        errors.contains("2 of 3 scenario files are invalid"),
        "{errors}"
    );
}

/// `tests/fixtures/tiny.ron` with `replace` applied (which must change it), written as
/// `name` in `dir`.
fn tiny_variant(dir: &Path, name: &str, replace: (&str, &str)) -> PathBuf {
    let original = read(&manifest_path("tests/fixtures/tiny.ron"));
    let text = original.replacen(replace.0, replace.1, 1);
    assert_ne!(text, original, "the fixture changed: {original}");
    let path = dir.join(name);
    fs::write(&path, text).expect("temp file is writable");
    path
}

/// Bounding a channel to no events is a semantic problem: `check` exits 2 and names the
/// file, the field (`buffers`), the value and the accepted range; a misspelt capacity kind
/// is a syntax error located at its line and column, with the kinds listed.
#[test]
fn check_rejects_an_empty_event_buffer_and_names_the_field() {
    let tmp = TempDir::new("cli", "buffers-zero");
    let zero = tiny_variant(
        tmp.path(),
        "events0.ron",
        ("  duration_s:", "  buffers: Events(0),\n  duration_s:"),
    );
    let result = faultline(&["check".as_ref(), zero.as_os_str()]);
    assert_exit(&result, 2);
    let errors = stderr(&result);
    assert!(
        errors.starts_with("error: ") && errors.contains("events0.ron is invalid (1 problem)"),
        "{errors}"
    );
    assert!(
        errors
            .lines()
            .any(|l| l.starts_with("  buffers: is Events(0); a bounded buffer holds 1 to ")),
        "{errors}"
    );
    assert!(errors.contains("use Unbounded for no bound"), "{errors}");

    // The added line is line 11 of the file; `Evnts` starts at column 12.
    let misspelt = tiny_variant(
        tmp.path(),
        "misspelt.ron",
        ("  duration_s:", "  buffers: Evnts(4),\n  duration_s:"),
    );
    let result = faultline(&["check".as_ref(), misspelt.as_os_str()]);
    assert_exit(&result, 2);
    let errors = stderr(&result);
    assert!(errors.contains("misspelt.ron:11:12: "), "{errors}");
    assert!(
        errors.contains("`Evnts`")
            && errors.contains("`Unbounded`")
            && errors.contains("`Events`")
            && errors.contains("`Bytes`"),
        "{errors}"
    );
}

/// A source has no input channel: a `buffer` on it is a semantic problem naming the
/// operator's field and saying to use `pressure` instead.
#[test]
fn check_rejects_a_buffer_on_a_source_and_names_the_field() {
    let tmp = TempDir::new("cli", "source-buffer");
    let scenario = tiny_variant(
        tmp.path(),
        "source-buffer.ron",
        (
            "keys: Uniform(count: 1))),",
            "keys: Uniform(count: 1)), buffer: Some(Events(4))),",
        ),
    );
    let result = faultline(&["check".as_ref(), scenario.as_os_str()]);
    assert_exit(&result, 2);
    let errors = stderr(&result);
    assert!(
        errors.contains("source-buffer.ron is invalid (1 problem)"),
        "{errors}"
    );
    assert!(
        errors
            .lines()
            .any(|l| l.starts_with("  operators[0].buffer: a Source has no input channel")),
        "{errors}"
    );
    assert!(
        errors.contains("`pressure: Pull`") && errors.contains("`pressure: Push(buffer: n)`"),
        "{errors}"
    );
}

/// Each problem `check` lists is one line: the flow-control messages were written with a
/// `\\` before their line break, so they printed a backslash, a newline and the source
/// indentation in the middle of the sentence.
#[test]
fn check_prints_each_buffer_problem_on_one_line() {
    let tmp = TempDir::new("cli", "buffer-message-lines");
    for (name, replace) in [
        (
            "events0.ron",
            ("  duration_s:", "  buffers: Events(0),\n  duration_s:"),
        ),
        (
            "bytes0.ron",
            ("  duration_s:", "  buffers: Bytes(0),\n  duration_s:"),
        ),
        (
            "source-buffer.ron",
            (
                "keys: Uniform(count: 1))),",
                "keys: Uniform(count: 1)), buffer: Some(Events(4))),",
            ),
        ),
    ] {
        let scenario = tiny_variant(tmp.path(), name, replace);
        let result = faultline(&["check".as_ref(), scenario.as_os_str()]);
        assert_exit(&result, 2);
        let errors = stderr(&result);
        assert!(
            !errors.contains('\\'),
            "{name}: a stray backslash in\n{errors}"
        );
        // "<file> is invalid (1 problem)", the problem, "1 of 1 scenario files are invalid".
        assert_eq!(errors.lines().count(), 3, "{name}:\n{errors}");
    }
}

#[test]
fn run_rejects_an_invalid_scenario_with_exit_code_2() {
    let tmp = TempDir::new("cli", "run-invalid");
    let out = tmp.path().join("results");
    let result = faultline(&[
        "run".as_ref(),
        manifest_path("tests/fixtures/invalid.ron").as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_exit(&result, 2);
    assert!(
        stderr(&result).contains("(5 problems)"),
        "{}",
        stderr(&result)
    );
    assert!(!out.exists(), "an invalid scenario wrote results");
}

#[test]
fn run_on_a_missing_file_exits_2() {
    let tmp = TempDir::new("cli", "missing");
    let missing = tmp.path().join("no-such-scenario.ron");
    let result = faultline(&["run".as_ref(), missing.as_os_str()]);
    assert_exit(&result, 2);
    let errors = stderr(&result);
    assert!(errors.starts_with("error: cannot read "), "{errors}");
    assert!(errors.contains("no-such-scenario.ron"), "{errors}");
}

#[test]
fn usage_errors_exit_2() {
    let tiny = manifest_path("tests/fixtures/tiny.ron");
    let tiny = tiny.to_str().expect("UTF-8 path");
    for args in [
        &["run", tiny, "--no-such-flag"][..],
        &["run", tiny, "--replications", "1"],
        &["run", tiny, "--threads", "0"],
        &["run", tiny, "--seed", "minus-one"],
        &["run"],
        &["check"],
        &["frobnicate"],
        &[],
    ] {
        let result = faultline(args);
        assert_exit(&result, 2);
        assert!(
            stderr(&result).contains("--help"),
            "{args:?}: {}",
            stderr(&result)
        );
    }
}

/// Usage mistakes that only a subcommand's own checks catch exit 2 like clap's, with a
/// message saying what to fix, and write nothing.
#[test]
fn every_subcommands_usage_mistakes_exit_2() {
    let tmp = TempDir::new("cli", "usage-2");
    let tiny = manifest_path("tests/fixtures/tiny.ron");
    let tiny = tiny.to_str().expect("UTF-8 path");
    let sweep = manifest_path("tests/fixtures/sweeps/small.ron");
    let sweep = sweep.to_str().expect("UTF-8 path");
    let scratch = tmp.path().to_str().expect("UTF-8 path");
    let missing = format!("{scratch}/missing");
    let baseline = format!("{scratch}/baseline.json");
    let out = format!("{scratch}/out");
    let cases: [(&[&str], &str); 13] = [
        (
            &["sweep", sweep, "--threads", "0", "--out", &out],
            "--threads",
        ),
        (
            &["sweep", sweep, "--shard", "2/2", "--out", &out],
            "shard 2/2",
        ),
        (
            &["sweep", sweep, "--emit-slurm", "0", "--out", &out],
            "--emit-slurm",
        ),
        (
            &["gate", tiny, "--baseline", &baseline, "--threads", "0"],
            "--threads",
        ),
        (
            &["gate", tiny, "--baseline", &baseline, "--metric", "p99"],
            "NAME=higher",
        ),
        (
            &["gate", tiny, "--baseline", &missing],
            "create it with --update",
        ),
        (
            &[
                "gate",
                tiny,
                "--baseline",
                &baseline,
                "--update",
                "--metric",
                "no_such_metric=higher",
            ],
            "no_such_metric",
        ),
        (&["validate", "--threads", "0", "--out", &out], "--threads"),
        (
            &[
                "validate",
                "--quick",
                "--scenarios",
                &missing,
                "--out",
                &out,
            ],
            "missing",
        ),
        (&["plot", &missing], "is not a directory"),
        (&["plot", scratch], "holds no result files"),
        (
            &["merge", sweep, &missing, "--out", &out],
            "does not hold results of this sweep",
        ),
        (&["explore", "--threads", "0", "--out", &out], "--threads"),
    ];
    for (args, says) in cases {
        let result = faultline(args);
        assert_exit(&result, 2);
        let errors = stderr(&result);
        assert!(errors.starts_with("error: "), "{args:?}: {errors}");
        assert!(
            errors.contains(says),
            "{args:?}: {says:?} missing in {errors}"
        );
    }
    assert!(
        !Path::new(&baseline).exists(),
        "a refused gate wrote a baseline"
    );
}

/// A keyed window fed round robin is valid, so `check` and `run` go on (exit 0), but both
/// warn that each key's events are split over the window's instances.
#[test]
fn check_and_run_warn_about_a_window_not_partitioned_by_key() {
    let tmp = TempDir::new("cli", "keying-warning");
    let scenario = tmp.path().join("unkeyed.ron");
    let text = read(&manifest_path("tests/fixtures/tiny.ron")).replace(
        "(name: \"departures\", kind: Sink, inputs: [(from: \"queue\")]),",
        "(name: \"window\", kind: Window(size_s: 1.0, service_ms: Const(0.01)), parallelism: 2, \
         inputs: [(from: \"queue\", partitioning: Rebalance)]),\n    \
         (name: \"departures\", kind: Sink, inputs: [(from: \"window\")]),",
    );
    assert!(text.contains("Window"), "the fixture changed: {text}");
    fs::write(&scenario, text).expect("temp file is writable");
    let warning = "operators[2].inputs[0].partitioning: the window \"window\" has 2 instances";
    let check = faultline(&["check".as_ref(), scenario.as_os_str()]);
    assert_exit(&check, 0);
    let errors = stderr(&check);
    assert!(
        errors.starts_with("warning: ") && errors.contains(warning),
        "{errors}"
    );
    let out = tmp.path().join("results");
    let run = faultline(&[
        "run".as_ref(),
        scenario.as_os_str(),
        "--replications".as_ref(),
        "2".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_exit(&run, 0);
    assert!(stderr(&run).contains(warning), "{}", stderr(&run));
    // The shipped scenarios mean what they say: no warning.
    let shipped = faultline(&["check".as_ref(), manifest_path("scenarios").as_os_str()]);
    assert!(
        !stderr(&shipped).contains("warning"),
        "{}",
        stderr(&shipped)
    );
}

#[test]
fn help_of_each_command_shows_an_example() {
    for args in [&["run", "--help"][..], &["check", "--help"], &["--help"]] {
        let result = faultline(args);
        assert_exit(&result, 0);
        let help = stdout(&result);
        assert!(help.contains("Example"), "{args:?}:\n{help}");
        assert!(help.contains("faultline "), "{args:?}:\n{help}");
    }
}

/// An `--out` that cannot be written is a usage error found before the run (exit 2), not
/// after it.
#[test]
fn unwritable_output_exits_2_before_the_run() {
    let tmp = TempDir::new("cli", "unwritable");
    let file = tmp.path().join("file.txt");
    fs::write(&file, "a regular file, not a directory").expect("temp file is writable");
    let out = file.join("sub");
    let result = faultline(&[
        "run".as_ref(),
        manifest_path("tests/fixtures/tiny.ron").as_os_str(),
        "--replications".as_ref(),
        "2".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_exit(&result, 2);
    let errors = stderr(&result);
    assert!(errors.contains("error: --out: cannot write "), "{errors}");
    assert!(errors.contains("file.txt"), "{errors}");
}

/// `faultline validate --quick` (as the test suite runs it): every check passes, the exit
/// code is 0, and the report and its charts are written — by default to
/// `results/validation-quick/`, never over the committed full report in
/// `results/validation/` (run here in a scratch directory as the working directory).
#[test]
fn validate_quick_passes_every_check_and_writes_the_report() {
    let tmp = TempDir::new("cli", "validate-quick");
    let out = tmp.path().join("results/validation-quick");
    let result = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .current_dir(tmp.path())
        .args([
            "validate".as_ref(),
            "--quick".as_ref(),
            "--scenarios".as_ref(),
            manifest_path("scenarios/validation").as_os_str(),
        ])
        .output()
        .expect("the faultline binary starts");
    let printed = stdout(&result);
    assert_exit(&result, 0);
    assert!(
        !tmp.path().join("results/validation").exists(),
        "a quick run wrote to results/validation/"
    );
    assert!(
        printed.contains("report: results/validation-quick/report.md"),
        "{printed}"
    );
    assert!(!printed.contains("FAIL"), "{printed}");
    let report = read(&out.join("report.md"));
    for section in [
        "## Queues",
        "## Availability",
        "## Failure detection",
        "## Checkpointing",
        "## Recovery time",
        "## A published trend",
        "## Real systems",
    ] {
        assert!(report.contains(section), "{section} missing:\n{report}");
    }
    for chart in [
        "checkpoint_interval",
        "availability_vs_mttf",
        "recovery_vs_load",
        "hwang_tradeoff",
        "presets",
    ] {
        for ext in ["png", "svg"] {
            let path = out.join(format!("{chart}.{ext}"));
            assert!(path.exists(), "{} missing", path.display());
        }
    }
}

fn sweep_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "sweep".to_string(),
        manifest_path("tests/fixtures/sweeps/small.ron")
            .display()
            .to_string(),
        "--out".to_string(),
        out.display().to_string(),
        "--quiet".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// A sweep killed with SIGKILL part-way and run again with `--resume` computes only the
/// missing points, and its files are byte-identical to an uninterrupted run's.
#[test]
fn a_killed_sweep_resumes_to_identical_output() {
    let tmp = TempDir::new("cli", "sweep-resume");
    let whole = tmp.path().join("whole");
    assert_exit(&faultline(&sweep_args(&whole, &[])), 0);

    let killed = tmp.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(sweep_args(&killed, &["--threads", "1"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    // Wait until some points are done, then kill -9 in the middle of the sweep.
    let points = killed.join("points");
    let started = std::time::Instant::now();
    loop {
        let done = std::fs::read_dir(&points)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().starts_with('p'))
                    .count()
            })
            .unwrap_or(0);
        if done >= 3 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "the sweep made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(!killed.join("sweep.csv").exists(), "killed before the end");

    // Without --resume the directory is refused; with it, only the rest is computed.
    let again = faultline(&sweep_args(&killed, &[]));
    assert_exit(&again, 2);
    assert!(stderr(&again).contains("--resume"), "{}", stderr(&again));
    let resumed = faultline(&sweep_args(&killed, &["--resume"]));
    assert_exit(&resumed, 0);
    let printed = stdout(&resumed);
    assert!(!printed.contains(" 0 already present"), "{printed}");
    // Leftover partial directories of the killed process are not part of the result.
    let (a, b) = (tree_files(&whole, &[]), tree_files(&killed, &[]));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs after resume");
    }
}

/// Two shards merged give the unsharded sweep's files, byte for byte.
#[test]
fn shards_merge_into_the_unsharded_result() {
    let tmp = TempDir::new("cli", "sweep-shards");
    let whole = tmp.path().join("whole");
    assert_exit(&faultline(&sweep_args(&whole, &[])), 0);
    // Every point's guarantees are checked: per point, and one table for the sweep.
    let table = std::fs::read_to_string(whole.join("semantics.csv")).expect("semantics.csv");
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert!(!rows.is_empty(), "{table}");
    assert!(rows.iter().all(|r| r.ends_with(",true")), "{table}");
    assert!(whole.join("points/p0000/semantics.csv").is_file());
    // The sweep's report.md embeds every chart and shows the key rows.
    let report = std::fs::read_to_string(whole.join("report.md")).expect("report.md");
    common::assert_report_embeds_every_chart(&whole, &report, 6);
    for part in [
        "## Grid",
        "## Headline",
        "## Key results",
        "| System availability",
        "## Guarantees",
    ] {
        assert!(report.contains(part), "report.md lacks {part:?}:\n{report}");
    }
    let (s0, s1, merged) = (
        tmp.path().join("s0"),
        tmp.path().join("s1"),
        tmp.path().join("merged"),
    );
    assert_exit(&faultline(&sweep_args(&s0, &["--shard", "0/2"])), 0);
    assert_exit(&faultline(&sweep_args(&s1, &["--shard", "1/2"])), 0);
    assert!(
        !s0.join("sweep.csv").exists(),
        "a shard alone is incomplete"
    );
    let result = faultline(&[
        "merge".to_string(),
        manifest_path("tests/fixtures/sweeps/small.ron")
            .display()
            .to_string(),
        s0.display().to_string(),
        s1.display().to_string(),
        "--out".to_string(),
        merged.display().to_string(),
    ]);
    assert_exit(&result, 0);
    assert_eq!(tree_files(&whole, &[]), tree_files(&merged, &[]));
}

/// A misspelt parameter path is an input error that names the valid paths near it.
#[test]
fn a_misspelt_sweep_path_lists_the_valid_ones() {
    let tmp = TempDir::new("cli", "sweep-bad-path");
    let file = tmp.path().join("bad.ron");
    std::fs::write(
        &file,
        format!(
            "(version: 1, name: \"bad\", base: \"{}\", axes: [(path: \"faults[0].ttf.mean\", values: [1.0, 2.0])])",
            manifest_path("tests/fixtures/sweep-base.ron").display()
        ),
    )
    .unwrap();
    let result = faultline(&["sweep".as_ref(), file.as_os_str()]);
    assert_exit(&result, 2);
    assert!(
        stderr(&result).contains("faults[0].ttf_s.mean"),
        "{}",
        stderr(&result)
    );
}

/// The gate passes the baseline's own scenario under another seed and fails a deliberately
/// worse configuration: a heartbeat timeout ten times longer (5 s instead of 500 ms).
#[test]
fn the_gate_fails_a_worse_configuration_and_passes_another_seed() {
    let tmp = TempDir::new("cli", "gate");
    let base = manifest_path("tests/fixtures/sweep-base.ron");
    let baseline = tmp.path().join("baseline.json");
    let gate = |scenario: &Path, extra: &[&str]| {
        let mut args = vec![
            "gate".to_string(),
            scenario.display().to_string(),
            "--baseline".to_string(),
            baseline.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        faultline(&args)
    };
    assert_exit(&gate(&base, &["--update"]), 0);
    let again = gate(&base, &["--seed", "4242"]);
    assert_exit(&again, 0);
    let worse = tmp.path().join("worse.ron");
    let text = std::fs::read_to_string(&base)
        .unwrap()
        .replace("timeout_ms: 500.0", "timeout_ms: 5000.0");
    std::fs::write(&worse, text).unwrap();
    let result = gate(&worse, &[]);
    assert_exit(&result, 1);
    assert!(
        stdout(&result).contains("REGRESSION"),
        "{}",
        stdout(&result)
    );
}

/// `run`, `sweep` and `gate` fail (exit 1) on a broken guarantee: the test-only sabotage that
/// skips every replay makes rollback strategies lose events.
#[test]
fn run_sweep_and_gate_fail_on_a_broken_guarantee() {
    let tmp = TempDir::new("cli", "sabotage");
    let sabotaged = |args: &[String]| {
        Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(args)
            .env("FAULTLINE_SABOTAGE", "skip-replay")
            .output()
            .expect("the faultline binary starts")
    };
    let scenario = manifest_path("scenarios/sensor-monitoring.ron")
        .display()
        .to_string();
    let out = tmp.path().display().to_string();
    let run = sabotaged(&[
        "run".into(),
        scenario.clone(),
        "--replications".into(),
        "2".into(),
        "--out".into(),
        out.clone(),
        "--quiet".into(),
    ]);
    assert_exit(&run, 1);
    assert!(stdout(&run).contains("VIOLATION"), "{}", stdout(&run));
    assert!(
        stderr(&run).contains("declared guarantee"),
        "{}",
        stderr(&run)
    );
    assert!(
        stderr(&run).contains("--seed"),
        "the reproduction: {}",
        stderr(&run)
    );
    let sweep_out = tmp.path().join("sweep");
    let sweep = sabotaged(&sweep_args(&sweep_out, &[]));
    assert_exit(&sweep, 1);
    assert!(
        stdout(&sweep).contains("broken guarantees"),
        "{}",
        stdout(&sweep)
    );
    let table = std::fs::read_to_string(sweep_out.join("semantics.csv")).expect("semantics.csv");
    assert!(table.lines().any(|l| l.ends_with(",false")), "{table}");
    let gate = sabotaged(&[
        "gate".to_string(),
        scenario,
        "--baseline".into(),
        manifest_path("results/baselines/sensor-monitoring.json")
            .display()
            .to_string(),
    ]);
    assert_exit(&gate, 1);
    assert!(stdout(&gate).contains("VIOLATION"), "{}", stdout(&gate));
}
