//! A seeded fuzz test of the loader (issue 10): every shipped file under `scenarios/`,
//! scenarios and sweeps alike, mutated at the byte level — flips, deletions, structural
//! characters, duplicated spans, truncation, huge numbers, invalid UTF-8, very long
//! identifiers — written to a scratch copy of the tree (so relative paths resolve) and loaded
//! the way `check` loads it.
//!
//! Asserted for every mutant: no panic, an answer within [`MAX_SECONDS_PER_MUTANT`] (a hang
//! is caught, not waited for), and every syntax error located (its typed line and column,
//! not its text). The counts are printed for the notes: run with `--nocapture`.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use crate::cli::{is_sweep_file, ron_files};
use crate::scenario::{self, ScenarioError};
use crate::sim::SimRng;
use crate::sweep::{self, SweepError};

/// Mutants per shipped file (28 files: about 5 600 mutants).
const MUTANTS_PER_FILE: u64 = 200;

/// The fixed seed of the battery: a failure names the seed of its mutant.
const SEED: u64 = 0x00F0_0110_0010;

/// Longest a mutant may take to load \[s\]: a correctness bound (no hang), far above the
/// milliseconds a load takes.
const MAX_SECONDS_PER_MUTANT: f64 = 2.0;

/// Longest line of an error message \[characters\]: whatever the input, messages echo only
/// excerpts of it.
const MAX_LINE_CHARS: usize = 2500;

/// Replacements for a number: overflow, limits and non-finite values.
const NUMBERS: &[&str] = &[
    "18446744073709551616",
    "4294967295",
    "2147483648",
    "100001",
    "1e308",
    "-1e308",
    "1e-320",
    "NaN",
    "inf",
    "-1",
    "0",
    "99999999999999999999999999999999999",
];

/// Characters that mean something in RON.
const STRUCTURAL: &[u8] = b"()[]{},:\"'/*\\#-.e\n";

/// Byte sequences that are never valid UTF-8.
const INVALID_UTF8: &[&[u8]] = &[
    b"\xFF",
    b"\xC0\xAF",
    b"\x80",
    b"\xED\xA0\x80",
    b"\xF4\x90\x80\x80",
    b"\xE2\x82",
];

fn below(rng: &mut SimRng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

/// Spans of digits (with `.`, `e`, signs) that start a number.
fn number_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let starts = text[i].is_ascii_digit()
            && (i == 0 || !(text[i - 1].is_ascii_alphanumeric() || text[i - 1] == b'_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < text.len() && (text[j].is_ascii_digit() || b".eE+-".contains(&text[j])) {
            j += 1;
        }
        spans.push((i, j));
        i = j;
    }
    spans
}

/// Applies one random edit to `text`.
fn mutate(text: &mut Vec<u8>, rng: &mut SimRng) {
    let n = text.len();
    let at = below(rng, n + 1);
    let len = (1 + below(rng, 24)).min(n - at.min(n));
    match below(rng, 9) {
        0 if at < n => text[at] ^= 1 << below(rng, 8),
        1 if at < n => {
            text.drain(at..at + len);
        }
        2 => text.insert(at, STRUCTURAL[below(rng, STRUCTURAL.len())]),
        3 if at < n => {
            let copy = text[at..at + len].to_vec();
            text.splice(at + len..at + len, copy);
        }
        4 => text.truncate(at),
        5 => {
            let bad = INVALID_UTF8[below(rng, INVALID_UTF8.len())];
            text.splice(at..at, bad.iter().copied());
        }
        6 => {
            // A very long identifier or string: up to a megabyte.
            let long = vec![b"xq_"[below(rng, 3)]; 1 << below(rng, 21)];
            text.splice(at..at, long);
        }
        _ => {
            let spans = number_spans(text);
            if let Some(&(start, end)) = spans.get(below(rng, spans.len().max(1))) {
                let number = NUMBERS[below(rng, NUMBERS.len())];
                text.splice(start..end, number.bytes());
            }
        }
    }
}

/// What loading one mutant gave.
#[derive(Debug)]
enum Outcome {
    Loaded,
    /// An error with its position, or none where a syntax error was not located.
    Refused {
        located: bool,
        what: String,
    },
}

/// Loads `path` as `check` would: a sweep under `sweeps/`, a scenario otherwise.
fn load(path: &Path) -> Outcome {
    if is_sweep_file(path) {
        return match sweep::load(path) {
            Ok(_) => Outcome::Loaded,
            // The sweep's own syntax and content errors must carry a position; those of its
            // base and points come from the scenario loader and carry theirs.
            Err(e @ (SweepError::File { at: None, .. } | SweepError::Path { at: None, .. })) => {
                Outcome::Refused {
                    located: false,
                    what: e.to_string(),
                }
            }
            Err(e) => Outcome::Refused {
                located: true,
                what: e.to_string(),
            },
        };
    }
    match scenario::load(path) {
        Ok(_) => Outcome::Loaded,
        Err(e @ ScenarioError::Syntax { line, column, .. }) if line >= 1 && column >= 1 => {
            Outcome::Refused {
                located: true,
                what: e.to_string(),
            }
        }
        Err(e @ ScenarioError::Syntax { .. }) => Outcome::Refused {
            located: false,
            what: e.to_string(),
        },
        Err(e @ ScenarioError::Invalid { .. }) => Outcome::Refused {
            located: matches!(&e, ScenarioError::Invalid { problems, .. }
                if problems.iter().all(|p| !p.path.is_empty())),
            what: e.to_string(),
        },
        Err(e) => Outcome::Refused {
            // Version and input errors name the file; a mutant is a regular, small file, so
            // an input error here would itself be a finding.
            located: !matches!(e, ScenarioError::Input(_)),
            what: e.to_string(),
        },
    }
}

/// Copies the tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    mutants: usize,
    loaded: usize,
    refused: usize,
    panics: Vec<String>,
    hangs: Vec<String>,
    unlocated: Vec<String>,
    verbose: Vec<String>,
    longest_line: usize,
    slowest: Duration,
}

#[test]
fn mutated_scenario_and_sweep_files_never_panic_hang_or_go_unlocated() {
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scratch = std::env::temp_dir().join(format!("faultline-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    copy_tree(&root, &scratch);
    let files = ron_files(&scratch).expect("the copy is readable");
    assert!(
        files.len() > 10,
        "only {} files under {}",
        files.len(),
        root.display()
    );
    // A longer campaign on another seed: FAULTLINE_FUZZ_SEED (hex) and FAULTLINE_FUZZ_MUTANTS
    // (per file) override the committed ones; the suite runs the committed ones.
    let base_seed = std::env::var("FAULTLINE_FUZZ_SEED")
        .ok()
        .and_then(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok())
        .unwrap_or(SEED);
    let per_file = std::env::var("FAULTLINE_FUZZ_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MUTANTS_PER_FILE);
    let mut tally = Tally::default();
    for (f, file) in files.iter().enumerate() {
        let original = std::fs::read(file).unwrap();
        let shown: PathBuf = file.strip_prefix(&scratch).unwrap().to_path_buf();
        for k in 0..per_file {
            let seed = base_seed ^ ((f as u64) << 32 | k);
            let mut rng = SimRng::seed_from_u64(seed);
            let mut text = original.clone();
            for _ in 0..1 + below(&mut rng, 3) {
                mutate(&mut text, &mut rng);
            }
            std::fs::write(file, &text).unwrap();
            let what = format!("mutant {k} of {} (seed {seed:#x})", shown.display());
            tally.mutants += 1;
            // On a thread of its own, so that a hang is reported instead of waited for.
            let (tx, rx) = mpsc::channel();
            let path = file.clone();
            let worker = std::thread::spawn(move || {
                let t = Instant::now();
                let outcome = load(&path);
                let _ = tx.send((outcome, t.elapsed()));
            });
            match rx.recv_timeout(Duration::from_secs_f64(MAX_SECONDS_PER_MUTANT)) {
                Ok((outcome, took)) => {
                    let _ = worker.join();
                    tally.slowest = tally.slowest.max(took);
                    match outcome {
                        Outcome::Loaded => tally.loaded += 1,
                        Outcome::Refused { located, what: e } => {
                            tally.refused += 1;
                            if !located {
                                tally.unlocated.push(format!("{what}: {e}"));
                            }
                            let longest = e.lines().map(|l| l.chars().count()).max();
                            let longest = longest.unwrap_or(0);
                            tally.longest_line = tally.longest_line.max(longest);
                            if longest > MAX_LINE_CHARS {
                                tally.verbose.push(format!("{what}: {longest} characters"));
                            }
                        }
                    }
                }
                // The sender was dropped without sending: the load panicked.
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = worker.join();
                    tally.panics.push(what);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    // Left running: it is a finding either way, and the test fails below.
                    tally.hangs.push(what);
                }
            }
            if !tally.hangs.is_empty() {
                break;
            }
        }
        std::fs::write(file, &original).unwrap();
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "fuzz: {} mutants of {} files (seed {base_seed:#x}): {} loaded, {} refused; {} panics, {} \
         hangs (> {MAX_SECONDS_PER_MUTANT} s), {} unlocated errors; longest message line {} \
         characters; slowest load {:.3} s; {:.1} s in all",
        tally.mutants,
        files.len(),
        tally.loaded,
        tally.refused,
        tally.panics.len(),
        tally.hangs.len(),
        tally.unlocated.len(),
        tally.longest_line,
        tally.slowest.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let first = |v: &[String]| v.iter().take(5).cloned().collect::<Vec<_>>().join("\n  ");
    assert!(
        tally.panics.is_empty(),
        "panicked:\n  {}",
        first(&tally.panics)
    );
    assert!(
        tally.hangs.is_empty(),
        "took over {MAX_SECONDS_PER_MUTANT} s:\n  {}",
        first(&tally.hangs)
    );
    assert!(
        tally.unlocated.is_empty(),
        "{} errors without a position:\n  {}",
        tally.unlocated.len(),
        first(&tally.unlocated)
    );
    assert!(
        tally.verbose.is_empty(),
        "messages with a line over {MAX_LINE_CHARS} characters:\n  {}",
        first(&tally.verbose)
    );
    assert!(
        tally.loaded > 0,
        "no mutant loaded: the edits are too destructive to test much"
    );
}
