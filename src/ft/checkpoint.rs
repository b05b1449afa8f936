//! Checkpointing: the coordinator's bookkeeping of periodic consistent snapshots.
//!
//! Every `interval` the coordinator starts checkpoint n (one at a time, as Flink does by
//! default): it triggers every source, which records its offset and sends barrier n in-band
//! on every output channel. An instance snapshots its state when barrier n has reached the
//! head of its queue from every input channel — barrier counting without alignment, Flink's
//! at-least-once mode: no alignment stalls, and a rollback may deliver duplicates, which the
//! metrics count. A snapshot takes state size / snapshot bandwidth; in synchronous mode the
//! instance stops processing meanwhile, in asynchronous mode it goes on. Each instance
//! acknowledges its snapshot to the coordinator; checkpoint n is complete when every
//! acknowledgement has arrived, and sources may then drop the data before its offsets.
//! A rollback aborts the checkpoint in progress.

use crate::sim::{SimDuration, SimTime};

/// Snapshot modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotMode {
    /// The instance stops processing while it writes its snapshot.
    Sync,
    /// The instance keeps processing; the snapshot is written in the background.
    Async,
}

/// Checkpoint settings of a validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointConfig {
    /// Time between checkpoint starts.
    pub interval: SimDuration,
    /// Snapshot write bandwidth \[bytes per second\].
    pub snapshot_bytes_per_s: f64,
    /// State restore bandwidth \[bytes per second\].
    pub restore_bytes_per_s: f64,
    /// Synchronous or asynchronous snapshots.
    pub mode: SnapshotMode,
    /// Checkpoint-progress watchdog: instances that have not acknowledged a checkpoint this
    /// long after it started are suspected (catches hangs whose heartbeats still flow).
    pub watchdog: Option<SimDuration>,
    /// Whether a failure rolls back every instance or only the failed ones (strategies
    /// other than `None` decide for themselves).
    pub rollback: super::RollbackScope,
}

impl CheckpointConfig {
    /// Time to write a snapshot of `bytes`.
    pub fn snapshot_time(&self, bytes: u64) -> SimDuration {
        SimDuration::from_secs_f64(bytes as f64 / self.snapshot_bytes_per_s)
    }

    /// Time to restore a snapshot of `bytes`.
    pub fn restore_time(&self, bytes: u64) -> SimDuration {
        SimDuration::from_secs_f64(bytes as f64 / self.restore_bytes_per_s)
    }
}

/// The checkpoint in progress.
#[derive(Clone, Debug, PartialEq)]
struct InProgress {
    id: u32,
    started: SimTime,
    /// Per instance: whether its acknowledgement arrived.
    acked: Vec<bool>,
    missing: u32,
}

/// The coordinator's view of checkpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointCoordinator {
    instances: usize,
    next_id: u32,
    in_progress: Option<InProgress>,
    last_complete: Option<(u32, SimTime)>,
    /// When the last complete checkpoint started.
    last_complete_started: Option<SimTime>,
    completed: u32,
    aborted: u32,
}

impl CheckpointCoordinator {
    /// A coordinator for `instances` participating instances.
    pub fn new(instances: usize) -> Self {
        Self {
            instances,
            next_id: 1,
            in_progress: None,
            last_complete: None,
            last_complete_started: None,
            completed: 0,
            aborted: 0,
        }
    }

    /// Starts the next checkpoint unless one is in progress; returns its id.
    pub fn start(&mut self, now: SimTime) -> Option<u32> {
        if self.in_progress.is_some() {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.in_progress = Some(InProgress {
            id,
            started: now,
            acked: vec![false; self.instances],
            missing: self.instances as u32,
        });
        Some(id)
    }

    /// Records instance `instance`'s acknowledgement of `checkpoint`; returns true when that
    /// completes the checkpoint. Stale or repeated acknowledgements are ignored.
    pub fn ack(&mut self, checkpoint: u32, instance: usize, now: SimTime) -> bool {
        let Some(p) = self.in_progress.as_mut() else {
            return false;
        };
        if p.id != checkpoint || p.acked[instance] {
            return false;
        }
        p.acked[instance] = true;
        p.missing -= 1;
        if p.missing > 0 {
            return false;
        }
        self.last_complete = Some((checkpoint, now));
        self.last_complete_started = Some(p.started);
        self.in_progress = None;
        self.completed += 1;
        true
    }

    /// Abandons the checkpoint in progress (a rollback started).
    pub fn abort(&mut self) {
        if self.in_progress.take().is_some() {
            self.aborted += 1;
        }
    }

    /// The in-progress checkpoint if it is `checkpoint` and started at or before `deadline`:
    /// the instances that have not acknowledged it.
    pub fn laggards(&self, checkpoint: u32) -> Vec<usize> {
        match &self.in_progress {
            Some(p) if p.id == checkpoint => (0..self.instances).filter(|&i| !p.acked[i]).collect(),
            _ => Vec::new(),
        }
    }

    /// The id the next checkpoint started will have.
    pub fn next_id(&self) -> u32 {
        self.next_id
    }

    /// Id and completion time of the last complete checkpoint.
    pub fn last_complete(&self) -> Option<(u32, SimTime)> {
        self.last_complete
    }

    /// When the last complete checkpoint started (its barriers left the sources).
    pub fn last_complete_started(&self) -> Option<SimTime> {
        self.last_complete_started
    }

    /// Checkpoints completed and aborted so far.
    pub fn counts(&self) -> (u32, u32) {
        (self.completed, self.aborted)
    }

    /// The checkpoint in progress.
    pub fn in_progress(&self) -> Option<u32> {
        self.in_progress.as_ref().map(|p| p.id)
    }

    /// Start time of the checkpoint in progress.
    pub fn in_progress_since(&self) -> Option<SimTime> {
        self.in_progress.as_ref().map(|p| p.started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: f64) -> SimTime {
        SimTime::from_secs_f64(s)
    }

    #[test]
    fn completes_when_every_instance_acknowledged_once() {
        let mut c = CheckpointCoordinator::new(3);
        let id = c.start(t(1.0)).unwrap();
        assert_eq!(c.start(t(1.5)), None, "one checkpoint at a time");
        assert!(!c.ack(id, 0, t(1.1)));
        assert!(!c.ack(id, 0, t(1.2)), "a repeated ack counts once");
        assert!(!c.ack(id + 7, 1, t(1.2)), "a stale ack is ignored");
        assert_eq!(c.laggards(id), vec![1, 2]);
        assert!(!c.ack(id, 1, t(1.3)));
        assert!(c.ack(id, 2, t(1.4)));
        assert_eq!(c.last_complete(), Some((id, t(1.4))));
        assert_eq!(c.start(t(2.0)), Some(id + 1));
    }

    #[test]
    fn abort_discards_the_checkpoint_in_progress() {
        let mut c = CheckpointCoordinator::new(1);
        let id = c.start(t(0.0)).unwrap();
        c.abort();
        assert!(!c.ack(id, 0, t(0.1)));
        assert_eq!(c.last_complete(), None);
        assert_eq!(c.counts(), (0, 1));
    }

    #[test]
    fn snapshot_time_is_size_over_bandwidth() {
        let cfg = CheckpointConfig {
            interval: SimDuration::from_millis(1000),
            snapshot_bytes_per_s: 1e6,
            restore_bytes_per_s: 2e6,
            mode: SnapshotMode::Async,
            watchdog: None,
            rollback: super::super::RollbackScope::Global,
        };
        assert_eq!(cfg.snapshot_time(500_000), SimDuration::from_millis(500));
        assert_eq!(cfg.restore_time(500_000), SimDuration::from_millis(250));
    }
}
