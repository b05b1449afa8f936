//! Faults at fixed times: written in the scenario, or read from a trace file.

use super::{FaultEvent, FaultModel};
use crate::sim::{SimRng, SimTime};

/// A fixed list of faults, replayed as given (sorted by time, ties in list order).
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedFaults {
    events: Vec<(SimTime, FaultEvent)>,
    next: usize,
}

impl ScriptedFaults {
    /// Faults at the given times.
    pub fn new(mut events: Vec<(SimTime, FaultEvent)>) -> Self {
        events.sort_by_key(|&(at, _)| at);
        Self { events, next: 0 }
    }
}

impl FaultModel for ScriptedFaults {
    fn next_fault(&mut self, _now: SimTime, _rng: &mut SimRng) -> Option<(SimTime, FaultEvent)> {
        let e = self.events.get(self.next).copied();
        self.next += 1;
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::FaultPlan;
    use crate::model::NodeId;

    #[test]
    fn scripted_faults_come_out_sorted_and_complete() {
        let t = SimTime::from_secs_f64;
        let mut models: Vec<Box<dyn FaultModel>> = vec![Box::new(ScriptedFaults::new(vec![
            (t(20.0), FaultEvent::NodeRepair { node: NodeId(1) }),
            (t(10.0), FaultEvent::NodeCrash { node: NodeId(1) }),
            (t(99.0), FaultEvent::NodeCrash { node: NodeId(2) }),
        ]))];
        let plan = FaultPlan::generate(&mut models, t(50.0), 0, 0, vec![], vec![]);
        assert_eq!(
            plan.events,
            vec![
                (t(10.0), FaultEvent::NodeCrash { node: NodeId(1) }),
                (t(20.0), FaultEvent::NodeRepair { node: NodeId(1) }),
            ]
        );
    }
}
