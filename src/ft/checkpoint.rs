//! Checkpointing: the coordinator's bookkeeping of periodic consistent snapshots.
//!
//! Every `interval` the coordinator starts checkpoint n (one at a time, as Flink does by
//! default): it triggers every source, which records its offset and sends barrier n in-band
//! on every output channel. How an instance with several inputs meets the barriers is the
//! [`BarrierMode`]: counted (at-least-once: it snapshots when barrier n has reached the head
//! of its queue from every input, having processed what other inputs sent after theirs, so a
//! rollback may deliver duplicates, which the metrics count), aligned (an input whose barrier
//! was taken is blocked until every input's has come: exactly-once, at the cost of alignment
//! stalls) or unaligned (the first barrier is taken at once and overtakes buffered data, which
//! the snapshot stores). A snapshot takes state size / snapshot bandwidth; in synchronous mode the
//! instance stops processing meanwhile, in asynchronous mode it goes on. Each instance
//! acknowledges its snapshot to the coordinator; checkpoint n is complete when every
//! acknowledgement has arrived, and sources may then drop the data before its offsets.
//! A rollback aborts the checkpoint in progress; so does its `timeout`, and that counts as a
//! failed checkpoint (beyond `tolerable_failed` in a row the world fails the job over).
//! `min_pause` keeps the next checkpoint from starting too soon after one ended.

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
    /// How barriers meet at instances with several inputs.
    pub barriers: BarrierMode,
    /// Aligned barriers older than this switch to unaligned.
    pub aligned_timeout: Option<SimDuration>,
    /// A checkpoint not complete this long after its start expires.
    pub timeout: Option<SimDuration>,
    /// Expired checkpoints in a row tolerated before a failover (`None`: any number).
    pub tolerable_failed: Option<u32>,
    /// Least time between a checkpoint's end and the next one's start.
    pub min_pause: SimDuration,
}

/// Barrier handling at an instance with several input channels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BarrierMode {
    /// Counted: an input's events after its barrier may be processed before the snapshot,
    /// so a rollback replays some events whose effect the restored state already holds.
    #[default]
    AtLeastOnce,
    /// Aligned: an input whose barrier arrived is blocked until every input's barrier has
    /// (the snapshot holds exactly the events before the barriers).
    Aligned,
    /// Unaligned: the first barrier overtakes the instance's buffered input and output,
    /// which are stored with the snapshot and restored on rollback.
    Unaligned,
}

impl BarrierMode {
    /// Name in results.
    pub fn label(self) -> &'static str {
        match self {
            Self::AtLeastOnce => "at-least-once",
            Self::Aligned => "aligned",
            Self::Unaligned => "unaligned",
        }
    }

    /// Whether a restored checkpoint reflects exactly the events before its barriers.
    pub fn exactly_once(self) -> bool {
        self != Self::AtLeastOnce
    }
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
    /// Checkpoints that expired (aborted by `timeout`), and how many in a row lately.
    expired: u32,
    failed_in_a_row: u32,
    /// When the last checkpoint ended (completed, aborted or expired), for `min_pause`.
    last_end: Option<SimTime>,
    /// Start-to-completion time of every completed checkpoint \[s\], in order.
    durations: Vec<f64>,
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
            expired: 0,
            failed_in_a_row: 0,
            last_end: None,
            durations: Vec::new(),
        }
    }

    /// When the next checkpoint may start at the earliest, given a least pause between one
    /// checkpoint's end and the next one's start.
    pub fn may_start_at(&self, min_pause: SimDuration) -> SimTime {
        self.last_end
            .map_or(SimTime::ZERO, |end| end.saturating_add(min_pause))
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
        self.durations.push((now - p.started).as_secs_f64());
        self.in_progress = None;
        self.completed += 1;
        self.failed_in_a_row = 0;
        self.last_end = Some(now);
        true
    }

    /// Abandons the checkpoint in progress (a rollback started) at `now`.
    pub fn abort(&mut self, now: SimTime) {
        if self.in_progress.take().is_some() {
            self.aborted += 1;
            self.last_end = Some(now);
        }
    }

    /// Checkpoint `checkpoint` reached its timeout at `now`: if it is still in progress it
    /// expires (aborted, and counted as a failed checkpoint). Returns the failed
    /// checkpoints in a row, or `None` if it had ended already.
    pub fn expire(&mut self, checkpoint: u32, now: SimTime) -> Option<u32> {
        if self.in_progress() != Some(checkpoint) {
            return None;
        }
        self.abort(now);
        self.expired += 1;
        self.failed_in_a_row += 1;
        Some(self.failed_in_a_row)
    }

    /// A failover answered the failed checkpoints: the count in a row starts again.
    pub fn failed_answered(&mut self) {
        self.failed_in_a_row = 0;
    }

    /// Checkpoints that expired.
    pub fn expired(&self) -> u32 {
        self.expired
    }

    /// Start-to-completion time of every completed checkpoint \[s\].
    pub fn durations(&self) -> &[f64] {
        &self.durations
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
        c.abort(t(0.5));
        assert!(!c.ack(id, 0, t(0.1)));
        assert_eq!(c.last_complete(), None);
        assert_eq!(c.counts(), (0, 1));
    }

    #[test]
    fn an_expired_checkpoint_counts_as_failed_until_one_completes() {
        let mut c = CheckpointCoordinator::new(1);
        let a = c.start(t(0.0)).unwrap();
        assert_eq!(c.expire(a, t(1.0)), Some(1));
        assert_eq!(c.expire(a, t(1.5)), None, "expires once");
        assert_eq!(
            c.may_start_at(SimDuration::from_millis(500)),
            t(1.5),
            "the pause runs from the end"
        );
        let b = c.start(t(2.0)).unwrap();
        assert_eq!(c.expire(b, t(3.0)), Some(2));
        let d = c.start(t(4.0)).unwrap();
        assert!(c.ack(d, 0, t(4.25)));
        assert_eq!(c.durations(), &[0.25]);
        let e = c.start(t(5.0)).unwrap();
        assert_eq!(
            c.expire(e, t(6.0)),
            Some(1),
            "a completion resets the count"
        );
        assert_eq!(c.expired(), 3);
        assert_eq!(c.counts(), (1, 3));
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
            barriers: BarrierMode::AtLeastOnce,
            aligned_timeout: None,
            timeout: None,
            tolerable_failed: None,
            min_pause: SimDuration::ZERO,
        };
        assert_eq!(cfg.snapshot_time(500_000), SimDuration::from_millis(500));
        assert_eq!(cfg.restore_time(500_000), SimDuration::from_millis(250));
    }
}
