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

/// Whether `path` is a sweep file: one that lives under a `sweeps` directory.
pub fn is_sweep_file(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "sweeps")
}

/// Every `.ron` file below `dir`, sorted.
pub fn ron_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            out.extend(ron_files(&path)?);
        } else if path.extension().is_some_and(|x| x == "ron") {
            out.push(path);
        }
    }
    Ok(out)
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
        // Files under a `sweeps` directory are sweep files: check the sweep, its base and
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
            Ok(s) => println!(
                "ok: {} ({}, {} operators, {} instances)",
                f.display(),
                s.name,
                s.graph.operators.len(),
                s.graph.instances.len()
            ),
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
