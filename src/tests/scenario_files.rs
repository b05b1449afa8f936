//! Every file under `scenarios/` loads and validates, so examples cannot rot: scenarios as
//! scenarios, sweep files (under `sweeps/`) as sweeps with every grid point.

use std::path::Path;

use crate::cli::{is_sweep_file, ron_files};
use crate::scenario;

#[test]
fn every_shipped_scenario_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files = ron_files(&root).expect("scenarios/ is readable");
    assert!(
        files.len() >= 3,
        "expected the shipped scenarios, found {files:?}"
    );
    for f in files {
        let checked = if is_sweep_file(&f) {
            crate::sweep::load(&f).map(drop).map_err(|e| e.to_string())
        } else {
            scenario::load(&f).map(drop).map_err(|e| e.to_string())
        };
        if let Err(e) = checked {
            panic!("{e}");
        }
    }
}

/// The resolved scenario spells out every default and parses back to the same scenario.
#[test]
fn resolved_scenario_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for f in ron_files(&root).expect("scenarios/ is readable") {
        if is_sweep_file(&f) {
            continue;
        }
        let s = scenario::load(&f).unwrap_or_else(|e| panic!("{e}"));
        let text = s.resolved_text();
        let again = scenario::from_str(&text, Path::new("resolved.ron"), Path::new("."))
            .unwrap_or_else(|e| {
                panic!(
                    "resolved form of {} does not load: {e}\n{text}",
                    f.display()
                )
            });
        assert_eq!(s.resolved, again.resolved, "{}", f.display());
        // The author's description travels with the resolved file, unchanged, and a
        // second round adds nothing to it.
        assert_eq!(s.description, again.description, "{}", f.display());
        assert_eq!(text, again.resolved_text(), "{}", f.display());
    }
}

#[test]
fn the_description_is_the_leading_comment_up_to_the_resolved_note() {
    let text = "// Title\n//\n//   indented\n// Resolved scenario written by faultline 0.1.0\n(\n";
    assert_eq!(scenario::header_comment(text), "Title\n\n  indented");
    assert_eq!(scenario::header_comment("(\n  // not this\n)"), "");
    let shipped = crate::tests::load_fixture("sensor-monitoring.ron");
    assert!(
        shipped
            .description
            .starts_with("Sensor monitoring under faults")
    );
}
