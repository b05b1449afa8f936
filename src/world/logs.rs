//! Upstream output logs, for recovery that replays only to the failed instances (local
//! rollback, passive promotion, upstream backup).
//!
//! Every instance keeps what it sent to each downstream logical instance since that
//! instance last made it durable, one FIFO per target. When an instance forwards barrier n
//! it marks every FIFO's position; when checkpoint n completes, each FIFO drops what
//! precedes its mark — or, under upstream backup towards a window, what precedes the mark of
//! the last checkpoint whose barrier the window had folded in before it last emitted (its
//! open window is rebuilt from the log). A crash loses a non-source instance's log (it is
//! memory); a source's log survives (the source stands for a replayable topic).

use std::collections::VecDeque;

use super::{Event, Status, World};
use crate::model::{DataEvent, InstanceId, OperatorKind, Routing};
use crate::sim::{Ctx, SimTime};

/// What one instance sent, per downstream logical instance, since it became durable there.
#[derive(Clone, Debug, Default)]
pub(super) struct OutputLog {
    /// One FIFO per (output edge, downstream instance): slot `edge_offset[k] + t`.
    slots: Vec<VecDeque<DataEvent>>,
    /// Per slot: events ever pushed (an absolute position).
    pushed: Vec<u64>,
    /// Per output edge: its first slot.
    edge_offset: Vec<usize>,
    /// Per slot: the downstream logical instance.
    target: Vec<InstanceId>,
    /// (checkpoint, per-slot position when its barrier was forwarded), oldest first.
    marks: Vec<(u32, Vec<u64>)>,
}

impl OutputLog {
    /// An empty log for an instance whose operator sends along `edges` (each edge: its
    /// downstream operator's first instance and parallelism).
    pub(super) fn new(edges: impl Iterator<Item = (InstanceId, u32)>) -> Self {
        let mut log = Self::default();
        for (first, parallelism) in edges {
            log.edge_offset.push(log.slots.len());
            for t in 0..parallelism {
                log.slots.push(VecDeque::new());
                log.pushed.push(0);
                log.target.push(InstanceId(first.0 + t));
            }
        }
        log
    }

    /// Records `event` sent along output edge `edge` to its downstream instance `t`.
    #[inline]
    pub(super) fn push(&mut self, edge: usize, t: u32, event: DataEvent) {
        let s = self.edge_offset[edge] + t as usize;
        self.slots[s].push_back(event);
        self.pushed[s] += 1;
    }

    /// Barrier `checkpoint` left this instance: remember every slot's position.
    pub(super) fn mark(&mut self, checkpoint: u32) {
        self.marks.push((checkpoint, self.pushed.clone()));
    }

    /// Drops, per slot, what precedes the mark of `durable(target)` (a checkpoint id; slots
    /// whose mark is gone or not yet made keep everything), then marks no slot needs.
    pub(super) fn trim(&mut self, durable: impl Fn(InstanceId) -> u32) {
        let mut oldest_needed = u32::MAX;
        for s in 0..self.slots.len() {
            let d = durable(self.target[s]);
            oldest_needed = oldest_needed.min(d);
            let Some((_, positions)) = self.marks.iter().find(|(c, _)| *c == d) else {
                continue;
            };
            let keep = (self.pushed[s] - positions[s]) as usize;
            let slot = &mut self.slots[s];
            let drop = slot.len().saturating_sub(keep);
            slot.drain(..drop);
        }
        self.marks.retain(|(c, _)| *c >= oldest_needed);
    }

    /// Forgets everything (a crash: the log was in memory).
    pub(super) fn clear(&mut self) {
        self.slots.iter_mut().for_each(VecDeque::clear);
        self.marks.clear();
    }

    /// Records `event` sent to downstream instance `target` outside the normal routing (sent
    /// again after its first send was voided on the wire); false if `target` is not
    /// downstream.
    pub(super) fn push_for(&mut self, target: InstanceId, event: DataEvent) -> bool {
        match self.target.iter().position(|&t| t == target) {
            Some(s) => {
                self.slots[s].push_back(event);
                self.pushed[s] += 1;
                true
            }
            None => false,
        }
    }

    /// Events logged for `target`, oldest first.
    pub(super) fn for_target(&self, target: InstanceId) -> impl Iterator<Item = DataEvent> + '_ {
        self.target
            .iter()
            .zip(&self.slots)
            .filter(move |(t, _)| **t == target)
            .flat_map(|(_, slot)| slot.iter().copied())
    }

    /// Events held, for the end-of-run pending set.
    pub(super) fn events(&self) -> impl Iterator<Item = &DataEvent> + '_ {
        self.slots.iter().flatten()
    }
}

impl World<'_> {
    /// The output log an instance of `op` keeps, if the variant replays locally.
    pub(super) fn new_log(&self, op: &crate::model::Operator) -> Option<OutputLog> {
        if !self.local || op.outputs.is_empty() {
            return None;
        }
        let graph = self.graph();
        Some(OutputLog::new(op.outputs.iter().map(|&e| {
            let to = graph.operator(graph.edges[e.index()].to);
            (to.first_instance, to.parallelism)
        })))
    }

    /// Checkpoint `checkpoint` completed: logs drop what every target has made durable.
    pub(super) fn trim_logs(&mut self, checkpoint: u32) {
        let upstream_backup = !self.strategy.snapshots_state();
        // Under upstream backup a window's open contents live only in the logs: keep what
        // it folded in since the last checkpoint before its last emission.
        let durable: Vec<u32> = self
            .instances
            .iter()
            .map(|s| match s.op.kind {
                OperatorKind::Window { .. } if upstream_backup => s.durable.min(checkpoint),
                _ => checkpoint,
            })
            .collect();
        for s in &mut self.instances {
            if let Some(log) = s.log.as_mut() {
                log.trim(|t| durable[t.index()]);
            }
        }
    }

    /// Sends instance `x` (just restored) what its upstream instances logged for it, oldest
    /// first; under continuous standby sync, minus what the failed primary had applied.
    ///
    /// An upstream instance that is down itself cannot send now. A source's log survives its
    /// crash: the source owes `x` its log and pays when it restarts
    /// ([`Self::pay_owed_replays`]). Any other instance's log died with it; its own recovery
    /// re-emits its output, including what `x` already applied — so the episode of `x` falls
    /// back (duplicates possible).
    pub(super) fn replay_to(&mut self, x: InstanceId, cx: &mut Ctx<'_, Event>) {
        let graph = self.graph();
        let operator = self.instances[x.index()].operator;
        let index = self.instances[x.index()].index;
        let mut senders: Vec<InstanceId> = Vec::new();
        for edge in graph.edges.iter().filter(|e| e.to == operator) {
            let from = graph.operator(edge.from);
            match edge.routing {
                Routing::Forward => senders.push(from.instance(index)),
                _ => senders.extend(from.instances()),
            }
        }
        senders.sort_unstable_by_key(|u| u.0);
        senders.dedup();
        let logical = self.instances[x.index()].logical.index();
        // A downstream instance that failed since the last checkpoint lost what `x` sent it,
        // and `x`'s log died with `x`: `x` must process everything since the checkpoint
        // again (not only what its standby had not applied) so that it re-emits it.
        let receivers: Vec<InstanceId> = graph
            .edges
            .iter()
            .filter(|e| e.from == operator)
            .flat_map(|e| {
                let to = graph.operator(e.to);
                match e.routing {
                    Routing::Forward => vec![to.instance(index)],
                    _ => to.instances().collect(),
                }
            })
            .collect();
        if receivers.iter().any(|&y| self.crashed_since_checkpoint(y)) {
            self.instances[x.index()].applied.clear();
            self.instances[x.index()].applied_marks.clear();
            self.recorder.fall_back(logical);
        }
        for u in senders {
            let s = &self.instances[u.index()];
            if s.source.is_none() && self.crashed_since_checkpoint(u) {
                // Its log died with it: what it re-emits after its own recovery includes
                // events `x` already applied.
                self.recorder.fall_back(logical);
            }
            let s = &self.instances[u.index()];
            if s.status == Status::Running {
                self.resend_log(u, x, cx);
            } else if s.source.is_some() {
                if !self.owed.contains(&(u, x)) {
                    self.owed.push((u, x));
                }
            } else {
                self.recorder.fall_back(logical);
            }
        }
    }

    /// Whether instance `i` crashed after the last complete checkpoint started (everything
    /// since it counts: logs hold what followed it). Since its start, not its completion: an
    /// instance that acknowledged the checkpoint and crashed before the others did lost what
    /// followed its barrier, though the checkpoint completed after the crash.
    fn crashed_since_checkpoint(&self, i: InstanceId) -> bool {
        let since = self
            .checkpoints
            .as_ref()
            .and_then(|c| c.last_complete_started())
            .unwrap_or(SimTime::ZERO);
        self.instances[i.index()]
            .crashed_at
            .is_some_and(|t| t >= since)
    }

    /// Source `u` runs again: it sends every instance it owes a replay its log for it.
    pub(super) fn pay_owed_replays(&mut self, u: InstanceId, cx: &mut Ctx<'_, Event>) {
        let mut k = 0;
        while k < self.owed.len() {
            let (from, x) = self.owed[k];
            if from != u {
                k += 1;
                continue;
            }
            self.owed.swap_remove(k);
            if self.instances[x.index()].status == Status::Running {
                self.resend_log(u, x, cx);
            }
        }
    }

    /// Sends `x` what `u` logged for it, minus what `x`'s state already reflects (continuous
    /// standby sync).
    fn resend_log(&mut self, u: InstanceId, x: InstanceId, cx: &mut Ctx<'_, Event>) {
        if self.ft.sabotage == Some(crate::ft::Sabotage::SkipReplay) {
            return;
        }
        let Some(log) = &self.instances[u.index()].log else {
            return;
        };
        let mut applied = self.instances[x.index()].applied.clone();
        applied.sort_unstable();
        let resend: Vec<DataEvent> = log
            .for_target(x)
            .filter(|e| applied.binary_search(&e.id).is_err())
            .collect();
        self.recorder.replayed(resend.len() as u64);
        for e in resend {
            self.send_one(u, x, e, cx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimTime;

    fn ev(id: u64) -> DataEvent {
        DataEvent {
            id,
            key: id,
            created: SimTime::ZERO,
            bytes: 1,
        }
    }

    #[test]
    fn trimming_keeps_what_follows_each_targets_durable_mark() {
        // One edge to two instances (ids 5 and 6).
        let mut log = OutputLog::new([(InstanceId(5), 2)].into_iter());
        log.push(0, 0, ev(1));
        log.push(0, 1, ev(2));
        log.mark(1);
        log.push(0, 0, ev(3));
        log.mark(2);
        log.push(0, 1, ev(4));
        // Instance 5 made checkpoint 2 durable, instance 6 only checkpoint 1.
        log.trim(|t| if t == InstanceId(5) { 2 } else { 1 });
        let ids = |log: &OutputLog, t| {
            log.for_target(InstanceId(t))
                .map(|e| e.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&log, 5), Vec::<u64>::new());
        assert_eq!(ids(&log, 6), [4]);
        // Mark 1 is still needed by instance 6; a later trim at 2 for both frees it.
        log.trim(|_| 2);
        assert_eq!(ids(&log, 6), [4]);
        assert_eq!(log.marks.len(), 1);
    }
}
