//! Resource limits, through the built binary: an overloaded scenario under a real memory
//! limit ends with exit 1, a report naming the overloaded stage and a written partial result;
//! runs that cannot fit are refused before they start; an unusable `--out` fails at once;
//! leftovers of killed runs are reported.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{TempDir, manifest_path};

const BIN: &str = env!("CARGO_BIN_EXE_faultline");

/// Runs the binary under `ulimit -v` of `limit_kib` (address space: every allocation the
/// process makes counts against it, so a run that ignored its budget would abort in the
/// allocator, exit 134).
fn run_limited(limit_kib: u64, args: &[&str]) -> Output {
    let mut command = String::from("ulimit -v ");
    command.push_str(&limit_kib.to_string());
    command.push_str(" && exec \"$0\" \"$@\"");
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .arg(BIN)
        .args(args)
        .output()
        .expect("sh runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The only run directory below `out/overloaded/`.
fn run_dir(out: &Path, scenario: &str) -> std::path::PathBuf {
    let mut dirs: Vec<_> = std::fs::read_dir(out.join(scenario))
        .expect("the scenario's results directory exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.pop().unwrap()
}

/// λ = 20 000/s into a stage serving 10 000/s, for an hour of simulated time: the queue would
/// need about 36·10⁶ events × 2 replications — several GiB. Under a 1.5 GiB address-space
/// limit and the default budget (derived from that limit), faultline stops each replication,
/// writes every result file with `complete: false`, reports the stage and exits 1.
#[test]
fn an_overloaded_run_under_a_memory_limit_ends_with_a_report_and_a_partial_result() {
    let dir = TempDir::new("resources", "overload");
    let out = dir.path().to_str().unwrap();
    let scenario = manifest_path("tests/fixtures/overloaded.ron");
    let started = Instant::now();
    let o = run_limited(
        1_500_000,
        &["run", scenario.to_str().unwrap(), "--out", out, "--quiet"],
    );
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(started.elapsed() < Duration::from_secs(120));
    for needle in [
        "overloaded stage: `parse` has offered load ρ = 2.00",
        "2 of 2 replications outgrew their memory budget",
        "parse[0] on worker: input queue of",
        "fix: give `parse` more capacity",
        "overload.txt",
    ] {
        assert!(stderr.contains(needle), "no {needle:?} in:\n{stderr}");
    }
    let run = run_dir(dir.path(), "overloaded");
    for file in [
        "summary.csv",
        "replications.csv",
        "timeseries.csv",
        "overload.txt",
        "manifest.json",
    ] {
        assert!(run.join(file).is_file(), "{file} not written");
    }
    assert!(run.join("plots").is_dir(), "charts not drawn");
    let manifest = std::fs::read_to_string(run.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"complete\": false"), "{manifest}");
    let report = std::fs::read_to_string(run.join("overload.txt")).unwrap();
    assert!(report.contains("stopped at t = "), "{report}");
}

/// The stop instant depends on the budget, not on the thread count: the partial results of
/// one and two threads are byte-identical.
#[test]
fn a_stopped_run_is_the_same_on_one_thread_and_two() {
    let scenario = manifest_path("tests/fixtures/overloaded.ron");
    let mut summaries = Vec::new();
    for threads in ["1", "2"] {
        let dir = TempDir::new("resources", &format!("threads{threads}"));
        let o = Command::new(BIN)
            .args(["run", scenario.to_str().unwrap(), "--out"])
            .arg(dir.path())
            .args(["--quiet", "--max-memory", "128M", "--threads", threads])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        let run = run_dir(dir.path(), "overloaded");
        summaries.push((
            std::fs::read(run.join("summary.csv")).unwrap(),
            std::fs::read(run.join("overload.txt")).unwrap(),
        ));
    }
    assert!(
        summaries[0] == summaries[1],
        "results depend on the thread count"
    );
}

/// A budget too small for one replication's fixed footprint is refused before anything runs
/// (exit 2), saying what to change; so is a run whose output would exceed the file-size limit.
#[test]
fn runs_that_cannot_fit_are_refused_before_they_start() {
    let dir = TempDir::new("resources", "refuse");
    let scenario = manifest_path("tests/fixtures/overloaded.ron");
    let o = Command::new(BIN)
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(dir.path())
        .args(["--quiet", "--max-memory", "4M"])
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refused before running"), "{stderr}");
    assert!(stderr.contains("raise --max-memory"), "{stderr}");
    assert!(
        !dir.path()
            .join("overloaded")
            .read_dir()
            .unwrap()
            .any(|e| { !e.unwrap().file_name().to_string_lossy().starts_with('.') })
    );

    // 10⁶ one-second buckets merge into 4096 points per replication (4 buckets each), ×
    // 10 000 replications: about 2.4 GiB of timeseries.csv.
    let long = dir.path().join("long.ron");
    let text_in = std::fs::read_to_string(manifest_path("tests/fixtures/tiny.ron"))
        .unwrap()
        .replace("duration_s: 5.0", "duration_s: 1000000.0")
        .replace("replications: 10", "replications: 10000");
    std::fs::write(&long, text_in).unwrap();
    let o = Command::new(BIN)
        .args(["run", long.to_str().unwrap(), "--out"])
        .arg(dir.path())
        .args(["--quiet", "--max-memory", "64G"])
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("above the limit of 2.0 GiB"), "{stderr}");
}

/// An `--out` that is a regular file fails before the run, not after it.
#[test]
fn an_out_that_is_a_file_fails_at_once() {
    let dir = TempDir::new("resources", "outfile");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let scenario = manifest_path("tests/fixtures/overloaded.ron");
    let started = Instant::now();
    let o = Command::new(BIN)
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(&file)
        .arg("--quiet")
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a directory"), "{stderr}");
    // The overloaded scenario runs for seconds before its stop; this fails before it starts.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// A temporary directory left by a killed run is reported, with what to do about it.
#[test]
fn leftovers_of_killed_runs_are_reported() {
    let dir = TempDir::new("resources", "stale");
    // The PID of a process that has exited.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = dir
        .path()
        .join("tiny")
        .join(format!(".20260101T000000Z-0123abcd.partial-{dead}"));
    std::fs::create_dir_all(&stale).unwrap();
    let o = Command::new(BIN)
        .args([
            "run",
            manifest_path("tests/fixtures/tiny.ron").to_str().unwrap(),
        ])
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("left over from a run that was killed") && stderr.contains("rm -r"),
        "{stderr}"
    );
}

/// A sweep whose point overloads stops with the report naming the point and the stage
/// (exit 1); the point is not written, and the sweep resumes once the scenario is fixed.
#[test]
fn a_sweep_point_that_overloads_ends_the_sweep_with_the_report() {
    let dir = TempDir::new("resources", "sweep");
    let sweep = manifest_path("tests/fixtures/sweeps/overloaded.ron");
    let o = Command::new(BIN)
        .args(["sweep", sweep.to_str().unwrap(), "--out"])
        .arg(dir.path())
        .args(["--quiet", "--max-memory", "256M"])
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("outgrew its memory budget and was not written")
            && stderr.contains("overloaded stage: `parse` has offered load ρ = 2.00"),
        "{stderr}"
    );
    let points: Vec<_> = std::fs::read_dir(dir.path().join("points"))
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(points.is_empty(), "an overloaded point was written");

    let o = Command::new(BIN)
        .args(["sweep", sweep.to_str().unwrap(), "--out"])
        .arg(dir.path().join("small"))
        .args(["--quiet", "--max-memory", "4M"])
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot fit its share"), "{stderr}");
}

/// Files faultline reads besides scenarios — a gate's baseline, a results directory's CSV
/// files — are read only when regular: a device or FIFO fails at once instead of blocking or
/// filling memory.
#[test]
fn baselines_and_results_are_read_only_from_regular_files() {
    let dir = TempDir::new("resources", "devices");
    let tiny = manifest_path("tests/fixtures/tiny.ron");
    let started = Instant::now();
    let o = Command::new(BIN)
        .args(["gate", tiny.to_str().unwrap(), "--baseline", "/dev/zero"])
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/dev/zero"), "{stderr}");

    let results = dir.path().join("results");
    std::fs::create_dir_all(&results).unwrap();
    let fifo = results.join("summary.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let o = Command::new(BIN)
        .arg("plot")
        .arg(&results)
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("FIFO"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A run whose checkpoints stop completing (a worker lost for good, no spare) runs to its
/// end within the budget, exits 0, and says so: a warning in the printed result naming the
/// replay buffers, and a `runaway` list in `manifest.json`.
#[test]
fn a_run_whose_checkpoints_stop_completing_is_flagged_in_the_result_and_manifest() {
    let dir = TempDir::new("resources", "runaway");
    let out = dir.path().to_str().unwrap();
    let scenario = manifest_path("tests/fixtures/stalled-checkpoints.ron");
    let o = Command::new(BIN)
        .args(["run", scenario.to_str().unwrap(), "--out", out, "--quiet"])
        .output()
        .expect("faultline runs");
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", text(&o.stderr));
    assert!(
        stdout.contains("warning: runaway state in 2 of 2 runs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("checkpoints stopped completing: none after t = "),
        "{stdout}"
    );
    assert!(stdout.contains("replay buffer"), "{stdout}");
    let manifest =
        std::fs::read_to_string(run_dir(dir.path(), "stalled-checkpoints").join("manifest.json"))
            .expect("manifest.json is written");
    let json: serde_json::Value = serde_json::from_str(&manifest).expect("valid JSON");
    let runaway = json["runaway"].as_array().expect("a runaway list");
    assert_eq!(runaway.len(), 2);
    assert!(runaway[0]["checkpoints_stalled_since_s"].as_f64().unwrap() >= 30.0);
    assert_eq!(json["complete"], true);
}
