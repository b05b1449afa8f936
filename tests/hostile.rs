//! The binary against hostile input (issue 10): sweep names that would inject shell commands
//! into the Slurm scripts or write outside the results directory, `check` on a symlink loop
//! and on a FIFO, and `check` on mangled files exiting only with 0, 1 or 2.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;

use common::{TempDir, manifest_path};

/// Runs the binary with `args` in `cwd`, failing the test if it takes more than 60 s.
fn faultline_in(cwd: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the faultline binary starts");
    let started = Instant::now();
    while child.try_wait().expect("wait works").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("faultline {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output is collected")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file and directory below `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A sweep file named `name` (RON-escaped as written) over the test base scenario.
fn write_sweep(path: &Path, name: &str) {
    fs::write(
        path,
        format!(
            "(version: 1, name: \"{name}\", base: {:?}, axes: [(path: \"faults[0].ttf_s.mean\", values: [5.0, 10.0])])",
            manifest_path("tests/fixtures/sweep-base.ron").display().to_string()
        ),
    )
    .unwrap();
}

#[test]
fn a_sweep_name_cannot_inject_commands_into_the_slurm_scripts() {
    let tmp = TempDir::new("hostile", "slurm-injection");
    for (k, name) in ["x\\ntouch pwned", "$(touch pwned)", "`touch pwned`"]
        .iter()
        .enumerate()
    {
        let file = tmp.path().join(format!("sweep{k}.ron"));
        write_sweep(&file, name);
        let out = tmp.path().join(format!("out{k}"));
        let result = faultline_in(
            tmp.path(),
            &[
                "sweep",
                file.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--emit-slurm",
                "2",
            ],
        );
        assert_eq!(result.status.code(), Some(2), "{name}: {}", stderr(&result));
        assert!(
            stderr(&result).contains("a-z, 0-9 and '-'"),
            "{name}: {}",
            stderr(&result)
        );
        assert!(!out.exists(), "{name}: scripts were written");
    }
    assert!(!tmp.path().join("pwned").exists());
}

#[test]
fn the_slurm_log_paths_must_need_no_quoting() {
    let tmp = TempDir::new("hostile", "slurm-out");
    let file = tmp.path().join("sweep.ron");
    write_sweep(&file, "fine");
    let out = tmp.path().join("out dir");
    let result = faultline_in(
        tmp.path(),
        &[
            "sweep",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--emit-slurm",
            "2",
        ],
    );
    assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
    assert!(stderr(&result).contains("#SBATCH"), "{}", stderr(&result));
    assert!(!out.exists());
}

#[test]
fn a_sweep_name_cannot_write_outside_the_results_directory() {
    let tmp = TempDir::new("hostile", "sweep-escape");
    let work = tmp.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let outside = tmp.path().join("outside");
    for (k, name) in [
        "..".to_string(),
        "../../outside".to_string(),
        outside.display().to_string(),
        "a/b".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let file = tmp.path().join(format!("sweep{k}.ron"));
        write_sweep(&file, name);
        let before = tree(tmp.path());
        // No --out: the name would choose results/sweeps/<name>.
        let result = faultline_in(&work, &["sweep", file.to_str().unwrap(), "--quiet"]);
        assert_eq!(result.status.code(), Some(2), "{name}: {}", stderr(&result));
        assert_eq!(tree(tmp.path()), before, "{name}: something was written");
    }
}

#[cfg(unix)]
#[test]
fn check_returns_on_a_symlink_loop_and_a_fifo() {
    let tmp = TempDir::new("hostile", "check-loop");
    let dir = tmp.path().join("scenarios");
    fs::create_dir_all(dir.join("a")).unwrap();
    fs::copy(
        manifest_path("tests/fixtures/tiny.ron"),
        dir.join("a/tiny.ron"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..", dir.join("a/loop")).unwrap();
    let result = faultline_in(tmp.path(), &["check", dir.to_str().unwrap()]);
    assert_eq!(result.status.code(), Some(0), "{}", stderr(&result));
    let fifo = dir.join("pipe.ron");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let result = faultline_in(tmp.path(), &["check", dir.to_str().unwrap()]);
        assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
        assert!(stderr(&result).contains("FIFO"), "{}", stderr(&result));
    }
}

/// Copies the tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `check` on mangled copies of shipped files (the library's fuzz test covers thousands;
/// this covers the binary's exit path): never a panic, only exit 0, 1 or 2.
#[test]
fn check_on_mutants_exits_only_with_0_1_or_2() {
    let tmp = TempDir::new("hostile", "check-mutants");
    let root = tmp.path().join("scenarios");
    copy_tree(&manifest_path("scenarios"), &root);
    let files = [
        "sweeps/availability-vs-mttf.ron",
        "sweeps/checkpoint-interval.ron",
        "sensor-monitoring.ron",
        "examples/crash-and-failover.ron",
    ];
    // xorshift64: a fixed, dependency-free sequence.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let mut codes = Vec::new();
    for file in files {
        let path = root.join(file);
        let original = fs::read(&path).unwrap();
        for k in 0..6 {
            let mut text = original.clone();
            let at = next(text.len());
            match k % 3 {
                0 => text.insert(at, b"\xFF(\")"[next(4)]),
                1 => text.truncate(at),
                _ => {
                    let end = (at + 1 + next(20)).min(text.len());
                    text.drain(at..end);
                }
            }
            fs::write(&path, &text).unwrap();
            let result = faultline_in(tmp.path(), &["check", path.to_str().unwrap()]);
            let code = result.status.code();
            assert!(
                matches!(code, Some(0..=2)) && !stderr(&result).contains("panicked"),
                "{file} mutant {k}: exit {code:?}\n{}",
                stderr(&result)
            );
            codes.push(code);
        }
        fs::write(&path, &original).unwrap();
    }
    assert!(codes.contains(&Some(2)), "no mutant was refused: {codes:?}");
}

/// A 2³¹-step range once aborted `check` (and 10⁸ steps took 31 s): now refused at once,
/// with the limit stated.
#[test]
fn check_refuses_a_huge_grid_at_once() {
    let tmp = TempDir::new("hostile", "huge-grid");
    let dir = tmp.path().join("sweeps");
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join("huge.ron");
    fs::write(
        &file,
        format!(
            "(version: 1, name: \"huge\", base: {:?}, axes: [(path: \"duration_s\", range: (from: 10.0, to: 20.0, steps: 2147483648))])",
            manifest_path("tests/fixtures/sweep-base.ron").display().to_string()
        ),
    )
    .unwrap();
    let started = Instant::now();
    let result = faultline_in(tmp.path(), &["check", file.to_str().unwrap()]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("huge.ron:1:") && stderr(&result).contains("100000 points"),
        "{}",
        stderr(&result)
    );
}
