//! Node crashes and repairs: independent per node, or correlated for a group (a rack).
//!
//! Each node alternates up and down periods: time to failure drawn from `ttf`, repair time
//! from `repair` (an alternating renewal process). With exponential periods the long-run
//! fraction of time up is MTTF / (MTTF + MTTR).
//!
//! With a limited number of repair crews the covered nodes share them: a node that fails
//! while every crew is busy stays down until one is free (see [`RepairCrews`]), so down
//! periods are the wait plus the repair. With exponential periods the number of failed
//! nodes is a birth–death chain (failure rate (n − j)·λ with j failed, repair rate
//! min(j, c)·μ), the machine-repairman model.

use std::collections::VecDeque;

use super::crews::RepairCrews;
use super::{FaultEvent, FaultModel, later, take_earliest};
use crate::model::{DurationDist, NodeId};
use crate::sim::{SimRng, SimTime};

/// Crash/repair cycles of each of `nodes`: independent, or sharing a number of repair crews.
#[derive(Debug)]
pub struct CrashFaults {
    nodes: Vec<NodeId>,
    ttf: DurationDist,
    repair: DurationDist,
    /// Per node: the next (time, event), lazily drawn; `None` while it waits for a crew.
    next: Vec<Option<(SimTime, FaultEvent)>>,
    crews: RepairCrews,
    started: bool,
}

impl CrashFaults {
    /// Independent crash/repair cycles for `nodes` (one repair crew per node).
    pub fn new(nodes: Vec<NodeId>, ttf: DurationDist, repair: DurationDist) -> Self {
        let n = nodes.len();
        Self {
            nodes,
            ttf,
            repair,
            next: vec![None; n],
            crews: RepairCrews::new(None),
            started: false,
        }
    }

    /// The same nodes repaired by `crews` shared crews (`None`: one per node, as [`new`]).
    ///
    /// [`new`]: CrashFaults::new
    pub fn with_crews(mut self, crews: Option<u32>) -> Self {
        self.crews = RepairCrews::new(crews);
        self
    }
}

impl FaultModel for CrashFaults {
    fn next_fault(&mut self, _now: SimTime, rng: &mut SimRng) -> Option<(SimTime, FaultEvent)> {
        if !self.started {
            // First failures, node by node in declaration order: a fixed draw order.
            self.started = true;
            for (k, &node) in self.nodes.iter().enumerate() {
                let at = later(SimTime::ZERO, self.ttf.sample(rng));
                self.next[k] = Some((at, FaultEvent::NodeCrash { node }));
            }
        }
        let (k, at, event) = take_earliest(&mut self.next)?;
        // Draw order: the event's own node first, then the node a freed crew takes. Without a
        // crew limit nobody waits, and the draws are those of independent cycles exactly.
        match event {
            FaultEvent::NodeCrash { .. } => {
                if self.crews.failed(k) {
                    self.next[k] = Some(self.repair_from(k, at, rng));
                }
            }
            _ => {
                let node = self.nodes[k];
                self.next[k] = Some((
                    later(at, self.ttf.sample(rng)),
                    FaultEvent::NodeCrash { node },
                ));
                if let Some(j) = self.crews.finished() {
                    self.next[j] = Some(self.repair_from(j, at, rng));
                }
            }
        }
        Some((at, event))
    }
}

impl CrashFaults {
    /// The repair of node `k` by a crew that starts on it at `at`.
    fn repair_from(&self, k: usize, at: SimTime, rng: &mut SimRng) -> (SimTime, FaultEvent) {
        (
            later(at, self.repair.sample(rng)),
            FaultEvent::NodeRepair {
                node: self.nodes[k],
            },
        )
    }
}

/// A group of nodes that fail and are repaired together (shared rack, power or switch).
#[derive(Debug)]
pub struct GroupCrashFaults {
    nodes: Vec<NodeId>,
    ttf: DurationDist,
    repair: DurationDist,
    pending: VecDeque<(SimTime, FaultEvent)>,
    next_crash: Option<SimTime>,
}

impl GroupCrashFaults {
    /// Correlated crash/repair cycles of `nodes`.
    pub fn new(nodes: Vec<NodeId>, ttf: DurationDist, repair: DurationDist) -> Self {
        Self {
            nodes,
            ttf,
            repair,
            pending: VecDeque::new(),
            next_crash: None,
        }
    }
}

impl FaultModel for GroupCrashFaults {
    fn next_fault(&mut self, _now: SimTime, rng: &mut SimRng) -> Option<(SimTime, FaultEvent)> {
        if let Some(e) = self.pending.pop_front() {
            return Some(e);
        }
        let crash = match self.next_crash {
            Some(t) => t,
            None => later(SimTime::ZERO, self.ttf.sample(rng)),
        };
        let repair = later(crash, self.repair.sample(rng));
        self.next_crash = Some(later(repair, self.ttf.sample(rng)));
        for &node in &self.nodes {
            self.pending
                .push_back((crash, FaultEvent::NodeCrash { node }));
        }
        for &node in &self.nodes {
            self.pending
                .push_back((repair, FaultEvent::NodeRepair { node }));
        }
        // Crashes come first in time; repairs follow once every crash was handed out.
        self.pending.make_contiguous().sort_by_key(|&(at, _)| at);
        self.pending.pop_front()
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

    /// With exponential MTTF = 100 s and MTTR = 10 s, the fraction of time a node is down
    /// over 8 nodes × 20 000 s must be 10/110 = 0.0909 within 4 standard errors. Each cycle
    /// (mean 110 s) contributes one roughly independent sample; over 8 × 20 000/110 ≈ 1450
    /// cycles the standard error of the down fraction is about 0.0909·sqrt(2 × 1.1)/sqrt(1450)
    /// ≈ 0.0035 (renewal-reward variance with exponential periods), so the bound is ±0.014.
    #[test]
    fn down_fraction_matches_mttr_over_cycle() {
        let nodes: Vec<NodeId> = (0..8).map(NodeId).collect();
        let horizon = SimTime::from_secs_f64(20_000.0);
        let mut models: Vec<Box<dyn FaultModel>> = vec![Box::new(CrashFaults::new(
            nodes.clone(),
            exp_s(100.0),
            exp_s(10.0),
        ))];
        let plan = FaultPlan::generate(&mut models, horizon, 5, 0, vec![], vec![]);
        let mut down_since = [None; 8];
        let mut down = SimDuration::ZERO;
        for &(at, e) in &plan.events {
            match e {
                FaultEvent::NodeCrash { node } => {
                    assert!(
                        down_since[node.index()].is_none(),
                        "crash of a crashed node"
                    );
                    down_since[node.index()] = Some(at);
                }
                FaultEvent::NodeRepair { node } => {
                    down = down
                        + (at
                            - down_since[node.index()]
                                .take()
                                .expect("repair follows crash"));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        for since in down_since.into_iter().flatten() {
            down = down + (horizon - since);
        }
        let fraction = down.as_secs_f64() / (8.0 * horizon.as_secs_f64());
        assert!(
            (fraction - 10.0 / 110.0).abs() < 0.014,
            "down fraction {fraction}"
        );
    }

    #[test]
    fn group_members_fail_and_recover_together() {
        let nodes = vec![NodeId(3), NodeId(5)];
        let mut models: Vec<Box<dyn FaultModel>> = vec![Box::new(GroupCrashFaults::new(
            nodes,
            exp_s(50.0),
            DurationDist::Const(SimDuration::from_millis(2000)),
        ))];
        let plan = FaultPlan::generate(
            &mut models,
            SimTime::from_secs_f64(1000.0),
            1,
            0,
            vec![],
            vec![],
        );
        assert!(plan.events.len() >= 4);
        for pair in plan.events.chunks(2) {
            assert_eq!(
                pair[0].0, pair[1].0,
                "both members change state at once: {pair:?}"
            );
        }
    }

    /// With one crew no two repairs are ever in progress at once: with a constant repair time
    /// each repair ends exactly one repair time after the later of its crash and the previous
    /// repair's end, in failure order (ties by node order).
    #[test]
    fn one_crew_never_has_two_repairs_in_progress() {
        let repair = SimDuration::from_millis(800);
        let nodes: Vec<NodeId> = (0..4).map(NodeId).collect();
        for seed in 0..10 {
            let mut models: Vec<Box<dyn FaultModel>> = vec![Box::new(
                CrashFaults::new(nodes.clone(), exp_s(2.0), DurationDist::Const(repair))
                    .with_crews(Some(1)),
            )];
            let plan = FaultPlan::generate(
                &mut models,
                SimTime::from_secs_f64(1000.0),
                seed,
                0,
                vec![],
                vec![],
            );
            let waited = crate::fault::testing::check_one_crew(&plan, repair)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert!(waited > 100, "seed {seed}: only {waited} repairs waited");
        }
    }

    /// As many crews as nodes (or more) is no limit at all: the plan is that of independent
    /// cycles, draw for draw, so leaving `crews` out and setting it large agree exactly.
    #[test]
    fn crews_for_every_node_change_nothing() {
        let nodes: Vec<NodeId> = (0..3).map(NodeId).collect();
        let h = SimTime::from_secs_f64(2000.0);
        let plan = |crews: Option<u32>| {
            let mut models: Vec<Box<dyn FaultModel>> = vec![Box::new(
                CrashFaults::new(nodes.clone(), exp_s(1.0), exp_s(0.5)).with_crews(crews),
            )];
            FaultPlan::generate(&mut models, h, 4, 2, vec![], vec![])
        };
        let independent = plan(None);
        assert_eq!(plan(Some(3)), independent);
        assert_eq!(plan(Some(100)), independent);
        assert_ne!(plan(Some(1)), independent);
    }

    /// Two nodes, one crew, λ = 1/s, μ = 2/s: the number failed is a birth–death chain with
    /// rates 2λ, λ up and μ, μ down, so p₀ : p₁ : p₂ = 1 : 2λ/μ : 2λ²/μ² = 1 : 1 : 1/2 and
    /// both are down a fraction p₂ = 0.2 of the time (A = 0.8). Both-down episodes start at
    /// rate p₁·λ = 0.4/s and last 1/μ = 0.5 s; over 20 000 s (≈ 8000 of them) the fraction's
    /// standard deviation is 0.0028 (measured over 200 other seeds), so ±0.012 is four of
    /// them.
    #[test]
    fn one_of_two_with_one_crew_matches_the_birth_death_chain() {
        let horizon = 20_000.0;
        let mut models: Vec<Box<dyn FaultModel>> = vec![Box::new(
            CrashFaults::new(vec![NodeId(0), NodeId(1)], exp_s(1.0), exp_s(0.5))
                .with_crews(Some(1)),
        )];
        let plan = FaultPlan::generate(
            &mut models,
            SimTime::from_secs_f64(horizon),
            8,
            0,
            vec![],
            vec![],
        );
        let both_down = crate::fault::testing::all_down_seconds(&plan, 2, horizon) / horizon;
        assert!((both_down - 0.2).abs() < 0.012, "both down {both_down}");
    }

    /// The plan depends on (seed, replication) only: common random numbers across variants.
    #[test]
    fn same_seed_same_plan_other_replication_other_plan() {
        let make = || -> Vec<Box<dyn FaultModel>> {
            vec![Box::new(CrashFaults::new(
                vec![NodeId(0), NodeId(1)],
                exp_s(10.0),
                exp_s(1.0),
            ))]
        };
        let h = SimTime::from_secs_f64(500.0);
        let a = FaultPlan::generate(&mut make(), h, 9, 0, vec![], vec![]);
        let b = FaultPlan::generate(&mut make(), h, 9, 0, vec![], vec![]);
        let c = FaultPlan::generate(&mut make(), h, 9, 1, vec![], vec![]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
