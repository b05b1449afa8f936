//! The Jupyter notebooks in `notebooks/` run headless on freshly generated results:
//! `scripts/setup-notebooks.sh` installs `notebooks/requirements.txt` into `.venv/`, the
//! binary runs the sensor-monitoring scenario and the availability-vs-MTTF sweep into a
//! scratch directory, and `jupyter execute` runs every cell of both notebooks against them
//! (exit status 1 when a cell raises). Skips, saying why, only where the virtual environment
//! cannot be set up (no Python venv module, no network to PyPI).

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

mod common;

use common::{TempDir, manifest_path, only_run_dir};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that a command succeeded, showing both streams when it did not.
fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The binary with `args`, its output captured.
fn faultline(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_faultline"));
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Executes `notebooks/<name>.ipynb` with the virtual environment's `jupyter execute`, the
/// executed copy written to `tmp` (the committed notebook is left as it is), with `env` set.
fn execute_notebook(jupyter: &Path, name: &str, tmp: &Path, env: &[(&str, &Path)]) {
    let notebook = manifest_path(&format!("notebooks/{name}.ipynb"));
    let executed = tmp.join(format!("{name}.executed.ipynb"));
    let started = Instant::now();
    let mut command = Command::new(jupyter);
    command
        .arg("execute")
        .arg(format!("--output={}", executed.display()))
        .arg(&notebook)
        // Kernel connection files and IPython's profile in the scratch directory, not $HOME.
        .env("JUPYTER_RUNTIME_DIR", tmp.join("jupyter-runtime"))
        .env("IPYTHONDIR", tmp.join("ipython"))
        .env("FAULTLINE_FIGURES", tmp.join("figures").join(name));
    for (key, value) in env {
        command.env(key, value);
    }
    let out = command.output().expect("the venv's jupyter starts");
    assert_success(&format!("jupyter execute notebooks/{name}.ipynb"), &out);
    assert!(
        executed.is_file(),
        "no executed copy at {}",
        executed.display()
    );
    eprintln!(
        "notebooks/{name}.ipynb ran in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// PNGs the notebook saved under `<tmp>/figures/<name>/` (it saves one per figure).
fn figures(tmp: &Path, name: &str) -> Vec<String> {
    let dir = tmp.join("figures").join(name);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no figures in {}: {e}", dir.display()))
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".png"))
        .collect();
    names.sort();
    names
}

/// Both notebooks run from the first cell to the last on results generated just now, and
/// the committed notebooks carry no outputs.
#[test]
fn both_notebooks_run_headless_on_fresh_results() {
    // The committed notebooks: valid JSON, no stored outputs or execution counts.
    for name in ["active-vs-passive", "sweep-analysis"] {
        let path = manifest_path(&format!("notebooks/{name}.ipynb"));
        let json: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        assert_eq!(json["nbformat"], 4, "{name}: nbformat 4");
        let cells = json["cells"].as_array().expect("a cell list");
        for cell in cells.iter().filter(|c| c["cell_type"] == "code") {
            assert_eq!(
                cell["outputs"],
                serde_json::json!([]),
                "{name}: clear the outputs before committing"
            );
            assert!(cell["execution_count"].is_null(), "{name}: execution count");
        }
    }

    let started = Instant::now();
    let setup = Command::new(manifest_path("scripts/setup-notebooks.sh"))
        .output()
        .expect("scripts/setup-notebooks.sh starts");
    if !setup.status.success() {
        eprintln!(
            "SKIPPED: scripts/setup-notebooks.sh could not set up the notebooks' virtual \
             environment (no Python venv module, or no network to PyPI?); the notebooks were \
             not run.\nstdout:\n{}\nstderr:\n{}",
            text(&setup.stdout),
            text(&setup.stderr)
        );
        return;
    }
    eprintln!(
        "setup-notebooks.sh: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let jupyter = manifest_path(".venv/bin/jupyter");
    assert!(
        text(&setup.stdout).contains(&jupyter.display().to_string()),
        "the script says where jupyter is:\n{}",
        text(&setup.stdout)
    );

    let tmp = TempDir::new("notebooks", "run");
    // The sweep (about 15 s) runs while the first notebook does.
    let sweep_dir = tmp.path().join("sweep");
    let sweep_file = manifest_path("scenarios/sweeps/availability-vs-mttf.ron");
    let sweep = faultline(&[
        "sweep",
        sweep_file.to_str().expect("UTF-8 path"),
        "--out",
        sweep_dir.to_str().expect("UTF-8 path"),
        "--quiet",
    ])
    .spawn()
    .expect("the faultline binary starts");

    let results = tmp.path().join("results");
    let scenario = manifest_path("scenarios/sensor-monitoring.ron");
    let run = faultline(&[
        "run",
        scenario.to_str().expect("UTF-8 path"),
        "--replications",
        "2",
        "--out",
        results.to_str().expect("UTF-8 path"),
        "--quiet",
    ])
    .output()
    .expect("the faultline binary starts");
    assert_success("faultline run scenarios/sensor-monitoring.ron", &run);
    let run_dir = only_run_dir(&results);

    execute_notebook(
        &jupyter,
        "active-vs-passive",
        tmp.path(),
        &[("FAULTLINE_RESULTS", run_dir.as_path())],
    );
    assert_eq!(
        figures(tmp.path(), "active-vs-passive"),
        [
            "availability_recovery.png",
            "cost_vs_recovery.png",
            "duplicates.png",
            "paired_differences.png",
            "throughput_timeseries.png",
        ]
    );

    let sweep = sweep.wait_with_output().expect("the sweep finishes");
    assert_success(
        "faultline sweep scenarios/sweeps/availability-vs-mttf.ron",
        &sweep,
    );
    assert!(
        sweep_dir.join("sweep.csv").is_file(),
        "the sweep wrote sweep.csv"
    );
    execute_notebook(
        &jupyter,
        "sweep-analysis",
        tmp.path(),
        &[("FAULTLINE_SWEEP", sweep_dir.as_path())],
    );
    assert_eq!(
        figures(tmp.path(), "sweep-analysis"),
        [
            "metric_vs_axis.png",
            "metrics_grid.png",
            "unavailability_loglog.png",
        ]
    );
    eprintln!("notebooks test: {:.1} s", started.elapsed().as_secs_f64());
}
