//! A sweep's Slurm job array, run on a real single-node Slurm that `scripts/setup-slurm.sh`
//! installs and starts: the merged result must equal the local unsharded run's, byte for
//! byte. Skips, saying why, only where Slurm cannot be installed (no root, no package
//! mirror); `.ci/run` installs it first. The daemons the script started for this test are
//! stopped when it ends, pass or fail; a Slurm that was already running is left alone.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{manifest_path as repo, tree_files};

/// The daemons `setup-slurm.sh` started (it lists them in `FAULTLINE_SLURM_PIDS`), stopped
/// on drop — also when an assertion fails — slurmd first, munged last.
struct StartedDaemons(Vec<(u32, String)>);

impl StartedDaemons {
    /// Reads the `pid name` lines the script wrote to `list` (none if it started nothing).
    fn read(list: &std::path::Path) -> Self {
        let text = std::fs::read_to_string(list).unwrap_or_default();
        let _ = std::fs::remove_file(list);
        Self(
            text.lines()
                .filter_map(|l| {
                    let (pid, name) = l.split_once(' ')?;
                    Some((pid.parse().ok()?, name.to_string()))
                })
                .collect(),
        )
    }
}

impl Drop for StartedDaemons {
    fn drop(&mut self) {
        for (pid, name) in self.0.iter().rev() {
            let pid = pid.to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            // Give it a few seconds to exit, then make sure.
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5)
                && Command::new("kill")
                    .args(["-0", &pid])
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = Command::new("kill")
                .args(["-KILL", &pid])
                .stderr(std::process::Stdio::null())
                .status();
            eprintln!("stopped {name} (pid {pid}), started for this test");
        }
    }
}

#[test]
fn a_slurm_job_array_merges_to_the_local_result() {
    let pid_list =
        std::env::temp_dir().join(format!("faultline-slurm-pids-{}", std::process::id()));
    let _ = std::fs::remove_file(&pid_list);
    let setup = Command::new("bash")
        .arg(repo("scripts/setup-slurm.sh"))
        .env("FAULTLINE_SLURM_PIDS", &pid_list)
        .output()
        .expect("bash runs");
    // Before anything can fail: whatever the script started is stopped at the end.
    let _daemons = StartedDaemons::read(&pid_list);
    if !setup.status.success() {
        eprintln!(
            "SKIPPED: Slurm could not be installed or started here ({}); run scripts/setup-slurm.sh as root to enable this test",
            String::from_utf8_lossy(&setup.stderr).trim()
        );
        return;
    }
    let tmp = std::env::temp_dir().join(format!("faultline-slurm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let sweep = repo("tests/fixtures/sweeps/small.ron");
    let exe = env!("CARGO_BIN_EXE_faultline");
    let local = tmp.join("local");
    let status = Command::new(exe)
        .args([
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            local.to_str().unwrap(),
            "--quiet",
        ])
        .status()
        .unwrap();
    assert!(status.success());

    let cluster = tmp.join("cluster");
    let emitted = Command::new(exe)
        .args([
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            cluster.to_str().unwrap(),
            "--emit-slurm",
            "3",
        ])
        .output()
        .unwrap();
    assert!(
        emitted.status.success(),
        "{}",
        String::from_utf8_lossy(&emitted.stderr)
    );
    let submitted = Command::new("bash")
        .arg(cluster.join("slurm/submit.sh"))
        .output()
        .unwrap();
    assert!(
        submitted.status.success(),
        "sbatch failed: {}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    // "array A merge M"
    let printed = String::from_utf8_lossy(&submitted.stdout).to_string();
    let merge_job = printed
        .split_whitespace()
        .nth(3)
        .expect("job ids printed")
        .to_string();
    let started = Instant::now();
    loop {
        let queue = Command::new("squeue")
            .args(["-h", "-j", &merge_job])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&queue.stdout).trim().is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the merge job {merge_job} did not finish in 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let log = std::fs::read_to_string(cluster.join("slurm/merge.log")).unwrap_or_default();
    assert!(log.contains("merged"), "merge job log:\n{log}");
    let (a, b) = (
        tree_files(&local, &[]),
        tree_files(&cluster, &["shards", "slurm"]),
    );
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs between the Slurm run and the local run"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
