//! Checkpoints in the world: triggers, in-band barriers, snapshots, acknowledgements and the
//! checkpoint-progress watchdog. The protocol is described in [`crate::ft::checkpoint`].

use super::{Event, StateCopy, Status, World, barrier};
use crate::ft::SnapshotMode;
use crate::model::{Graph, InstanceId, NodeId, OperatorId, OperatorKind, Routing};
use crate::sim::{Ctx, SimTime};

/// Barriers an instance of `op` receives per checkpoint: one per input channel, i.e. per
/// upstream instance that can send to it.
pub(super) fn expected_barriers(graph: &Graph, op: OperatorId) -> u32 {
    graph
        .edges
        .iter()
        .filter(|e| e.to == op)
        .map(|e| match e.routing {
            Routing::Forward => 1,
            _ => graph.operator(e.from).parallelism,
        })
        .sum()
}

/// The input channel a barrier arrives on, as its receiver tells channels apart: the
/// sender's logical instance and the position of the edge among the sender's outputs (capped
/// at 4095: an operator with more output edges shares channel numbers beyond).
pub(super) fn barrier_channel(sender: InstanceId, output: usize) -> u32 {
    sender.0 << 12 | output.min(4095) as u32
}

impl World<'_> {
    /// Node of the checkpoint coordinator.
    fn coordinator_node(&self) -> NodeId {
        self.ft
            .coordinator
            .expect("validation requires a coordinator for checkpoints")
    }

    /// Arrival time of a control message from `from` to `to` sent now.
    pub(super) fn control_arrival(&mut self, from: NodeId, to: NodeId, now: SimTime) -> SimTime {
        self.control_messages += 1;
        if from == to {
            return now;
        }
        let condition = self.link_condition(from, to);
        self.channels
            .send_control(&self.scenario.cluster.network, from, to, now, &condition)
    }

    pub(super) fn on_checkpoint_tick(&mut self, cx: &mut Ctx<'_, Event>) {
        let config = self
            .ft
            .checkpoint
            .as_ref()
            .expect("ticks only with checkpoints");
        let (interval, watchdog) = (config.interval, config.watchdog);
        cx.schedule_in(interval, Event::CheckpointTick);
        let coordinator = self.coordinator_node();
        let now = cx.now();
        // Under local replay a checkpoint waits until every instance runs: one started
        // while an instance is being replaced could never complete. Under active
        // replication, until every logical instance has a running copy.
        let replacing = if self.groups.is_empty() {
            self.local && self.instances.iter().any(|s| s.status != Status::Running)
        } else {
            self.some_unit_lost(true)
        };
        if self.recovering || replacing || !self.nodes[coordinator.index()].up {
            return;
        }
        let Some(id) = self.checkpoints.as_mut().and_then(|c| c.start(now)) else {
            return;
        };
        for i in 0..self.instances.len() {
            if matches!(self.instances[i].op.kind, OperatorKind::Source { .. }) {
                let node = self.instances[i].node;
                let at = self.control_arrival(coordinator, node, now);
                cx.schedule_at(
                    at,
                    Event::CheckpointTrigger {
                        instance: InstanceId(i as u32),
                        checkpoint: id,
                    },
                );
            }
        }
        if let Some(w) = watchdog {
            cx.schedule_in(w, Event::WatchdogCheck { checkpoint: id });
        }
    }

    /// A source records its offset, sends the barrier downstream and acknowledges.
    pub(super) fn on_checkpoint_trigger(
        &mut self,
        i: InstanceId,
        checkpoint: u32,
        cx: &mut Ctx<'_, Event>,
    ) {
        let state = &mut self.instances[i.index()];
        if state.status != Status::Running || self.recovering {
            return;
        }
        let next_seq = state
            .source
            .as_ref()
            .expect("triggers go to sources")
            .next_seq;
        // Events still waiting at the source (flow control) come after the barrier.
        let offset = self.source_offset(i, next_seq);
        let src = self.instances[i.index()]
            .source
            .as_mut()
            .expect("triggers go to sources");
        src.offsets.push((checkpoint, offset));
        self.forward_barrier(i, checkpoint, cx);
        self.send_ack(i, checkpoint, cx);
    }

    /// Sends barrier `checkpoint` to every downstream instance this one can send to.
    fn forward_barrier(&mut self, i: InstanceId, checkpoint: u32, cx: &mut Ctx<'_, Event>) {
        let op = self.instances[i.index()].op;
        let index = self.instances[i.index()].index;
        if let Some(log) = self.instances[i.index()].log.as_mut() {
            log.mark(checkpoint);
        }
        let logical = self.instances[i.index()].logical;
        for (k, &edge_id) in op.outputs.iter().enumerate() {
            let edge = &self.scenario.graph.edges[edge_id.index()];
            let to_op = self.scenario.graph.operator(edge.to);
            let targets: Vec<InstanceId> = match edge.routing {
                Routing::Forward => vec![to_op.instance(index)],
                _ => to_op.instances().collect(),
            };
            let b = barrier(checkpoint, barrier_channel(logical, k), cx.now());
            for to in targets {
                self.send(i, to, b, cx);
            }
        }
    }

    /// Instance `i` acknowledges `checkpoint` for its logical instance (under active
    /// replication the first copy's acknowledgement counts).
    fn send_ack(&mut self, i: InstanceId, checkpoint: u32, cx: &mut Ctx<'_, Event>) {
        let from = self.instances[i.index()].node;
        let coordinator = self.coordinator_node();
        let at = self.control_arrival(from, coordinator, cx.now());
        cx.schedule_at(
            at,
            Event::CheckpointAck {
                instance: self.instances[i.index()].logical,
                checkpoint,
            },
        );
    }

    /// State an instance would write to a snapshot now \[bytes\].
    fn state_bytes(&self, i: InstanceId) -> u64 {
        let s = &self.instances[i.index()];
        let keys = match s.op.kind {
            OperatorKind::Window { .. } => s.window.len(),
            _ => s.keys.len(),
        };
        keys as u64 * s.op.state_bytes_per_key
    }

    /// Barrier `checkpoint` reached the head of instance `i`'s queue (or an idle instance).
    pub(super) fn on_barrier(&mut self, i: InstanceId, key: u64, cx: &mut Ctx<'_, Event>) {
        let (checkpoint, channel) = (key as u32, (key >> 32) as u32);
        let replicated = !self.groups.is_empty();
        let state = &mut self.instances[i.index()];
        if state.incomplete.is_some() {
            return; // a rebuilt copy takes no part until its stream is whole again
        }
        if checkpoint < state.barriers.0 {
            return; // a late copy of an older checkpoint's barrier
        }
        if state.barriers.0 != checkpoint {
            state.barriers = (checkpoint, 0);
            state.barrier_channels.clear();
        }
        if replicated {
            if state.barrier_channels.contains(&channel) {
                return; // another copy of the same upstream instance sent it first
            }
            state.barrier_channels.push(channel);
        }
        state.barriers.1 += 1;
        if state.barriers.1 < state.expected_barriers {
            return;
        }
        state.last_barrier = checkpoint;
        if self.standby_sync_continuous {
            let applied = state.applied.len();
            state.applied_marks.push((checkpoint, applied));
        }
        if matches!(state.op.kind, OperatorKind::Sink) {
            self.send_ack(i, checkpoint, cx);
            return;
        }
        let config = self
            .ft
            .checkpoint
            .as_ref()
            .expect("barriers only with checkpoints");
        // Under upstream backup the barrier only acknowledges progress: no state is written.
        let bytes = if self.strategy.snapshots_state() {
            self.state_bytes(i)
        } else {
            0
        };
        let duration = config.snapshot_time(bytes);
        let mode = config.mode;
        self.checkpoint_bytes += bytes;
        let state = &mut self.instances[i.index()];
        if self.strategy.snapshots_state() && (state.window.len() > 0 || state.keys.len() > 0) {
            state.snapshots.push((
                checkpoint,
                StateCopy {
                    keys: state.keys.clone(),
                    window: state.window.clone(),
                },
            ));
        }
        let epoch = state.epoch;
        match mode {
            SnapshotMode::Sync => {
                state.paused = true;
                state.refresh_serving();
            }
            SnapshotMode::Async => self.forward_barrier(i, checkpoint, cx),
        }
        cx.schedule_in(
            duration,
            Event::SnapshotDone {
                instance: i,
                epoch,
                checkpoint,
            },
        );
    }

    pub(super) fn on_snapshot_done(
        &mut self,
        i: InstanceId,
        epoch: u32,
        checkpoint: u32,
        cx: &mut Ctx<'_, Event>,
    ) {
        let state = &mut self.instances[i.index()];
        if state.epoch != epoch {
            return; // the instance crashed meanwhile: the snapshot is lost
        }
        if std::mem::replace(&mut state.paused, false) {
            state.refresh_serving();
            let node = state.node;
            self.forward_barrier(i, checkpoint, cx);
            if self.nodes[node.index()].up {
                self.wake(i, node, cx);
            }
        }
        self.send_ack(i, checkpoint, cx);
    }

    pub(super) fn on_checkpoint_ack(
        &mut self,
        i: InstanceId,
        checkpoint: u32,
        cx: &mut Ctx<'_, Event>,
    ) {
        let now = cx.now();
        if !self.nodes[self.coordinator_node().index()].up {
            return;
        }
        let completed = self
            .checkpoints
            .as_mut()
            .is_some_and(|c| c.ack(checkpoint, i.index(), now));
        if !completed {
            return;
        }
        let previous = std::mem::replace(&mut self.last_completed, checkpoint);
        // Sources may forget what precedes the completed checkpoint's offsets.
        for s in &mut self.instances {
            if let Some(src) = s.source.as_mut()
                && let Some(k) = src.offsets.iter().position(|&(id, _)| id == checkpoint)
            {
                let offset = src.offsets[k].1;
                src.offsets.drain(..=k);
                while src
                    .retained
                    .front()
                    .is_some_and(|e| e.id & ((1 << crate::metrics::SEQ_BITS) - 1) < offset)
                {
                    src.retained.pop_front();
                }
                src.unsent = src.unsent.min(src.retained.len() as u64);
            }
            // Older snapshots are superseded. Applied ids are kept back to the previous
            // complete checkpoint's mark, not this one's: barriers are counted, not aligned,
            // so an event sent after its sender's barrier n (and kept in that sender's log
            // until checkpoint n + 1) may have been applied before this instance's barrier n
            // was complete — but never before its barrier n − 1 was.
            s.snapshots.retain(|(c, _)| *c >= checkpoint);
            if let Some(k) = s.applied_marks.iter().position(|&(c, _)| c == checkpoint) {
                let upto = s
                    .applied_marks
                    .iter()
                    .find(|&&(c, _)| c == previous)
                    .map_or(0, |&(_, at)| at);
                s.applied.drain(..upto);
                s.applied_marks.drain(..k);
                s.applied_marks.iter_mut().for_each(|m| m.1 -= upto);
            }
        }
        self.trim_logs(checkpoint);
        if !self.groups.is_empty() {
            self.complete_copies_at(checkpoint);
        }
    }

    /// Checkpoint-progress watchdog: instances that have not acknowledged `checkpoint` by now
    /// are suspected (a hang keeps heartbeats flowing but stops barriers) and the job rolls
    /// back, restarting them.
    pub(super) fn on_watchdog_check(&mut self, checkpoint: u32, cx: &mut Ctx<'_, Event>) {
        if self.recovering || !self.nodes[self.coordinator_node().index()].up {
            return;
        }
        let laggards = self
            .checkpoints
            .as_ref()
            .map(|c| c.laggards(checkpoint))
            .unwrap_or_default();
        // Only live instances are the watchdog's business; dead ones are the detector's.
        let stuck: Vec<usize> = laggards
            .into_iter()
            .filter(|&i| {
                self.instances[i].status == Status::Running
                    && self.nodes[self.instances[i].node.index()].up
            })
            .collect();
        if stuck.is_empty() {
            return;
        }
        let now = cx.now();
        for &i in &stuck {
            self.recorder.watchdog_suspicion(i as u32, now);
        }
        if self.rolls_back_globally() {
            self.global_rollback(cx);
        } else {
            // Only the stuck instances are fenced off and replaced.
            for &i in &stuck {
                self.crash_instance(InstanceId(i as u32), now);
                self.restart(InstanceId(i as u32), cx);
            }
            self.after_failure(cx);
        }
    }
}
