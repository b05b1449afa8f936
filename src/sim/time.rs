//! Simulated time as integer nanoseconds.
//!
//! Floating-point time produces ties that are not ties and epsilon checks everywhere; integer
//! nanoseconds give exact ordering and ~584 years of range.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Simulated time since the start of a replication, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A non-negative span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

/// Longest duration a sampled value is clamped to (about 31.7 years). Keeps heavy-tailed
/// samples (log-normal, Weibull with small shape) from overflowing the clock; no sane model
/// produces a single service or latency sample this long.
const MAX_SAMPLE_NS: u64 = 1_000_000_000 * 1_000_000_000;

impl SimTime {
    /// The start of every replication.
    pub const ZERO: SimTime = SimTime(0);
    /// A time later than any event; used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// Time from nanoseconds since the start.
    pub const fn from_nanos(ns: u64) -> Self {
        Self(ns)
    }

    /// Time from seconds since the start; validated scenario values only.
    pub fn from_secs_f64(s: f64) -> Self {
        Self(SimDuration::from_secs_f64(s).0)
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `self + d`, or [`SimTime::NEVER`] if that would overflow: for times computed from
    /// unbounded model quantities (a link's backlog), where "never" is the right answer.
    pub fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// Span from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// The empty span.
    pub const ZERO: SimDuration = SimDuration(0);

    /// Span from nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        Self(ns)
    }

    /// Span from whole milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms * 1_000_000)
    }

    /// Converts a duration in seconds, rounding to the nearest nanosecond. Negative, NaN and
    /// absurdly long values are clamped into range: samples come from distributions with
    /// unbounded support and must never crash a run.
    pub fn from_secs_f64(s: f64) -> Self {
        let ns = s * 1e9;
        if ns.is_nan() || ns <= 0.0 {
            Self(0)
        } else if ns >= MAX_SAMPLE_NS as f64 {
            Self(MAX_SAMPLE_NS)
        } else {
            Self(ns.round() as u64)
        }
    }

    /// Converts a sampled duration in nanoseconds, rounding to the nearest one and clamping
    /// like [`SimDuration::from_secs_f64`] (Rust's float-to-integer casts saturate, and NaN
    /// becomes 0). The fast path for distribution samples.
    #[inline]
    pub fn from_nanos_f64(ns: f64) -> Self {
        Self(((ns + 0.5) as u64).min(MAX_SAMPLE_NS))
    }

    /// Converts a duration in milliseconds (clamped like [`SimDuration::from_secs_f64`]).
    pub fn from_millis_f64(ms: f64) -> Self {
        Self::from_secs_f64(ms * 1e-3)
    }

    /// Nanoseconds in the span.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating at the longest representable span.
    pub fn saturating_add_duration(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }

    /// Seconds in the span.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Milliseconds in the span.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(
            self.0
                .checked_add(d.0)
                .expect("simulated time overflowed u64 nanoseconds"),
        )
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Span between two times; panics in debug builds if `rhs` is later (a model bug).
    fn sub(self, rhs: SimTime) -> SimDuration {
        debug_assert!(rhs <= self, "negative span {self:?} - {rhs:?}");
        SimDuration(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.9} s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6} ms", self.as_millis_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_to_nearest_nanosecond() {
        assert_eq!(SimDuration::from_secs_f64(1.5e-9).as_nanos(), 2);
        assert_eq!(SimDuration::from_secs_f64(0.25).as_nanos(), 250_000_000);
        assert_eq!(SimDuration::from_millis_f64(2.0).as_nanos(), 2_000_000);
    }

    #[test]
    fn nanosecond_conversion_rounds_and_clamps() {
        assert_eq!(SimDuration::from_nanos_f64(1.49).as_nanos(), 1);
        assert_eq!(SimDuration::from_nanos_f64(1.5).as_nanos(), 2);
        assert_eq!(SimDuration::from_nanos_f64(-7.0).as_nanos(), 0);
        assert_eq!(SimDuration::from_nanos_f64(f64::NAN).as_nanos(), 0);
        assert_eq!(SimDuration::from_nanos_f64(1e300).as_nanos(), MAX_SAMPLE_NS);
    }

    #[test]
    fn invalid_samples_clamp_instead_of_panicking() {
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(
            SimDuration::from_secs_f64(f64::INFINITY).as_nanos(),
            MAX_SAMPLE_NS
        );
    }

    #[test]
    fn time_arithmetic_is_exact() {
        let t = SimTime::from_nanos(10) + SimDuration::from_nanos(5);
        assert_eq!(t.as_nanos(), 15);
        assert_eq!((t - SimTime::from_nanos(3)).as_nanos(), 12);
        assert_eq!(
            SimTime::from_nanos(3).saturating_since(t),
            SimDuration::ZERO
        );
    }
}
