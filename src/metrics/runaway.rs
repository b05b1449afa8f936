//! Runaway state: a replication that ran to its end, but whose checkpoints stopped completing
//! or whose buffered events kept growing, is flagged with its results instead of growing
//! silently (a replication that outgrows its memory budget is stopped instead: see
//! `world::run`).
//!
//! The world samples, at each of a run's fifty progress steps, the events it holds (input
//! queues, replay buffers, output logs) and its last completed checkpoint ([`RunawayWatch`]).
//! At the end two rules are judged over the measurement window `[W, T)`, split in quarters:
//!
//! - **checkpoints stalled**: the variant takes checkpoints every τ, and none completed for
//!   the last `max(5τ, (T − W)/4)` of the run (or none ever did);
//! - **events held grew**: the least number held in the last quarter exceeds the most held in
//!   the second quarter by a factor of 1.25 and by at least 1000 events. A queue that grows
//!   linearly from the window's start gives a factor of 1.5; a stable system's last quarter
//!   does not lie wholly above its second.
//!
//! Samples are 1/50 of the run apart, so a completion is dated at most that late (which only
//! shortens a stall), and a rule needs two samples in each quarter it reads.

use std::fmt::Write;

use crate::sim::{SimDuration, SimTime};

/// One buffer of events at an instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    /// Operator name.
    pub operator: String,
    /// Instance index within the operator.
    pub index: u32,
    /// Node name.
    pub node: String,
    /// Which buffer.
    pub kind: HolderKind,
    /// Events it held.
    pub events: u64,
    /// Offered load of the instance over the run so far: its arrival rate times its mean
    /// service time over its servers (for input queues of operators that serve events).
    pub offered_load: Option<f64>,
    /// Arrivals per second at the instance over the run so far.
    pub arrival_rate: f64,
}

/// The kind of buffer a [`Holder`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolderKind {
    /// Events waiting to be served.
    InputQueue,
    /// A source's retained events, kept for replay until a checkpoint completes.
    ReplayBuffer,
    /// An output log kept for local replay until downstream checkpoints.
    OutputLog,
}

impl HolderKind {
    /// Short description for reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::InputQueue => "input queue",
            Self::ReplayBuffer => "replay buffer (events kept until a checkpoint completes)",
            Self::OutputLog => "output log (events kept until downstream checkpoints)",
        }
    }
}

/// How much the last quarter's least must exceed the second quarter's most.
const GROWTH_FACTOR: f64 = 1.25;
/// ... and by how many events at least, so that small queues never count.
const GROWTH_EVENTS: u64 = 1000;
/// A stall must last this many checkpoint intervals (and a quarter of the window).
const STALL_INTERVALS: u64 = 5;

/// What a replication sampled of its state as it ran.
#[derive(Clone, Debug)]
pub struct RunawayWatch {
    warmup: SimTime,
    end: SimTime,
    interval: Option<SimDuration>,
    /// (time, events held) at each sample.
    held: Vec<(SimTime, u64)>,
    /// The last completed checkpoint's id, and when a sample first saw it.
    last_checkpoint: u32,
    last_checkpoint_at: SimTime,
}

impl RunawayWatch {
    /// A watch over a run with window `[warmup, end)`, taking checkpoints every `interval`
    /// if any.
    pub fn new(warmup: SimTime, end: SimTime, interval: Option<SimDuration>) -> Self {
        Self {
            warmup,
            end,
            interval,
            held: Vec::with_capacity(64),
            last_checkpoint: 0,
            last_checkpoint_at: SimTime::ZERO,
        }
    }

    /// The run held `held` events at `now`, and `last_checkpoint` was the last completed.
    pub fn sample(&mut self, now: SimTime, held: u64, last_checkpoint: u32) {
        self.held.push((now, held));
        if last_checkpoint != self.last_checkpoint {
            self.last_checkpoint = last_checkpoint;
            self.last_checkpoint_at = now;
        }
    }

    /// The run stopped early at `end` (its memory budget): the window ends there.
    pub fn stop_at(&mut self, end: SimTime) {
        self.end = end.min(self.end);
    }

    /// Judges the samples; `holders` (the largest holders now) is called only for a
    /// runaway. `held_end`: events held at the end.
    pub fn verdict(&self, held_end: u64, holders: impl FnOnce() -> Vec<Holder>) -> Option<Runaway> {
        let window = self.end.saturating_since(self.warmup);
        let quarter =
            |k: u64| SimTime::from_nanos(self.warmup.as_nanos() + window.as_nanos() / 4 * k);
        let in_span = |from: SimTime, to: SimTime| {
            self.held
                .iter()
                .filter(move |&&(t, _)| t >= from && t <= to)
                .map(|&(_, h)| h)
        };
        let growth = {
            let (second, last) = (
                in_span(quarter(1), quarter(2)).collect::<Vec<_>>(),
                in_span(quarter(3), self.end).collect::<Vec<_>>(),
            );
            match (second.iter().max(), last.iter().min()) {
                (Some(&most), Some(&least))
                    if second.len() >= 2
                        && last.len() >= 2
                        && least as f64 > GROWTH_FACTOR * most as f64
                        && least - most >= GROWTH_EVENTS =>
                {
                    Some((most, least))
                }
                _ => None,
            }
        };
        let stalled_since = self.interval.and_then(|tau| {
            let since = self.last_checkpoint_at;
            let needed = SimDuration::from_nanos(
                (tau.as_nanos().saturating_mul(STALL_INTERVALS)).max(window.as_nanos() / 4),
            );
            (self.end.saturating_since(since) >= needed && window > SimDuration::ZERO)
                .then_some(since)
        });
        if growth.is_none() && stalled_since.is_none() {
            return None;
        }
        Some(Runaway {
            checkpoints_stalled_since: stalled_since,
            checkpoints_ever_completed: self.last_checkpoint != 0,
            checkpoint_interval: self.interval,
            held_growth: growth,
            held_end,
            holders: holders(),
        })
    }
}

/// A replication whose state ran away: what the rules found.
#[derive(Clone, Debug, PartialEq)]
pub struct Runaway {
    /// No checkpoint completed since this time (zero: none ever did, see
    /// `checkpoints_ever_completed`).
    pub checkpoints_stalled_since: Option<SimTime>,
    /// Whether any checkpoint completed in the run.
    pub checkpoints_ever_completed: bool,
    /// The variant's checkpoint interval, if it takes checkpoints.
    pub checkpoint_interval: Option<SimDuration>,
    /// Events held: the most in the window's second quarter and the least in its last.
    pub held_growth: Option<(u64, u64)>,
    /// Events held at the end.
    pub held_end: u64,
    /// The largest holders of events at the end, largest first.
    pub holders: Vec<Holder>,
}

impl Runaway {
    /// One paragraph for the printed result: what ran away, and the largest holders.
    pub fn describe(&self, end: SimTime) -> String {
        let mut out = String::new();
        if let Some(since) = self.checkpoints_stalled_since {
            let tau = self.checkpoint_interval.map_or(0.0, |t| t.as_secs_f64());
            if self.checkpoints_ever_completed {
                let _ = writeln!(
                    out,
                    "checkpoints stopped completing: none after t = {:.1} s, for the last {:.1} s \
                     of the run (interval {tau} s)",
                    since.as_secs_f64(),
                    end.saturating_since(since).as_secs_f64()
                );
            } else {
                let _ = writeln!(
                    out,
                    "no checkpoint ever completed in {:.1} s (interval {tau} s)",
                    end.as_secs_f64()
                );
            }
        }
        if let Some((most, least)) = self.held_growth {
            let _ = writeln!(
                out,
                "events held grew without bound: at most {most} in the window's second quarter, \
                 at least {least} in its last, {} at the end",
                self.held_end
            );
        }
        for h in &self.holders {
            let _ = writeln!(
                out,
                "  {}[{}] on {}: {} of {} events",
                h.operator,
                h.index,
                h.node,
                h.kind.label(),
                h.events
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: f64) -> SimTime {
        SimTime::from_secs_f64(t)
    }

    /// Samples of a run of 100 s with a 20 s warm-up, `held(t)` events at each of 50 steps
    /// and checkpoint completions per `completed(t)`.
    fn watch(
        interval: Option<f64>,
        held: impl Fn(f64) -> u64,
        completed: impl Fn(f64) -> u32,
    ) -> RunawayWatch {
        let mut w = RunawayWatch::new(s(20.0), s(100.0), interval.map(SimDuration::from_secs_f64));
        for k in 1..=50 {
            let t = 2.0 * f64::from(k);
            w.sample(s(t), held(t), completed(t));
        }
        w
    }

    #[test]
    fn a_linearly_growing_queue_is_flagged_and_a_noisy_stable_one_is_not() {
        let growing = watch(None, |t| (t * 100.0) as u64, |_| 0);
        let r = growing.verdict(10_000, Vec::new).expect("grows");
        assert_eq!(r.held_growth, Some((6000, 8000)));
        assert_eq!(r.checkpoints_stalled_since, None);
        // Stable around 5000 with a burst in the last quarter.
        let stable = watch(
            None,
            |t| {
                if t == 90.0 {
                    50_000
                } else {
                    5000 + (t as u64 % 7) * 300
                }
            },
            |_| 0,
        );
        assert!(stable.verdict(5000, Vec::new).is_none());
        // Small queues never count, however they grow.
        let small = watch(None, |t| t as u64 * 5, |_| 0);
        assert!(small.verdict(500, Vec::new).is_none());
    }

    #[test]
    fn checkpoints_that_stop_completing_are_flagged_after_five_intervals_and_a_quarter() {
        // Every 2 s until t = 60 s, then none: stalled for 40 s ≥ max(5 × 2, 80/4).
        let stalled = watch(Some(2.0), |_| 0, |t| (t.min(60.0) / 2.0) as u32);
        let r = stalled.verdict(0, Vec::new).expect("stalled");
        assert_eq!(r.checkpoints_stalled_since, Some(s(60.0)));
        assert!(r.checkpoints_ever_completed);
        // Until t = 84 s: 16 s < a quarter of the window.
        let late = watch(Some(2.0), |_| 0, |t| (t.min(84.0) / 2.0) as u32);
        assert!(late.verdict(0, Vec::new).is_none());
        // Never: stalled since the start.
        let never = watch(Some(2.0), |_| 0, |_| 0);
        let r = never.verdict(0, Vec::new).expect("never completed");
        assert!(!r.checkpoints_ever_completed);
        // Without checkpoints there is nothing to stall.
        assert!(watch(None, |_| 0, |_| 0).verdict(0, Vec::new).is_none());
    }
}
