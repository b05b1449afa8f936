//! The recorder: observations in, one [`ReplicationSummary`] out.

use super::{AvailabilityTracker, DelayHistogram, Episode, EpisodeKind};
use crate::sim::{SimDuration, SimTime};

/// Probabilities at which the delay CDF is reported (`delay_cdf.csv`).
pub const CDF_PROBABILITIES: [f64; 24] = [
    0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8,
    0.85, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999,
];

/// When and how finely to measure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetricsConfig {
    /// Start of the measurement window (end of warm-up).
    pub warmup: SimTime,
    /// End of the replication.
    pub end: SimTime,
    /// Width of a time-series bucket.
    pub bucket: SimDuration,
    /// Delay objective for SLA availability, if the scenario sets one.
    pub sla: Option<SimDuration>,
}

impl MetricsConfig {
    fn window_s(&self) -> f64 {
        (self.end - self.warmup).as_secs_f64()
    }
}

/// Per-instance queue accounting for Little's law over the measurement window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueueStats {
    /// Events in the instance now (queued + in service).
    in_system: u64,
    /// When `in_system` last changed (clipped to the window start).
    last_change: SimTime,
    /// ∫ in_system dt over the window \[event·ns\].
    area: u128,
    /// Arrivals in the window.
    pub arrivals: u64,
    /// Departures (service completions) of events that arrived in the window.
    pub departures: u64,
    /// Sum of their sojourn times \[ns\].
    sojourn_sum_ns: u128,
    /// Service completions in the window, whenever the event arrived.
    pub processed: u64,
    /// Core time spent serving in the window \[ns\].
    busy_ns: u128,
}

impl QueueStats {
    /// Time-average number in the instance over the window, L.
    pub fn mean_in_system(&self, window_s: f64) -> f64 {
        self.area as f64 * 1e-9 / window_s
    }
    /// Arrival rate over the window, λ \[events/s\].
    pub fn arrival_rate(&self, window_s: f64) -> f64 {
        self.arrivals as f64 / window_s
    }
    /// Mean sojourn of events that arrived in the window and left before its end, W \[s\].
    pub fn mean_sojourn_s(&self) -> f64 {
        self.sojourn_sum_ns as f64 * 1e-9 / self.departures as f64
    }
    /// Busy core time in the window \[s\].
    pub fn busy_s(&self) -> f64 {
        self.busy_ns as f64 * 1e-9
    }
}

/// One bucket of the time series.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SeriesPoint {
    /// Events delivered in the bucket.
    pub delivered: u64,
    /// Sum of their delays \[ns\].
    delay_sum_ns: u128,
    /// Events emitted by sources in the bucket.
    pub emitted: u64,
    /// Deliveries later than the SLA's delay objective.
    pub late: u64,
    /// Events a sink made visible in the bucket (tracked only with sink metrics).
    pub visible: u64,
    /// Of those, visible later than the SLA's delay objective.
    pub visible_late: u64,
}

impl SeriesPoint {
    /// Mean delay of the bucket's deliveries \[ms\]; NaN if none.
    pub fn delay_mean_ms(&self) -> f64 {
        if self.delivered == 0 {
            f64::NAN
        } else {
            self.delay_sum_ns as f64 / self.delivered as f64 * 1e-6
        }
    }
}

/// Event counts over the whole run; see the `metrics` module docs for the invariant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conservation {
    /// Created by sources.
    pub emitted: u64,
    /// Extra events created by operators.
    pub spawned: u64,
    /// Copies of source events sent again by a replay after a rollback.
    pub replayed: u64,
    /// Delivered at sinks.
    pub delivered: u64,
    /// Consumed without output (filtered, folded into a window).
    pub absorbed: u64,
    /// Lost to faults.
    pub dropped: u64,
    /// Shed by push sources under backpressure (never entered the system).
    pub shed: u64,
    /// Queued, in service, on the wire, or waiting in a source for a replay at the end
    /// (counted from the world's state).
    pub in_flight: u64,
}

impl Conservation {
    /// Whether `emitted + spawned + replayed = delivered + absorbed + dropped + shed +
    /// in_flight`.
    pub fn holds(&self) -> bool {
        self.emitted + self.spawned + self.replayed
            == self.delivered + self.absorbed + self.dropped + self.shed + self.in_flight
    }
}

/// Everything measured in one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationSummary {
    /// Scalar metrics in a fixed order (names as in the module docs).
    pub metrics: Vec<(String, f64)>,
    /// Time series over [0, T), one point per bucket.
    pub series: Vec<SeriesPoint>,
    /// Width of a series bucket \[s\].
    pub bucket_s: f64,
    /// Delay quantiles \[ms\] at [`CDF_PROBABILITIES`].
    pub cdf_ms: Vec<f64>,
    /// Per instance: (L, λ·W) of Little's law over the window.
    pub little: Vec<(f64, f64)>,
    /// Whole-run counts.
    pub conservation: Conservation,
    /// Kernel events processed.
    pub kernel_events: u64,
    /// Recovery episodes, in fault order, with the losses and duplicates blamed on each.
    pub episodes: Vec<Episode>,
    /// Losses and duplicates dated before any fault.
    pub unblamed: super::Unblamed,
}

impl ReplicationSummary {
    /// The value of metric `name`.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// Collects observations of one replication.
#[derive(Debug)]
pub struct Recorder {
    config: MetricsConfig,
    delays: DelayHistogram,
    /// Visible delays (from creation until a sink made the event visible), when tracked.
    visible: Option<DelayHistogram>,
    /// The SLA is judged on visible delays (a transactional sink).
    sla_on_visible: bool,
    series: Vec<SeriesPoint>,
    queues: Vec<QueueStats>,
    counts: Conservation,
    availability: AvailabilityTracker,
    emitted_in_window: u64,
    /// The current series bucket: index and time span.
    bucket_index: usize,
    bucket_start: SimTime,
    bucket_end: SimTime,
}

impl Recorder {
    /// A recorder for a run with `instances` operator instances serving `units` logical
    /// instances (more instances than units under active replication: availability is per
    /// unit, queues per instance).
    pub fn new(config: MetricsConfig, units: usize, instances: usize) -> Self {
        let buckets = config
            .end
            .as_nanos()
            .div_ceil(config.bucket.as_nanos().max(1))
            .max(1);
        Self {
            config,
            delays: DelayHistogram::new(),
            visible: None,
            sla_on_visible: false,
            series: vec![SeriesPoint::default(); buckets as usize],
            queues: vec![
                QueueStats {
                    last_change: config.warmup,
                    ..Default::default()
                };
                instances
            ],
            counts: Conservation::default(),
            availability: AvailabilityTracker::new(units, config.warmup, config.end),
            emitted_in_window: 0,
            bucket_index: 0,
            bucket_start: SimTime::ZERO,
            bucket_end: SimTime::ZERO + config.bucket,
        }
    }

    #[inline]
    fn in_window(&self, t: SimTime) -> bool {
        t >= self.config.warmup && t < self.config.end
    }

    /// The series bucket containing `t`. Observations arrive in non-decreasing time (the
    /// kernel's clock), so the current bucket is tracked incrementally instead of dividing on
    /// every observation; an earlier time (never produced by the kernel) falls back to a
    /// division.
    #[inline]
    fn bucket(&mut self, t: SimTime) -> Option<&mut SeriesPoint> {
        if t < self.bucket_start {
            let i = t.as_nanos() / self.config.bucket.as_nanos().max(1);
            return self.series.get_mut(i as usize);
        }
        while t >= self.bucket_end {
            self.bucket_index += 1;
            self.bucket_start = self.bucket_end;
            self.bucket_end = self.bucket_end.saturating_add(self.config.bucket);
        }
        self.series.get_mut(self.bucket_index)
    }

    /// A source created an event.
    #[inline]
    pub fn emitted(&mut self, now: SimTime) {
        self.counts.emitted += 1;
        if self.in_window(now) {
            self.emitted_in_window += 1;
        }
        if let Some(b) = self.bucket(now) {
            b.emitted += 1;
        }
    }

    /// An operator created `n` extra events.
    #[inline]
    pub fn spawned(&mut self, n: u64) {
        self.counts.spawned += n;
    }

    /// An operator consumed an input without producing an output.
    #[inline]
    pub fn absorbed(&mut self) {
        self.counts.absorbed += 1;
    }

    /// `n` retained source events were sent again by a replay.
    pub fn replayed(&mut self, n: u64) {
        self.counts.replayed += n;
    }

    /// A push source shed an event it could not send.
    pub fn shed(&mut self) {
        self.counts.shed += 1;
    }

    /// Events sources created inside the measurement window.
    pub fn emitted_in_window(&self) -> u64 {
        self.emitted_in_window
    }

    /// An event was lost.
    #[inline]
    pub fn dropped(&mut self) {
        self.counts.dropped += 1;
    }

    /// An event reached a sink.
    #[inline]
    pub fn delivered(&mut self, now: SimTime, created: SimTime) {
        self.counts.delivered += 1;
        let delay = now.saturating_since(created);
        let late = self.config.sla.is_some_and(|sla| delay > sla);
        if let Some(b) = self.bucket(now) {
            b.delivered += 1;
            b.delay_sum_ns += u128::from(delay.as_nanos());
            b.late += u64::from(late);
        }
        if self.in_window(now) {
            self.delays.record(delay);
        }
    }

    /// Tracks visible delays from now on; `sla_on_visible`: judge the SLA on them (a
    /// transactional sink, whose output a consumer sees only at commits).
    pub fn track_visible(&mut self, sla_on_visible: bool) {
        self.visible = Some(DelayHistogram::new());
        self.sla_on_visible = sla_on_visible;
    }

    /// A sink made an event created at `created` visible now.
    #[inline]
    pub fn visible(&mut self, now: SimTime, created: SimTime) {
        let delay = now.saturating_since(created);
        let late = self.config.sla.is_some_and(|sla| delay > sla);
        if let Some(b) = self.bucket(now) {
            b.visible += 1;
            b.visible_late += u64::from(late);
        }
        if self.in_window(now)
            && let Some(h) = self.visible.as_mut()
        {
            h.record(delay);
        }
    }

    /// Advances instance `i`'s area integral to `now` and changes its population.
    #[inline]
    fn change_population(&mut self, i: usize, now: SimTime, up: bool) {
        let (warmup, end) = (self.config.warmup, self.config.end);
        let q = &mut self.queues[i];
        let t = now.clamp(warmup, end);
        q.area += u128::from(q.in_system) * u128::from((t - q.last_change).as_nanos());
        q.last_change = t;
        if up {
            q.in_system += 1;
        } else {
            q.in_system -= 1;
        }
    }

    /// An event entered instance `i`'s queue.
    #[inline]
    pub fn arrival(&mut self, i: usize, now: SimTime) {
        self.change_population(i, now, true);
        if self.in_window(now) {
            self.queues[i].arrivals += 1;
        }
    }

    /// Instance `i` finished serving an event that had arrived at `arrived` and took `service`.
    #[inline]
    pub fn departure(&mut self, i: usize, now: SimTime, arrived: SimTime, service: SimDuration) {
        self.change_population(i, now, false);
        let in_window = self.in_window(now);
        let (warmup, end) = (self.config.warmup, self.config.end);
        let q = &mut self.queues[i];
        if arrived >= warmup && now < end {
            q.departures += 1;
            q.sojourn_sum_ns += u128::from((now - arrived).as_nanos());
        }
        if in_window {
            q.processed += 1;
        }
        // Busy time: the part of [now − service, now] inside the window.
        let start = SimTime::from_nanos(now.as_nanos() - service.as_nanos()).max(warmup);
        let stop = now.min(end);
        if stop > start {
            q.busy_ns += u128::from((stop - start).as_nanos());
        }
    }

    /// Instance `i` is still serving, since `started`, when the run ends: the part of
    /// [`started`, end] inside the window is busy time.
    pub fn busy_until_end(&mut self, i: usize, started: SimTime) {
        let start = started.max(self.config.warmup);
        let end = self.config.end;
        if end > start {
            self.queues[i].busy_ns += u128::from((end - start).as_nanos());
        }
    }

    /// Instance `i` lost `n` queued or in-service events at `now` (a crash).
    pub fn lost_at_instance(&mut self, i: usize, now: SimTime, n: u64) {
        for _ in 0..n {
            self.change_population(i, now, false);
            self.dropped();
        }
    }

    /// Instance `i` stops serving (crash, restart, hang).
    pub fn instance_down(&mut self, i: usize, now: SimTime) {
        self.availability.instance_down(i, now);
    }

    /// Instance `i` serves again.
    pub fn instance_up(&mut self, i: usize, now: SimTime) {
        self.availability.instance_up(i, now);
    }

    /// Logical instance `i` runs again (it may still be catching up).
    pub fn instance_restored(&mut self, i: usize, now: SimTime) {
        self.availability.instance_restored(i, now);
    }

    /// The open episode of logical instance `i`, if any, recovers by the strategy's fallback.
    pub fn fall_back(&mut self, i: usize) {
        self.availability.fall_back(i);
    }

    /// The episode just opened recovers by the strategy's fallback (also when it was masked).
    pub fn fall_back_latest(&mut self) {
        self.availability.fall_back_latest();
    }

    /// A fault at `now` took down `instances`.
    pub fn open_episode(
        &mut self,
        kind: EpisodeKind,
        target: u32,
        now: SimTime,
        instances: &[usize],
    ) {
        self.availability.open_episode(kind, target, now, instances);
    }

    /// The detector suspected `node`.
    pub fn suspicion(&mut self, node: u32, now: SimTime, actually_down: bool) {
        self.availability.suspicion(node, now, actually_down);
    }

    /// The checkpoint watchdog suspected instance `instance`.
    pub fn watchdog_suspicion(&mut self, instance: u32, now: SimTime) {
        self.availability.watchdog_suspicion(instance, now);
    }

    /// Closes the run: `in_flight` is counted by the world from its own state, so the
    /// conservation check compares two independent tallies.
    pub fn finish(
        mut self,
        in_flight: u64,
        operator_metrics: Vec<(String, f64)>,
        kernel_events: u64,
    ) -> ReplicationSummary {
        let end = self.config.end;
        for i in 0..self.queues.len() {
            // Close the area integrals at the end of the window.
            let q = &mut self.queues[i];
            q.area += u128::from(q.in_system) * u128::from((end - q.last_change).as_nanos());
            q.last_change = end;
        }
        self.counts.in_flight = in_flight;
        let window_s = self.config.window_s();
        let d = &self.delays;
        let mut metrics = vec![
            ("delay_mean_ms".to_string(), d.mean_ms()),
            ("delay_p50_ms".to_string(), d.quantile_ms(0.5)),
            ("delay_p95_ms".to_string(), d.quantile_ms(0.95)),
            ("delay_p99_ms".to_string(), d.quantile_ms(0.99)),
            ("delay_p999_ms".to_string(), d.quantile_ms(0.999)),
            ("delay_max_ms".to_string(), d.max_ms()),
            ("throughput_per_s".to_string(), d.count() as f64 / window_s),
            (
                "source_rate_per_s".to_string(),
                self.emitted_in_window as f64 / window_s,
            ),
        ];
        if let Some(v) = &self.visible {
            metrics.extend([
                ("visible_delay_mean_ms".to_string(), v.mean_ms()),
                ("visible_delay_p50_ms".to_string(), v.quantile_ms(0.5)),
                ("visible_delay_p95_ms".to_string(), v.quantile_ms(0.95)),
                ("visible_delay_p99_ms".to_string(), v.quantile_ms(0.99)),
                ("visible_delay_max_ms".to_string(), v.max_ms()),
            ]);
        }
        let (warmup, end) = (self.config.warmup, self.config.end);
        let a = self.availability.finish();
        let in_window: Vec<&Episode> = a
            .episodes
            .iter()
            .filter(|e| e.fault_at >= warmup && e.fault_at < end)
            .collect();
        let mean = |xs: Vec<f64>| {
            if xs.is_empty() {
                f64::NAN
            } else {
                xs.iter().sum::<f64>() / xs.len() as f64
            }
        };
        let detection = mean(
            in_window
                .iter()
                .filter_map(|e| e.detected_at.map(|d| (d - e.fault_at).as_secs_f64()))
                .collect(),
        );
        let recovery = mean(
            in_window
                .iter()
                .filter_map(|e| e.recovered_at.map(|r| (r - e.fault_at).as_secs_f64()))
                .collect(),
        );
        if let Some(sla) = Self::sla_availability(
            &self.config,
            &self.series,
            &a.system_down_intervals,
            self.sla_on_visible,
        ) {
            metrics.push(("availability_sla".to_string(), sla));
        }
        // Phases: detection (fault → suspicion), restore (suspicion, or the fault when
        // nothing had to detect it, → running again), catch-up (→ up again).
        let restore = mean(
            in_window
                .iter()
                .filter_map(|e| {
                    let from = e.detected_at.unwrap_or(e.fault_at);
                    e.restored_at
                        .map(|r| r.saturating_since(from).as_secs_f64())
                })
                .collect(),
        );
        let catch_up = mean(
            in_window
                .iter()
                .filter_map(|e| Some((e.recovered_at? - e.restored_at?).as_secs_f64()))
                .collect(),
        );
        metrics.extend([
            ("availability_system".to_string(), a.system),
            ("availability_mean".to_string(), a.mean_partition),
            ("downtime_system_s".to_string(), a.system_down_s),
            ("episodes".to_string(), in_window.len() as f64),
            ("detection_time_mean_s".to_string(), detection),
            ("recovery_time_mean_s".to_string(), recovery),
            ("restore_time_mean_s".to_string(), restore),
            ("catchup_time_mean_s".to_string(), catch_up),
            ("suspicions".to_string(), a.suspicions as f64),
            ("false_suspicions".to_string(), a.false_suspicions as f64),
            (
                "watchdog_suspicions".to_string(),
                a.watchdog_suspicions as f64,
            ),
        ]);
        metrics.extend(operator_metrics);
        let c = self.counts;
        for (name, v) in [
            ("events_emitted", c.emitted),
            ("events_spawned", c.spawned),
            ("events_replayed", c.replayed),
            ("events_delivered", c.delivered),
            ("events_absorbed", c.absorbed),
            ("events_dropped", c.dropped),
            ("events_in_flight", c.in_flight),
        ] {
            metrics.push((name.to_string(), v as f64));
        }
        let little = self
            .queues
            .iter()
            .map(|q| {
                (
                    q.mean_in_system(window_s),
                    q.arrival_rate(window_s) * q.mean_sojourn_s(),
                )
            })
            .collect();
        ReplicationSummary {
            metrics,
            series: self.series,
            bucket_s: self.config.bucket.as_secs_f64(),
            cdf_ms: CDF_PROBABILITIES
                .iter()
                .map(|&p| self.delays.quantile_ms(p))
                .collect(),
            little,
            conservation: c,
            kernel_events,
            episodes: a.episodes,
            unblamed: super::Unblamed::default(),
        }
    }

    /// SLA availability: the fraction of the window's whole buckets whose p99 delay is
    /// within the SLA — at most 1 % of their deliveries late — and during which no partition
    /// was down (`down`: the system's down intervals). `on_visible`: judge the visible
    /// delays instead (what a consumer of a transactional sink sees). None without an SLA.
    fn sla_availability(
        config: &MetricsConfig,
        series: &[SeriesPoint],
        down: &[(SimTime, SimTime)],
        on_visible: bool,
    ) -> Option<f64> {
        config.sla?;
        let width = config.bucket.as_nanos().max(1);
        let first = config.warmup.as_nanos().div_ceil(width);
        let last = config.end.as_nanos() / width; // exclusive
        if last <= first {
            return Some(f64::NAN);
        }
        let mut met = 0u64;
        for b in first..last {
            let (start, stop) = (
                SimTime::from_nanos(b * width),
                SimTime::from_nanos((b + 1) * width),
            );
            let point = &series[b as usize];
            // p99 ≤ SLA exactly when at most 1 % of the deliveries exceed it.
            let timely = if on_visible {
                point.visible_late * 100 <= point.visible
            } else {
                point.late * 100 <= point.delivered
            };
            let stalled = down.iter().any(|&(d0, d1)| d0 < stop && d1 > start);
            met += u64::from(timely && !stalled);
        }
        Some(met as f64 / (last - first) as f64)
    }

    /// Ends the run early at `end` (a replication stopped by its memory budget): the
    /// measurement window stops there, the series at the last whole bucket before it. A stop
    /// before the warm-up's end leaves an empty window, whose rates and means are NaN.
    pub fn stop_at(&mut self, end: SimTime) {
        let end = end.max(self.config.warmup).min(self.config.end);
        self.config.end = end;
        self.availability.stop_at(end);
        // Whole buckets only: a last bucket cut by the stop would read as a drop in rate.
        let buckets = end.as_nanos() / self.config.bucket.as_nanos().max(1);
        self.series.truncate(buckets.max(1) as usize);
    }

    /// Per-instance queue statistics so far.
    pub fn queues(&self) -> &[QueueStats] {
        &self.queues
    }

    /// Length of the measurement window \[s\].
    pub fn window_s(&self) -> f64 {
        self.config.window_s()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> MetricsConfig {
        MetricsConfig {
            warmup: SimTime::from_secs_f64(1.0),
            end: SimTime::from_secs_f64(3.0),
            bucket: SimDuration::from_millis(1000),
            sla: None,
        }
    }

    #[test]
    fn warm_up_deliveries_count_for_conservation_only() {
        let mut r = Recorder::new(config(), 1, 1);
        r.emitted(SimTime::from_secs_f64(0.5));
        r.delivered(SimTime::from_secs_f64(0.6), SimTime::from_secs_f64(0.5));
        r.emitted(SimTime::from_secs_f64(1.5));
        r.delivered(SimTime::from_secs_f64(1.7), SimTime::from_secs_f64(1.5));
        let s = r.finish(0, vec![], 0);
        assert!(s.conservation.holds());
        assert_eq!(s.conservation.delivered, 2);
        assert_eq!(s.metric("throughput_per_s"), Some(0.5)); // one delivery in a 2 s window
        assert!((s.metric("delay_mean_ms").unwrap() - 200.0).abs() < 1e-9);
        assert_eq!(s.series[0].delivered, 1);
        assert_eq!(s.series[1].delivered, 1);
    }

    /// One instance holding one event for the whole window has L = 1, and the area integral
    /// is clipped to the window.
    #[test]
    fn area_integral_is_clipped_to_the_window() {
        let mut r = Recorder::new(config(), 1, 1);
        r.arrival(0, SimTime::from_secs_f64(0.5));
        let s = r.finish(1, vec![], 0);
        assert!((s.little[0].0 - 1.0).abs() < 1e-12);
    }
}
