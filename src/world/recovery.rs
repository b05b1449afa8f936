//! Rollback recovery: every instance returns to the last complete checkpoint and sources
//! replay what followed it.
//!
//! A rollback (after a suspicion, a local crash or a watchdog alarm) aborts the checkpoint in
//! progress, voids every message on the wire (connections are reset), and restarts every
//! live instance: restart delay plus state restore time (held state / restore bandwidth).
//! Instances whose node is down wait for a spare or for the repair. Sources hold back new
//! events meanwhile. When every instance runs again, each source replays its retained events
//! — those since the last complete checkpoint's offset, and those that arrived during the
//! outage — in order, with their original creation times. Events processed before the
//! failure and replayed are duplicates (at-least-once); nothing is lost. Until a sink delivers
//! an event created after an instance was restored, that instance counts as catching up,
//! i.e. down.

use super::{BARRIER_ID, Event, Status, VOID_ID, World};
use crate::model::{InstanceId, OperatorKind};
use crate::sim::{Ctx, SimDuration, SimTime};

impl World<'_> {
    /// Rolls the whole job back to the last complete checkpoint.
    pub(super) fn global_rollback(&mut self, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        if let Some(c) = self.checkpoints.as_mut() {
            c.abort();
        }
        self.recovering = true;
        // Connections are reset: messages on the wire are void (their events will be
        // replayed by the sources).
        let voided = self
            .channels
            .void_in_transit(|e| e.id != BARRIER_ID && e.id != VOID_ID, VOID_ID);
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

    /// Restore time of instance `i`: the state it held, read back at the restore bandwidth.
    pub(super) fn restore_time(&self, i: InstanceId) -> SimDuration {
        let s = &self.instances[i.index()];
        match &self.ft.checkpoint {
            Some(c) => c.restore_time(s.peak_keys as u64 * s.op.state_bytes_per_key),
            None => SimDuration::ZERO,
        }
    }

    /// After a restart under checkpointing: the instance counts as catching up, and once
    /// every instance runs the sources replay.
    pub(super) fn restored(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        self.instances[i.index()].catching_up_since = Some(now);
        self.catching_up += 1;
        if !self.recovering {
            // A single instance restarted (e.g. its node was repaired) without a rollback:
            // nothing to replay.
            return;
        }
        if self.instances.iter().any(|s| s.status != Status::Running) {
            return;
        }
        self.recovering = false;
        for s in 0..self.instances.len() {
            if matches!(self.instances[s].op.kind, OperatorKind::Source { .. }) {
                self.replay(InstanceId(s as u32), cx);
            }
        }
    }

    /// Sends a source's retained events again, oldest first.
    fn replay(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
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

    /// A sink delivered an event created at `created`: instances restored before that have
    /// caught up.
    pub(super) fn caught_up(&mut self, created: SimTime, now: SimTime) {
        for i in 0..self.instances.len() {
            if let Some(since) = self.instances[i].catching_up_since
                && since <= created
            {
                self.instances[i].catching_up_since = None;
                self.catching_up -= 1;
                self.recorder.instance_up(i, now);
            }
        }
    }
}
