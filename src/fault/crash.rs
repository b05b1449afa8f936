//! Node crashes and repairs: independent per node, or correlated for a group (a rack).
//!
//! Each node alternates up and down periods: time to failure drawn from `ttf`, repair time
//! from `repair` (an alternating renewal process). With exponential periods the long-run
//! fraction of time up is MTTF / (MTTF + MTTR).

use std::collections::VecDeque;

use super::{FaultEvent, FaultModel, later};
use crate::model::{DurationDist, NodeId};
use crate::sim::{SimRng, SimTime};

/// Independent crash/repair cycles of each of `nodes`.
#[derive(Debug)]
pub struct CrashFaults {
    nodes: Vec<NodeId>,
    ttf: DurationDist,
    repair: DurationDist,
    /// Per node: the next (time, event), lazily drawn.
    next: Vec<Option<(SimTime, FaultEvent)>>,
    started: bool,
}

impl CrashFaults {
    /// Crash/repair cycles for `nodes`.
    pub fn new(nodes: Vec<NodeId>, ttf: DurationDist, repair: DurationDist) -> Self {
        let n = nodes.len();
        Self {
            nodes,
            ttf,
            repair,
            next: vec![None; n],
            started: false,
        }
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
        // The earliest pending event; ties go to the lower node index.
        let (k, _) = self
            .next
            .iter()
            .enumerate()
            .filter_map(|(k, e)| e.map(|(at, _)| (k, at)))
            .min_by_key(|&(k, at)| (at, k))?;
        let (at, event) = self.next[k].take().expect("selected entry exists");
        let node = self.nodes[k];
        self.next[k] = Some(match event {
            FaultEvent::NodeCrash { .. } => (
                later(at, self.repair.sample(rng)),
                FaultEvent::NodeRepair { node },
            ),
            _ => (
                later(at, self.ttf.sample(rng)),
                FaultEvent::NodeCrash { node },
            ),
        });
        Some((at, event))
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
