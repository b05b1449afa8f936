//! Probability distributions of durations (service times, latencies, on/off periods).
//!
//! A [`DurationDist`] is built from a scenario's distribution in the unit of the field that
//! holds it (`service_ms`, `latency_ms`, `on_s`) and samples [`SimDuration`]s directly.
//! Parameters are validated by `scenario`; construction here cannot fail.

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

use crate::sim::{SimDuration, SimRng};

/// A distribution of non-negative durations.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    /// Always the same value.
    Const(SimDuration),
    /// Exponential with the given mean \[ns\].
    Exp {
        /// Mean \[ns\].
        mean_ns: f64,
    },
    /// Uniform on [low, high] \[ns\].
    Uniform {
        /// Lower bound \[ns\].
        low_ns: f64,
        /// Upper bound \[ns\].
        high_ns: f64,
    },
    /// Log-normal: exp(mu + sigma·Z) \[ns\], Z standard normal.
    LogNormal {
        /// Location of the underlying normal (log of ns).
        mu: f64,
        /// Scale of the underlying normal.
        sigma: f64,
    },
    /// Weibull with shape k and scale λ \[ns\]: λ·(−ln U)^(1/k).
    Weibull {
        /// Shape k.
        shape: f64,
        /// Scale λ \[ns\].
        scale_ns: f64,
    },
    /// Uniform choice among observed values (the empirical distribution of a sample).
    Empirical {
        /// Observed values, in file order.
        values: Vec<SimDuration>,
    },
}

impl DurationDist {
    /// Exponential with mean `mean_ns` nanoseconds.
    pub fn exp(mean_ns: f64) -> Self {
        Self::Exp { mean_ns }
    }

    /// Log-normal with the given mean and standard deviation of the duration itself \[ns\]
    /// (converted to the parameters of the underlying normal: σ² = ln(1 + sd²/mean²),
    /// μ = ln(mean) − σ²/2).
    pub fn log_normal_from_moments(mean_ns: f64, sd_ns: f64) -> Self {
        let sigma2 = (1.0 + (sd_ns / mean_ns).powi(2)).ln();
        Self::LogNormal {
            mu: mean_ns.ln() - sigma2 / 2.0,
            sigma: sigma2.sqrt(),
        }
    }

    /// Draws one duration.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let ns = match self {
            Self::Const(d) => return *d,
            Self::Exp { mean_ns } => {
                let e: f64 = Exp1.sample(rng);
                e * mean_ns
            }
            Self::Uniform { low_ns, high_ns } => low_ns + (high_ns - low_ns) * unit_f64(rng),
            Self::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Self::Weibull { shape, scale_ns } => {
                // Inverse transform; 1 − U lies in (0, 1], so the log is finite.
                scale_ns * (-(1.0 - unit_f64(rng)).ln()).powf(1.0 / shape)
            }
            Self::Empirical { values } => {
                return values[(rng.next_u64() % values.len() as u64) as usize];
            }
        };
        SimDuration::from_nanos_f64(ns)
    }

    /// The exact mean \[ns\], for reports and analytic checks.
    pub fn mean_ns(&self) -> f64 {
        match self {
            Self::Const(d) => d.as_nanos() as f64,
            Self::Exp { mean_ns } => *mean_ns,
            Self::Uniform { low_ns, high_ns } => (low_ns + high_ns) / 2.0,
            Self::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Self::Weibull { shape, scale_ns } => {
                scale_ns * statrs::function::gamma::gamma(1.0 + 1.0 / shape)
            }
            Self::Empirical { values } => {
                values.iter().map(|v| v.as_nanos() as f64).sum::<f64>() / values.len() as f64
            }
        }
    }
}

/// A uniform draw from [0, 1) with 53 random bits.
#[inline]
pub(crate) fn unit_f64(rng: &mut SimRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sample_mean(d: &DurationDist, n: u32) -> f64 {
        let mut rng = SimRng::seed_from_u64(11);
        (0..n)
            .map(|_| d.sample(&mut rng).as_nanos() as f64)
            .sum::<f64>()
            / f64::from(n)
    }

    /// Each sampler's mean over 200 000 draws lies within 4 standard errors of the exact mean
    /// (a two-sided bound with false-alarm probability 6e-5 per check).
    #[test]
    fn sample_means_match_exact_means() {
        const N: u32 = 200_000;
        let cases = [
            (DurationDist::exp(1e6), 1e6), // sd = 1e6
            (
                DurationDist::Uniform {
                    low_ns: 1e6,
                    high_ns: 3e6,
                },
                2e6 / 12f64.sqrt(),
            ),
            (DurationDist::log_normal_from_moments(1e6, 5e5), 5e5),
            (
                DurationDist::Weibull {
                    shape: 2.0,
                    scale_ns: 1e6,
                },
                1e6 * 0.4633,
            ),
        ];
        for (dist, sd) in cases {
            let exact = dist.mean_ns();
            let got = sample_mean(&dist, N);
            let se = sd / f64::from(N).sqrt();
            assert!(
                (got - exact).abs() < 4.0 * se,
                "{dist:?}: mean {got} vs {exact}"
            );
        }
    }

    #[test]
    fn log_normal_moments_convert_exactly() {
        let d = DurationDist::log_normal_from_moments(2e6, 1e6);
        assert!((d.mean_ns() - 2e6).abs() < 1e-3);
    }

    #[test]
    fn empirical_draws_only_observed_values() {
        let values = vec![SimDuration::from_nanos(5), SimDuration::from_nanos(9)];
        let d = DurationDist::Empirical {
            values: values.clone(),
        };
        let mut rng = SimRng::seed_from_u64(1);
        let mut seen = [false; 2];
        for _ in 0..100 {
            let v = d.sample(&mut rng);
            seen[values.iter().position(|x| *x == v).expect("observed value")] = true;
        }
        assert_eq!(seen, [true, true]);
        assert_eq!(d.mean_ns(), 7.0);
    }
}
