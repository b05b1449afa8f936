//! The oracle: one case run under one strategy, checked against every invariant.
//!
//! The checks: no panic; conservation (emitted + spawned + replayed = delivered + absorbed +
//! dropped + in flight, which the world checks itself); every episode kept the guarantee of
//! its condition (the per-event ledger, see [`crate::experiment::semantics`]); every
//! availability in [0, 1]; every episode's phases in order (fault ≤ detected ≤ restored ≤
//! recovered); and the same case run twice gives the same summary, byte for byte.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::experiment::{CellResult, RunResult};
use crate::ft::Sabotage;
use crate::metrics::ReplicationSummary;
use crate::scenario::Scenario;
use crate::world::run_replication;

/// What went wrong with one run.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Failure {
    /// The simulator panicked.
    Panic(String),
    /// The world's own end-of-run check failed (conservation).
    Model(String),
    /// An episode broke its guarantee.
    Guarantee(String),
    /// An availability outside [0, 1].
    Availability(String),
    /// An episode's phases out of order.
    EpisodeOrder(String),
    /// Two runs of the same case differ.
    Nondeterministic,
}

impl Failure {
    /// The kind of failure, for shrinking: a smaller case must fail the same way.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Panic(_) => "panic",
            Self::Model(_) => "conservation",
            Self::Guarantee(_) => "guarantee",
            Self::Availability(_) => "availability",
            Self::EpisodeOrder(_) => "episode-order",
            Self::Nondeterministic => "nondeterminism",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Panic(m) => write!(f, "the simulator panicked: {m}"),
            Self::Model(m) => f.write_str(m),
            Self::Guarantee(m) => write!(f, "guarantee violated: {m}"),
            Self::Availability(m) => write!(f, "availability out of [0, 1]: {m}"),
            Self::EpisodeOrder(m) => write!(f, "episode phases out of order: {m}"),
            Self::Nondeterministic => f.write_str("two runs of the same case differ"),
        }
    }
}

/// Runs replication 0 of variant `variant` of `scenario` (seeded by the scenario), catching
/// a panic.
fn run_once(scenario: &Scenario, variant: usize) -> Result<ReplicationSummary, Failure> {
    let seed = scenario.seed.unwrap_or(0);
    match catch_unwind(AssertUnwindSafe(|| {
        run_replication(scenario, variant, seed, 0, &|_| {})
    })) {
        Ok(Ok(summary)) => Ok(summary),
        Ok(Err(e)) => Err(Failure::Model(e.to_string())),
        Err(payload) => Err(Failure::Panic(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".to_string()),
        )),
    }
}

/// Checks variant `variant` of `scenario` (with `sabotage` applied, if any); the first
/// failure found.
pub fn check(
    scenario: &Scenario,
    variant: usize,
    sabotage: Option<Sabotage>,
) -> Result<(), Failure> {
    let mut scenario = scenario.clone();
    scenario.variants[variant].fault_tolerance.sabotage = sabotage;
    let summary = run_once(&scenario, variant)?;
    for name in [
        "availability_system",
        "availability_mean",
        "availability_sla",
    ] {
        if let Some(a) = summary.metric(name)
            && !(0.0..=1.0).contains(&a)
        {
            return Err(Failure::Availability(format!("{name} = {a}")));
        }
    }
    for e in &summary.episodes {
        // Under active replication another copy may serve (masked) or be rebuilt before the
        // failure is even detected: restoration need not follow detection there.
        let replicated = scenario.variants[variant]
            .fault_tolerance
            .replication
            .strategy()
            .replicas()
            > 1;
        let masked = replicated || e.recovered_at == Some(e.fault_at);
        let mut last = e.fault_at;
        for (phase, t) in [
            ("detected", e.detected_at.filter(|_| !masked)),
            ("restored", e.restored_at),
            ("recovered", e.recovered_at),
        ] {
            if let Some(t) = t {
                if t < last {
                    return Err(Failure::EpisodeOrder(format!(
                        "{} of target {} at {:.3} s: {phase} at {:.3} s, before the phase before it ({:.3} s)",
                        e.kind.label(),
                        e.target,
                        e.fault_at.as_secs_f64(),
                        t.as_secs_f64(),
                        last.as_secs_f64()
                    )));
                }
                last = t;
            }
        }
    }
    let label = scenario.variants[variant].label.clone();
    let result = RunResult {
        seed: scenario.seed.unwrap_or(0),
        cells: scenario
            .variants
            .iter()
            .enumerate()
            .map(|(v, x)| CellResult {
                label: x.label.clone(),
                replications: if v == variant {
                    vec![summary.clone()]
                } else {
                    Vec::new()
                },
            })
            .collect(),
        kernel_events: summary.kernel_events,
        scenario: scenario.clone(),
        stopped: Vec::new(),
        traces: Vec::new(),
    };
    if let Some(v) = result
        .semantics()
        .into_iter()
        .find(|c| c.variant == label)
        .and_then(|c| c.violations.into_iter().next())
    {
        return Err(Failure::Guarantee(v.to_string()));
    }
    let again = run_once(&scenario, variant)?;
    if format!("{again:?}") != format!("{summary:?}") {
        return Err(Failure::Nondeterministic);
    }
    Ok(())
}
