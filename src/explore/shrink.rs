//! Shrinking a failing case: fewer faults, fewer and narrower stages, a shorter run, a
//! lighter load — for as long as the smaller case still fails the same way.

use std::path::Path;

use super::case::{Case, Fault, Partitioning, StrategyKind};
use super::oracle::{Failure, check};
use crate::ft::Sabotage;

/// Most candidate cases tried while shrinking one failure.
const BUDGET: u32 = 300;

/// The rendered single-strategy scenario of `case`, if it is valid.
pub(super) fn scenario_of(
    case: &Case,
    strategy: StrategyKind,
) -> Option<crate::scenario::Scenario> {
    crate::scenario::from_str(
        &case.render(&[strategy], ""),
        Path::new("case.ron"),
        Path::new("."),
    )
    .ok()
}

/// Keeps a Forward edge valid after parallelism changes.
fn fix_forward(case: &mut Case) {
    let mut upstream = case.sources;
    for st in &mut case.stages {
        if st.partitioning == Partitioning::Forward && st.parallelism != upstream {
            st.partitioning = Partitioning::Rebalance;
        }
        upstream = st.parallelism;
    }
}

/// Smaller variations of `case`, most promising first.
fn candidates(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for k in 0..case.faults.len() {
        let mut c = case.clone();
        c.faults.remove(k);
        out.push(c);
    }
    for k in (0..case.stages.len()).rev() {
        if case.stages.len() == 1 {
            break;
        }
        let mut c = case.clone();
        c.stages.remove(k);
        c.faults.retain_mut(|f| match f {
            Fault::Hang { stage, .. } if *stage == k => false,
            Fault::Hang { stage, .. } => {
                if *stage > k {
                    *stage -= 1;
                }
                true
            }
            _ => true,
        });
        fix_forward(&mut c);
        out.push(c);
    }
    for k in 0..case.stages.len() {
        if case.stages[k].parallelism > 1 {
            let mut c = case.clone();
            c.stages[k].parallelism = 1;
            c.faults.retain(|f| !matches!(f, Fault::Hang { stage, instance, .. } if *stage == k && *instance > 0));
            fix_forward(&mut c);
            out.push(c);
        }
    }
    let last_fault = case.faults.iter().map(Fault::at).fold(0.0, f64::max);
    let shorter = ((last_fault + 5.0).max(case.duration_s / 2.0) * 1000.0).round() / 1000.0;
    if shorter < case.duration_s {
        let mut c = case.clone();
        c.duration_s = shorter;
        out.push(c);
    }
    if case.sources > 1 {
        let mut c = case.clone();
        c.sources = 1;
        fix_forward(&mut c);
        out.push(c);
    }
    if case.rate > 50.0 {
        let mut c = case.clone();
        c.rate = (case.rate / 2.0 * 1000.0).round() / 1000.0;
        out.push(c);
    }
    if case.checkpoint != Default::default() {
        let mut c = case.clone();
        c.checkpoint = Default::default();
        out.push(c);
    }
    if case.sink != 0 {
        let mut c = case.clone();
        c.sink = 0;
        out.push(c);
    }
    if case.load != 1.0 {
        let mut c = case.clone();
        c.load = 1.0;
        out.push(c);
    }
    if case.push_buffer.is_some() {
        let mut c = case.clone();
        c.push_buffer = None;
        out.push(c);
    }
    if case.buffer.is_some() {
        let mut c = case.clone();
        c.buffer = None;
        c.push_buffer = None;
        out.push(c);
    }
    out
}

/// The smallest case found that still fails like `failure` under `strategy`, and its
/// failure.
pub fn shrink(
    case: &Case,
    strategy: StrategyKind,
    failure: &Failure,
    sabotage: Option<Sabotage>,
) -> (Case, Failure) {
    let mut best = (case.clone(), failure.clone());
    let mut tried = 0;
    'outer: loop {
        for c in candidates(&best.0) {
            if tried >= BUDGET {
                break 'outer;
            }
            tried += 1;
            let Some(scenario) = scenario_of(&c, strategy) else {
                continue;
            };
            if let Err(f) = check(&scenario, 0, sabotage)
                && f.kind() == failure.kind()
            {
                best = (c, f);
                continue 'outer;
            }
        }
        break;
    }
    best
}
