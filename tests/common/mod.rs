//! Helpers shared by the tests that drive the built binary.

// Each test binary compiles this module and uses only some of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// A scratch directory under the system temp dir, removed when the test passes (kept for
/// inspection when it fails).
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory named after the test binary's `prefix` and the test.
    pub fn new(prefix: &str, test: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("faultline-{prefix}-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("temp dir can be created");
        Self(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// Path of a file in the crate, such as `tests/fixtures/tiny.ron`.
pub fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Every file below `dir` with its bytes, sorted by relative path, leaving out the top-level
/// entries named in `skip` and any temporary `.partial-` directory of a killed writer.
pub fn tree_files(dir: &Path, skip: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("readable") {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(dir).expect("below").display().to_string();
            if skip.contains(&rel.as_str()) || rel.contains(".partial-") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((rel, fs::read(&p).expect("readable")));
            }
        }
    }
    out.sort();
    out
}

/// The single run directory below `out` (`<out>/<scenario>/<run-id>/`).
pub fn only_run_dir(out: &Path) -> PathBuf {
    let mut dirs = Vec::new();
    for scenario in fs::read_dir(out).expect("out dir exists") {
        let scenario = scenario.expect("readable entry").path();
        for run in fs::read_dir(&scenario).expect("scenario dir is readable") {
            dirs.push(run.expect("readable entry").path());
        }
    }
    assert_eq!(dirs.len(), 1, "expected one run directory, found {dirs:?}");
    dirs.pop().expect("one element")
}

/// The charts (`*.png`) under `dir/plots/`, sorted; fails unless `report` (its `report.md`)
/// embeds every one and there are at least `at_least`.
pub fn assert_report_embeds_every_chart(dir: &Path, report: &str, at_least: usize) {
    let mut pngs: Vec<String> = fs::read_dir(dir.join("plots"))
        .expect("plots/ exists")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    pngs.sort();
    assert!(pngs.len() >= at_least, "{pngs:?}");
    for png in &pngs {
        assert!(
            report.contains(&format!("](plots/{png})")),
            "{png} not in report.md"
        );
    }
}
