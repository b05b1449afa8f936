//! Fault models: what goes wrong, and when.
//!
//! Every fault model draws from its own random stream (`Stream::Faults`, index = the model's
//! position in the scenario), independently of the world's state, and the whole plan for a
//! replication is generated before it starts. Every variant of a comparison therefore meets
//! the same faults at the same times (common random numbers), and adding a model never shifts
//! another model's draws.
//!
//! Faults that depend on what the system does — a poison event crashes the instance that
//! processes it — are properties of the plan's targets, applied by the world when they fire.

mod crash;
mod crews;
mod network;
mod scripted;
mod standby;

use std::fmt;

use rand::SeedableRng;

pub use crash::{CrashFaults, GroupCrashFaults};
pub use network::{LinkSpike, NetworkPartition, RecurringFaults};
pub use scripted::ScriptedFaults;
pub use standby::ColdStandbyFaults;

use crate::model::{InstanceId, NodeId};
use crate::sim::{SimDuration, SimRng, SimTime, Stream, derive_seed};

/// One fault or repair, applied by the world when its time comes. Small and `Copy`: it
/// travels through the event queue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FaultEvent {
    /// The node stops: its instances lose their queues and state, it stops sending.
    NodeCrash {
        /// The node.
        node: NodeId,
    },
    /// The node is repaired and boots (its instances restart per the recovery policy).
    NodeRepair {
        /// The node.
        node: NodeId,
    },
    /// Network partition number `partition` (see [`FaultPlan::partitions`]) begins.
    PartitionStart {
        /// Index into the plan's partitions.
        partition: u16,
    },
    /// Network partition number `partition` heals.
    PartitionEnd {
        /// Index into the plan's partitions.
        partition: u16,
    },
    /// Link spike number `spike` (see [`FaultPlan::spikes`]) begins.
    SpikeStart {
        /// Index into the plan's spikes.
        spike: u16,
    },
    /// Link spike number `spike` ends.
    SpikeEnd {
        /// Index into the plan's spikes.
        spike: u16,
    },
    /// The instance stops serving events (a hang) while its node keeps sending heartbeats.
    HangStart {
        /// The instance.
        instance: InstanceId,
    },
    /// The hang ends by itself.
    HangEnd {
        /// The instance.
        instance: InstanceId,
    },
    /// Service on the node becomes `factor` times slower (a straggler).
    SlowStart {
        /// The node.
        node: NodeId,
        /// Slow-down factor (> 1 is slower).
        factor: f64,
    },
    /// The node's speed returns to normal.
    SlowEnd {
        /// The node.
        node: NodeId,
    },
    /// From now on, events with this key crash the instance that processes them.
    PoisonKey {
        /// The key.
        key: u64,
    },
}

/// Produces the faults of one kind for one replication.
pub trait FaultModel: fmt::Debug {
    /// The next fault strictly after `now`, or `None` when this model has nothing left.
    fn next_fault(&mut self, now: SimTime, rng: &mut SimRng) -> Option<(SimTime, FaultEvent)>;
}

/// Every fault of one replication, in time order, with the partition and spike descriptions
/// the events refer to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    /// Faults in time order; ties keep model order, then generation order.
    pub events: Vec<(SimTime, FaultEvent)>,
    /// Network partitions referred to by `PartitionStart`/`PartitionEnd`.
    pub partitions: Vec<NetworkPartition>,
    /// Link spikes referred to by `SpikeStart`/`SpikeEnd`.
    pub spikes: Vec<LinkSpike>,
    /// The first model (by index) that had more than [`MAX_FAULTS_PER_MODEL`] events before
    /// the horizon: its events stop at the cap, so the plan is incomplete and the
    /// replication must not run on it.
    pub capped: Option<usize>,
}

impl FaultPlan {
    /// Draws every fault before `horizon` from `models`, model `i` using the faults stream
    /// `derive_seed(master, replication, Faults, i)`.
    pub fn generate(
        models: &mut [Box<dyn FaultModel>],
        horizon: SimTime,
        master_seed: u64,
        replication: u32,
        partitions: Vec<NetworkPartition>,
        spikes: Vec<LinkSpike>,
    ) -> Self {
        let mut events = Vec::new();
        let mut capped = None;
        for (i, model) in models.iter_mut().enumerate() {
            let mut rng = SimRng::seed_from_u64(derive_seed(
                master_seed,
                replication,
                Stream::Faults,
                i as u32,
            ));
            let mut now = SimTime::ZERO;
            let mut count = 0u32;
            while let Some((at, fault)) = model.next_fault(now, &mut rng) {
                if at >= horizon {
                    break;
                }
                events.push((at, fault));
                now = at;
                count += 1;
                // A model producing a million faults in one replication is a scenario mistake
                // (e.g. a mean time to failure of microseconds); validation refuses models
                // expected to, and this guard keeps a run bounded whatever the draws. Cut
                // short only if another event was due before the horizon: a plan that
                // merely reaches the cap is complete.
                if count >= MAX_FAULTS_PER_MODEL {
                    if capped.is_none()
                        && model
                            .next_fault(now, &mut rng)
                            .is_some_and(|(at, _)| at < horizon)
                    {
                        capped = Some(i);
                    }
                    break;
                }
            }
        }
        // Stable: equal times keep model order, then generation order.
        events.sort_by_key(|&(at, _)| at);
        Self {
            events,
            partitions,
            spikes,
            capped,
        }
    }
}

/// Upper bound on faults one model may produce in one replication.
pub const MAX_FAULTS_PER_MODEL: u32 = 1_000_000;

/// Takes the earliest pending event of a per-node table; ties go to the lower node index.
pub(crate) fn take_earliest(
    next: &mut [Option<(SimTime, FaultEvent)>],
) -> Option<(usize, SimTime, FaultEvent)> {
    let (k, _) = next
        .iter()
        .enumerate()
        .filter_map(|(k, e)| e.map(|(at, _)| (k, at)))
        .min_by_key(|&(k, at)| (at, k))?;
    let (at, event) = next[k].take().expect("selected entry exists");
    Some((k, at, event))
}

/// Adds `d` to `t`, saturating at "never" so that absurd samples cannot overflow the clock.
pub(crate) fn later(t: SimTime, d: SimDuration) -> SimTime {
    SimTime::from_nanos(t.as_nanos().saturating_add(d.as_nanos()))
}

/// A fault model as plain data, built into a fresh [`FaultModel`] for each replication.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultModelConfig {
    /// Crash/repair cycles per node, independent or sharing repair crews.
    Crash {
        /// Nodes covered.
        nodes: Vec<NodeId>,
        /// Time to failure.
        ttf: crate::model::DurationDist,
        /// Time to repair.
        repair: crate::model::DurationDist,
        /// Repair crews shared by the nodes; `None`: one per node (independent cycles).
        crews: Option<u32>,
    },
    /// Correlated crash/repair cycles of a group.
    GroupCrash {
        /// The group.
        nodes: Vec<NodeId>,
        /// Time to failure.
        ttf: crate::model::DurationDist,
        /// Time to repair.
        repair: crate::model::DurationDist,
    },
    /// `active` of `nodes` run and fail; the others wait cold and do not fail.
    ColdStandby {
        /// The nodes; the first `active` run first.
        nodes: Vec<NodeId>,
        /// How many run at once.
        active: u32,
        /// Time to failure of a running node.
        ttf: crate::model::DurationDist,
        /// Time to repair.
        repair: crate::model::DurationDist,
        /// Repair crews; `None`: one per node.
        crews: Option<u32>,
    },
    /// Recurring episodes between a start and an end event.
    Recurring {
        /// Event starting an episode.
        start: FaultEvent,
        /// Event ending it.
        end: FaultEvent,
        /// Gap between episodes.
        gap: crate::model::DurationDist,
        /// Length of an episode.
        duration: crate::model::DurationDist,
    },
    /// Faults at fixed times.
    Scripted(Vec<(SimTime, FaultEvent)>),
}

impl FaultModelConfig {
    /// A fresh model for one replication.
    pub fn build(&self) -> Box<dyn FaultModel> {
        match self {
            Self::Crash {
                nodes,
                ttf,
                repair,
                crews,
            } => Box::new(
                CrashFaults::new(nodes.clone(), ttf.clone(), repair.clone()).with_crews(*crews),
            ),
            Self::GroupCrash { nodes, ttf, repair } => Box::new(GroupCrashFaults::new(
                nodes.clone(),
                ttf.clone(),
                repair.clone(),
            )),
            Self::ColdStandby {
                nodes,
                active,
                ttf,
                repair,
                crews,
            } => Box::new(ColdStandbyFaults::new(
                nodes.clone(),
                *active as usize,
                ttf.clone(),
                repair.clone(),
                *crews,
            )),
            Self::Recurring {
                start,
                end,
                gap,
                duration,
            } => Box::new(RecurringFaults::new(
                *start,
                *end,
                gap.clone(),
                duration.clone(),
            )),
            Self::Scripted(events) => Box::new(ScriptedFaults::new(events.clone())),
        }
    }
}

/// Everything needed to draw a replication's fault plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultSetup {
    /// Fault models, in scenario order (model i uses faults stream i).
    pub models: Vec<FaultModelConfig>,
    /// Partitions referred to by partition events.
    pub partitions: Vec<NetworkPartition>,
    /// Link spikes referred to by spike events.
    pub spikes: Vec<LinkSpike>,
}

impl FaultSetup {
    /// Whether the scenario has no faults at all.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// The fault plan of one replication.
    pub fn plan(&self, horizon: SimTime, master_seed: u64, replication: u32) -> FaultPlan {
        let mut models: Vec<Box<dyn FaultModel>> = self.models.iter().map(|m| m.build()).collect();
        FaultPlan::generate(
            &mut models,
            horizon,
            master_seed,
            replication,
            self.partitions.clone(),
            self.spikes.clone(),
        )
    }
}

/// Checks of fault plans shared by the fault models' tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::VecDeque;

    use super::{FaultEvent, FaultPlan};
    use crate::model::NodeId;
    use crate::sim::{SimDuration, SimTime};

    /// Seconds in `[0, horizon_s)` during which all of nodes `0..n` are down.
    pub(crate) fn all_down_seconds(plan: &FaultPlan, n: usize, horizon_s: f64) -> f64 {
        let mut down = vec![false; n];
        let mut since: Option<SimTime> = None;
        let mut total = 0.0;
        for &(at, e) in &plan.events {
            match e {
                FaultEvent::NodeCrash { node } => down[node.index()] = true,
                FaultEvent::NodeRepair { node } => down[node.index()] = false,
                _ => continue,
            }
            let all = down.iter().all(|&d| d);
            match (all, since) {
                (true, None) => since = Some(at),
                (false, Some(s)) => {
                    total += (at - s).as_secs_f64();
                    since = None;
                }
                _ => {}
            }
        }
        if let Some(s) = since {
            total += horizon_s - s.as_secs_f64();
        }
        total
    }

    /// Replays `plan` as one repair crew with the constant repair time `repair`, serving
    /// failed nodes first failed, first served: every repair must end exactly `repair` after
    /// the later of its node's crash and the previous repair's end, so no two repairs are
    /// ever in progress at once. Returns how many repairs had to wait for the crew.
    pub(crate) fn check_one_crew(plan: &FaultPlan, repair: SimDuration) -> Result<usize, String> {
        let mut queue: VecDeque<(SimTime, NodeId)> = VecDeque::new();
        let mut crew_free_at = SimTime::ZERO;
        let mut waited = 0;
        for (i, &(at, e)) in plan.events.iter().enumerate() {
            match e {
                FaultEvent::NodeCrash { node } => queue.push_back((at, node)),
                FaultEvent::NodeRepair { node } => {
                    let (crashed, first) = queue
                        .pop_front()
                        .ok_or_else(|| format!("event {i}: repair of {node:?} with none down"))?;
                    if first != node {
                        return Err(format!(
                            "event {i}: {node:?} repaired before {first:?}, which failed first"
                        ));
                    }
                    let start = crashed.max(crew_free_at);
                    if start > crashed {
                        waited += 1;
                    }
                    if at != start + repair {
                        return Err(format!(
                            "event {i}: {node:?} repaired at {at:?}; one crew finishes it at {:?}",
                            start + repair
                        ));
                    }
                    crew_free_at = at;
                }
                other => return Err(format!("event {i}: unexpected {other:?}")),
            }
        }
        Ok(waited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scripted(n: u64) -> Vec<Box<dyn FaultModel>> {
        let events = (0..n)
            .map(|k| (SimTime::from_nanos(k + 1), FaultEvent::PoisonKey { key: k }))
            .collect();
        vec![Box::new(ScriptedFaults::new(events))]
    }

    #[test]
    fn a_plan_is_marked_capped_only_when_events_were_cut() {
        let cap = u64::from(MAX_FAULTS_PER_MODEL);
        let horizon = SimTime::from_nanos(10 * cap);
        let exact = FaultPlan::generate(&mut scripted(cap), horizon, 1, 0, vec![], vec![]);
        assert_eq!((exact.events.len() as u64, exact.capped), (cap, None));
        let over = FaultPlan::generate(&mut scripted(cap + 1), horizon, 1, 0, vec![], vec![]);
        assert_eq!((over.events.len() as u64, over.capped), (cap, Some(0)));
        // The extra event falls after the horizon: nothing was cut.
        let short = SimTime::from_nanos(cap + 1);
        let past = FaultPlan::generate(&mut scripted(cap + 1), short, 1, 0, vec![], vec![]);
        assert_eq!(past.capped, None);
    }
}
