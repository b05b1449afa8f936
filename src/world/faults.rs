//! Applying faults to the world, and restarting what they broke.
//!
//! A node crash stops the node's cores and every instance placed on it: queued and
//! in-service events are lost (counted as dropped), keyed and window state is lost, and
//! timers armed by those instances become stale (their epoch moves on). A repair restarts the
//! instances still placed there after the restart delay. A poison event crashes only its
//! instance, which its local supervisor restarts (the node keeps heartbeating, so the failure
//! detector never sees it). Partitions and spikes change link conditions; hangs stop an
//! instance from serving; stragglers slow a node down.

use super::{Event, LinkCondition, Status, World};
use crate::fault::FaultEvent;
use crate::ft::replication::StateSource;
use crate::metrics::EpisodeKind;
use crate::model::{InstanceId, NodeId};
use crate::sim::{Ctx, SimTime};

impl World<'_> {
    pub(super) fn on_fault(&mut self, index: u32, cx: &mut Ctx<'_, Event>) {
        let (_, fault) = self.plan.events[index as usize];
        // One pending fault at a time keeps the event queue small.
        if let Some(&(at, _)) = self.plan.events.get(index as usize + 1) {
            cx.schedule_at(at, Event::Fault { index: index + 1 });
        }
        let now = cx.now();
        match fault {
            FaultEvent::NodeCrash { node } => self.crash_node(node, now),
            FaultEvent::NodeRepair { node } => self.repair_node(node, cx),
            FaultEvent::PartitionStart { partition } => {
                // The plan knows when this episode heals: reliable channels deliver then.
                let heal = self.plan.events[index as usize..]
                    .iter()
                    .find(|(_, e)| *e == FaultEvent::PartitionEnd { partition })
                    .map_or(SimTime::NEVER, |&(at, _)| at);
                self.partition_heals[usize::from(partition)] = Some(heal);
                self.network_degraded = true;
            }
            FaultEvent::PartitionEnd { partition } => {
                self.partition_heals[usize::from(partition)] = None;
                self.refresh_degraded();
            }
            FaultEvent::SpikeStart { spike } => {
                self.spike_active[usize::from(spike)] = true;
                self.network_degraded = true;
            }
            FaultEvent::SpikeEnd { spike } => {
                self.spike_active[usize::from(spike)] = false;
                self.refresh_degraded();
            }
            FaultEvent::HangStart { instance } => self.hang(instance, now),
            FaultEvent::HangEnd { instance } => self.unhang(instance, cx),
            FaultEvent::SlowStart { node, factor } => self.nodes[node.index()].slowdown = factor,
            FaultEvent::SlowEnd { node } => self.nodes[node.index()].slowdown = 1.0,
            FaultEvent::PoisonKey { key } => {
                if !self.poison.contains(&key) {
                    self.poison.push(key);
                }
            }
        }
    }

    fn refresh_degraded(&mut self) {
        self.network_degraded = self.partition_heals.iter().any(Option::is_some)
            || self.spike_active.iter().any(|&a| a);
    }

    /// Partitions and spikes affecting the link from `a` to `b` now.
    #[inline]
    pub(super) fn link_condition(&mut self, a: NodeId, b: NodeId) -> LinkCondition {
        self.condition_drawn(a, b, false)
    }

    /// [`Self::link_condition`] for a credit announcement: spike latency from its own
    /// stream, so that flow control shifts no other draw.
    pub(super) fn credit_link_condition(&mut self, a: NodeId, b: NodeId) -> LinkCondition {
        self.condition_drawn(a, b, true)
    }

    #[inline]
    fn condition_drawn(&mut self, a: NodeId, b: NodeId, credit: bool) -> LinkCondition {
        if !self.network_degraded {
            return LinkCondition::default();
        }
        let mut condition = LinkCondition::default();
        for (k, heal) in self.partition_heals.iter().enumerate() {
            if let Some(heal) = heal
                && self.plan.partitions[k].separates(a, b)
            {
                condition.blocked_until =
                    Some(condition.blocked_until.map_or(*heal, |t| t.max(*heal)));
            }
        }
        for (k, spike) in self.plan.spikes.iter().enumerate() {
            if self.spike_active[k] && spike.affects(a, b) {
                condition.extra_loss =
                    1.0 - (1.0 - condition.extra_loss) * (1.0 - spike.extra_loss);
                let rng = if credit {
                    &mut self.credit_spike_rng
                } else {
                    &mut self.spike_rng
                };
                let extra = spike.extra_latency.sample(rng);
                condition.extra_latency = condition.extra_latency.saturating_add_duration(extra);
            }
        }
        condition
    }

    /// Instances currently placed on `node`.
    pub(super) fn instances_on(&self, node: NodeId) -> Vec<usize> {
        (0..self.instances.len())
            .filter(|&i| self.instances[i].node == node)
            .collect()
    }

    fn crash_node(&mut self, node: NodeId, now: SimTime) {
        let n = &mut self.nodes[node.index()];
        if !n.up {
            return;
        }
        n.up = false;
        n.incarnation += 1;
        n.free_cores = 0;
        n.ready.clear();
        let affected = self.instances_on(node);
        for &i in &affected {
            self.crash_instance(InstanceId(i as u32), now);
        }
        self.episode(EpisodeKind::NodeCrash, node.0, now, &affected);
    }

    /// Destroys an instance's volatile state: queue, in-service events, keyed and window
    /// state. Returns its cores to its node if the node still runs.
    pub(super) fn crash_instance(&mut self, i: InstanceId, now: SimTime) {
        let state = &mut self.instances[i.index()];
        // What an alignment held is queued input too; a recording is lost with it.
        if let Some(a) = state.alignment.take() {
            for q in a.into_held().into_iter().rev() {
                state.queue.push_front(q);
            }
        }
        let lost = state
            .queue
            .iter()
            .filter(|q| q.event.id != super::BARRIER_ID)
            .count() as u64
            + u64::from(state.busy);
        let freed = state.busy;
        for q in state
            .queue
            .iter()
            .chain(state.slots.iter().flatten().map(|s| &s.queued))
        {
            if q.event.id != super::BARRIER_ID {
                self.ledger.dropped(q.event.id, q.event.created, now);
            }
            if q.channel != super::NO_CHANNEL
                && let Some(flow) = self.flow.as_mut()
            {
                flow.free_silently(q.channel, q.event.bytes);
            }
        }
        state.queue.clear();
        state.slots.iter_mut().for_each(|s| *s = None);
        state.busy = 0;
        state.epoch += 1;
        state.hung = false;
        state.paused = false;
        state.barriers = (0, 0);
        state.barrier_channels.clear();
        state.crashed_at = Some(now);
        let incomplete = state.incomplete.is_some();
        if let Some(dedup) = state.dedup.as_mut() {
            // The first-copy filter was memory: a restored instance must process replayed
            // events again.
            dedup.clear();
        }
        if state.catching_up_since.take().is_some() {
            self.catching_up -= 1;
        }
        let continuous = self.standby_sync_continuous;
        let state = &mut self.instances[i.index()];
        if continuous {
            // The standby mirrors every state change: it holds what the primary held.
            state.standby_copy = Some(super::StateCopy {
                keys: std::mem::take(&mut state.keys),
                window: std::mem::take(&mut state.window),
            });
            // And the output log: what this instance sent downstream since the checkpoint,
            // which a receiver that fails later needs replayed (found by the explorer: an
            // upstream crash, then its backlogged receiver's crash before a checkpoint
            // completed, lost what the receiver had queued).
            if state.source.is_none() {
                state.standby_log = state.log.clone().map(Box::new);
            }
        }
        state.window.drain().for_each(drop);
        state.keys = Default::default();
        if state.source.is_none()
            && let Some(log) = state.log.as_mut()
        {
            log.clear(); // an in-memory log dies with its instance
        }
        state.status = Status::Down;
        state.refresh_serving();
        let was_ready = std::mem::replace(&mut state.in_ready, false);
        let node = &mut self.nodes[state.node.index()];
        if node.up {
            node.free_cores += freed;
            if was_ready {
                node.ready.retain(|&x| x != i);
            }
        }
        self.recorder.lost_at_instance(i.index(), now, lost);
        if incomplete {
            self.make_complete(i);
        }
        if !self.recovering {
            // Connections of the dead (or fenced) incarnation are reset: what is still on the
            // wire to or from it is lost. Otherwise a message held back by a partition would
            // reach a replacement after its replay had resent it, or reach a receiver after
            // the barriers of the sender's replacement, which travel another link. What it
            // received is resent by replays; what it sent is re-emitted by its recovery —
            // or, for a source (its log survives) and a continuously synced standby (which
            // holds its output buffer), resent when its replacement runs.
            // (A source keeps its log only when it is replayable: with checkpoints, or
            // under active replication.)
            let replayable = self.checkpoints.is_some() || !self.groups.is_empty();
            let keeps_output = (replayable && self.instances[i.index()].source.is_some())
                || (self.standby_sync_continuous
                    && Self::replicable(&self.instances[i.index()].op.kind));
            self.void_connections(i, true, keeps_output, now);
            self.flow_crashed(i, keeps_output, now);
        } else {
            self.flow_crashed(i, false, now);
        }
        self.unit_down(i, now);
    }

    /// Voids what is on the wire to instance `i` (and from it, with `outgoing`), counting the
    /// data as dropped; with `keep_output`, what it sent is kept for its replacement to
    /// resend.
    fn void_connections(&mut self, i: InstanceId, outgoing: bool, keep_output: bool, now: SimTime) {
        let ledger = &mut self.ledger;
        let resend = &mut self.resend;
        let mut data = 0;
        self.channels.void_in_transit(
            |from, to, e| {
                (to == i || (outgoing && from == i))
                    && e.id != super::VOID_ID
                    && e.id != super::VOID_BARRIER_ID
            },
            super::VOID_ID,
            |to, e| {
                if e.id != super::BARRIER_ID {
                    data += 1;
                    ledger.dropped(e.id, e.created, now);
                    if to != i && keep_output {
                        resend.push((i, to, *e));
                    }
                }
            },
        );
        for _ in 0..data {
            self.recorder.dropped();
        }
        self.flow_void_incoming(i, now);
    }

    /// A poison event crashed instance `i`: its supervisor restarts it in place.
    pub(super) fn crash_instance_locally(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        self.crash_instance(i, now);
        self.episode(EpisodeKind::InstanceCrash, i.0, now, &[i.index()]);
        if self.rolls_back_globally() {
            self.global_rollback(cx);
        } else {
            self.restart(i, cx);
            self.after_failure(cx);
        }
    }

    fn repair_node(&mut self, node: NodeId, cx: &mut Ctx<'_, Event>) {
        let n = &mut self.nodes[node.index()];
        if n.up {
            return;
        }
        n.up = true;
        n.free_cores = n.cores;
        // A passive instance waiting on a dead node whose standby place this node is moves
        // here at once (a cold start: the standby's copy died with the node) instead of
        // waiting for its own node's repair.
        for l in 0..self.standby.len() {
            if self.standby[l] == Some(node)
                && self.instances[l].status == Status::Down
                && !self.nodes[self.instances[l].node.index()].up
            {
                self.standby[l] = Some(self.instances[l].node);
                self.place(l, node);
            }
        }
        let waiting: Vec<usize> = self
            .instances_on(node)
            .into_iter()
            .filter(|&i| self.instances[i].status == Status::Down)
            .collect();
        if self.rolls_back_globally() && !waiting.is_empty() {
            self.global_rollback(cx);
        } else {
            let any = !waiting.is_empty();
            for i in waiting {
                self.restart(InstanceId(i as u32), cx);
            }
            if any {
                self.after_failure(cx);
            }
        }
        self.resume_heartbeats(node, cx);
    }

    /// Starts a replacement for instance `i` on its (current) node.
    pub(super) fn restart(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let delay = self.replacement_delay(i);
        let state = &mut self.instances[i.index()];
        state.status = Status::Restarting;
        state.refresh_serving();
        cx.schedule_in(
            delay,
            Event::RestartDone {
                instance: i,
                epoch: state.epoch,
            },
        );
    }

    pub(super) fn on_restart_done(&mut self, i: InstanceId, epoch: u32, cx: &mut Ctx<'_, Event>) {
        let state = &self.instances[i.index()];
        if epoch != state.epoch
            || state.status != Status::Restarting
            || !self.nodes[state.node.index()].up
        {
            return; // crashed again, or its node went down meanwhile
        }
        if state.restore_from == StateSource::Peer && self.live_peer(i).is_none() {
            // The copy it was to be rebuilt from died meanwhile: every copy is lost.
            let logical = state.logical.index();
            self.recorder.fall_back(logical);
            if self.checkpoints.is_some() {
                // Fall back on the checkpoint: the job rolls back (this copy restarts again,
                // restoring it).
                self.global_rollback(cx);
                return;
            }
        }
        // What was sent to the dead incarnation while it was down is not delivered to the
        // replacement: the replay resends it from the logs (delivering both would process it
        // twice).
        self.void_connections(i, false, false, cx.now());
        self.instances[i.index()].status = Status::Running;
        self.instances[i.index()].refresh_serving();
        self.apply_restore(i);
        self.unit_restored(i, cx.now());
        if self.rolls_back_globally() {
            self.restored(i, cx);
        } else if self.local {
            self.restored_locally(i, cx);
        } else {
            if !self.groups.is_empty() && self.instances[i.index()].source.is_some() {
                self.resume_source(i, cx);
            }
            self.unit_up(i, cx.now());
        }
        // Last: credits freed while it was down let upstream send on, and a source reads
        // what waited, only after the replays above took their place in the FIFOs.
        self.flow_restarted(i, cx);
    }

    fn hang(&mut self, i: InstanceId, now: SimTime) {
        let state = &mut self.instances[i.index()];
        if state.hung || state.status != Status::Running {
            return;
        }
        state.hung = true;
        state.refresh_serving();
        if std::mem::replace(&mut state.in_ready, false) {
            let node = state.node;
            self.nodes[node.index()].ready.retain(|&x| x != i);
        }
        self.unit_down(i, now);
        self.episode(EpisodeKind::Hang, i.0, now, &[i.index()]);
    }

    fn unhang(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let state = &mut self.instances[i.index()];
        if !state.hung {
            return;
        }
        state.hung = false;
        state.refresh_serving();
        let node = state.node;
        if state.status == Status::Running {
            self.unit_up(i, cx.now());
            if self.nodes[node.index()].up {
                self.wake(i, node, cx);
            }
        }
    }
}
