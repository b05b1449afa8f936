//! `faultline check FILE...`: validate scenario files without running them.

use std::path::{Path, PathBuf};

use super::CliError;
use crate::scenario;

/// Arguments of `check`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  faultline check scenarios/sensor-monitoring.ron\n  faultline check scenarios/   (every .ron file below, recursively)"
)]
pub struct Args {
    /// Scenario files, or directories searched recursively for `.ron` files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Whether `path` is a sweep file, by its content: it writes the fields `base` and `axes`,
/// which no scenario has (a scan that tolerates syntax errors, so a broken sweep file is
/// still checked as a sweep). A file that cannot be read is a scenario here: the scenario
/// loader then reports why it cannot be read.
pub fn is_sweep_file(path: &Path) -> bool {
    crate::scenario::read_input(path, crate::scenario::MAX_RON_BYTES)
        .is_ok_and(|text| crate::sweep::looks_like_sweep(&text))
}

/// Deepest directory nesting [`ron_files`] descends below the directory it is given.
pub const MAX_DEPTH: usize = 32;

/// Every `.ron` file below `dir`, sorted. Symlinked directories are not followed (a link
/// back to an ancestor would loop forever) and the walk stops `MAX_DEPTH` (32) levels down;
/// symlinks to files are listed like files.
pub fn ron_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, 0, &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        // `file_type` does not follow symlinks: a symlinked directory is a symlink here.
        if e.file_type()?.is_dir() {
            if depth < MAX_DEPTH {
                walk(&path, depth + 1, out)?;
            }
        } else if path.extension().is_some_and(|x| x == "ron") && !path.is_dir() {
            out.push(path);
        }
    }
    Ok(())
}

/// Checks every file, reporting each problem to stderr, and fails if any is invalid.
pub fn run(args: Args) -> Result<(), CliError> {
    let mut files = Vec::new();
    for f in &args.files {
        if f.is_dir() {
            files.extend(
                ron_files(f)
                    .map_err(|e| CliError::Usage(format!("cannot list {}: {e}", f.display())))?,
            );
        } else {
            files.push(f.clone());
        }
    }
    let mut failed = 0;
    for f in &files {
        // Sweep files (known by their `base` and `axes` fields): check the sweep, its base and
        // every grid point.
        if is_sweep_file(f) {
            match crate::sweep::load(f) {
                Ok(s) => println!(
                    "ok: {} (sweep {}, {} points)",
                    f.display(),
                    s.name,
                    s.points.len()
                ),
                Err(e) => {
                    failed += 1;
                    eprintln!("error: {e}");
                }
            }
            continue;
        }
        match scenario::load(f) {
            Ok(s) => {
                println!(
                    "ok: {} ({}, {} operators, {} instances)",
                    f.display(),
                    s.name,
                    s.graph.operators.len(),
                    s.graph.instances.len()
                );
                super::print_warnings(f, &s);
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    match failed {
        0 => Ok(()),
        1 if files.len() == 1 => Err(CliError::ChecksFailed { failed, total: 1 }),
        _ => Err(CliError::ChecksFailed {
            failed,
            total: files.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sweep file is known by its content wherever it lives, and a scenario under a
    /// directory named `sweeps` is still a scenario (issue 11: `check` used to decide by
    /// the directory's name).
    #[test]
    fn sweep_files_are_recognised_by_their_content() {
        let root =
            std::env::temp_dir().join(format!("faultline-check-kind-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("sweeps")).unwrap();
        let sweep = root.join("anywhere.ron");
        std::fs::write(
            &sweep,
            "// a sweep\n(version: 1, name: \"s\", base: \"x.ron\",\n axes: [(path: \"duration_s\", values: [1.0])])",
        )
        .unwrap();
        let scenario = root.join("sweeps/scenario.ron");
        std::fs::write(
            &scenario,
            "(version: 1, name: \"x\", duration_s: 1.0) // axes: base:",
        )
        .unwrap();
        let broken = root.join("broken.ron");
        std::fs::write(&broken, "(version: 1, base: \"x.ron\", axes: [(path: ").unwrap();
        assert!(is_sweep_file(&sweep));
        assert!(!is_sweep_file(&scenario), "a comment is not a field");
        assert!(
            is_sweep_file(&broken),
            "a broken sweep file is still a sweep file"
        );
        assert!(!is_sweep_file(&root.join("missing.ron")));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_not_followed() {
        let root =
            std::env::temp_dir().join(format!("faultline-check-loop-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/one.ron"), "()").unwrap();
        std::os::unix::fs::symlink("..", root.join("a/up")).unwrap();
        std::os::unix::fs::symlink(&root, root.join("a/loop.ron")).unwrap();
        let files = ron_files(&root).unwrap();
        assert_eq!(files, vec![root.join("a/one.ron")]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_walk_stops_at_the_depth_limit() {
        let root =
            std::env::temp_dir().join(format!("faultline-check-deep-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut deep = root.clone();
        for _ in 0..=MAX_DEPTH + 1 {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("deep.ron"), "()").unwrap();
        std::fs::write(root.join("d/top.ron"), "()").unwrap();
        assert_eq!(ron_files(&root).unwrap(), vec![root.join("d/top.ron")]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
