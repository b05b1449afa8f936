//! The recorder: observations in, one [`ReplicationSummary`] out.

use super::{AvailabilityTracker, DelayHistogram, Episode, EpisodeKind};
use crate::sim::{SimDuration, SimTime};

/// Probabilities at which the delay CDF is reported (`delay_cdf.csv`).
pub const CDF_PROBABILITIES: [f64; 24] = [
    0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8,
    0.85, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999,
];

/// Most points a replication's time series holds. A run longer than this many buckets merges
/// `m = ⌈buckets / MAX_SERIES_POINTS⌉` consecutive buckets into each point (counts and delay
/// sums add up exactly), so the memory a replication holds and the rows of `timeseries.csv`
/// stay bounded however long the run. The SLA is still judged bucket by bucket at the
/// configured width, as the run goes.
pub const MAX_SERIES_POINTS: u64 = 4096;

/// Width of a point of the time series for a run to `end` in buckets of `bucket`: `bucket`,
/// or a whole multiple of it so that the series has at most [`MAX_SERIES_POINTS`] points.
pub fn series_width(end: SimTime, bucket: SimDuration) -> SimDuration {
    let width = bucket.as_nanos().max(1);
    let buckets = end.as_nanos().div_ceil(width).max(1);
    let per_point = buckets.div_ceil(MAX_SERIES_POINTS);
    SimDuration::from_nanos(width.saturating_mul(per_point))
}

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

/// One point of the time series: a bucket, or `m` consecutive buckets of a long run (see
/// [`MAX_SERIES_POINTS`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SeriesPoint {
    /// Events delivered in the point's span.
    pub delivered: u64,
    /// Sum of their delays \[ns\].
    delay_sum_ns: u128,
    /// Events emitted by sources in the point's span.
    pub emitted: u64,
}

impl SeriesPoint {
    /// Mean delay of the point's deliveries \[ms\]; NaN if none.
    pub fn delay_mean_ms(&self) -> f64 {
        if self.delivered == 0 {
            f64::NAN
        } else {
            self.delay_sum_ns as f64 / self.delivered as f64 * 1e-6
        }
    }
}

/// Judges the SLA bucket by bucket as the run goes, at the configured bucket width whatever
/// the width of the series, so that nothing is kept per bucket: only the current bucket's
/// counts and the tallies of buckets that met it.
///
/// A bucket is judged when the first observation after it arrives (or at the end). By then
/// every down interval that can overlap it has begun — intervals begin at the kernel's
/// clock — so it is either closed (in the availability tracker's list, in time order) or
/// still open, and the judgement is final.
#[derive(Clone, Debug, Default)]
struct SlaJudge {
    objective: SimDuration,
    /// The current bucket: its index and end.
    index: u64,
    end: SimTime,
    delivered: u64,
    late: u64,
    visible: u64,
    visible_late: u64,
    /// The first bucket not judged yet.
    next: u64,
    /// Buckets of the window that met the SLA, judged on deliveries and on visible events.
    met: u64,
    met_visible: u64,
    /// The first closed down interval that may still overlap a bucket not judged yet.
    cursor: usize,
}

impl SlaJudge {
    fn new(objective: SimDuration, bucket: SimDuration) -> Self {
        Self {
            objective,
            end: SimTime::ZERO + bucket,
            ..Self::default()
        }
    }

    /// Judges every bucket before the one holding `now` and opens that one.
    #[inline]
    fn advance(&mut self, now: SimTime, config: &MetricsConfig, down: DownSoFar<'_>) {
        if now >= self.end {
            self.close(config, down);
            let width = config.bucket.as_nanos().max(1);
            self.index = now.as_nanos() / width;
            self.end = SimTime::from_nanos(self.index.saturating_add(1).saturating_mul(width));
            self.judge_empty_until(self.index, config, down);
        }
    }

    /// Judges the current bucket: p99 ≤ objective exactly when at most 1 % are late, and no
    /// partition may be down during it.
    fn close(&mut self, config: &MetricsConfig, down: DownSoFar<'_>) {
        let b = self.index;
        self.judge_empty_until(b, config, down);
        if self.next == b {
            if in_sla_window(b, config) && !self.stalled(b, config, down) {
                self.met += u64::from(self.late * 100 <= self.delivered);
                self.met_visible += u64::from(self.visible_late * 100 <= self.visible);
            }
            self.next = b + 1;
        }
        (self.delivered, self.late, self.visible, self.visible_late) = (0, 0, 0, 0);
    }

    /// Judges the buckets from `next` up to `until` (exclusive), which saw no delivery: they
    /// meet the SLA unless a partition was down.
    fn judge_empty_until(&mut self, until: u64, config: &MetricsConfig, down: DownSoFar<'_>) {
        let width = config.bucket.as_nanos().max(1);
        let last = config.end.as_nanos() / width;
        let first = config.warmup.as_nanos().div_ceil(width);
        self.next = self.next.max(first.min(until));
        while self.next < until.min(last) {
            let b = self.next;
            let up = u64::from(!self.stalled(b, config, down));
            self.met += up;
            self.met_visible += up;
            self.next += 1;
        }
        self.next = self.next.max(until);
    }

    /// Whether some partition was down during bucket `b`.
    fn stalled(&mut self, b: u64, config: &MetricsConfig, (closed, open): DownSoFar<'_>) -> bool {
        let width = config.bucket.as_nanos().max(1);
        let (start, stop) = (
            SimTime::from_nanos(b * width),
            SimTime::from_nanos((b + 1) * width),
        );
        // Intervals that ended by the bucket's start overlap neither it nor any later one.
        while closed.get(self.cursor).is_some_and(|&(_, d1)| d1 <= start) {
            self.cursor += 1;
        }
        closed.get(self.cursor).is_some_and(|&(d0, _)| d0 < stop)
            || open.is_some_and(|d0| d0 < stop)
    }
}

/// The system's down intervals so far: the closed ones in time order, and the start of the
/// open one.
type DownSoFar<'a> = (&'a [(SimTime, SimTime)], Option<SimTime>);

/// Whether bucket `b` lies in the measurement window (whole buckets only).
fn in_sla_window(b: u64, config: &MetricsConfig) -> bool {
    let width = config.bucket.as_nanos().max(1);
    b >= config.warmup.as_nanos().div_ceil(width) && b < config.end.as_nanos() / width
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
    /// Checkpoints that stopped completing or events held that kept growing, if the run's
    /// state ran away (see [`super::Runaway`]).
    pub runaway: Option<super::Runaway>,
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
    /// The SLA's bucket-by-bucket judgement, with an SLA.
    sla: Option<SlaJudge>,
    series: Vec<SeriesPoint>,
    /// Width of a series point: the bucket, or a multiple of it for a long run.
    series_width: SimDuration,
    queues: Vec<QueueStats>,
    counts: Conservation,
    availability: AvailabilityTracker,
    emitted_in_window: u64,
    /// The current series point: index and time span.
    bucket_index: usize,
    bucket_start: SimTime,
    bucket_end: SimTime,
}

impl Recorder {
    /// A recorder for a run with `instances` operator instances serving `units` logical
    /// instances (more instances than units under active replication: availability is per
    /// unit, queues per instance).
    pub fn new(config: MetricsConfig, units: usize, instances: usize) -> Self {
        let series_width = series_width(config.end, config.bucket);
        let points = config
            .end
            .as_nanos()
            .div_ceil(series_width.as_nanos())
            .max(1);
        Self {
            config,
            delays: DelayHistogram::new(),
            visible: None,
            sla_on_visible: false,
            sla: config.sla.map(|o| SlaJudge::new(o, config.bucket)),
            series: vec![SeriesPoint::default(); points as usize],
            series_width,
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
            bucket_end: SimTime::ZERO + series_width,
        }
    }

    #[inline]
    fn in_window(&self, t: SimTime) -> bool {
        t >= self.config.warmup && t < self.config.end
    }

    /// The series point containing `t`. Observations arrive in non-decreasing time (the
    /// kernel's clock), so the current point is tracked incrementally instead of dividing on
    /// every observation; an earlier time (never produced by the kernel) falls back to a
    /// division.
    #[inline]
    fn bucket(&mut self, t: SimTime) -> Option<&mut SeriesPoint> {
        if t < self.bucket_start {
            let i = t.as_nanos() / self.series_width.as_nanos();
            return self.series.get_mut(i as usize);
        }
        while t >= self.bucket_end {
            self.bucket_index += 1;
            self.bucket_start = self.bucket_end;
            self.bucket_end = self.bucket_end.saturating_add(self.series_width);
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
    #[inline(always)]
    pub fn delivered(&mut self, now: SimTime, created: SimTime) {
        self.counts.delivered += 1;
        let delay = now.saturating_since(created);
        if self.sla.is_some() {
            self.judge(now, delay, false);
        }
        if let Some(b) = self.bucket(now) {
            b.delivered += 1;
            b.delay_sum_ns += u128::from(delay.as_nanos());
        }
        if self.in_window(now) {
            self.delays.record(delay);
        }
    }

    /// Counts a delivery (or a visible event) of `delay` at `now` for the SLA. Out of line:
    /// without an SLA the observation paths stay small enough to inline.
    #[inline(never)]
    fn judge(&mut self, now: SimTime, delay: SimDuration, visible: bool) {
        let Some(j) = self.sla.as_mut() else { return };
        j.advance(now, &self.config, self.availability.down_so_far());
        let late = u64::from(delay > j.objective);
        if visible {
            j.visible += 1;
            j.visible_late += late;
        } else {
            j.delivered += 1;
            j.late += late;
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
        if self.sla.is_some() {
            self.judge(now, delay, true);
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
        let sla = self.sla.as_mut().map(|j| {
            // The last bucket, and those after the last delivery.
            let down = self.availability.down_so_far();
            j.close(&self.config, down);
            j.judge_empty_until(u64::MAX, &self.config, down);
            let width = self.config.bucket.as_nanos().max(1);
            let first = warmup.as_nanos().div_ceil(width);
            let last = end.as_nanos() / width;
            let met = if self.sla_on_visible {
                j.met_visible
            } else {
                j.met
            };
            if last <= first {
                f64::NAN
            } else {
                met as f64 / (last - first) as f64
            }
        });
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
        // SLA availability: the fraction of the window's whole buckets whose p99 delay is
        // within the SLA — at most 1 % of their deliveries late — and during which no
        // partition was down; on visible delays behind a transactional sink (what its
        // consumer sees). Not reported without an SLA.
        if let Some(sla) = sla {
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
            bucket_s: self.series_width.as_secs_f64(),
            cdf_ms: CDF_PROBABILITIES
                .iter()
                .map(|&p| self.delays.quantile_ms(p))
                .collect(),
            little,
            conservation: c,
            kernel_events,
            episodes: a.episodes,
            unblamed: super::Unblamed::default(),
            runaway: None,
        }
    }

    /// Ends the run early at `end` (a replication stopped by its memory budget): the
    /// measurement window stops there, the series at the last whole bucket before it. A stop
    /// before the warm-up's end leaves an empty window, whose rates and means are NaN.
    pub fn stop_at(&mut self, end: SimTime) {
        let end = end.max(self.config.warmup).min(self.config.end);
        self.config.end = end;
        self.availability.stop_at(end);
        // Whole points only: a last point cut by the stop would read as a drop in rate.
        let points = end.as_nanos() / self.series_width.as_nanos();
        self.series.truncate(points.max(1) as usize);
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

    /// A run of more than `MAX_SERIES_POINTS` buckets merges buckets into points, exactly
    /// (counts and delay sums add up), while the SLA is still judged per bucket as the run
    /// goes: against a brute-force judgement of every bucket from the raw deliveries and the
    /// down intervals (some within a bucket, some over many, one of zero length, one still
    /// open at the end).
    #[test]
    fn a_long_run_merges_buckets_and_still_judges_the_sla_per_bucket() {
        use rand::{RngExt, SeedableRng};
        let buckets = 3 * MAX_SERIES_POINTS + 5; // 4 buckets per point, the last one short
        let config = MetricsConfig {
            warmup: SimTime::from_secs_f64(10.0),
            end: SimTime::from_secs_f64(buckets as f64),
            bucket: SimDuration::from_millis(1000),
            sla: Some(SimDuration::from_millis(100)),
        };
        let mut r = Recorder::new(config, 1, 1);
        let mut rng = crate::sim::SimRng::seed_from_u64(7);
        let (mut per_bucket, mut delivered) = (vec![(0u64, 0u64); buckets as usize], 0u64);
        let mut intervals: Vec<(u64, u64)> = Vec::new();
        let mut down_since: Option<u64> = None;
        let (mut t, mut last) = (0u64, 0u64);
        loop {
            t += rng.random_range(1..400_000_000u64); // ns
            if t >= config.end.as_nanos() {
                break;
            }
            let now = SimTime::from_nanos(t);
            match down_since {
                None if rng.random_bool(0.0004) => {
                    r.instance_down(0, now);
                    down_since = Some(t);
                    if rng.random_bool(0.2) {
                        r.instance_up(0, now); // down and up at one instant
                        intervals.push((t, t));
                        down_since = None;
                    }
                }
                Some(since) if rng.random_bool(0.01) => {
                    r.instance_up(0, now);
                    intervals.push((since, t));
                    down_since = None;
                }
                _ => {}
            }
            // Mostly timely, with stretches of late deliveries.
            let late_phase = (t / 1_000_000_000) % 97 < 9;
            let delay = if late_phase && rng.random_bool(0.5) {
                200_000_000
            } else {
                rng.random_range(0..100_000_000)
            };
            r.delivered(now, SimTime::from_nanos(t.saturating_sub(delay)));
            last = t;
            delivered += 1;
            let b = &mut per_bucket[(t / 1_000_000_000) as usize];
            b.0 += 1;
            b.1 += u64::from(delay > 100_000_000);
        }
        if down_since.is_none() {
            // Down from the last observation on (intervals start at the kernel's clock).
            r.instance_down(0, SimTime::from_nanos(last));
            down_since = Some(last);
        }
        intervals.extend(down_since.map(|d| (d, config.end.as_nanos())));
        let s = r.finish(0, vec![], 0);
        assert_eq!(s.bucket_s, 4.0);
        assert_eq!(s.series.len() as u64, buckets.div_ceil(4));
        assert_eq!(s.series.iter().map(|p| p.delivered).sum::<u64>(), delivered);
        assert_eq!(
            s.series[7].delivered,
            per_bucket[28..32].iter().map(|b| b.0).sum::<u64>()
        );
        let stalled = |b: usize| {
            let (start, stop) = (b as u64 * 1_000_000_000, (b as u64 + 1) * 1_000_000_000);
            intervals.iter().any(|&(d0, d1)| d0 < stop && d1 > start)
        };
        assert!(intervals.len() > 3, "{intervals:?}");
        let met = (10..buckets as usize)
            .filter(|&b| per_bucket[b].1 * 100 <= per_bucket[b].0 && !stalled(b))
            .count();
        let expected = met as f64 / (buckets - 10) as f64;
        assert!(expected < 0.95, "the late stretches must miss the SLA");
        assert_eq!(s.metric("availability_sla"), Some(expected));
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
