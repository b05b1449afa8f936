//! Cold standby: spare units that cannot fail while they wait.
//!
//! Of `nodes`, the first `active` run from time 0 and fail after `ttf`; the others wait cold
//! and do not age. When a running node fails, the first cold node in list order takes its
//! place at once and its failure clock starts. The failed node is repaired (by one of the
//! model's repair crews, see [`RepairCrews`]) and then runs again if fewer than `active`
//! nodes run, or waits cold otherwise. A cold node is up: which instances run on it is the
//! scenario's business (placement, replication); this model only decides when nodes fail.
//!
//! With exponential periods the number of failed nodes is a birth–death chain: with j
//! failed, failure rate min(active, n − j)·λ and repair rate min(j, c)·μ. For two nodes, one
//! active and one crew the system is down only with both failed:
//! A = 1 − λ²/(λ² + λμ + μ²), the two-unit cold-standby Markov model (e.g. Trivedi 2002).

use super::crews::RepairCrews;
use super::{FaultEvent, FaultModel, later, take_earliest};
use crate::model::{DurationDist, NodeId};
use crate::sim::{SimRng, SimTime};

/// Crash/repair cycles of an `active`-of-`nodes` group with cold spares.
#[derive(Debug)]
pub struct ColdStandbyFaults {
    nodes: Vec<NodeId>,
    active: usize,
    ttf: DurationDist,
    repair: DurationDist,
    /// Per node: its next (time, event) — a crash while it runs, a repair while a crew works
    /// on it; `None` while it waits cold or waits for a crew.
    next: Vec<Option<(SimTime, FaultEvent)>>,
    /// Per node: whether it is up and waiting cold.
    cold: Vec<bool>,
    /// Nodes running (up and not cold).
    running: usize,
    crews: RepairCrews,
    started: bool,
}

impl ColdStandbyFaults {
    /// `nodes` of which the first `active` run (1 ≤ `active` < `nodes.len()`), repaired by
    /// `crews` crews (`None`: one per node).
    pub fn new(
        nodes: Vec<NodeId>,
        active: usize,
        ttf: DurationDist,
        repair: DurationDist,
        crews: Option<u32>,
    ) -> Self {
        let n = nodes.len();
        Self {
            nodes,
            active,
            ttf,
            repair,
            next: vec![None; n],
            cold: (0..n).map(|k| k >= active).collect(),
            running: active.min(n),
            crews: RepairCrews::new(crews),
            started: false,
        }
    }

    fn crash_from(&self, k: usize, at: SimTime, rng: &mut SimRng) -> (SimTime, FaultEvent) {
        (
            later(at, self.ttf.sample(rng)),
            FaultEvent::NodeCrash {
                node: self.nodes[k],
            },
        )
    }

    fn repair_from(&self, k: usize, at: SimTime, rng: &mut SimRng) -> (SimTime, FaultEvent) {
        (
            later(at, self.repair.sample(rng)),
            FaultEvent::NodeRepair {
                node: self.nodes[k],
            },
        )
    }
}

impl FaultModel for ColdStandbyFaults {
    fn next_fault(&mut self, _now: SimTime, rng: &mut SimRng) -> Option<(SimTime, FaultEvent)> {
        if !self.started {
            // The running nodes' first failures, in list order: a fixed draw order.
            self.started = true;
            for k in 0..self.running {
                self.next[k] = Some(self.crash_from(k, SimTime::ZERO, rng));
            }
        }
        let (k, at, event) = take_earliest(&mut self.next)?;
        // Draw order: the event's own node first, then the node it hands over to.
        match event {
            FaultEvent::NodeCrash { .. } => {
                self.running -= 1;
                if self.crews.failed(k) {
                    self.next[k] = Some(self.repair_from(k, at, rng));
                }
                if let Some(j) = self.cold.iter().position(|&c| c) {
                    self.cold[j] = false;
                    self.running += 1;
                    self.next[j] = Some(self.crash_from(j, at, rng));
                }
            }
            _ => {
                if self.running < self.active {
                    self.running += 1;
                    self.next[k] = Some(self.crash_from(k, at, rng));
                } else {
                    self.cold[k] = true;
                }
                if let Some(j) = self.crews.finished() {
                    self.next[j] = Some(self.repair_from(j, at, rng));
                }
            }
        }
        Some((at, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::FaultPlan;
    use crate::sim::SimDuration;

    fn exp_s(mean_s: f64) -> DurationDist {
        DurationDist::exp(mean_s * 1e9)
    }

    fn plan(model: ColdStandbyFaults, horizon_s: f64, seed: u64) -> FaultPlan {
        let mut models: Vec<Box<dyn FaultModel>> = vec![Box::new(model)];
        FaultPlan::generate(
            &mut models,
            SimTime::from_secs_f64(horizon_s),
            seed,
            0,
            vec![],
            vec![],
        )
    }

    /// Replays a plan of `n` nodes with `active` running and reports a violation: a cold
    /// spare crashing, a down node crashing, an up node repaired, or more (or fewer, while a
    /// spare waits) than `active` nodes running.
    fn check_standby_invariants(
        plan: &FaultPlan,
        n: usize,
        active: usize,
    ) -> Result<usize, String> {
        #[derive(Clone, Copy, PartialEq, Debug)]
        enum State {
            Running,
            Cold,
            Down,
        }
        let mut state: Vec<State> = (0..n)
            .map(|k| {
                if k < active {
                    State::Running
                } else {
                    State::Cold
                }
            })
            .collect();
        let mut crashes = 0;
        for (i, &(at, e)) in plan.events.iter().enumerate() {
            match e {
                FaultEvent::NodeCrash { node } => {
                    let k = node.index();
                    match state[k] {
                        State::Running => {}
                        s => return Err(format!("event {i} at {at:?}: crash of a {s:?} node")),
                    }
                    state[k] = State::Down;
                    if let Some(j) = state.iter().position(|&s| s == State::Cold) {
                        state[j] = State::Running;
                    }
                    crashes += 1;
                }
                FaultEvent::NodeRepair { node } => {
                    let k = node.index();
                    if state[k] != State::Down {
                        return Err(format!("event {i}: repair of an up node"));
                    }
                    let running = state.iter().filter(|&&s| s == State::Running).count();
                    state[k] = if running < active {
                        State::Running
                    } else {
                        State::Cold
                    };
                }
                other => return Err(format!("unexpected {other:?}")),
            }
            let running = state.iter().filter(|&&s| s == State::Running).count();
            let cold = state.contains(&State::Cold);
            if running > active || (cold && running < active) {
                return Err(format!(
                    "event {i}: {running} running of {active} with a spare cold: {state:?}"
                ));
            }
        }
        Ok(crashes)
    }

    /// Only running nodes crash: a spare never fails while it waits cold, whatever the
    /// number of spares and crews, and a spare takes a failed node's place at once.
    #[test]
    fn a_cold_spare_never_crashes_while_waiting() {
        for (n, active, crews) in [
            (2, 1, Some(1)),
            (4, 2, Some(1)),
            (5, 1, None),
            (6, 3, Some(2)),
        ] {
            for seed in 0..20 {
                let nodes: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
                let model = ColdStandbyFaults::new(nodes, active, exp_s(1.0), exp_s(0.7), crews);
                let p = plan(model, 500.0, seed);
                let crashes = check_standby_invariants(&p, n, active).unwrap_or_else(|e| {
                    panic!("n = {n}, active = {active}, crews = {crews:?}, seed {seed}: {e}")
                });
                assert!(crashes > 100, "seed {seed}: only {crashes} crashes");
            }
        }
    }

    /// One crew never works on two nodes at once: with a constant repair time every repair
    /// ends exactly one repair time after the later of its crash and the previous repair's
    /// end, in failure order.
    #[test]
    fn one_crew_repairs_one_node_at_a_time() {
        let repair = SimDuration::from_millis(1500);
        let nodes: Vec<NodeId> = (0..4).map(NodeId).collect();
        let model =
            ColdStandbyFaults::new(nodes, 2, exp_s(1.0), DurationDist::Const(repair), Some(1));
        let p = plan(model, 2000.0, 3);
        let waited =
            crate::fault::testing::check_one_crew(&p, repair).unwrap_or_else(|e| panic!("{e}"));
        assert!(waited > 50, "only {waited} repairs waited for the crew");
    }

    /// Two nodes, one active, one crew, λ = 1/s, μ = 2/s: the fraction of time both are down
    /// is λ²/(λ² + λμ + μ²) = 1/7 ≈ 0.1429. Over 20 000 s (about 5700 both-down episodes,
    /// starting at rate p₁·λ = 2/7 per s and lasting 1/μ = 0.5 s) the fraction's standard
    /// deviation is 0.0025 (measured over 200 other seeds), so ±0.01 is four of them.
    #[test]
    fn two_units_one_spare_one_crew_match_the_birth_death_chain() {
        let model = ColdStandbyFaults::new(
            vec![NodeId(0), NodeId(1)],
            1,
            exp_s(1.0),
            exp_s(0.5),
            Some(1),
        );
        let horizon = 20_000.0;
        let p = plan(model, horizon, 7);
        let both_down = crate::fault::testing::all_down_seconds(&p, 2, horizon);
        let fraction = both_down / horizon;
        assert!((fraction - 1.0 / 7.0).abs() < 0.01, "both down {fraction}");
    }
}
