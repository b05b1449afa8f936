//! Hostile sweep files (issue 10): a name that is not one plain path component, grids too
//! large to expand, parameters edited twice, paths of megabytes, variants the base does not
//! have. Every error names the sweep file, with line and column where the text shows them,
//! and comes back at once.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::sweep::{self, MAX_GRID_POINTS, SweepError};

/// A scratch directory holding `sweep.ron` with `body` inside `( … )`, its base
/// `tests/fixtures/sweep-base.ron` referred to by absolute path.
fn sweep_file(test: &str, body: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "faultline-sweep-errors-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sweep-base.ron");
    let text = format!(
        "(\n  version: 1,\n  base: {:?},\n{body}\n)\n",
        base.display().to_string()
    );
    let file = dir.join("sweep.ron");
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

/// Loads the sweep and returns its error's position and text; fails if it loads or takes
/// more than a second.
fn refused(test: &str, body: &str) -> (Option<(usize, usize)>, String) {
    let (dir, file) = sweep_file(test, body);
    let started = Instant::now();
    let e = match sweep::load(&file) {
        Ok(s) => panic!("{test}: loaded a sweep of {} points", s.points.len()),
        Err(e) => e,
    };
    assert!(
        started.elapsed().as_secs_f64() < 1.0,
        "{test}: took {:?}",
        started.elapsed()
    );
    let text = e.to_string();
    assert!(
        text.starts_with(&file.display().to_string()),
        "{test}: the error does not name the sweep file: {text}"
    );
    let at = match e {
        SweepError::File { at, .. } | SweepError::Path { at, .. } => at,
        other => panic!("{test}: expected a located file error, got {other:?}"),
    };
    std::fs::remove_dir_all(dir).unwrap();
    (at, text)
}

const AXIS: &str = r#"  axes: [(path: "faults[0].ttf_s.mean", values: [5.0, 10.0])],"#;

#[test]
fn a_sweep_name_must_be_one_plain_path_component() {
    for name in ["a\\nb", "$(touch x)", "..", "/tmp/abs", "a/b", "", "Big"] {
        let (at, text) = refused("name", &format!("  name: \"{name}\",\n{AXIS}"));
        assert_eq!(at, Some((4, 3)), "{name}: {text}");
        assert!(text.contains("a-z, 0-9 and '-'"), "{name}: {text}");
        assert!(
            !text.contains('\n'),
            "{name}: the message spans lines: {text}"
        );
    }
}

#[test]
fn a_grid_too_large_is_refused_before_it_is_expanded() {
    let (at, text) = refused(
        "steps",
        r#"  name: "s",
  axes: [(path: "faults[0].ttf_s.mean", range: (from: 1.0, to: 2.0, steps: 2147483648))],"#,
    );
    assert_eq!(at, Some((5, 69)), "{text}");
    assert!(text.contains(&MAX_GRID_POINTS.to_string()), "{text}");
    // Three axes of 1000 values: 10⁹ points, each axis fine on its own.
    let (at, text) = refused(
        "product",
        r#"  name: "s",
  axes: [
    (path: "faults[0].ttf_s.mean", range: (from: 1.0, to: 2.0, steps: 1000)),
    (path: "fault_tolerance.detector.timeout_ms", range: (from: 300.0, to: 900.0, steps: 1000)),
    (path: "duration_s", range: (from: 10.0, to: 20.0, steps: 1000)),
  ],"#,
    );
    assert_eq!(at, Some((5, 3)), "{text}");
    assert!(text.contains("more than 100000 points"), "{text}");
}

#[test]
fn a_parameter_edited_twice_is_refused() {
    let (at, text) = refused(
        "axis-twice",
        r#"  name: "s",
  axes: [
    (path: "faults[0].ttf_s.mean", values: [5.0]),
    (path: "faults[0].ttf_s.mean", values: [6.0]),
  ],"#,
    );
    assert_eq!(at, Some((7, 12)), "{text}");
    assert!(text.contains("already an axis"), "{text}");
    let (at, text) = refused(
        "axis-and-set",
        r#"  name: "s",
  axes: [(path: "duration_s", values: [10.0, 20.0])],
  set: [(path: "duration_s", value: 30.0)],"#,
    );
    assert_eq!(at, Some((5, 17)), "{text}");
    assert!(text.contains("also fixed by set[0]"), "{text}");
    let (_, text) = refused(
        "set-twice",
        &format!(
            "  name: \"s\",\n{AXIS}\n  set: [(path: \"duration_s\", value: 30.0), (path: \"duration_s\", value: 40.0)],"
        ),
    );
    assert!(text.contains("set[1] edits \"duration_s\" again"), "{text}");
}

#[test]
fn a_huge_path_is_refused_at_once_with_an_excerpt() {
    let huge = "x".repeat(2 << 20);
    let (at, text) = refused(
        "huge-path",
        &format!("  name: \"s\",\n  axes: [(path: \"{huge}\", values: [1.0])],"),
    );
    assert_eq!(at, Some((5, 17)), "{}", &text[..200]);
    assert!(text.len() < 500, "{} characters echoed", text.len());
    assert!(text.contains("(2097152 characters)"), "{text}");
}

#[test]
fn a_wrong_path_names_the_sweep_file_and_its_position() {
    let (at, text) = refused(
        "bad-path",
        r#"  name: "s",
  axes: [(path: "faults[0].ttf.mean", values: [5.0, 10.0])],"#,
    );
    assert_eq!(at, Some((5, 17)), "{text}");
    assert!(text.contains("faults[0].ttf_s.mean"), "{text}");
}

#[test]
fn an_unknown_variant_names_the_file_and_lists_the_base_variants() {
    let (at, text) = refused(
        "variant",
        &format!("  name: \"s\",\n{AXIS}\n  variants: [\"passive\", \"activ\"],"),
    );
    assert_eq!(at, Some((6, 25)), "{text}");
    assert!(
        text.contains("\"activ\" is not in the base scenario; the base scenario's variants are \"passive\", \"checkpoint-only\""),
        "{text}"
    );
}

#[test]
fn a_base_without_variants_says_so_rather_than_listing_nothing() {
    let dir = std::env::temp_dir().join(format!(
        "faultline-sweep-errors-{}-no-variants",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny.ron");
    let file = dir.join("sweep.ron");
    std::fs::write(
        &file,
        format!(
            "(version: 1, name: \"s\", base: {:?}, axes: [(path: \"duration_s\", values: [2.0])], variants: [\"active\"])",
            tiny.display().to_string()
        ),
    )
    .unwrap();
    let text = sweep::load(&file).unwrap_err().to_string();
    assert!(text.contains("declares no variants"), "{text}");
    assert!(!text.contains("()") && !text.contains(": )"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_invalid_byte_in_a_sweep_file_is_located() {
    let (dir, file) = sweep_file("utf8", &format!("  name: \"s\",\n{AXIS}"));
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.windows(4).position(|w| w == b"name").unwrap();
    bytes[at + 1] = 0xC0;
    std::fs::write(&file, bytes).unwrap();
    let e = sweep::load(&file).unwrap_err();
    assert!(
        matches!(
            e,
            SweepError::File {
                at: Some((4, 4)),
                ..
            }
        ),
        "{e:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_point_error_names_the_sweep_file() {
    let (dir, file) = sweep_file(
        "point",
        r#"  name: "s",
  axes: [(path: "faults[0].ttf_s.mean", values: [5.0, -1.0])],"#,
    );
    let text = sweep::load(&file).unwrap_err().to_string();
    assert!(
        text.starts_with(&format!("{}: point 1", file.display())),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A syntax error in a sweep file names the sweep's own concepts (an axis, the sweep file),
/// not the Rust types that read it (`AxisSpec`, `SweepFile`).
#[test]
fn a_syntax_error_names_sweep_concepts_not_rust_types() {
    let (at, text) = refused(
        "axis-field",
        r#"  name: "s",
  axes: [(path: "faults[0].ttf_s.mean", vals: [5.0, 10.0])],"#,
    );
    assert_eq!(at, Some((5, 41)), "{text}");
    assert!(text.contains("unknown field `vals` in an axis"), "{text}");
    let (_, text) = refused("no-axes", r#"  name: "s","#);
    assert!(
        text.contains("missing field `axes` in the sweep file"),
        "{text}"
    );
    for rust in ["AxisSpec", "SweepFile", "Spec"] {
        assert!(!text.contains(rust), "{text}");
    }
}

/// Found by the mutation fuzzer: a value list with a number too large for a float (read as
/// infinity) made the first grid point's scenario invalid, reported without a position.
#[test]
fn a_non_finite_axis_value_is_refused_at_its_axis() {
    let (at, text) = refused(
        "non-finite-value",
        r#"  name: "inf",
  axes: [(path: "faults[0].ttf_s.mean", values: [5.0, 1e999])],"#,
    );
    assert!(at.is_some(), "{text}");
    assert!(text.contains("value 2 is inf"), "{text}");
}
