//! Broken scenario files: every syntax error is located at the offending token and says what
//! was expected, every semantic problem is listed at once with the path of its field, and no
//! input, however mangled, makes loading or a short run panic.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};

use crate::cli::ron_files;
use crate::model::{ArrivalProcess, OperatorKind};
use crate::scenario::{Scenario, ScenarioError, from_str};
use crate::sim::{SimRng, SimTime};
use crate::world::run_replication;

/// Loads `text` as if it were the file `bad.ron` in the current directory.
fn load(text: &str) -> Result<Scenario, ScenarioError> {
    from_str(text, Path::new("bad.ron"), Path::new("."))
}

/// Loads `text`, expecting a syntax error, and returns its line, column and message.
fn syntax_error(text: &str) -> (usize, usize, String) {
    match load(text) {
        Err(ScenarioError::Syntax {
            path,
            line,
            column,
            message,
        }) => {
            assert_eq!(path, Path::new("bad.ron"));
            (line, column, message)
        }
        Err(e) => panic!("expected a syntax error, got {e:?}"),
        Ok(_) => panic!("expected a syntax error, but the text loaded:\n{text}"),
    }
}

/// Asserts that `message` contains every one of `parts`.
fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "message {message:?} does not mention {part:?}"
        );
    }
}

// ---- syntax: located, and saying what was expected ----

#[test]
fn unclosed_parenthesis_is_reported_where_the_text_ends() {
    // The closing `)` of the scenario is missing: the text ends right after `],` on line 8.
    let text = "\
(
  version: 1,
  name: \"tiny\",
  duration_s: 10.0,
  cluster: (nodes: [(name: \"n\")]),
  operators: [
    (name: \"src\", kind: Sink),
  ],
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (8, 5), "{message}");
    assert_mentions(&message, &["end of RON", "not closed"]);
}

#[test]
fn unclosed_inner_parenthesis_is_reported_at_the_next_field() {
    // `cluster: (` is never closed, so `operators` (line 6, column 3) reads as a cluster field.
    let text = "\
(
  version: 1,
  name: \"tiny\",
  duration_s: 10.0,
  cluster: (nodes: [(name: \"n\")],
  operators: [],
)
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (6, 3), "{message}");
    assert_mentions(
        &message,
        &["`operators`", "`nodes`", "`network`", "`links`"],
    );
}

#[test]
fn unknown_field_is_located_and_the_accepted_fields_are_listed() {
    // `cores_per_node` starts line 7 at column 5.
    let text = "\
(
  version: 1,
  name: \"tiny\",
  duration_s: 10.0,
  cluster: (nodes: [(
    name: \"n\",
    cores_per_node: 2,
  )]),
  operators: [],
)
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (7, 5), "{message}");
    assert_mentions(
        &message,
        &["cores_per_node", "`name`", "`count`", "`cores`", "`speed`"],
    );
}

#[test]
fn string_where_a_number_is_expected_points_at_the_string() {
    // `"ten"` starts line 4 at column 15 (`  duration_s: ` is 14 characters).
    let text = "\
(
  version: 1,
  name: \"tiny\",
  duration_s: \"ten\",
  cluster: (nodes: [(name: \"n\")]),
  operators: [],
)
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (4, 15), "{message}");
    assert_mentions(&message, &["Expected float"]);
}

#[test]
fn error_after_a_comment_points_past_the_comment() {
    // The value sits on the next line after a comment: `"ten"` starts line 5 at column 5.
    let text = "\
(
  version: 1,
  name: \"tiny\",
  duration_s: // seconds
    \"ten\",
  cluster: (nodes: [(name: \"n\")]),
  operators: [],
)
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (5, 5), "{message}");
    assert_mentions(&message, &["Expected float"]);
}

#[test]
fn misspelt_variant_is_located_and_the_variants_are_listed() {
    // `Poison` starts line 8 at column 17.
    let text = "\
(
  version: 1,
  name: \"tiny\",
  duration_s: 10.0,
  cluster: (nodes: [(name: \"n\")]),
  operators: [
    (name: \"src\", kind: Source(
      arrivals: Poison(rate_per_s: 100.0),
      keys: Uniform(count: 4),
    )),
  ],
)
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (8, 17), "{message}");
    assert_mentions(&message, &["Poison", "`Constant`", "`Poisson`", "`OnOff`"]);
}

#[test]
fn missing_required_field_is_reported_at_the_end_of_its_struct() {
    // No `duration_s`: serde notices at the scenario's closing `)`, line 6, column 1.
    let text = "\
(
  version: 1,
  name: \"tiny\",
  cluster: (nodes: [(name: \"n\")]),
  operators: [],
)
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (6, 1), "{message}");
    assert_mentions(&message, &["duration_s", "add the field"]);
}

#[test]
fn missing_comma_is_reported_at_the_next_field() {
    // No comma after `10.0`: `cluster` starts line 5 at column 3.
    let text = "\
(
  version: 1,
  name: \"tiny\",
  duration_s: 10.0
  cluster: (nodes: [(name: \"n\")]),
  operators: [],
)
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (5, 3), "{message}");
    assert_mentions(&message, &["Expected comma"]);
}

#[test]
fn garbage_text_is_reported_at_its_first_character() {
    for text in [
        "%%% not a scenario %%%\n",
        "\u{0}\u{1}\u{2}",
        "[1, 2, 3]",
        "42",
    ] {
        let (line, column, message) = syntax_error(text);
        assert_eq!((line, column), (1, 1), "{text:?}: {message}");
        assert_mentions(&message, &["Expected opening `(`"]);
    }
    // A bare word reads as a struct name; the message says which one was expected.
    let (line, column, message) = syntax_error("hello world");
    assert_eq!((line, column), (1, 1), "{message}");
    assert_mentions(&message, &["hello", "the scenario file"]);
}

#[test]
fn garbage_inside_a_valid_file_is_located() {
    // `%` starts line 4 at column 20.
    let text = "\
(
  version: 1,
  name: \"tiny\",
  duration_s: 10.0 %%%,
  cluster: (nodes: [(name: \"n\")]),
  operators: [],
)
";
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (4, 20), "{message}");
    assert_mentions(&message, &["Expected comma"]);
}

#[test]
fn empty_text_is_a_syntax_error_at_the_start() {
    let (line, column, message) = syntax_error("");
    assert_eq!((line, column), (1, 1), "{message}");
    assert_mentions(&message, &["Expected opening `(`"]);
    // Only blanks and a comment: where the text ends, after the comment (line 2, column 16).
    let (line, column, message) = syntax_error("  \n// nothing here\n");
    assert_eq!((line, column), (2, 16), "{message}");
    assert_mentions(&message, &["Expected opening `(`"]);
}

#[test]
fn missing_version_is_a_syntax_error() {
    let (_, _, message) = syntax_error("(name: \"tiny\")");
    assert_mentions(&message, &["version"]);
}

#[test]
fn future_version_is_unsupported() {
    let text = "(\n  version: 99,\n  name: \"tiny\",\n)\n";
    match load(text) {
        Err(e @ ScenarioError::UnsupportedVersion { .. }) => {
            let ScenarioError::UnsupportedVersion {
                ref path,
                found,
                supported,
            } = e
            else {
                unreachable!()
            };
            assert_eq!(path, Path::new("bad.ron"));
            assert_eq!((found, supported), (99, 1));
            assert_mentions(&e.to_string(), &["bad.ron", "version 99", "version: 1"]);
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
}

#[test]
fn syntax_error_display_is_file_line_column() {
    let text = "(\n  version: 1,\n  name: 5,\n)\n";
    let e = load(text).expect_err("a number is not a name");
    let shown = e.to_string();
    assert!(shown.starts_with("bad.ron:3:9: "), "{shown}");
    assert_mentions(&shown, &["Expected string"]);
}

// ---- semantics: every problem at once, each with its field path ----

/// A file with seven independent mistakes, one per kind the loader must catch.
const ALL_WRONG: &str = r#"(
  version: 1,
  name: "all-wrong",
  duration_s: 10.0,
  warmup_s: 10.0,
  cluster: (
    nodes: [(name: "n", count: 2)],
    network: (loss: 1.5),
  ),
  operators: [
    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: -5.0), keys: Uniform(count: 4))),
    (name: "idle", kind: Map(service_ms: Const(1.0)), parallelism: 0, inputs: [(from: "src")]),
    (name: "pinned", kind: Map(service_ms: Const(1.0)), placement: Nodes(["n7"]),
      inputs: [(from: "idle")]),
    (name: "ranged", kind: Map(service_ms: Const(1.0)), parallelism: 3,
      inputs: [(from: "ghost"), (from: "pinned", partitioning: Range(bounds: [50, 10]))]),
    (name: "out", kind: Sink, inputs: [(from: "ranged")]),
  ],
)
"#;

#[test]
fn every_semantic_problem_is_listed_with_its_path() {
    let e = load(ALL_WRONG).expect_err("the scenario has seven mistakes");
    let ScenarioError::Invalid { path, problems } = &e else {
        panic!("expected Invalid, got {e:?}");
    };
    assert_eq!(path, Path::new("bad.ron"));
    let expected = [
        ("warmup_s", "shorter than duration_s"),
        ("cluster.network.loss", "is 1.5"),
        ("operators[0].kind.arrivals.rate_per_s", "is -5"),
        ("operators[1].parallelism", "at least 1"),
        ("operators[2].placement[0]", "no node named \"n7\""),
        ("operators[3].inputs[0].from", "no operator named \"ghost\""),
        (
            "operators[3].inputs[1].partitioning.bounds[1]",
            "strictly increasing",
        ),
    ];
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    let expected_paths: Vec<&str> = expected.iter().map(|(p, _)| *p).collect();
    assert_eq!(paths, expected_paths, "{e}");
    for (problem, (_, says)) in problems.iter().zip(expected) {
        assert_mentions(&problem.message, &[says]);
    }

    // One header line, then one indented line per problem.
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines[0], "bad.ron is invalid (7 problems)", "{shown}");
    assert_eq!(lines.len(), 1 + expected.len(), "{shown}");
    for (line, problem) in lines[1..].iter().zip(problems) {
        assert_eq!(*line, format!("  {}: {}", problem.path, problem.message));
    }
}

#[test]
fn a_cluster_without_nodes_is_a_problem_not_a_panic() {
    for nodes in ["[]", "[(name: \"n\", count: 0)]"] {
        let text = format!(
            r#"(
  version: 1,
  name: "empty",
  duration_s: 10.0,
  cluster: (nodes: {nodes}),
  operators: [
    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 5.0), keys: Uniform(count: 4))),
    (name: "out", kind: Sink, inputs: [(from: "src")]),
  ],
)
"#
        );
        let e = load(&text).expect_err("no nodes to run on");
        assert_mentions(&e.to_string(), &["cluster.nodes"]);
    }
}

#[test]
fn warmup_equal_to_the_duration_after_rounding_is_rejected() {
    // 1.0000000001 s and 1 s are different floats but the same nanosecond.
    // 1e-10 s is below the clock's resolution: the duration itself is rejected.
    for (duration, warmup, field) in [
        (
            "1.0000000001",
            "1.0",
            "warmup_s: is 1 s but must be shorter than duration_s",
        ),
        (
            "1e-10",
            "0.0",
            "duration_s: is 0.0000000001; must be at least 1e-9 s",
        ),
    ] {
        let text = format!(
            r#"(
  version: 1,
  name: "rounding",
  duration_s: {duration},
  warmup_s: {warmup},
  cluster: (nodes: [(name: "n")]),
  operators: [
    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 5.0), keys: Uniform(count: 4))),
    (name: "out", kind: Sink, inputs: [(from: "src")]),
  ],
)
"#
        );
        let e = load(&text).expect_err("the measurement window is empty");
        assert_mentions(&e.to_string(), &[field]);
    }
}

// ---- no input makes the program panic ----

/// Characters that mean something in RON, and digits.
const ALPHABET: &[char] = &[
    '(', ')', '[', ']', '{', '}', ',', ':', '"', '-', '+', '.', '0', '1', '2', '3', '4', '5', '6',
    '7', '8', '9', 'e', 'E', ' ', '\n', '/', '*',
];

/// Replacements for a number: boundaries, overflow and non-finite values.
const NUMBERS: &[&str] = &[
    "-1",
    "0",
    "0.0",
    "1",
    "1e308",
    "1e-300",
    "NaN",
    "inf",
    "-inf",
    "1e9",
    "1e-9",
    "-0.0",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "65536",
];

/// Mutants per scenario file.
const MUTANTS_PER_FILE: u64 = 1000;

/// Longest simulated time a mutant runs for.
const MAX_RUN: SimTime = SimTime::from_nanos(200_000_000);

/// Rough event budget of one mutant's run, so that an inflated rate cannot stall the test.
const MAX_EVENTS: f64 = 200_000.0;

fn below(rng: &mut SimRng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

/// Spans `[start, end)` of numeric literals: runs of digits, signs, points and exponents
/// that contain a digit and do not continue an identifier (such as `n0`).
fn number_spans(text: &[char]) -> Vec<(usize, usize)> {
    let is_part = |c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E');
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let starts =
            is_part(text[i]) && (i == 0 || !(text[i - 1].is_alphanumeric() || text[i - 1] == '_'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < text.len() && is_part(text[j]) {
            j += 1;
        }
        if text[i..j].iter().any(char::is_ascii_digit) {
            spans.push((i, j));
        }
        i = j;
    }
    spans
}

/// Applies one random edit. Works on `char`s, so every edit lands on a character boundary.
fn mutate(text: &mut Vec<char>, rng: &mut SimRng) {
    let n = text.len();
    let at = below(rng, n + 1);
    let len = 1 + below(rng, 16).min(n.saturating_sub(at));
    match below(rng, 10) {
        0 if at < n => {
            let end = (at + len).min(n);
            text.drain(at..end);
        }
        1 if at < n => {
            let end = (at + len).min(n);
            let copy: Vec<char> = text[at..end].to_vec();
            text.splice(end..end, copy);
        }
        2 if at < n => text[at] = ALPHABET[below(rng, ALPHABET.len())],
        3 => text.insert(at, ALPHABET[below(rng, ALPHABET.len())]),
        4 => text.truncate(at),
        _ => {
            let spans = number_spans(text);
            if spans.is_empty() {
                return;
            }
            let (start, end) = spans[below(rng, spans.len())];
            let number = NUMBERS[below(rng, NUMBERS.len())];
            text.splice(start..end, number.chars());
        }
    }
}

/// Estimated events of a run to `end`: source emissions and window firings, times the
/// product of the maps' fan-outs. Only has to be right within an order of magnitude.
fn estimated_events(s: &Scenario, end: SimTime) -> f64 {
    let end_ns = end.as_nanos() as f64;
    let mut emitted = 0.0;
    let mut fan_out = 1.0_f64;
    for op in &s.graph.operators {
        match &op.kind {
            OperatorKind::Source { arrivals, .. } => {
                let gap_ns = match arrivals {
                    ArrivalProcess::Constant { period } => period.as_nanos() as f64,
                    ArrivalProcess::Poisson { mean_gap_ns }
                    | ArrivalProcess::OnOff { mean_gap_ns, .. } => *mean_gap_ns,
                };
                emitted += f64::from(op.parallelism) * end_ns / gap_ns.max(1.0);
            }
            OperatorKind::Map { selectivity, .. } => fan_out *= selectivity.max(1.0),
            OperatorKind::Window { size, .. } => {
                emitted += f64::from(op.parallelism) * end_ns / (size.as_nanos() as f64).max(1.0);
            }
            OperatorKind::Sink => {}
        }
    }
    emitted * fan_out
}

/// Runs one short replication of a loaded mutant, if it is small enough.
fn run_briefly(scenario: &Scenario) -> Option<Result<(), String>> {
    let mut s = scenario.clone();
    s.metrics.end = s.metrics.end.min(MAX_RUN);
    s.metrics.warmup = s
        .metrics
        .warmup
        .min(SimTime::from_nanos(s.metrics.end.as_nanos() / 2));
    if s.graph.instances.len() > 1000 || estimated_events(&s, s.metrics.end) > MAX_EVENTS {
        return None;
    }
    Some(
        run_replication(&s, 0, 1, 0, &|_| {})
            .map(|_| ())
            .map_err(|e| e.to_string()),
    )
}

/// What became of one mutant.
#[derive(Default)]
struct Survivors {
    loaded: u32,
    ran: u32,
}

impl Survivors {
    /// Loads `text` and, if it loads, runs it briefly. Fails the test, naming the mutant with
    /// `what` and showing its text, if either step panics or the run breaks an invariant.
    fn try_mutant(&mut self, text: &str, what: &str) {
        let scenario = match catch_unwind(AssertUnwindSafe(|| load(text))) {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => return,
            Err(_) => panic!("loading panicked: {what}; text:\n{text}"),
        };
        self.loaded += 1;
        match catch_unwind(AssertUnwindSafe(|| run_briefly(&scenario))) {
            Ok(None) => {}
            Ok(Some(Ok(()))) => self.ran += 1,
            Ok(Some(Err(e))) => panic!("replication failed ({e}): {what}; text:\n{text}"),
            Err(_) => panic!("replication panicked: {what}; text:\n{text}"),
        }
    }

    /// Most mutants are broken, but a battery must also reach the simulator.
    fn assert_some_ran(&self, mutants: usize) {
        assert!(
            self.loaded > 0 && self.ran > 0,
            "of {mutants} mutants {} loaded and {} ran",
            self.loaded,
            self.ran
        );
    }
}

/// Every shipped scenario file with its text.
fn shipped_scenarios() -> Vec<(PathBuf, Vec<char>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = ron_files(&root).expect("scenarios/ is readable");
    assert!(
        !files.is_empty(),
        "no scenario files under {}",
        root.display()
    );
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("shipped scenario is readable");
            (f, text.chars().collect())
        })
        .collect()
}

#[test]
fn randomly_edited_scenarios_never_panic() {
    let files = shipped_scenarios();
    let mut survivors = Survivors::default();
    for (f, (file, original)) in files.iter().enumerate() {
        for k in 0..MUTANTS_PER_FILE {
            let seed = (f as u64) << 32 | k;
            let mut rng = SimRng::seed_from_u64(seed);
            let mut text = original.clone();
            let edits = if below(&mut rng, 3) == 0 {
                2 + below(&mut rng, 2)
            } else {
                1
            };
            for _ in 0..edits {
                mutate(&mut text, &mut rng);
            }
            let text: String = text.into_iter().collect();
            survivors.try_mutant(&text, &format!("mutant of {}, seed {seed}", file.display()));
        }
    }
    survivors.assert_some_ran(files.len() * MUTANTS_PER_FILE as usize);
}

#[test]
fn extreme_numbers_never_panic() {
    // Every number of every file replaced, one at a time, by every value of `NUMBERS`.
    let mut survivors = Survivors::default();
    let mut mutants = 0;
    for (file, original) in shipped_scenarios() {
        for (start, end) in number_spans(&original) {
            for number in NUMBERS {
                let mut text = original.clone();
                text.splice(start..end, number.chars());
                let text: String = text.into_iter().collect();
                let what = format!(
                    "{} with characters {start}..{end} replaced by {number}",
                    file.display()
                );
                survivors.try_mutant(&text, &what);
                mutants += 1;
            }
        }
    }
    survivors.assert_some_ran(mutants);
}

// ---- regressions: bugs found by the batteries above ----

/// A link sends one message at a time, so when events arrive faster than it can send them
/// the time it is next free grows without bound. Here each 4 GB event takes 3.2e7 s on a
/// 1 kbit/s link and a thousand are sent: the backlog passes 2^64 ns, which must saturate to
/// "never arrives" (counted in flight) instead of overflowing the clock.
#[test]
fn overloaded_link_does_not_overflow_the_clock() {
    let text = r#"(
  version: 1,
  name: "overloaded-link",
  duration_s: 1.0,
  cluster: (nodes: [(name: "a"), (name: "b")], network: (bandwidth_mbps: 0.001)),
  operators: [
    (name: "src", kind: Source(arrivals: Constant(rate_per_s: 1000.0), keys: Uniform(count: 1),
      event_bytes: 4000000000), placement: Nodes(["a"])),
    (name: "out", kind: Sink, placement: Nodes(["b"]), inputs: [(from: "src")]),
  ],
)
"#;
    let scenario = load(text).unwrap_or_else(|e| panic!("{e}"));
    run_replication(&scenario, 0, 1, 0, &|_| {}).expect("conservation holds");
}

/// A long retransmission timeout on a lossy link must not overflow the clock either.
#[test]
fn long_retransmission_timeouts_do_not_overflow_the_clock() {
    let text = r#"(
  version: 1,
  name: "lossy-link",
  duration_s: 1.0,
  cluster: (
    nodes: [(name: "a"), (name: "b")],
    network: (loss: 0.99, retransmit_timeout_ms: 1e300),
  ),
  operators: [
    (name: "src", kind: Source(arrivals: Constant(rate_per_s: 1000.0), keys: Uniform(count: 1)),
      placement: Nodes(["a"])),
    (name: "out", kind: Sink, placement: Nodes(["b"]), inputs: [(from: "src")]),
  ],
)
"#;
    let scenario = load(text).unwrap_or_else(|e| panic!("{e}"));
    run_replication(&scenario, 0, 1, 0, &|_| {}).expect("conservation holds");
}

/// A misspelt field inside a variant (`selectivty` for `selectivity`, line 8, column 54) is
/// an error, not a silently applied default: every schema enum denies unknown fields.
#[test]
fn unknown_field_inside_a_variant_is_rejected() {
    let text = r#"(
  version: 1,
  name: "tiny",
  duration_s: 10.0,
  cluster: (nodes: [(name: "n")]),
  operators: [
    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 100.0), keys: Uniform(count: 4))),
    (name: "half", kind: Map(service_ms: Const(1.0), selectivty: 0.5), inputs: [(from: "src")]),
    (name: "out", kind: Sink, inputs: [(from: "half")]),
  ],
)
"#;
    if load(text).is_ok() {
        panic!("the misspelt field was accepted");
    }
    let (line, column, message) = syntax_error(text);
    assert_eq!((line, column), (8, 54), "{message}");
    assert_mentions(&message, &["selectivty", "`selectivity`"]);
}

/// A tiny valid scenario with `edit` applied (a `(from, to)` text replacement).
fn tiny_with(from: &str, to: &str) -> String {
    let text = r#"(
  version: 1,
  name: "tiny",
  duration_s: 10.0,
  cluster: (nodes: [(name: "n")], network: (latency_ms: Const(0.3))),
  operators: [
    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 100.0), keys: Uniform(count: 4))),
    (name: "out", kind: Sink, inputs: [(from: "src")]),
  ],
)
"#;
    assert!(load(text).is_ok(), "the unedited text is valid");
    assert!(text.contains(from), "{from:?} is not in the text");
    text.replacen(from, to, 1)
}

/// A bare number where a distribution goes (`latency_ms: 0.3`, line 5, column 57) says that
/// the field is a distribution and how to write a fixed value, not ron's advice to write a
/// raw identifier (`r#0.3`).
#[test]
fn a_number_where_a_distribution_goes_suggests_const() {
    for (number, column) in [("0.3", 57), ("3", 57), ("12.5", 57)] {
        let text = tiny_with("latency_ms: Const(0.3)", &format!("latency_ms: {number}"));
        let (line, col, message) = syntax_error(&text);
        assert_eq!((line, col), (5, column), "{message}");
        assert_mentions(
            &message,
            &[
                "`latency_ms` is a distribution",
                &format!("`Const({number})`"),
            ],
        );
        assert!(!message.contains("r#"), "{message}");
    }
    // The same mistake in a distribution of seconds, inside a fault.
    let text = tiny_with(
        "  ],\n)",
        "  ],\n  faults: [Crash(nodes: Nodes([\"n\"]), ttf_s: 100.0, repair_s: Const(1.0))],\n)",
    );
    let (_, _, message) = syntax_error(&text);
    assert_mentions(&message, &["`ttf_s` is a distribution", "`Const(100.0)`"]);
}

/// Syntax errors name the scenario's own concepts (an operator, a node, the scenario file),
/// never the Rust types that read them (`OperatorSpec`, `NodeSpec`, `ScenarioFile`).
#[test]
fn syntax_errors_name_scenario_concepts_not_rust_types() {
    let cases = [
        // (edit, what the message must say)
        (("inputs: [(from", "input: [(from"), "in an operator"),
        (("(name: \"n\")", "(name: \"n\", cpus: 2)"), "in a node"),
        (
            ("(name: \"n\")", "(name: \"n\", name: \"m\")"),
            "twice in a node",
        ),
        (("Poisson(rate", "Poison(rate"), "for the arrivals"),
        (("network: (", "network: Link("), "a link's settings"),
        (("Const(0.3)", "Constant(0.3)"), "for a distribution"),
        (("kind: Sink", "kind: Snk"), "for an operator's kind"),
        (
            ("(from: \"src\")", "\"src\""),
            "Expected opening `(` for an input",
        ),
        (("name: \"tiny\",", ""), "in the scenario file"),
        (
            ("(from: \"src\")", "(from: \"src\", partitioning: 3)"),
            "`partitioning` takes a variant",
        ),
        (
            ("Uniform(count: 4)", "Uniform(4)"),
            "fields are written `name: value`",
        ),
        (
            ("Uniform(count: 4)", "Uniform(count: 4.5)"),
            "a whole number",
        ),
    ];
    for ((from, to), says) in cases {
        let text = tiny_with(from, to);
        let (_, _, message) = syntax_error(&text);
        assert_mentions(&message, &[says]);
        for rust in [
            "Spec",
            "ScenarioFile",
            "struct ",
            "enum ",
            "r#",
            "u32",
            "f64",
        ] {
            assert!(
                !message.contains(rust),
                "{from:?} -> {to:?}: {message:?} names {rust:?}"
            );
        }
    }
}

// ---- warnings: valid, but probably not what was meant ----

/// A scenario with a source of parallelism 4, a map `parse` fed by `into_parse` (and read
/// by a sink of its own), and a window of `window_parallelism` instances fed from
/// `window_from` by `into_window`.
fn keyed_pipeline(
    into_parse: &str,
    window_from: &str,
    into_window: &str,
    window_parallelism: u32,
) -> Scenario {
    let text = format!(
        r#"(version: 1, name: "keyed", duration_s: 10.0,
  cluster: (nodes: [(name: "n", count: 2, cores: 4)]),
  operators: [
    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 100.0), keys: Uniform(count: 50)), parallelism: 4),
    (name: "parse", kind: Map(service_ms: Const(0.1)), parallelism: 4, inputs: [(from: "src", partitioning: {into_parse})]),
    (name: "window", kind: Window(size_s: 1.0, service_ms: Const(0.1)), parallelism: {window_parallelism},
     inputs: [(from: "{window_from}", partitioning: {into_window})]),
    (name: "out", kind: Sink, inputs: [(from: "window")]),
    (name: "log", kind: Sink, inputs: [(from: "parse")]),
  ],
)"#
    );
    load(&text).unwrap_or_else(|e| panic!("valid: {e}"))
}

/// Issue 11: a keyed window whose input is not partitioned by key splits every key over
/// its instances, each emitting a partial result; that is valid, so a warning, not an error.
#[test]
fn a_keyed_window_fed_without_key_partitioning_is_a_warning() {
    let warned = |s: &Scenario| s.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    for (into_parse, from, into_window) in [
        ("Rebalance", "parse", "Rebalance"),
        ("Rebalance", "parse", "Forward"),
        ("Rebalance", "src", "Forward"),
    ] {
        let s = keyed_pipeline(into_parse, from, into_window, 4);
        let w = warned(&s);
        assert_eq!(w.len(), 1, "{into_parse} → {from} → {into_window}: {w:?}");
        assert_mentions(
            &w[0],
            &[
                "operators[2].inputs[0].partitioning: ",
                "\"window\" has 4 instances",
                &format!("from \"{from}\" is not partitioned by key ({into_window})"),
                "use Hash, KeyGroups or Range",
            ],
        );
    }
    for (into_parse, from, into_window, parallelism) in [
        ("Rebalance", "parse", "Hash", 4),
        ("Rebalance", "parse", "KeyGroups(count: 16)", 4),
        ("Rebalance", "parse", "Range(bounds: [10, 20, 30])", 4),
        // Forward after a key partitioning keeps the keys where they are.
        ("Hash", "parse", "Forward", 4),
        // One instance sees every key whatever the partitioning.
        ("Rebalance", "parse", "Rebalance", 1),
    ] {
        let s = keyed_pipeline(into_parse, from, into_window, parallelism);
        assert_eq!(
            warned(&s),
            Vec::<String>::new(),
            "{into_parse} → {from} → {into_window}"
        );
    }
}

/// No shipped scenario has a warning: the examples show what is meant.
#[test]
fn shipped_scenarios_have_no_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for path in ron_files(&root).expect("scenarios/ is readable") {
        if crate::cli::is_sweep_file(&path) {
            continue;
        }
        let s = crate::scenario::load(&path).expect("shipped scenarios are valid");
        assert!(
            s.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            s.warnings
        );
    }
}
