//! A sweep's Slurm job array, run on a real single-node Slurm that `scripts/setup-slurm.sh`
//! installs and starts: the merged result must equal the local unsharded run's, byte for
//! byte. Skips, saying why, only where Slurm cannot be installed (no root, no package
//! mirror); `.ci/run` installs it first.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{manifest_path as repo, tree_files};

#[test]
fn a_slurm_job_array_merges_to_the_local_result() {
    let setup = Command::new("bash")
        .arg(repo("scripts/setup-slurm.sh"))
        .output()
        .expect("bash runs");
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
