//! Checkpoints in the world: triggers, in-band barriers, snapshots, acknowledgements, the
//! checkpoint-progress watchdog, expiry and failover, and the barrier modes — counting,
//! alignment (blocked inputs) and unaligned snapshots with their in-flight data (see
//! [`Alignment`]). The protocol is described in [`crate::ft::checkpoint`].

use std::collections::VecDeque;

use super::{BARRIER_ID, Event, Queued, StateCopy, Status, World, barrier};
use crate::ft::{BarrierMode, SnapshotMode};
use crate::metrics::EpisodeKind;
use crate::model::{DataEvent, Graph, InstanceId, NodeId, OperatorId, OperatorKind, Routing};
use crate::sim::{Ctx, SimDuration, SimTime};

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
    pub(super) fn coordinator_node(&self) -> NodeId {
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
        cx.schedule_in(config.interval, Event::CheckpointTick);
        self.try_start_checkpoint(cx);
    }

    /// Starts the next checkpoint if the job can take one now: none in progress, no
    /// recovery, the coordinator up, and the least pause since the last one over (else it
    /// starts when the pause ends).
    pub(super) fn try_start_checkpoint(&mut self, cx: &mut Ctx<'_, Event>) {
        let config = self
            .ft
            .checkpoint
            .as_ref()
            .expect("ticks only with checkpoints");
        let (watchdog, timeout, min_pause) = (config.watchdog, config.timeout, config.min_pause);
        let coordinator = self.coordinator_node();
        let now = cx.now();
        if min_pause > SimDuration::ZERO
            && let Some(c) = self.checkpoints.as_ref()
            && c.in_progress().is_none()
        {
            let at = c.may_start_at(min_pause);
            if at > now {
                if !std::mem::replace(&mut self.checkpoint_deferred, true) {
                    cx.schedule_at(at, Event::CheckpointDeferred);
                }
                return;
            }
        }
        self.checkpoint_deferred = false;
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
        if let Some(t) = timeout {
            cx.schedule_in(t, Event::CheckpointExpire { checkpoint: id });
        }
    }

    /// Checkpoint `checkpoint`'s timeout: if still in progress it expires — aborted, a failed
    /// checkpoint — and beyond the tolerated failures in a row the job fails over, restarting
    /// what had not acknowledged (a global rollback where failures roll back globally).
    pub(super) fn on_checkpoint_expire(&mut self, checkpoint: u32, cx: &mut Ctx<'_, Event>) {
        if !self.nodes[self.coordinator_node().index()].up {
            return;
        }
        let now = cx.now();
        let Some(c) = self.checkpoints.as_mut() else {
            return;
        };
        let laggards = c.laggards(checkpoint);
        let Some(failed) = c.expire(checkpoint, now) else {
            return;
        };
        self.end_alignments(cx);
        let tolerable = self.ft.checkpoint.as_ref().and_then(|c| c.tolerable_failed);
        if tolerable.is_none_or(|t| failed <= t) || self.recovering {
            return;
        }
        if let Some(c) = self.checkpoints.as_mut() {
            c.failed_answered();
        }
        self.checkpoint_failovers += 1;
        let stuck: Vec<usize> = laggards
            .into_iter()
            .filter(|&i| {
                self.instances[i].status == Status::Running
                    && self.nodes[self.instances[i].node.index()].up
            })
            .collect();
        let target = stuck.first().copied().unwrap_or(0);
        let all: Vec<usize> = if self.rolls_back_globally() {
            (0..self.instances.len()).collect()
        } else {
            stuck.clone()
        };
        self.episode(EpisodeKind::CheckpointFailover, target as u32, now, &all);
        // A job restart, not the strategy's own recovery: it gives what a rollback gives.
        self.recorder.fall_back_latest();
        if self.rolls_back_globally() {
            self.global_rollback(cx);
        } else {
            for &i in &stuck {
                self.crash_instance(InstanceId(i as u32), now);
                self.restart(InstanceId(i as u32), cx);
            }
            self.after_failure(cx);
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
        self.forward_barrier(i, checkpoint, false, cx);
        self.send_ack(i, checkpoint, cx);
    }

    /// Sends barrier `checkpoint` to every downstream instance this one can send to.
    /// With `ahead` (unaligned), ahead of `i`'s output buffer.
    fn forward_barrier(
        &mut self,
        i: InstanceId,
        checkpoint: u32,
        ahead: bool,
        cx: &mut Ctx<'_, Event>,
    ) {
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
                if !ahead {
                    self.send(i, to, b, cx);
                    continue;
                }
                // Unaligned: barriers need no credit and overtake buffered output.
                let copies = self.groups.get(to.index()).map_or(1, Vec::len);
                for c in 0..copies {
                    let target = if copies > 1 {
                        self.groups[to.index()][c]
                    } else {
                        to
                    };
                    self.transmit(i, target, b, cx);
                }
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
        if self.barrier_mode != BarrierMode::AtLeastOnce {
            if self.unaligned_now(i, key as u32, cx.now()) {
                self.unaligned_barrier(i, key, None, cx);
            } else {
                self.aligned_barrier(i, key, cx);
            }
            return;
        }
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
        self.barrier_complete(i, checkpoint, cx);
    }

    /// Every barrier of `checkpoint` reached instance `i` (counted or aligned): it snapshots
    /// and forwards the barrier, or a sink acknowledges.
    fn barrier_complete(&mut self, i: InstanceId, checkpoint: u32, cx: &mut Ctx<'_, Event>) {
        let state = &mut self.instances[i.index()];
        state.last_barrier = checkpoint;
        if self.standby_sync_continuous {
            let applied = state.applied.len();
            state.applied_marks.push((checkpoint, applied));
        }
        if matches!(state.op.kind, OperatorKind::Sink) {
            self.sink_barrier(i, checkpoint);
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
            SnapshotMode::Async => self.forward_barrier(i, checkpoint, false, cx),
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
        if let Some(a) = state
            .alignment
            .as_mut()
            .filter(|a| a.unaligned && a.checkpoint == checkpoint)
        {
            // Unaligned: the barrier went ahead already; it acknowledges once every barrier
            // is in too.
            a.written = true;
            if std::mem::replace(&mut state.paused, false) {
                state.refresh_serving();
                self.wake_if_work(i, cx);
            }
            self.unaligned_progress(i, checkpoint, cx);
            return;
        }
        if std::mem::replace(&mut state.paused, false) {
            state.refresh_serving();
            let node = state.node;
            self.forward_barrier(i, checkpoint, false, cx);
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
            s.inflight.retain(|(c, _)| *c >= checkpoint);
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
        self.notify_sinks(checkpoint, cx);
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

/// Barrier alignment of one instance for one checkpoint, in the aligned and unaligned modes.
///
/// *Aligned*: from the first barrier taken (at the head of the queue) on, the inputs whose
/// barrier was taken are blocked — what they deliver waits in `held` — until the last
/// barrier; then `held` goes back to the front of the queue (each input's order kept) and
/// the instance snapshots. *Unaligned*: at the first barrier the instance snapshots at once
/// and forwards the barrier ahead of its output buffer; the snapshot stores the input not
/// yet reflected in the state (queued or in service, and what arrives on an input before
/// that input's barrier) and the output the barrier overtook. Sinks always align (they hold
/// nothing to overtake).
#[derive(Debug)]
pub(super) struct Alignment {
    checkpoint: u32,
    /// When the first barrier was taken.
    started: SimTime,
    unaligned: bool,
    /// Aligned: what blocked inputs delivered meanwhile, in arrival order.
    held: VecDeque<Queued>,
    /// Unaligned: the in-flight data of the snapshot.
    inflight: InFlight,
    /// Unaligned: every barrier has arrived (recording is over).
    complete: bool,
    /// Unaligned: the snapshot is written.
    written: bool,
}

impl Alignment {
    fn new(checkpoint: u32, started: SimTime) -> Self {
        Self {
            checkpoint,
            started,
            unaligned: false,
            held: VecDeque::new(),
            inflight: InFlight::default(),
            complete: false,
            written: false,
        }
    }

    /// Events held back by an aligned alignment, for end-of-run accounting.
    pub(super) fn held(&self) -> impl Iterator<Item = &Queued> + '_ {
        self.held.iter()
    }

    /// What it held (its instance crashed: the caller treats it as queued input).
    pub(super) fn into_held(self) -> VecDeque<Queued> {
        self.held
    }
}

/// The in-flight data an unaligned snapshot stores.
#[derive(Clone, Debug, Default)]
pub(super) struct InFlight {
    /// Input not reflected in the state: (sender, event), in order.
    input: Vec<(InstanceId, DataEvent)>,
    /// Output the barrier overtook: (receiver, event), in order.
    output: Vec<(InstanceId, DataEvent)>,
}

impl InFlight {
    /// Ids of the events it holds.
    pub(super) fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.input.iter().chain(&self.output).map(|(_, e)| e.id)
    }

    fn bytes(&self) -> u64 {
        self.input
            .iter()
            .chain(&self.output)
            .map(|(_, e)| u64::from(e.bytes))
            .sum()
    }
}

impl World<'_> {
    /// The input channel of instance `to` that events from `from` arrive on, numbered as
    /// barriers number it ([`barrier_channel`]).
    fn input_channel(&self, from: InstanceId, to: InstanceId) -> u32 {
        let sender = &self.instances[from.index()];
        let to_op = self.instances[to.index()].operator;
        let k = sender
            .op
            .outputs
            .iter()
            .position(|e| self.scenario.graph.edges[e.index()].to == to_op)
            .unwrap_or(0);
        barrier_channel(sender.logical, k)
    }

    /// The input channel a queued entry came on (a barrier names its own).
    fn entry_channel(&self, q: &Queued, to: InstanceId) -> u32 {
        if q.event.id == BARRIER_ID {
            (q.event.key >> 32) as u32
        } else {
            self.input_channel(q.from, to)
        }
    }

    /// Whether instance `i` handles barrier `checkpoint` unaligned now: in unaligned mode, or
    /// aligned with a timeout the checkpoint has outlived, or already switched (sinks always
    /// align).
    pub(super) fn unaligned_now(&self, i: InstanceId, checkpoint: u32, now: SimTime) -> bool {
        let s = &self.instances[i.index()];
        if matches!(s.op.kind, OperatorKind::Sink) {
            return false;
        }
        match self.barrier_mode {
            BarrierMode::AtLeastOnce => false,
            BarrierMode::Unaligned => true,
            BarrierMode::Aligned => {
                s.alignment
                    .as_ref()
                    .is_some_and(|a| a.unaligned && a.checkpoint == checkpoint)
                    || self.aligned_timed_out(checkpoint, now)
            }
        }
    }

    /// Whether `checkpoint` started longer ago than the aligned-barrier timeout.
    fn aligned_timed_out(&self, checkpoint: u32, now: SimTime) -> bool {
        let Some(timeout) = self.ft.checkpoint.as_ref().and_then(|c| c.aligned_timeout) else {
            return false;
        };
        let started = self
            .checkpoints
            .as_ref()
            .filter(|c| c.in_progress() == Some(checkpoint))
            .and_then(|c| c.in_progress_since())
            .unwrap_or(now);
        now.saturating_since(started) >= timeout
    }

    /// A barrier arrived at running instance `i` in aligned mode with a timeout: arms the
    /// switch to unaligned for its checkpoint, once per instance and checkpoint.
    pub(super) fn arm_alignment_timeout(
        &mut self,
        i: InstanceId,
        checkpoint: u32,
        cx: &mut Ctx<'_, Event>,
    ) {
        let Some(timeout) = self.ft.checkpoint.as_ref().and_then(|c| c.aligned_timeout) else {
            return;
        };
        let s = &mut self.instances[i.index()];
        if s.align_timer == checkpoint || matches!(s.op.kind, OperatorKind::Sink) {
            return;
        }
        s.align_timer = checkpoint;
        let started = self
            .checkpoints
            .as_ref()
            .filter(|c| c.in_progress() == Some(checkpoint))
            .and_then(|c| c.in_progress_since())
            .unwrap_or(cx.now());
        cx.schedule_at(
            started.saturating_add(timeout),
            Event::AlignmentTimeout {
                instance: i,
                checkpoint,
            },
        );
    }

    /// The aligned-barrier timeout of `checkpoint` expired at instance `i`: if it is still
    /// aligning, or a barrier of it waits in its queue, it switches to unaligned.
    pub(super) fn on_alignment_timeout(
        &mut self,
        i: InstanceId,
        checkpoint: u32,
        cx: &mut Ctx<'_, Event>,
    ) {
        let s = &self.instances[i.index()];
        if s.status != Status::Running || s.hung || s.paused || s.incomplete.is_some() {
            return;
        }
        let aligning = s
            .alignment
            .as_ref()
            .is_some_and(|a| !a.unaligned && a.checkpoint == checkpoint);
        let queued = s
            .queue
            .iter()
            .any(|q| q.event.id == BARRIER_ID && q.event.key as u32 == checkpoint);
        if !(aligning || queued) || checkpoint < s.barriers.0 {
            return;
        }
        if s.barriers.0 != checkpoint {
            self.end_alignment(i, cx);
            let s = &mut self.instances[i.index()];
            s.barriers = (checkpoint, 0);
            s.barrier_channels.clear();
        }
        self.start_unaligned(i, checkpoint, None, cx);
        self.unaligned_progress(i, checkpoint, cx);
        self.wake_if_work(i, cx);
    }

    /// Lets instance `i` serve if it has work (after its queue changed outside the data
    /// path).
    pub(super) fn wake_if_work(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let node = self.instances[i.index()].node;
        if !self.instances[i.index()].queue.is_empty() && self.nodes[node.index()].up {
            self.wake(i, node, cx);
        }
    }

    /// Registers barrier `key` at instance `i` for the aligned or unaligned modes; returns
    /// the checkpoint, or `None` for a stale or repeated barrier.
    fn take_barrier(&mut self, i: InstanceId, key: u64, cx: &mut Ctx<'_, Event>) -> Option<u32> {
        let (checkpoint, channel) = (key as u32, (key >> 32) as u32);
        let s = &self.instances[i.index()];
        if s.incomplete.is_some() || checkpoint < s.barriers.0 {
            return None;
        }
        if s.barriers.0 != checkpoint {
            // A newer checkpoint's barrier ends an alignment the coordinator gave up on.
            self.end_alignment(i, cx);
            let s = &mut self.instances[i.index()];
            s.barriers = (checkpoint, 0);
            s.barrier_channels.clear();
        }
        let s = &mut self.instances[i.index()];
        if s.barrier_channels.contains(&channel) {
            return None; // another copy of the same upstream instance sent it first
        }
        s.barrier_channels.push(channel);
        s.barriers.1 += 1;
        Some(checkpoint)
    }

    /// Aligned mode: barrier `key` reached the head of instance `i`'s queue.
    fn aligned_barrier(&mut self, i: InstanceId, key: u64, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        let Some(checkpoint) = self.take_barrier(i, key, cx) else {
            return;
        };
        let channel = (key >> 32) as u32;
        let s = &mut self.instances[i.index()];
        let sink = matches!(s.op.kind, OperatorKind::Sink);
        if s.barriers.1 < s.expected_barriers {
            if s.alignment.is_none() {
                s.alignment = Some(Box::new(Alignment::new(checkpoint, now)));
            }
            if !sink {
                // What this input delivered after its barrier waits until the alignment ends.
                let queue: Vec<Queued> = std::mem::take(&mut s.queue).into();
                let channels: Vec<u32> = queue.iter().map(|q| self.entry_channel(q, i)).collect();
                let s = &mut self.instances[i.index()];
                let a = s.alignment.as_mut().expect("aligning");
                for (q, c) in queue.into_iter().zip(channels) {
                    if c == channel {
                        a.held.push_back(q);
                    } else {
                        s.queue.push_back(q);
                    }
                }
            }
            return;
        }
        let multi = s.expected_barriers > 1;
        let held = match s.alignment.take() {
            Some(a) => {
                self.alignment_times.push((now - a.started).as_secs_f64());
                Some(a.held)
            }
            None => {
                if multi {
                    self.alignment_times.push(0.0);
                }
                None
            }
        };
        if sink {
            // A sink closes checkpoint n's transaction before it delivers what followed the
            // barriers: that belongs to the next one.
            self.barrier_complete(i, checkpoint, cx);
            if let Some(held) = held {
                self.release_held(i, held, cx);
            }
        } else {
            if let Some(held) = held {
                self.release_held(i, held, cx);
            }
            self.barrier_complete(i, checkpoint, cx);
        }
    }

    /// Ends an aligned alignment's hold: what blocked inputs delivered goes back to the front
    /// of the queue in order (a sink delivers it).
    fn release_held(&mut self, i: InstanceId, held: VecDeque<Queued>, cx: &mut Ctx<'_, Event>) {
        if matches!(self.instances[i.index()].op.kind, OperatorKind::Sink) {
            // In arrival order, as if it arrived now: a held barrier of the next checkpoint
            // may start another alignment that holds what follows it.
            for q in held {
                if q.event.id == BARRIER_ID {
                    self.on_barrier(i, q.event.key, cx);
                } else if self.instances[i.index()].alignment.is_none()
                    || !self.aligning_holds(q.from, i, q.event, q.channel, q.arrived)
                {
                    self.deliver(i, q.event, q.channel, cx);
                }
            }
        } else {
            let s = &mut self.instances[i.index()];
            for q in held.into_iter().rev() {
                s.queue.push_front(q);
            }
        }
    }

    /// Aligned mode, data path: an event from `from` reached aligning instance `i`. Held
    /// back if its input is blocked (returns true); under an unaligned alignment, recorded
    /// as in-flight if its input's barrier has not arrived.
    pub(super) fn aligning_holds(
        &mut self,
        from: InstanceId,
        i: InstanceId,
        event: DataEvent,
        channel: u32,
        now: SimTime,
    ) -> bool {
        let input = self.input_channel(from, i);
        let s = &mut self.instances[i.index()];
        let received = s.barrier_channels.contains(&input);
        let sink = matches!(s.op.kind, OperatorKind::Sink);
        let a = s.alignment.as_mut().expect("aligning");
        if a.unaligned {
            if !a.complete && !received {
                a.inflight.input.push((from, event));
            }
            return false;
        }
        if !received || s.barriers.0 != a.checkpoint {
            return false;
        }
        a.held.push_back(Queued {
            event,
            arrived: now,
            channel,
            from,
        });
        if !sink {
            s.enqueued += 1;
            self.recorder.arrival(i.index(), now);
        }
        true
    }

    /// A barrier of a blocked input arrived at aligning instance `i`: it waits behind that
    /// input's held events (returns false if the input is not blocked).
    pub(super) fn hold_barrier(
        &mut self,
        from: InstanceId,
        i: InstanceId,
        event: DataEvent,
        now: SimTime,
    ) -> bool {
        let channel = (event.key >> 32) as u32;
        let s = &mut self.instances[i.index()];
        let Some(a) = s.alignment.as_mut().filter(|a| !a.unaligned) else {
            return false;
        };
        if !s.barrier_channels.contains(&channel) || s.barriers.0 != a.checkpoint {
            return false;
        }
        a.held.push_back(Queued {
            event,
            arrived: now,
            channel: super::NO_CHANNEL,
            from,
        });
        true
    }

    /// Aligned and unaligned modes: barrier `event` from `from` arrived at running instance
    /// `i`. Returns whether it was taken care of here: held behind a blocked input, or
    /// handled unaligned at once; otherwise it goes the way of every barrier (handled when it
    /// reaches the head of the queue).
    pub(super) fn modal_barrier(
        &mut self,
        from: InstanceId,
        i: InstanceId,
        event: DataEvent,
        cx: &mut Ctx<'_, Event>,
    ) -> bool {
        let now = cx.now();
        let checkpoint = event.key as u32;
        if self.hold_barrier(from, i, event, now) {
            return true;
        }
        let s = &self.instances[i.index()];
        if !s.hung && !s.paused && self.unaligned_now(i, checkpoint, now) {
            let channel = (event.key >> 32) as u32;
            self.unaligned_barrier(i, event.key, Some(channel), cx);
            self.wake_if_work(i, cx);
            return true;
        }
        if self.barrier_mode == BarrierMode::Aligned {
            self.arm_alignment_timeout(i, checkpoint, cx);
        }
        false
    }

    /// Unaligned handling of barrier `key` at instance `i`: arrived now on input `arriving`,
    /// or met at the head of its queue (`None`).
    pub(super) fn unaligned_barrier(
        &mut self,
        i: InstanceId,
        key: u64,
        arriving: Option<u32>,
        cx: &mut Ctx<'_, Event>,
    ) {
        let Some(checkpoint) = self.take_barrier(i, key, cx) else {
            return;
        };
        let ongoing = self.instances[i.index()]
            .alignment
            .as_ref()
            .is_some_and(|a| a.unaligned && a.checkpoint == checkpoint);
        if !ongoing {
            self.start_unaligned(i, checkpoint, arriving, cx);
        }
        self.unaligned_progress(i, checkpoint, cx);
    }

    /// Starts an unaligned snapshot of `checkpoint` at instance `i` (its first barrier, on
    /// input `arriving` if it just arrived, or the timeout of an aligned one): records the
    /// in-flight data, forwards the barrier ahead of the output buffer and writes the
    /// snapshot.
    fn start_unaligned(
        &mut self,
        i: InstanceId,
        checkpoint: u32,
        arriving: Option<u32>,
        cx: &mut Ctx<'_, Event>,
    ) {
        let now = cx.now();
        let s = &mut self.instances[i.index()];
        let mut a = s
            .alignment
            .take()
            .filter(|a| a.checkpoint == checkpoint)
            .unwrap_or_else(|| Box::new(Alignment::new(checkpoint, now)));
        // Switching from aligned: what blocked inputs delivered (after their barriers) goes
        // back to the front of the queue.
        while let Some(q) = a.held.pop_back() {
            s.queue.push_front(q);
        }
        a.unaligned = true;
        // Inputs whose barrier came before this point: their queued events follow it.
        let mut seen: Vec<u32> = s
            .barrier_channels
            .iter()
            .copied()
            .filter(|&c| Some(c) != arriving)
            .collect();
        let in_service: Vec<(InstanceId, DataEvent)> = s
            .slots
            .iter()
            .flatten()
            .map(|x| (x.queued.from, x.queued.event))
            .collect();
        for (from, e) in in_service {
            if !seen.contains(&self.input_channel(from, i)) {
                a.inflight.input.push((from, e));
            }
        }
        let queue: Vec<Queued> = std::mem::take(&mut self.instances[i.index()].queue).into();
        let mut kept = VecDeque::with_capacity(queue.len());
        for q in queue {
            if q.event.id == BARRIER_ID {
                let (c, channel) = (q.event.key as u32, (q.event.key >> 32) as u32);
                if c == checkpoint {
                    // Overtaken: it counts now.
                    let s = &mut self.instances[i.index()];
                    if !s.barrier_channels.contains(&channel) {
                        s.barrier_channels.push(channel);
                        s.barriers.1 += 1;
                    }
                    seen.push(channel);
                } else if c > checkpoint {
                    kept.push_back(q);
                }
                continue;
            }
            if !seen.contains(&self.input_channel(q.from, i)) {
                a.inflight.input.push((q.from, q.event));
            }
            kept.push_back(q);
        }
        self.instances[i.index()].queue = kept;
        if let Some(flow) = self.flow.as_ref() {
            a.inflight
                .output
                .extend(flow.output_buffer(i).filter(|(_, e)| e.id != BARRIER_ID));
        }
        self.forward_barrier(i, checkpoint, true, cx);
        let config = self
            .ft
            .checkpoint
            .as_ref()
            .expect("barriers only with checkpoints");
        let state_bytes = if self.strategy.snapshots_state() {
            self.state_bytes(i)
        } else {
            0
        };
        let duration = config.snapshot_time(state_bytes + a.inflight.bytes());
        let sync = config.mode == SnapshotMode::Sync;
        self.checkpoint_bytes += state_bytes;
        let s = &mut self.instances[i.index()];
        if self.strategy.snapshots_state() && (s.window.len() > 0 || s.keys.len() > 0) {
            s.snapshots.push((
                checkpoint,
                StateCopy {
                    keys: s.keys.clone(),
                    window: s.window.clone(),
                },
            ));
        }
        if sync {
            s.paused = true;
            s.refresh_serving();
        }
        let epoch = s.epoch;
        s.alignment = Some(a);
        cx.schedule_in(
            duration,
            Event::SnapshotDone {
                instance: i,
                epoch,
                checkpoint,
            },
        );
    }

    /// An unaligned snapshot of `checkpoint` at `i` is done once every barrier arrived and
    /// the snapshot is written: its in-flight data is kept and it acknowledges.
    fn unaligned_progress(&mut self, i: InstanceId, checkpoint: u32, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        let s = &mut self.instances[i.index()];
        let all = s.barriers.0 == checkpoint && s.barriers.1 >= s.expected_barriers;
        let multi = s.expected_barriers > 1;
        let Some(a) = s
            .alignment
            .as_mut()
            .filter(|a| a.unaligned && a.checkpoint == checkpoint)
        else {
            return;
        };
        if all && !a.complete {
            a.complete = true;
            s.last_barrier = checkpoint;
            if multi {
                self.alignment_times.push((now - a.started).as_secs_f64());
            }
        }
        if !(a.complete && a.written) {
            return;
        }
        let a = s.alignment.take().expect("checked above");
        let bytes = a.inflight.bytes();
        self.checkpoint_inflight_bytes += bytes;
        self.checkpoint_bytes += bytes;
        self.instances[i.index()]
            .inflight
            .push((checkpoint, a.inflight));
        self.send_ack(i, checkpoint, cx);
    }

    /// Ends instance `i`'s alignment without a snapshot (its checkpoint was given up):
    /// held input goes back to the front of its queue (a sink delivers it), a recording is
    /// dropped. The caller lets `i` serve.
    pub(super) fn end_alignment(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        if let Some(a) = self.instances[i.index()].alignment.take() {
            self.release_held(i, a.held, cx);
        }
    }

    /// The coordinator gives the checkpoint in progress up (a failure under local replay, or
    /// it expired): alignments of it end, so no input stays blocked.
    pub(super) fn abort_checkpoint(&mut self, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        if let Some(c) = self.checkpoints.as_mut() {
            c.abort(now);
        }
        self.end_alignments(cx);
    }

    /// Ends every alignment in progress and lets the instances serve what they held.
    fn end_alignments(&mut self, cx: &mut Ctx<'_, Event>) {
        if self.barrier_mode == BarrierMode::AtLeastOnce {
            return;
        }
        for k in 0..self.instances.len() {
            if self.instances[k].alignment.is_some() {
                self.end_alignment(InstanceId(k as u32), cx);
                self.wake_if_work(InstanceId(k as u32), cx);
            }
        }
    }

    /// After a global rollback, before the sources replay: every instance takes back the
    /// in-flight data of the restored unaligned checkpoint (input to its queue, overtaken
    /// output sent again).
    pub(super) fn restore_inflight(&mut self, cx: &mut Ctx<'_, Event>) {
        if self.barrier_mode == BarrierMode::AtLeastOnce {
            return;
        }
        let Some((last, _)) = self.checkpoints.as_ref().and_then(|c| c.last_complete()) else {
            return;
        };
        let now = cx.now();
        for k in 0..self.instances.len() {
            let i = InstanceId(k as u32);
            let Some(inflight) = self.instances[k]
                .inflight
                .iter()
                .find(|(c, _)| *c == last)
                .map(|(_, f)| f.clone())
            else {
                continue;
            };
            self.recorder
                .replayed((inflight.input.len() + inflight.output.len()) as u64);
            let s = &mut self.instances[k];
            for (from, event) in inflight.input {
                s.queue.push_back(Queued {
                    event,
                    arrived: now,
                    channel: super::NO_CHANNEL,
                    from,
                });
                s.enqueued += 1;
                self.recorder.arrival(k, now);
            }
            for (to, event) in inflight.output {
                self.send_one(i, to, event, cx);
            }
            self.wake_if_work(i, cx);
        }
    }
}
