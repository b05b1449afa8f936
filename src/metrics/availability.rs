//! Availability and recovery episodes.
//!
//! Each operator instance is responsible for its logical partitions; a partition is *up*
//! while its instance is live, not restarting and not hung. The tracker integrates, over the
//! measurement window, each instance's down time and the time during which at least one
//! instance is down (system down time). Recovery episodes follow one fault each from the
//! fault, through its detection, to the moment every affected instance runs again.

use crate::ft::Condition;
use crate::sim::{SimDuration, SimTime};

/// One fault's life: when it happened, when it was detected, when service was restored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Episode {
    /// What failed: `node` or `instance`.
    pub kind: EpisodeKind,
    /// Node (for node crashes) or instance (for instance crashes) index.
    pub target: u32,
    /// When the fault happened.
    pub fault_at: SimTime,
    /// When the failure detector suspected the node (none for local restarts).
    pub detected_at: Option<SimTime>,
    /// When the last affected instance had been restarted, restored or promoted (running
    /// again, perhaps still catching up).
    pub restored_at: Option<SimTime>,
    /// When the last affected instance was up again (caught up).
    pub recovered_at: Option<SimTime>,
    /// Which branch of the strategy's recovery it took (decided as it unfolds).
    pub condition: Condition,
    /// Source events lost, blamed on this episode (see [`mod@super::blame`]).
    pub lost: u64,
    /// Source events processed twice, blamed on this episode.
    pub duplicated: u64,
    /// Source events a sink made visible twice, blamed on this episode.
    pub visible_duplicated: u64,
    /// Instances still down for this episode.
    pending: u32,
}

/// What an episode is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpisodeKind {
    /// A node crashed.
    NodeCrash,
    /// One instance crashed (a poison event) and was restarted by its supervisor.
    InstanceCrash,
    /// A live node was falsely suspected and its instances were moved to a spare.
    FalseFailover,
    /// An instance hung (stopped serving while its node kept heartbeating).
    Hang,
    /// More checkpoints failed in a row than tolerated: the job failed over.
    CheckpointFailover,
}

impl EpisodeKind {
    /// Name in `episodes.csv`.
    pub fn label(self) -> &'static str {
        match self {
            Self::NodeCrash => "node-crash",
            Self::InstanceCrash => "instance-crash",
            Self::FalseFailover => "false-failover",
            Self::Hang => "hang",
            Self::CheckpointFailover => "checkpoint-failover",
        }
    }
}

/// Integrates up and down time of every instance over the measurement window.
#[derive(Clone, Debug)]
pub struct AvailabilityTracker {
    warmup: SimTime,
    end: SimTime,
    /// Per instance: down since (clipped to the window), if down.
    down_since: Vec<Option<SimTime>>,
    /// Per instance: down time inside the window.
    down: Vec<SimDuration>,
    /// Instances down now.
    down_count: u32,
    system_down_since: Option<SimTime>,
    system_down: SimDuration,
    /// Closed intervals with some instance down, clipped to the window (for SLA buckets).
    system_down_intervals: Vec<(SimTime, SimTime)>,
    episodes: Vec<Episode>,
    /// Per instance: the open episode it belongs to.
    episode_of: Vec<Option<u32>>,
    suspicions: u64,
    false_suspicions: u64,
    watchdog_suspicions: u64,
}

impl AvailabilityTracker {
    /// Every instance up at time zero.
    pub fn new(instances: usize, warmup: SimTime, end: SimTime) -> Self {
        Self {
            warmup,
            end,
            down_since: vec![None; instances],
            down: vec![SimDuration::ZERO; instances],
            down_count: 0,
            system_down_since: None,
            system_down: SimDuration::ZERO,
            system_down_intervals: Vec::new(),
            episodes: Vec::new(),
            episode_of: vec![None; instances],
            suspicions: 0,
            false_suspicions: 0,
            watchdog_suspicions: 0,
        }
    }

    fn clip(&self, t: SimTime) -> SimTime {
        t.clamp(self.warmup, self.end)
    }

    /// Instance `i` stops serving its partitions at `now` (no-op if already down).
    pub fn instance_down(&mut self, i: usize, now: SimTime) {
        if self.down_since[i].is_some() {
            return;
        }
        self.down_since[i] = Some(now);
        if self.down_count == 0 {
            self.system_down_since = Some(now);
        }
        self.down_count += 1;
    }

    /// Instance `i` serves its partitions again at `now` (no-op if up). Closes its part of
    /// an open episode.
    pub fn instance_up(&mut self, i: usize, now: SimTime) {
        let Some(since) = self.down_since[i].take() else {
            return;
        };
        self.down[i] = self.down[i] + (self.clip(now) - self.clip(since));
        self.down_count -= 1;
        if self.down_count == 0 {
            let since = self
                .system_down_since
                .take()
                .expect("set when the count left zero");
            self.system_down = self.system_down + (self.clip(now) - self.clip(since));
            self.system_down_intervals.push((since, now));
        }
        if let Some(e) = self.episode_of[i].take() {
            let ep = &mut self.episodes[e as usize];
            // Up without a separate restore (a hang that ended): restored now.
            ep.restored_at.get_or_insert(now);
            ep.pending -= 1;
            if ep.pending == 0 {
                ep.recovered_at = Some(now);
            }
        }
    }

    /// Instance `i` runs again at `now` (restarted, restored or promoted) but may still be
    /// catching up: marks the restore phase of its open episode.
    pub fn instance_restored(&mut self, i: usize, now: SimTime) {
        if let Some(e) = self.episode_of[i] {
            let ep = &mut self.episodes[e as usize];
            ep.restored_at = Some(ep.restored_at.map_or(now, |r| r.max(now)));
        }
    }

    /// Opens an episode for a fault at `now` affecting `instances` (those not already in an
    /// open episode join it).
    pub fn open_episode(
        &mut self,
        kind: EpisodeKind,
        target: u32,
        now: SimTime,
        instances: &[usize],
    ) {
        let id = self.episodes.len() as u32;
        let mut pending = 0;
        for &i in instances {
            if self.episode_of[i].is_none() && self.down_since[i].is_some() {
                self.episode_of[i] = Some(id);
                pending += 1;
            }
        }
        // A fault that hit instances none of which went down was masked (another copy kept
        // serving): recovered at once. One that hit nothing (an empty node) has nothing to
        // recover.
        let masked =
            !instances.is_empty() && instances.iter().all(|&i| self.down_since[i].is_none());
        self.episodes.push(Episode {
            kind,
            target,
            fault_at: now,
            detected_at: None,
            restored_at: masked.then_some(now),
            recovered_at: masked.then_some(now),
            condition: Condition::Primary,
            lost: 0,
            duplicated: 0,
            visible_duplicated: 0,
            pending,
        });
    }

    /// The open episode of instance `i`, if any, recovers by the strategy's fallback.
    pub fn fall_back(&mut self, i: usize) {
        if let Some(e) = self.episode_of[i] {
            self.episodes[e as usize].condition = Condition::Fallback;
        }
    }

    /// The latest episode recovers by the strategy's fallback (also when it was masked).
    pub fn fall_back_latest(&mut self) {
        if let Some(e) = self.episodes.last_mut() {
            e.condition = Condition::Fallback;
        }
    }

    /// The detector suspected `node` at `now`; `actually_down` tells a true suspicion from a
    /// false one. A true suspicion marks the node's latest undetected crash episode.
    pub fn suspicion(&mut self, node: u32, now: SimTime, actually_down: bool) {
        if now >= self.warmup && now < self.end {
            self.suspicions += 1;
            if !actually_down {
                self.false_suspicions += 1;
            }
        }
        // An episode whose instances were already restored without the detector (restarted
        // at the repair, or moved onto a repaired standby node) was not detected: a later
        // suspicion changed nothing for it. A masked one (another copy served) still records
        // when the crash was noticed.
        if actually_down
            && let Some(ep) = self.episodes.iter_mut().rev().find(|e| {
                e.kind == EpisodeKind::NodeCrash && e.target == node && e.detected_at.is_none()
            })
            && ep.restored_at.is_none_or(|r| r == ep.fault_at)
        {
            ep.detected_at = Some(now);
        }
    }

    /// The checkpoint watchdog suspected instance `instance` at `now`: marks its latest
    /// undetected hang episode as detected.
    pub fn watchdog_suspicion(&mut self, instance: u32, now: SimTime) {
        if now >= self.warmup && now < self.end {
            self.watchdog_suspicions += 1;
        }
        if let Some(ep) = self.episodes.iter_mut().rev().find(|e| {
            e.kind == EpisodeKind::Hang && e.target == instance && e.detected_at.is_none()
        }) {
            ep.detected_at = Some(now);
        }
    }

    /// Moves the window's end earlier, to `end` (not before the warm-up's end).
    pub fn stop_at(&mut self, end: SimTime) {
        self.end = end.clamp(self.warmup, self.end);
    }

    /// The system's down intervals so far: the closed ones in time order, and the start of
    /// the open one (some instance is down now).
    pub fn down_so_far(&self) -> (&[(SimTime, SimTime)], Option<SimTime>) {
        (&self.system_down_intervals, self.system_down_since)
    }

    /// Closes the window and reports (system availability, mean instance availability,
    /// system down time \[s\]) plus the episodes.
    pub fn finish(mut self) -> AvailabilitySummary {
        let end = self.end;
        for i in 0..self.down_since.len() {
            if let Some(since) = self.down_since[i] {
                self.down[i] = self.down[i] + (end - self.clip(since));
            }
        }
        if let Some(since) = self.system_down_since {
            self.system_down = self.system_down + (end - self.clip(since));
            self.system_down_intervals.push((since, end));
        }
        let window = (self.end - self.warmup).as_secs_f64();
        let mean_down = if self.down.is_empty() {
            0.0
        } else {
            self.down.iter().map(|d| d.as_secs_f64()).sum::<f64>() / self.down.len() as f64
        };
        AvailabilitySummary {
            system: 1.0 - self.system_down.as_secs_f64() / window,
            // Each partition is down at most the whole window; the float mean of such times
            // may exceed it by a rounding step.
            mean_partition: (1.0 - mean_down / window).max(0.0),
            system_down_s: self.system_down.as_secs_f64(),
            suspicions: self.suspicions,
            false_suspicions: self.false_suspicions,
            watchdog_suspicions: self.watchdog_suspicions,
            system_down_intervals: self.system_down_intervals,
            episodes: self.episodes,
        }
    }
}

/// What the tracker measured.
#[derive(Clone, Debug, PartialEq)]
pub struct AvailabilitySummary {
    /// Fraction of the window with every instance up.
    pub system: f64,
    /// Mean over instances of the fraction of the window each was up.
    pub mean_partition: f64,
    /// Time with at least one instance down \[s\].
    pub system_down_s: f64,
    /// Suspicions raised in the window.
    pub suspicions: u64,
    /// Suspicions of nodes that were up.
    pub false_suspicions: u64,
    /// Instances suspected by the checkpoint-progress watchdog.
    pub watchdog_suspicions: u64,
    /// Intervals with some instance down, in time order.
    pub system_down_intervals: Vec<(SimTime, SimTime)>,
    /// Every episode of the run, in fault order.
    pub episodes: Vec<Episode>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: f64) -> SimTime {
        SimTime::from_secs_f64(s)
    }

    /// Differential check: the incremental accumulator against integrating the timeline.
    /// Instance 0 down [2, 4), instance 1 down [3, 6) and [8, 12) (past the end at 10);
    /// window [1, 10): system down [2, 6) ∪ [8, 10) = 6 s of 9; instances down 2 s and 5 s.
    #[test]
    fn accumulator_matches_the_timeline() {
        let mut a = AvailabilityTracker::new(2, t(1.0), t(10.0));
        a.instance_down(0, t(2.0));
        a.instance_down(1, t(3.0));
        a.instance_up(0, t(4.0));
        a.instance_up(1, t(6.0));
        a.instance_down(1, t(8.0));
        let s = a.finish();
        assert!((s.system - (1.0 - 6.0 / 9.0)).abs() < 1e-12, "{s:?}");
        assert!(
            (s.mean_partition - (1.0 - 3.5 / 9.0)).abs() < 1e-12,
            "{s:?}"
        );
    }

    #[test]
    fn episode_completes_when_its_last_instance_recovers() {
        let mut a = AvailabilityTracker::new(3, t(0.0), t(100.0));
        a.instance_down(0, t(5.0));
        a.instance_down(1, t(5.0));
        a.open_episode(EpisodeKind::NodeCrash, 7, t(5.0), &[0, 1]);
        a.suspicion(7, t(5.5), true);
        a.suspicion(2, t(6.0), false);
        a.instance_up(0, t(7.0));
        a.instance_up(1, t(9.0));
        let s = a.finish();
        let e = s.episodes[0];
        assert_eq!(
            (e.detected_at, e.recovered_at),
            (Some(t(5.5)), Some(t(9.0)))
        );
        assert_eq!((s.suspicions, s.false_suspicions), (2, 1));
    }
}
