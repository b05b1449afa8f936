//! Network faults: partitions between groups of nodes, and spikes of loss or latency on links.

use super::{FaultEvent, FaultModel, later};
use crate::model::{DurationDist, NodeId};
use crate::sim::{SimRng, SimTime};

/// Cuts every link between a node of `a` and a node of `b`, both directions, while active.
/// Reliable channels keep retransmitting and deliver after the partition heals; datagrams
/// (heartbeats) are lost.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPartition {
    /// One side.
    pub a: Vec<NodeId>,
    /// The other side.
    pub b: Vec<NodeId>,
}

impl NetworkPartition {
    /// Whether the partition separates `x` and `y`.
    pub fn separates(&self, x: NodeId, y: NodeId) -> bool {
        (self.a.contains(&x) && self.b.contains(&y)) || (self.a.contains(&y) && self.b.contains(&x))
    }
}

/// Degrades every link between `a` and `b` (both directions) while active: each transmission
/// is additionally lost with probability `extra_loss`, and `extra_latency` is added to it.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpike {
    /// One side.
    pub a: Vec<NodeId>,
    /// The other side.
    pub b: Vec<NodeId>,
    /// Extra loss probability per transmission.
    pub extra_loss: f64,
    /// Extra latency per transmission.
    pub extra_latency: DurationDist,
}

impl LinkSpike {
    /// Whether the spike affects the link between `x` and `y`.
    pub fn affects(&self, x: NodeId, y: NodeId) -> bool {
        (self.a.contains(&x) && self.b.contains(&y)) || (self.a.contains(&y) && self.b.contains(&x))
    }
}

/// A fault that starts after a random gap, lasts a random duration, and recurs: random
/// partitions, loss or delay spikes, hangs and stragglers. `start` and `end` are the events
/// to emit (e.g. `PartitionStart { partition: 0 }` and `PartitionEnd { partition: 0 }`).
#[derive(Debug)]
pub struct RecurringFaults {
    start: FaultEvent,
    end: FaultEvent,
    gap: DurationDist,
    duration: DurationDist,
    pending_end: Option<SimTime>,
    last_end: SimTime,
}

impl RecurringFaults {
    /// Episodes of `start`…`end`, separated by `gap`, lasting `duration`.
    pub fn new(
        start: FaultEvent,
        end: FaultEvent,
        gap: DurationDist,
        duration: DurationDist,
    ) -> Self {
        Self {
            start,
            end,
            gap,
            duration,
            pending_end: None,
            last_end: SimTime::ZERO,
        }
    }
}

impl FaultModel for RecurringFaults {
    fn next_fault(&mut self, _now: SimTime, rng: &mut SimRng) -> Option<(SimTime, FaultEvent)> {
        if let Some(end) = self.pending_end.take() {
            self.last_end = end;
            return Some((end, self.end));
        }
        let start = later(self.last_end, self.gap.sample(rng));
        // Zero-length episodes would start and end at once; keep at least one nanosecond.
        let end = later(start, self.duration.sample(rng))
            .max(later(start, crate::sim::SimDuration::from_nanos(1)));
        self.pending_end = Some(end);
        Some((start, self.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::FaultPlan;
    use crate::sim::SimDuration;

    #[test]
    fn partition_separates_only_across_its_sides() {
        let p = NetworkPartition {
            a: vec![NodeId(0), NodeId(1)],
            b: vec![NodeId(2)],
        };
        assert!(p.separates(NodeId(0), NodeId(2)) && p.separates(NodeId(2), NodeId(1)));
        assert!(!p.separates(NodeId(0), NodeId(1)) && !p.separates(NodeId(3), NodeId(2)));
    }

    #[test]
    fn recurring_episodes_alternate_and_never_overlap() {
        let mut models: Vec<Box<dyn FaultModel>> = vec![Box::new(RecurringFaults::new(
            FaultEvent::PartitionStart { partition: 0 },
            FaultEvent::PartitionEnd { partition: 0 },
            DurationDist::exp(5e9),
            DurationDist::Const(SimDuration::from_millis(500)),
        ))];
        let plan = FaultPlan::generate(
            &mut models,
            SimTime::from_secs_f64(200.0),
            3,
            0,
            vec![],
            vec![],
        );
        assert!(plan.events.len() > 20);
        for (k, (_, e)) in plan.events.iter().enumerate() {
            let expected_start = k % 2 == 0;
            assert_eq!(
                matches!(e, FaultEvent::PartitionStart { .. }),
                expected_start,
                "{plan:?}"
            );
        }
    }
}
