//! The event trace: it changes no result (with and without a memory budget), it is the same
//! byte for byte from the same seed, its filters and caps hold, and its state changes form
//! an unbroken chain per subject.

use std::collections::BTreeMap;

use crate::experiment::{self, RunResult, TracePlan, output};
use crate::scenario::Scenario;
use crate::world::{DATA_ROWS_CAP, TRACE_HEADER, TraceKinds};

use super::{fixture, load_fixture};

fn every_run(scenario: &Scenario, kinds: TraceKinds) -> TracePlan {
    TracePlan {
        runs: (0..scenario.replications).collect(),
        variants: (0..scenario.variants.len()).collect(),
        kinds,
    }
}

fn traced(scenario: &Scenario, plan: &TracePlan, stop_line: Option<u64>) -> RunResult {
    let seed = scenario.seed.expect("shipped scenarios set a seed");
    experiment::run_traced(scenario, seed, 2, stop_line, Some(plan), &|_| {})
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The result files a run writes, as text.
fn files(result: &RunResult) -> [String; 5] {
    [
        output::summary_csv(result),
        output::replications_csv(result),
        output::timeseries_csv(result),
        output::episodes_csv(result),
        output::cdf_csv(result),
    ]
}

fn trace_text(result: &RunResult) -> String {
    let mut out = Vec::new();
    for t in &result.traces {
        t.trace
            .write_csv(&mut out, &result.cells[t.variant].label, t.run)
            .expect("writing to memory");
    }
    String::from_utf8(out).expect("the trace is UTF-8")
}

fn sensor(replications: u32) -> Scenario {
    let mut s = load_fixture("sensor-monitoring.ron");
    s.set_replications(replications);
    s
}

#[test]
fn tracing_every_kind_of_every_run_changes_no_result() {
    let scenario = sensor(2);
    let seed = scenario.seed.unwrap();
    let plain = experiment::run(&scenario, seed, 2, &|_| {}).expect("runs");
    let all = traced(
        &scenario,
        &every_run(&scenario, TraceKinds::parse("all").unwrap()),
        None,
    );
    assert_eq!(files(&plain), files(&all));
    assert_eq!(plain.kernel_events, all.kernel_events);
    assert_eq!(all.traces.len(), 2 * scenario.variants.len());
    // The trace saw every kernel event of its run.
    let seen: u64 = all.traces.iter().map(|t| t.trace.kernel_events()).sum();
    assert_eq!(seen, all.kernel_events);
}

/// A replication stopped by its memory budget stops at the same instant traced or not: the
/// trace's own heap is not the run's.
#[test]
fn tracing_does_not_move_the_instant_a_run_is_stopped_by_its_budget() {
    let mut scenario = crate::scenario::load(&fixture("../tests/fixtures/overloaded.ron"))
        .unwrap_or_else(|e| panic!("{e}"));
    scenario.set_replications(2);
    let line = 32 << 20;
    let plain = experiment::run_within(&scenario, 7, 2, Some(line), &|_| {}).expect("runs");
    let plan = every_run(&scenario, TraceKinds::parse("all").unwrap());
    let with =
        experiment::run_traced(&scenario, 7, 2, Some(line), Some(&plan), &|_| {}).expect("runs");
    assert_eq!(plain.stopped.len(), 2, "the fixture overloads");
    assert_eq!(plain.stopped, with.stopped);
    assert_eq!(files(&plain), files(&with));
}

#[test]
fn the_same_seed_gives_the_same_trace_byte_for_byte() {
    let scenario = load_fixture("examples/crash-and-failover.ron");
    let plan = every_run(&scenario, TraceKinds::DEFAULT);
    let a = trace_text(&traced(&scenario, &plan, None));
    let b = trace_text(&traced(&scenario, &plan, None));
    assert!(a.lines().count() > 100, "a trace with crashes has rows");
    assert_eq!(a, b);
}

/// One parsed row of `trace.csv`.
struct Row<'a> {
    run: (&'a str, &'a str),
    seq: u64,
    time_s: f64,
    kind: &'a str,
    event: &'a str,
    subject: Option<(&'a str, &'a str, &'a str, &'a str)>,
}

fn rows(text: &str) -> Vec<Row<'_>> {
    let width = TRACE_HEADER.split(',').count();
    text.lines()
        .map(|line| {
            // Only the detail column may hold spaces; none holds a comma.
            let c: Vec<&str> = line.split(',').collect();
            assert_eq!(c.len(), width, "{line}");
            Row {
                run: (c[0], c[1]),
                seq: c[2].parse().unwrap_or(0),
                time_s: c[3].parse().unwrap(),
                kind: c[4],
                event: c[5],
                subject: (!c[11].is_empty()).then(|| (c[11], c[12], c[13], c[14])),
            }
        })
        .collect()
}

#[test]
fn filters_keep_the_chosen_kinds_and_every_state_change() {
    let scenario = sensor(2);
    let mut plan = every_run(&scenario, TraceKinds::parse("faults").unwrap());
    plan.runs = vec![1];
    plan.variants = vec![1];
    let result = traced(&scenario, &plan, None);
    assert_eq!(result.traces.len(), 1);
    assert_eq!((result.traces[0].variant, result.traces[0].run), (1, 1));
    let text = trace_text(&result);
    let parsed = rows(&text);
    let label = scenario.variants[1].label.as_str();
    assert!(parsed.iter().all(|r| r.run == (label, "1")));
    assert!(parsed.iter().any(|r| r.kind == "faults"));
    // Events of other kinds appear only where they changed state (a suspicion, a restart).
    let others: Vec<&Row> = parsed
        .iter()
        .filter(|r| r.kind != "faults" && r.kind != "trace")
        .collect();
    assert!(!others.is_empty(), "the failover's detection changes state");
    assert!(others.iter().all(|r| r.subject.is_some()), "{text}");
    // The full default trace holds the same state changes: the filter thins out only the
    // events that change nothing.
    let mut all = plan.clone();
    all.kinds = TraceKinds::DEFAULT;
    let full = trace_text(&traced(&scenario, &all, None));
    let changes = |t: &str| -> Vec<String> {
        rows(t)
            .iter()
            .filter_map(|r| r.subject.map(|s| format!("{} {:?}", r.seq, s)))
            .collect()
    };
    assert_eq!(changes(&text), changes(&full));
    assert!(rows(&full).len() > parsed.len());
    // Data events are off by default.
    assert!(
        rows(&full)
            .iter()
            .all(|r| r.kind != "data" || r.subject.is_some())
    );
}

#[test]
fn data_rows_stop_at_the_cap_and_say_where() {
    let scenario = sensor(2);
    let mut plan = every_run(&scenario, TraceKinds::parse("data").unwrap());
    plan.runs = vec![0];
    plan.variants = vec![0];
    let result = traced(&scenario, &plan, None);
    let t = &result.traces[0].trace;
    assert!(
        t.kernel_events() > 2 * DATA_ROWS_CAP,
        "the run has more data events than the cap"
    );
    let text = trace_text(&result);
    let parsed = rows(&text);
    let plain_data = parsed
        .iter()
        .filter(|r| r.kind == "data" && r.subject.is_none())
        .count() as u64;
    assert_eq!(plain_data, DATA_ROWS_CAP);
    let caps: Vec<&Row> = parsed.iter().filter(|r| r.event == "trace_cap").collect();
    assert_eq!(caps.len(), 1);
    let at = t.data_capped().expect("capped").as_secs_f64();
    assert!((caps[0].time_s - at).abs() < 1e-9);
    // State changes after the cap are still written.
    assert!(
        parsed.iter().any(|r| r.time_s > at && r.subject.is_some()),
        "the failover after the cap is traced"
    );
}

/// Every state change starts from the state the previous change of the same subject left,
/// rows are in kernel order, and every lane starts from its initial state: the trace is a
/// complete record of the states the timeline draws.
#[test]
fn state_changes_chain_per_subject_and_rows_are_in_kernel_order() {
    for relative in [
        "sensor-monitoring.ron",
        "examples/partition-false-suspicion.ron",
        "examples/hang-needs-watchdog.ron",
    ] {
        let mut scenario = load_fixture(relative);
        scenario.set_replications(2);
        let plan = every_run(&scenario, TraceKinds::DEFAULT);
        let text = trace_text(&traced(&scenario, &plan, None));
        let mut last: BTreeMap<(&str, &str, &str, &str), &str> = BTreeMap::new();
        let mut order: BTreeMap<(&str, &str), (u64, f64)> = BTreeMap::new();
        let mut changes = 0;
        for r in rows(&text) {
            if r.kind != "trace" {
                if let Some(&(seq, t)) = order.get(&r.run) {
                    assert!(r.seq >= seq && r.time_s >= t, "{relative}: out of order");
                }
                order.insert(r.run, (r.seq, r.time_s));
            } else if r.event == "trace_end" {
                let (_, t) = order[&r.run];
                assert!(r.time_s >= t, "{relative}: the end is after every event");
            }
            let Some((kind, subject, from, to)) = r.subject else {
                continue;
            };
            assert_ne!(from, to, "{relative}: a change changes something");
            let key = (r.run.0, r.run.1, kind, subject);
            if r.event == "trace_start" {
                // Every node and instance is declared once, before anything happens.
                assert_eq!(from, "", "{relative}: {key:?}");
                assert!(last.insert(key, to).is_none(), "{relative}: {key:?} twice");
                continue;
            }
            changes += 1;
            let initial = match kind {
                "partition" | "spike" => Some("inactive"),
                "rollback" => Some("idle"),
                "checkpoint" => Some("none"),
                _ => None, // nodes, instances, placements: declared by trace_start
            };
            let Some(expected) = last.get(&key).copied().or(initial) else {
                panic!("{relative}: {key:?} changes before it is declared");
            };
            assert_eq!(from, expected, "{relative}: {key:?} at seq {}", r.seq);
            last.insert(key, to);
        }
        assert!(changes > 10, "{relative}: {changes} state changes");
    }
}
