//! A sweep schedules its runs (point × variant × replication) over the workers, so a point's
//! runs finish on several threads and in any order; its files must not show it. Each point's
//! files are the same with one worker and with several, and are those of the point's
//! scenario run on its own (one aggregation path).

use std::path::{Path, PathBuf};

use crate::experiment::{self, output};
use crate::memory::Budget;
use crate::sweep::{self, Sweep};

/// Two points of `tests/fixtures/sweep-base.ron` (two variants), three replications each
/// (odd, so a point's runs split unevenly over two workers), shortened to 10 s: 12 runs.
fn tiny_sweep(dir: &Path) -> Sweep {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sweep-base.ron");
    let file = dir.join("sweep.ron");
    std::fs::write(
        &file,
        format!(
            "(version: 1, name: \"threads\", base: {:?}, replications: 3,\n \
             set: [(path: \"duration_s\", value: 10.0)],\n \
             axes: [(path: \"faults[0].ttf_s.mean\", values: [4.0, 30.0])])\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    sweep::load(&file).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `sweep` into `out` on `threads` workers; returns every point file's name and bytes.
fn point_files(sweep: &Sweep, out: &Path, threads: usize) -> Vec<(PathBuf, Vec<u8>)> {
    let computed = sweep::run(
        sweep,
        out,
        None,
        false,
        threads,
        Some(Budget::given(8 << 30)),
        &|_, _| {},
    )
    .unwrap_or_else(|e| panic!("{threads} thread(s): {e}"));
    assert_eq!(computed, sweep.points.len());
    let mut files = Vec::new();
    for k in 0..sweep.points.len() {
        let dir = out.join("points").join(Sweep::point_dir(k));
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for path in names {
            let bytes = std::fs::read(&path).unwrap();
            files.push((path.strip_prefix(out).unwrap().to_path_buf(), bytes));
        }
    }
    files
}

#[test]
fn a_sweep_writes_the_same_point_files_on_one_and_two_threads() {
    let dir = std::env::temp_dir().join(format!("faultline-sweep-threads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sweep = tiny_sweep(&dir);
    let one = point_files(&sweep, &dir.join("one"), 1);
    let two = point_files(&sweep, &dir.join("two"), 2);
    assert_eq!(one.len(), 4 * sweep.points.len(), "{one:?}");
    let names =
        |files: &[(PathBuf, Vec<u8>)]| files.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&one), names(&two));
    for ((name, a), (_, b)) in one.iter().zip(&two) {
        assert!(
            a == b,
            "{} differs between 1 and 2 threads:\n{}\n---\n{}",
            name.display(),
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b)
        );
    }
    // And a point's summary is the one its scenario gives run on its own.
    for k in 0..sweep.points.len() {
        let scenario = sweep.point_scenario(k).unwrap();
        let alone = experiment::run(&scenario, scenario.seed.unwrap_or(1), 1, &|_| {}).unwrap();
        let path = Path::new("points")
            .join(Sweep::point_dir(k))
            .join("summary.csv");
        let (_, written) = two
            .iter()
            .find(|f| f.0 == path)
            .expect("summary.csv written");
        assert_eq!(
            String::from_utf8_lossy(written),
            output::summary_csv(&alone),
            "point {k}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
