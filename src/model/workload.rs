//! What sources produce: data events, their arrival process and their keys.

use rand_distr::{Distribution, Exp1, Zipf};

use super::DurationDist;
use super::dist::unit_f64;
use crate::sim::{SimDuration, SimRng, SimTime};

/// One data event (a tuple) travelling through the dataflow. Small and `Copy`: it is moved
/// through queues and messages by value and never allocated on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataEvent {
    /// Identity, deterministic from its origin, so that replicas of an operator give their
    /// copies of the same output the same id (duplicate detection relies on it).
    pub id: u64,
    /// Partitioning key.
    pub key: u64,
    /// When the event was created at its source; for a window result, the latest creation
    /// time among its inputs (event-time latency, Karimov et al., ICDE 2018).
    pub created: SimTime,
    /// Size on the wire \[bytes\].
    pub bytes: u32,
}

/// When a source instance emits its next event.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrivalProcess {
    /// Evenly spaced events.
    Constant {
        /// Gap between events.
        period: SimDuration,
    },
    /// Poisson process: exponential gaps.
    Poisson {
        /// Mean gap between events \[ns\].
        mean_gap_ns: f64,
    },
    /// Bursts: Poisson arrivals during "on" periods, none during "off" periods (an
    /// interrupted Poisson process). Long-run rate = rate · E\[on\] / (E\[on\] + E\[off\]).
    OnOff {
        /// Mean gap between events while on \[ns\].
        mean_gap_ns: f64,
        /// Length of on periods.
        on: DurationDist,
        /// Length of off periods.
        off: DurationDist,
    },
}

/// Where an on/off source is in its cycle. Other processes ignore it.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArrivalPhase {
    /// End of the current on period.
    pub on_until: SimTime,
}

impl ArrivalProcess {
    /// Long-run mean gap between arrivals \[ns\].
    pub fn mean_gap_ns(&self) -> f64 {
        match self {
            Self::Constant { period } => period.as_nanos().max(1) as f64,
            Self::Poisson { mean_gap_ns } => *mean_gap_ns,
            Self::OnOff {
                mean_gap_ns,
                on,
                off,
            } => mean_gap_ns * (on.mean_ns() + off.mean_ns()) / on.mean_ns().max(1.0),
        }
    }

    /// First arrival after time zero, initialising `phase`.
    pub fn first(&self, rng: &mut SimRng, phase: &mut ArrivalPhase) -> SimTime {
        match self {
            // A random phase, so that constant-rate instances are not synchronised.
            Self::Constant { period } => {
                SimTime::from_nanos((unit_f64(rng) * period.as_nanos() as f64) as u64)
            }
            Self::Poisson { .. } => self.next(SimTime::ZERO, rng, phase),
            Self::OnOff { on, .. } => {
                phase.on_until = SimTime::ZERO + on.sample(rng);
                self.next(SimTime::ZERO, rng, phase)
            }
        }
    }

    /// The arrival following one at `now`.
    #[inline]
    pub fn next(&self, now: SimTime, rng: &mut SimRng, phase: &mut ArrivalPhase) -> SimTime {
        match self {
            Self::Constant { period } => now + *period,
            Self::Poisson { mean_gap_ns } => now + exp_gap(*mean_gap_ns, rng),
            Self::OnOff {
                mean_gap_ns,
                on,
                off,
            } => {
                let mut t = now + exp_gap(*mean_gap_ns, rng);
                // Memorylessness: a gap that overruns the on period restarts at the next one.
                // Bounded: on periods are validated to have a positive mean.
                while t > phase.on_until {
                    let on_start = phase.on_until + off.sample(rng);
                    phase.on_until = on_start + on.sample(rng);
                    t = on_start + exp_gap(*mean_gap_ns, rng);
                }
                t
            }
        }
    }
}

#[inline]
fn exp_gap(mean_ns: f64, rng: &mut SimRng) -> SimDuration {
    let e: f64 = Exp1.sample(rng);
    SimDuration::from_nanos_f64(e * mean_ns)
}

/// How source keys are drawn.
#[derive(Clone, Debug)]
pub enum KeyDist {
    /// Keys 0..count, equally likely.
    Uniform {
        /// Number of distinct keys.
        count: u64,
    },
    /// Keys 0..count with P(rank k) ∝ 1/k^s: key 0 is the most frequent.
    Zipf {
        /// Number of distinct keys.
        count: u64,
        /// Exponent s.
        exponent: f64,
        /// Sampler (rejection-inversion, Hörmann & Derflinger 1996).
        sampler: Zipf<f64>,
    },
}

impl KeyDist {
    /// Zipf keys; `count` ≥ 1 and `exponent` ≥ 0 are checked by `scenario`.
    pub fn zipf(count: u64, exponent: f64) -> Self {
        let sampler = Zipf::new(count as f64, exponent)
            .expect("scenario validation guarantees count >= 1 and exponent >= 0");
        Self::Zipf {
            count,
            exponent,
            sampler,
        }
    }

    /// Number of distinct keys.
    pub fn count(&self) -> u64 {
        match self {
            Self::Uniform { count } | Self::Zipf { count, .. } => *count,
        }
    }

    /// Draws a key.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        match self {
            // A single key needs no draw.
            Self::Uniform { count: 1 } => 0,
            // Multiply-shift: unbiased enough (bias < count/2^64) and branch-free.
            Self::Uniform { count } => {
                ((u128::from(rand::Rng::next_u64(rng)) * u128::from(*count)) >> 64) as u64
            }
            Self::Zipf { sampler, count, .. } => (sampler.sample(rng) as u64).clamp(1, *count) - 1,
        }
    }
}

/// What a source does with events it cannot send yet because its output has no credit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SourcePressure {
    /// A replayable log: events wait outside the system (the source lags) and none is lost.
    #[default]
    Pull,
    /// Pushed by producers: up to `buffer` events wait at the source, the rest are shed.
    Push {
        /// Events that may wait.
        buffer: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn poisson_rate_matches() {
        let p = ArrivalProcess::Poisson { mean_gap_ns: 1e6 };
        let mut rng = SimRng::seed_from_u64(3);
        let mut phase = ArrivalPhase::default();
        let mut t = p.first(&mut rng, &mut phase);
        for _ in 1..100_000 {
            t = p.next(t, &mut rng, &mut phase);
        }
        // 100 000 gaps of mean 1 ms: 100 s ± 4 sd (sd = sqrt(1e5) ms ≈ 0.32 s).
        assert!((t.as_secs_f64() - 100.0).abs() < 4.0 * 0.317, "{t}");
    }

    #[test]
    fn on_off_rate_is_scaled_by_duty_cycle() {
        let p = ArrivalProcess::OnOff {
            mean_gap_ns: 1e6,
            on: DurationDist::Const(SimDuration::from_millis(100)),
            off: DurationDist::Const(SimDuration::from_millis(300)),
        };
        let mut rng = SimRng::seed_from_u64(4);
        let mut phase = ArrivalPhase::default();
        let mut t = p.first(&mut rng, &mut phase);
        let mut n = 1u32;
        while t < SimTime::from_secs_f64(400.0) {
            t = p.next(t, &mut rng, &mut phase);
            n += 1;
        }
        // Duty cycle 1/4 of 1000/s: 250/s over 400 s = 100 000 events.
        let rate = f64::from(n) / 400.0;
        assert!((rate - 250.0).abs() < 5.0, "rate {rate}");
    }

    #[test]
    fn zipf_key_zero_is_most_frequent_and_keys_stay_in_range() {
        let k = KeyDist::zipf(100, 1.2);
        let mut rng = SimRng::seed_from_u64(5);
        let mut counts = [0u32; 100];
        for _ in 0..50_000 {
            counts[k.sample(&mut rng) as usize] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[10]);
    }

    #[test]
    fn uniform_keys_cover_the_range() {
        let k = KeyDist::Uniform { count: 7 };
        let mut rng = SimRng::seed_from_u64(6);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            seen[k.sample(&mut rng) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
