//! Recovery: bringing failed instances back, by global rollback or by local replay.
//!
//! **Global rollback** (the `None` strategy's default). A rollback (after a suspicion, a
//! local crash or a watchdog alarm) aborts the checkpoint in progress, voids every message on
//! the wire (connections are reset), and restarts every live instance: restart delay plus
//! state restore time (held state / restore bandwidth), restoring the last complete
//! checkpoint's state. Instances whose node is down wait for a spare or for the repair.
//! Sources hold back new events meanwhile. When every instance runs again, each source
//! replays its retained events — those since the last complete checkpoint's offset, and those
//! that arrived during the outage — in order, with their original creation times. Events
//! processed before the failure and replayed are duplicates (at-least-once); nothing is
//! lost. Until a sink delivers an event created after an instance was restored, that
//! instance counts as catching up, i.e. down.
//!
//! **Local replay** (local rollback, passive promotion, upstream backup). Only the failed
//! instances are replaced; each takes its state from where the strategy says (checkpoint,
//! standby, nothing), and its upstream instances resend what they logged for it (see
//! [`super::logs`]). The rest of the job keeps running. A replaced instance is catching up
//! until it has processed an event created after its restoration.

use super::{Event, Status, VOID_BARRIER_ID, VOID_ID, World};
use crate::ft::Condition;
use crate::ft::replication::StateSource;
use crate::model::{InstanceId, OperatorKind};
use crate::sim::{Ctx, SimDuration, SimTime};

impl World<'_> {
    /// Whether a failure rolls every instance back (checkpoints with global scope; under
    /// active replication only once an instance has lost every copy).
    pub(super) fn rolls_back_globally(&self) -> bool {
        self.checkpoints.is_some()
            && !self.local
            && (self.groups.is_empty() || self.recovering || self.some_unit_lost(false))
    }

    /// After failed instances were found (and sent to be replaced): a global rollback, or
    /// under local replay the end of the checkpoint in progress (the failed instances will
    /// never acknowledge it; under active replication a live copy acknowledges for a lost
    /// one, so only an instance without any running copy ends it).
    pub(super) fn after_failure(&mut self, cx: &mut Ctx<'_, Event>) {
        if self.rolls_back_globally() {
            self.global_rollback(cx);
        } else if (self.groups.is_empty() || self.some_unit_lost(true))
            && self.checkpoints.is_some()
        {
            self.abort_checkpoint(cx);
        }
    }

    /// Rolls the whole job back to the last complete checkpoint.
    pub(super) fn global_rollback(&mut self, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        if let Some(c) = self.checkpoints.as_mut() {
            c.abort(now);
        }
        self.sinks_roll_back(now);
        self.recovering = true;
        // The sources' replay covers what was voided from failed senders.
        self.resend.clear();
        // Connections are reset: messages on the wire are void (their events will be
        // replayed by the sources).
        let ledger = &mut self.ledger;
        let voided = self.channels.void_in_transit(
            |_, _, e| e.id < VOID_BARRIER_ID,
            VOID_ID,
            |_, e| ledger.dropped(e.id, e.created, now),
        );
        for _ in 0..voided {
            self.recorder.dropped();
        }
        for i in 0..self.instances.len() {
            let id = InstanceId(i as u32);
            if self.instances[i].catching_up_since.take().is_some() {
                self.catching_up -= 1;
            }
            match self.instances[i].status {
                Status::Running => {
                    self.crash_instance(id, now);
                    self.restart(id, cx);
                }
                Status::Restarting => {
                    // Restart again, from the rolled-back state.
                    self.instances[i].epoch += 1;
                    self.restart(id, cx);
                }
                Status::Down => {
                    // Restarts if its node runs (it was just repaired or the instance moved
                    // to a spare); otherwise it waits for the repair.
                    if self.nodes[self.instances[i].node.index()].up {
                        self.restart(id, cx);
                    }
                }
            }
        }
    }

    /// State instance `i` held \[bytes\] (its peak, as a bound on what a replacement reads
    /// back or copies).
    pub(super) fn held_state_bytes(&self, i: InstanceId) -> u64 {
        let s = &self.instances[i.index()];
        s.peak_keys as u64 * s.op.state_bytes_per_key
    }

    /// Gives a replacement its state, from where its restart decided.
    pub(super) fn apply_restore(&mut self, i: InstanceId) {
        let from = self.instances[i.index()].restore_from;
        let copy = match from {
            StateSource::Empty => None,
            StateSource::Peer => self.live_peer(i).map(|p| {
                let peer = &self.instances[p.index()];
                let copy = super::StateCopy {
                    keys: peer.keys.clone(),
                    window: peer.window.clone(),
                };
                self.mark_rebuilt(i, p);
                copy
            }),
            StateSource::Standby if self.standby_sync_continuous => {
                let s = &mut self.instances[i.index()];
                if let Some(log) = s.standby_log.take() {
                    s.log = Some(*log);
                }
                s.standby_copy.take()
            }
            StateSource::Checkpoint | StateSource::Standby => {
                // Its own snapshot, or under active replication a copy's (a copy that was
                // being rebuilt when the checkpoint passed has none of its own).
                let last = self.checkpoints.as_ref().and_then(|c| c.last_complete());
                let logical = self.instances[i.index()].logical;
                let own = [i];
                let copies = self.groups.get(logical.index()).map_or(&own[..], |g| g);
                last.and_then(|(id, _)| {
                    std::iter::once(i)
                        .chain(copies.iter().copied())
                        .find_map(|c| {
                            self.instances[c.index()]
                                .snapshots
                                .iter()
                                .find(|(c, _)| *c == id)
                        })
                        .map(|(_, copy)| copy.clone())
                })
            }
        };
        let s = &mut self.instances[i.index()];
        if let Some(copy) = copy {
            s.keys = copy.keys;
            s.window = copy.window;
        }
        if !matches!(from, StateSource::Standby | StateSource::Peer) {
            // Continuous sync: the state no longer reflects what the primary applied since
            // the checkpoint, so a replay must not skip it.
            s.applied.clear();
            s.applied_marks.clear();
        }
    }

    /// After a restart under global rollback: the instance counts as catching up, and once
    /// every instance runs the sources replay.
    pub(super) fn restored(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        self.instances[i.index()].catching_up_since = Some(now);
        self.catching_up += 1;
        if !self.recovering {
            // A single instance restarted (e.g. its node was repaired) without a rollback:
            // nothing to replay, but a source sends what arrived while it was down (held
            // back, it would fall behind the next checkpoint's offset and be trimmed unsent).
            if self.instances[i.index()].source.is_some() {
                self.pay_resend(i, cx);
                self.send_unsent(i, cx);
            }
            return;
        }
        if !self.rollback_done() {
            return;
        }
        self.recovering = false;
        self.restore_inflight(cx);
        for s in 0..self.instances.len() {
            if matches!(self.instances[s].op.kind, OperatorKind::Source { .. }) {
                self.replay(InstanceId(s as u32), cx);
            }
        }
        self.flow_sources_resume(cx);
    }

    /// After a restart under local replay: upstream resends what the replacement lacks; a
    /// source sends what arrived while it was down.
    pub(super) fn restored_locally(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        if matches!(
            self.instances[i.index()].op.kind,
            OperatorKind::Source { .. }
        ) {
            // What was cut off the wire first, then the log (what arrived while it was down
            // is logged as it is sent).
            self.pay_resend(i, cx);
            self.pay_owed_replays(i, cx);
            self.send_unsent(i, cx);
            self.unit_up(i, cx.now());
            return;
        }
        self.instances[i.index()].catching_up_since = Some(cx.now());
        self.catching_up += 1;
        self.pay_resend(i, cx);
        self.replay_to(i, cx);
    }

    /// Sends again what was voided on the wire when `i` failed (see
    /// [`Self::crash_instance`]), oldest first.
    pub(super) fn pay_resend(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        if !self.resend.iter().any(|&(from, _, _)| from == i) {
            return;
        }
        let mut mine = Vec::new();
        let owed = &self.owed;
        self.resend.retain(|&(from, to, e)| {
            // A receiver owed the whole log replay gets these with it.
            if from == i && !owed.contains(&(i, to)) {
                mine.push((to, e));
            }
            from != i
        });
        self.recorder.replayed(mine.len() as u64);
        for (to, e) in mine {
            // Logged like any output: the log a replacement had on restart holds only what it
            // emitted since, and if this copy is voided again by the receiver's failure, the
            // receiver's replacement must find it in this log.
            if let Some(log) = self.instances[i.index()].log.as_mut() {
                log.push_for(to, e);
            }
            self.send_one(i, to, e, cx);
        }
    }

    /// Sends a source's retained events again, oldest first.
    fn replay(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        if self.ft.sabotage == Some(crate::ft::Sabotage::SkipReplay) {
            // The deliberate defect: only what was never sent goes out.
            self.send_unsent(i, cx);
            return;
        }
        let src = self.instances[i.index()]
            .source
            .as_mut()
            .expect("replay is for sources");
        let copies = src.retained.len() as u64 - src.unsent;
        src.unsent = 0;
        src.offsets.clear();
        let events: Vec<_> = src.retained.iter().copied().collect();
        self.recorder.replayed(copies);
        for e in events {
            self.emit(i, e, cx);
        }
    }

    /// A source restarted under active replication without a rollback: it sends what
    /// arrived while it was down; without checkpoints it then keeps nothing (with them it
    /// keeps everything since the last one, for a rollback).
    pub(super) fn resume_source(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        self.pay_resend(i, cx);
        self.send_unsent(i, cx);
        let checkpoints = self.checkpoints.is_some();
        if let Some(src) = self.instances[i.index()].source.as_mut()
            && !checkpoints
        {
            src.retained.clear();
        }
    }

    /// Sends the events a source retained while it was down, oldest first.
    fn send_unsent(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let src = self.instances[i.index()]
            .source
            .as_mut()
            .expect("sources only");
        let unsent = std::mem::take(&mut src.unsent) as usize;
        let events: Vec<_> = src.retained.iter().rev().take(unsent).copied().collect();
        for e in events.into_iter().rev() {
            self.emit(i, e, cx);
        }
    }

    /// A sink delivered an event created at `created` (global rollback): instances restored
    /// before that have caught up.
    pub(super) fn caught_up(&mut self, created: SimTime, now: SimTime) {
        for i in 0..self.instances.len() {
            if let Some(since) = self.instances[i].catching_up_since
                && since <= created
            {
                self.instances[i].catching_up_since = None;
                self.catching_up -= 1;
                self.unit_up(InstanceId(i as u32), now);
            }
        }
    }

    /// Instance `i` processed an event created at `created` (local replay): if it was
    /// restored before that and nothing waits in its queue, it has caught up — the replayed
    /// backlog is gone, not merely overtaken (a busy period started by the backlog has ended,
    /// which is what the catch-up formula T = (D + R + ρc/2)/(1 − ρ) describes).
    #[inline]
    pub(super) fn instance_caught_up(&mut self, i: InstanceId, created: SimTime, now: SimTime) {
        let s = &self.instances[i.index()];
        if let Some(since) = s.catching_up_since
            && since <= created
            && s.queue.is_empty()
        {
            self.instances[i.index()].catching_up_since = None;
            self.catching_up -= 1;
            self.unit_up(i, now);
        }
    }

    /// Restart delay is drawn here so that every strategy draws it the same way.
    pub(super) fn replacement_delay(&mut self, i: InstanceId) -> SimDuration {
        let restart = self.ft.restart.sample(&mut self.strategy_rng);
        let s = &mut self.instances[i.index()];
        let on_standby = std::mem::replace(&mut s.promoting, false);
        let need = crate::ft::replication::ReplacementNeed {
            restart,
            state_bytes: self.held_state_bytes(i),
            checkpoint: self
                .ft
                .checkpoint
                .as_ref()
                .filter(|_| self.checkpoints.is_some()),
            on_standby,
            peer_alive: self.live_peer(i).is_some(),
            rolling_back: self.recovering,
            source: self.instances[i.index()].source.is_some(),
        };
        if self.strategy.replacement_condition(&need) == Condition::Fallback {
            let logical = self.instances[i.index()].logical.index();
            self.recorder.fall_back(logical);
        }
        let r = self.strategy.replacement(need);
        self.instances[i.index()].restore_from = r.state;
        r.delay
    }
}
