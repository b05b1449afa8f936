//! Sink commit in the world: when what a sink delivers becomes visible (see
//! [`crate::ft::sink`]).
//!
//! Every sink's deliveries are cut into *epochs* by its barriers: epoch n holds what it
//! delivered after completing barrier n (after barrier 0: from the start). A transactional
//! sink writes epoch n into transaction n + 1, pre-commits it when barrier n + 1 completes at
//! the sink, and commits it when the coordinator's notice that checkpoint n + 1 completed
//! arrives (a control message over the network, Flink's `notifyCheckpointComplete`). A global
//! rollback to checkpoint c commits the transactions c covers that were still waiting for
//! their notice and aborts the rest; the replay writes their events again. An idempotent sink
//! writes at once and keeps every id it wrote (as a keyed table does): it cannot forget the
//! ids before a completed checkpoint, because a replay still under way — overtaken by that
//! checkpoint's unaligned barrier — may deliver them after it (the explorer found this).
//! Source ids cost a bit each (a bitset by sequence number), derived ids a set entry.
//!
//! The *visible* ledger records each source event when it becomes visible; a second time is
//! a visible duplicate, which the guarantee oracle judges (exactly-once allows none). An
//! event whose transaction was aborted and that is never visible afterwards, nor pending, is
//! lost, like an event never processed.

use std::collections::{HashSet, VecDeque};

use super::keys::KeyBuild;
use super::{Event, Status, World};
use crate::ft::SinkCommit;
use crate::metrics::{DeliveryLedger, Recorder};
use crate::model::{DataEvent, InstanceId, OperatorKind};
use crate::sim::{Ctx, SimTime};

/// A delivery waiting in a transaction: (id, creation).
type Pending = (u64, SimTime);

/// One sink instance's epochs.
#[derive(Debug, Default)]
struct SinkInstance {
    /// Transactional: the open transaction (the current epoch's deliveries).
    open: Vec<Pending>,
    /// Transactional: pre-committed transactions waiting for their checkpoint's notice, by
    /// checkpoint.
    precommitted: VecDeque<(u32, Vec<Pending>)>,
}

/// Every sink's commit state, and the visible ledger.
#[derive(Debug)]
pub(super) struct Sinks {
    commit: SinkCommit,
    /// Indexed by instance id (non-sinks stay empty).
    instances: Vec<SinkInstance>,
    /// Source events made visible (an idempotent sink's table of source ids too).
    visible: DeliveryLedger,
    /// Idempotent: the derived ids written, over all sinks (membership only, never
    /// iterated).
    derived: HashSet<u64, KeyBuild>,
    /// Idempotent: ids kept (source and derived).
    ids_kept: u64,
    /// Deliveries an idempotent sink dropped as already written.
    dropped_duplicates: u64,
    /// Events whose transaction a rollback aborted: (id, creation, abort).
    aborted: Vec<(u64, SimTime, SimTime)>,
    /// Emptied transaction buffers, reused so that steady-state commits allocate nothing.
    spare: Vec<Vec<Pending>>,
}

impl Sinks {
    /// Commit state for `instances` instances; `ledger`: whether the run keeps a ledger (it
    /// has faults).
    pub(super) fn new(commit: SinkCommit, instances: usize, ledger: bool) -> Self {
        Self {
            commit,
            instances: (0..instances).map(|_| SinkInstance::default()).collect(),
            // An idempotent sink needs its table even in a run without faults.
            visible: if ledger || commit == SinkCommit::Idempotent {
                DeliveryLedger::new(instances)
            } else {
                DeliveryLedger::disabled()
            },
            derived: HashSet::default(),
            ids_kept: 0,
            dropped_duplicates: 0,
            aborted: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Sink `i` delivered `event` now.
    #[inline]
    fn write(&mut self, i: InstanceId, event: DataEvent, now: SimTime, recorder: &mut Recorder) {
        let s = &mut self.instances[i.index()];
        match self.commit {
            SinkCommit::AtLeastOnce => {
                self.visible.processed(event.id, event.created, now);
                recorder.visible(now, event.created);
            }
            SinkCommit::Idempotent => {
                let written = if crate::metrics::source_of(event.id).is_some() {
                    self.visible.contains(event.id)
                } else {
                    !self.derived.insert(event.id)
                };
                if written {
                    self.dropped_duplicates += 1;
                    return;
                }
                self.ids_kept += 1;
                self.visible.processed(event.id, event.created, now);
                recorder.visible(now, event.created);
            }
            SinkCommit::Transactional => s.open.push((event.id, event.created)),
        }
    }

    /// Sink `i` completed barrier `checkpoint`: a new epoch begins (the open transaction is
    /// pre-committed).
    fn barrier(&mut self, i: InstanceId, checkpoint: u32) {
        let s = &mut self.instances[i.index()];
        if self.commit == SinkCommit::Transactional {
            let fresh = self.spare.pop().unwrap_or_default();
            let closed = std::mem::replace(&mut s.open, fresh);
            s.precommitted.push_back((checkpoint, closed));
        }
    }

    /// Sink `i` learned that `checkpoint` completed.
    fn completed(&mut self, i: InstanceId, checkpoint: u32, now: SimTime, recorder: &mut Recorder) {
        let s = &mut self.instances[i.index()];
        while s
            .precommitted
            .front()
            .is_some_and(|&(c, _)| c <= checkpoint)
        {
            let (_, mut events) = s.precommitted.pop_front().expect("checked");
            for &(id, created) in &events {
                self.visible.processed(id, created, now);
                recorder.visible(now, created);
            }
            events.clear();
            self.spare.push(events);
        }
    }

    /// The job rolls back to `restored` (0: the start): transactions it covers commit, the
    /// rest abort; the replay follows barrier `restored`.
    fn rollback(&mut self, restored: u32, now: SimTime, recorder: &mut Recorder) {
        for k in 0..self.instances.len() {
            let i = InstanceId(k as u32);
            self.completed(i, restored, now, recorder);
            let s = &mut self.instances[k];
            let open = std::mem::take(&mut s.open);
            for mut events in s.precommitted.drain(..).map(|(_, e)| e).chain([open]) {
                self.aborted
                    .extend(events.iter().map(|&(id, created)| (id, created, now)));
                events.clear();
                self.spare.push(events);
            }
        }
    }

    /// Ids of events in open or pre-committed transactions (they may still become visible).
    fn pending(&self) -> impl Iterator<Item = u64> + '_ {
        self.instances.iter().flat_map(|s| {
            s.open
                .iter()
                .chain(s.precommitted.iter().flat_map(|(_, e)| e))
                .map(|&(id, _)| id)
        })
    }
}

impl World<'_> {
    /// Sink `i` delivered `event`: visible now, dropped as a duplicate, or written into the
    /// open transaction.
    #[inline]
    pub(super) fn sink_write(&mut self, i: InstanceId, event: DataEvent, now: SimTime) {
        if let Some(sinks) = self.sinks.as_mut() {
            sinks.write(i, event, now, &mut self.recorder);
        }
    }

    /// Event `id` went to the dead-letter queue: handled on purpose, so its aborted
    /// deliveries are not a loss.
    pub(super) fn sink_dead_letter(&mut self, id: u64) {
        if let Some(sinks) = self.sinks.as_mut() {
            sinks.visible.mark(id);
        }
    }

    /// Sink `i` completed barrier `checkpoint`.
    pub(super) fn sink_barrier(&mut self, i: InstanceId, checkpoint: u32) {
        if let Some(sinks) = self.sinks.as_mut() {
            sinks.barrier(i, checkpoint);
        }
    }

    /// Checkpoint `checkpoint` completed at the coordinator: every sink is told.
    pub(super) fn notify_sinks(&mut self, checkpoint: u32, cx: &mut Ctx<'_, Event>) {
        if self.sinks.is_none() {
            return;
        }
        let from = self.coordinator_node();
        let now = cx.now();
        for k in 0..self.instances.len() {
            if matches!(self.instances[k].op.kind, OperatorKind::Sink) {
                let to = self.instances[k].node;
                let at = self.control_arrival(from, to, now);
                cx.schedule_at(
                    at,
                    Event::SinkCommit {
                        instance: InstanceId(k as u32),
                        checkpoint,
                    },
                );
            }
        }
    }

    /// The notice that `checkpoint` completed reached sink `i` (a sink that is not running
    /// misses it; the rollback that follows commits what the restored checkpoint covers).
    pub(super) fn on_sink_commit(&mut self, i: InstanceId, checkpoint: u32, now: SimTime) {
        let running = self.instances[i.index()].status == Status::Running
            && self.nodes[self.instances[i.index()].node.index()].up;
        if let Some(sinks) = self.sinks.as_mut()
            && running
        {
            sinks.completed(i, checkpoint, now, &mut self.recorder);
        }
    }

    /// A global rollback to the last complete checkpoint.
    pub(super) fn sinks_roll_back(&mut self, now: SimTime) {
        let restored = self.last_completed;
        if let Some(sinks) = self.sinks.as_mut() {
            sinks.rollback(restored, now, &mut self.recorder);
        }
    }

    /// Ids that may still become visible (for the loss count).
    pub(super) fn sink_pending(&self) -> Vec<u64> {
        self.sinks
            .as_ref()
            .map_or_else(Vec::new, |s| s.pending().collect())
    }

    /// Events lost at the sink, as (creation, when): their transaction was aborted and they
    /// were never visible afterwards, nor are they pending (`pending`: sorted ids of every
    /// event that may still be processed or made visible).
    pub(super) fn sink_losses(&self, pending: &[u64]) -> Vec<(u64, SimTime, SimTime)> {
        let Some(sinks) = &self.sinks else {
            return Vec::new();
        };
        // The last abort of each id dates its loss.
        let mut lost: Vec<(u64, SimTime, SimTime)> = sinks
            .aborted
            .iter()
            .copied()
            .filter(|&(id, _, _)| {
                !sinks.visible.contains(id) && pending.binary_search(&id).is_err()
            })
            .filter(|&(id, _, _)| crate::metrics::source_of(id).is_some())
            .collect();
        lost.sort_by_key(|&(id, _, at)| (id, at));
        if std::env::var("FL_DEBUG").is_ok() {
            for l in &lost {
                let n = sinks.aborted.iter().filter(|a| a.0 == l.0).count();
                eprintln!(
                    "sink loss {:x} created {:?} aborted {:?} (aborted {n}x)",
                    l.0, l.1, l.2
                );
            }
        }
        lost.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                *earlier = *later;
                true
            } else {
                false
            }
        });
        lost
    }

    /// Times of visible duplicates: (creation, when visible again).
    pub(super) fn visible_duplicate_times(&self) -> &[(SimTime, SimTime)] {
        self.sinks
            .as_ref()
            .map_or(&[], |s| s.visible.duplicate_times())
    }

    /// Sink metrics (only when some variant of the scenario has a sink other than
    /// at-least-once, so every variant reports the same columns).
    pub(super) fn sink_metrics(&self) -> Vec<(String, f64)> {
        let Some(s) = &self.sinks else {
            return Vec::new();
        };
        vec![
            (
                "events_duplicated_visible".to_string(),
                s.visible.duplicates() as f64,
            ),
            ("sink_ids_kept".to_string(), s.ids_kept as f64),
            (
                "sink_duplicates_dropped".to_string(),
                s.dropped_duplicates as f64,
            ),
            ("sink_events_aborted".to_string(), s.aborted.len() as f64),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsConfig;
    use crate::sim::SimDuration;

    fn recorder() -> Recorder {
        let mut r = Recorder::new(
            MetricsConfig {
                warmup: SimTime::ZERO,
                end: SimTime::from_secs_f64(100.0),
                bucket: SimDuration::from_millis(1000),
                sla: None,
            },
            1,
            1,
        );
        r.track_visible(false);
        r
    }

    fn ev(seq: u64, created_s: f64) -> DataEvent {
        DataEvent {
            id: seq,
            key: 0,
            created: SimTime::from_secs_f64(created_s),
            bytes: 100,
        }
    }

    fn t(s: f64) -> SimTime {
        SimTime::from_secs_f64(s)
    }

    #[test]
    fn a_transaction_is_visible_at_its_checkpoints_notice_and_aborted_by_a_rollback() {
        let mut r = recorder();
        let mut s = Sinks::new(SinkCommit::Transactional, 1, true);
        let i = InstanceId(0);
        s.write(i, ev(0, 1.0), t(1.0), &mut r);
        s.write(i, ev(1, 2.0), t(2.0), &mut r);
        s.barrier(i, 1);
        s.write(i, ev(2, 3.0), t(3.0), &mut r);
        assert_eq!(s.visible.duplicates(), 0);
        assert!(!s.visible.contains(0));
        s.completed(i, 1, t(4.0), &mut r);
        assert!(s.visible.contains(0) && s.visible.contains(1) && !s.visible.contains(2));
        // A rollback to 1 aborts the open transaction (event 2); its replay commits it once.
        s.rollback(1, t(5.0), &mut r);
        assert_eq!(s.aborted, vec![(2, t(3.0), t(5.0))]);
        assert_eq!(s.pending().count(), 0);
        s.write(i, ev(2, 3.0), t(6.0), &mut r);
        s.barrier(i, 2);
        s.completed(i, 2, t(7.0), &mut r);
        assert!(s.visible.contains(2));
        assert_eq!(s.visible.duplicates(), 0);
    }

    #[test]
    fn a_rollback_commits_what_the_restored_checkpoint_covers() {
        let mut r = recorder();
        let mut s = Sinks::new(SinkCommit::Transactional, 1, true);
        let i = InstanceId(0);
        s.write(i, ev(0, 1.0), t(1.0), &mut r);
        s.barrier(i, 1);
        s.write(i, ev(1, 2.0), t(2.0), &mut r);
        s.barrier(i, 2);
        // Checkpoint 1 completed but its notice was lost; 2 never completed.
        s.rollback(1, t(3.0), &mut r);
        assert!(s.visible.contains(0));
        assert_eq!(s.aborted, vec![(1, t(2.0), t(3.0))]);
    }

    #[test]
    fn an_idempotent_sink_drops_every_id_it_wrote() {
        let mut r = recorder();
        let mut s = Sinks::new(SinkCommit::Idempotent, 1, false);
        let i = InstanceId(0);
        s.write(i, ev(0, 1.0), t(1.0), &mut r);
        s.write(i, ev(0, 1.0), t(1.5), &mut r);
        assert_eq!((s.dropped_duplicates, s.visible.duplicates()), (1, 0));
        s.barrier(i, 1);
        s.write(i, ev(1, 2.0), t(2.0), &mut r);
        s.completed(i, 1, t(3.0), &mut r);
        // A completed checkpoint forgets nothing: a replay overtaken by its barrier may
        // still arrive.
        s.write(i, ev(0, 1.0), t(4.0), &mut r);
        let derived = ev(crate::metrics::DERIVED_ID | 6, 2.0);
        s.write(i, derived, t(4.0), &mut r);
        s.write(i, derived, t(4.5), &mut r);
        assert_eq!((s.dropped_duplicates, s.ids_kept), (3, 3));
        assert_eq!(s.visible.duplicates(), 0);
    }
}
