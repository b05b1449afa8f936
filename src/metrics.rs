//! Per-replication measurement: what the world observes, turned into one summary.
//!
//! The world reports observations (an event emitted, an event entering or leaving an
//! instance, an event delivered) to a [`Recorder`]; the recorder keeps bounded-memory
//! aggregates and produces a [`ReplicationSummary`]. Every metric is defined here, once.
//!
//! Let `W` be the warm-up and `T` the duration of a replication, so the measurement window is
//! `[W, T)` of length `T − W`. Observations before `W` count towards conservation but not
//! towards any metric.
//!
//! | metric | definition |
//! |---|---|
//! | `delay_*_ms` | delay of an event delivered at a sink at time `t ∈ [W, T)` is `t − created`, where `created` is its creation time at the source (for a window result: the latest creation time among its inputs, the event-time latency of Karimov et al., ICDE 2018). `mean` is exact (sum / count); `p50`, `p95`, `p99`, `p999` (99.9 %) come from a log-bucketed histogram with ≤ 0.1 % relative error; `max` is exact. |
//! | `throughput_per_s` | events delivered in `[W, T)` divided by `T − W` \[events/s\]. |
//! | `source_rate_per_s` | events emitted by sources in `[W, T)` divided by `T − W`. |
//! | `load_skew_<operator>` | max over the operator's instances of events processed in `[W, T)`, divided by their mean (1 = balanced). |
//! | `utilisation_<operator>` | busy core time of its instances in `[W, T)` (service still in progress at `T` included) divided by (`T − W` × instances × threads); under active replication, of the primary copies (`load_skew_<operator>` too), while `cpu_seconds` counts every copy. |
//! | `state_bytes_<operator>` | distinct keys held at `T` × `state_bytes_per_key`, summed over instances. |
//! | `availability_system` | fraction of `[W, T)` during which every operator instance is up: live (its node up), not restarting, not hung. An instance down stands for the logical partitions it owns. |
//! | `availability_mean` | mean over instances of the fraction of `[W, T)` each is up (= mean partition availability when instances own equal shares of partitions). |
//! | `downtime_system_s` | time in `[W, T)` with at least one instance down. |
//! | `suspicions`, `false_suspicions` | suspicions raised by the failure detector in `[W, T)`; false ones target a node that was up. |
//! | `episodes` | recovery episodes starting in `[W, T)`: one per node crash, instance crash (poison), false failover and hang. |
//! | `detection_time_mean_s` | over those episodes that were detected: suspicion time − crash time. |
//! | `recovery_time_mean_s` | over those episodes that completed: time at which the last affected instance is up again − fault time (with checkpoints: restored and caught up). A fault that took no instance down has no recovery time. |
//! | `watchdog_suspicions` | instances suspected by the checkpoint-progress watchdog in `[W, T)`. |
//! | `control_messages` | heartbeats and checkpoint triggers and acknowledgements sent over the whole run. |
//! | `events_replayed` | copies of source events sent again by replays, over the whole run. |
//! | `events_lost`, `events_duplicated` | per source event (see [`DeliveryLedger`]): an event is *processed* when delivered at a sink, filtered by a map or folded into a window. Duplicated: processed again. Lost: emitted, never processed, and not pending (queued, on the wire, in service or retained for replay) at `T`. Whole run. |
//! | `cost_bytes` | `network_bytes` + `checkpoint_bytes`: the traffic a strategy costs, over the whole run. |
//! | `checkpoints_completed`, `checkpoint_bytes` | checkpoints completed over the whole run, and the state bytes their snapshots wrote. |
//! | `events_*` | counts over the whole run `[0, T)`, for conservation: `emitted + spawned + replayed = delivered + absorbed + dropped + in_flight`, where `spawned` counts extra events created by operators (a flat-map's 2nd output, window results, copies sent to a second output edge), `absorbed` counts inputs consumed without an output (filtered, or folded into a window), `dropped` counts events lost to faults, and `in_flight` counts events queued, in service, on the wire or waiting in a source for replay at `T`. |
//!
//! Per instance the recorder also keeps Little's-law data over `[W, T)`: the time-average
//! number of events in the instance (queued + in service) `L`, the arrival rate `λ` and the
//! mean sojourn `W_q` of events that arrived in the window and left before `T`.
//!
//! The time series (`timeseries.csv`) covers `[0, T)` in buckets of `bucket_s`, warm-up
//! included, so transients are visible. A run of more than [`MAX_SERIES_POINTS`] buckets
//! writes each point as the sum of `m = ⌈buckets / MAX_SERIES_POINTS⌉` consecutive buckets
//! (its `t_s` is the start of the first, its throughput the mean over the `m`), so memory and
//! file size do not grow with run length; `availability_sla` is judged per bucket of
//! `bucket_s` all the same.

/// The range a metric's values cannot leave (availabilities are fractions): confidence
/// intervals are clipped to it where they are printed and charted (`summary.csv` keeps the
/// Student-t bounds).
pub fn bounds(metric: &str) -> Option<(f64, f64)> {
    metric.starts_with("availability").then_some((0.0, 1.0))
}

/// `(low, high)` clipped to the bounds of `metric`, if it has any.
pub fn clip_interval(metric: &str, low: f64, high: f64) -> (f64, f64) {
    match bounds(metric) {
        Some((lo, hi)) => (low.clamp(lo, hi), high.clamp(lo, hi)),
        None => (low, high),
    }
}

mod availability;
pub mod blame;
mod histogram;
mod ledger;
mod recorder;
mod runaway;

pub use availability::{AvailabilitySummary, AvailabilityTracker, Episode, EpisodeKind};
pub use blame::{Unblamed, blame};
pub use histogram::DelayHistogram;
pub use ledger::{DERIVED_ID, DeliveryLedger, SEQ_BITS, source_of};
pub use recorder::{
    CDF_PROBABILITIES, Conservation, MAX_SERIES_POINTS, MetricsConfig, QueueStats, Recorder,
    ReplicationSummary, SeriesPoint, series_width,
};
pub use runaway::{Holder, HolderKind, Runaway, RunawayWatch};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_intervals_are_clipped_to_the_unit_interval_others_are_not() {
        assert_eq!(
            clip_interval("availability_system", 0.98, 1.02),
            (0.98, 1.0)
        );
        assert_eq!(clip_interval("availability_sla", -0.1, 0.3), (0.0, 0.3));
        assert_eq!(clip_interval("delay_p99_ms", -3.0, 5.0), (-3.0, 5.0));
    }
}
