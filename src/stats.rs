//! Statistics across replications: mean, standard deviation, Student-t confidence intervals
//! and paired differences.
//!
//! Replications are independent and identically distributed by construction (independent
//! seeds), so the replication means of a metric are i.i.d. and, by the central limit theorem,
//! approximately normal: the Student-t interval with n − 1 degrees of freedom is the standard
//! choice (Law, *Simulation Modeling and Analysis*, §9.4.1). Sums run in replication order so
//! the result never depends on which thread finished first.

use std::fmt;

use statrs::distribution::{ContinuousCDF, StudentsT};

/// A mean with its two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator).
    pub std_dev: f64,
    /// Lower bound of the interval.
    pub low: f64,
    /// Upper bound of the interval.
    pub high: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// Number of samples.
    pub n: usize,
}

impl Interval {
    /// Half the width of the interval.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }

    /// Whether `value` lies inside the closed interval.
    pub fn contains(&self, value: f64) -> bool {
        self.low <= value && value <= self.high
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.6} [{:.6}, {:.6}] ({:.0}% CI, n = {})",
            self.mean,
            self.low,
            self.high,
            self.level * 100.0,
            self.n
        )
    }
}

/// Why an interval could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum StatsError {
    /// Fewer than two samples: run more replications.
    TooFewSamples {
        /// Samples given.
        n: usize,
    },
    /// A sample was NaN or infinite: the metric is undefined in some replication.
    NonFinite,
    /// The confidence level was not strictly between 0 and 1.
    BadLevel(f64),
    /// Two samples to pair had different lengths.
    LengthMismatch {
        /// Length of the first sample.
        left: usize,
        /// Length of the second sample.
        right: usize,
    },
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooFewSamples { n } => {
                write!(
                    f,
                    "need at least 2 replications for a confidence interval, got {n}"
                )
            }
            Self::NonFinite => write!(f, "a sample is NaN or infinite"),
            Self::BadLevel(l) => write!(f, "confidence level {l} is not in (0, 1)"),
            Self::LengthMismatch { left, right } => {
                write!(f, "cannot pair samples of {left} and {right} replications")
            }
        }
    }
}

impl std::error::Error for StatsError {}

/// Mean of `samples`, summed in order.
pub fn mean(samples: &[f64]) -> f64 {
    samples.iter().sum::<f64>() / samples.len() as f64
}

/// Two-sided quantile t_{1−α/2, n−1} of Student's t distribution for confidence `level`.
pub fn t_quantile(level: f64, n: usize) -> Result<f64, StatsError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(StatsError::BadLevel(level));
    }
    if n < 2 {
        return Err(StatsError::TooFewSamples { n });
    }
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("n >= 2 gives positive degrees of freedom and unit scale is valid");
    Ok(t.inverse_cdf(0.5 + level / 2.0))
}

/// Mean and two-sided Student-t confidence interval of independent replication results.
pub fn t_interval(samples: &[f64], level: f64) -> Result<Interval, StatsError> {
    let n = samples.len();
    let t = t_quantile(level, n)?;
    if samples.iter().any(|x| !x.is_finite()) {
        return Err(StatsError::NonFinite);
    }
    let mean = mean(samples);
    let var = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let std_dev = var.sqrt();
    let half = t * std_dev / (n as f64).sqrt();
    Ok(Interval {
        mean,
        std_dev,
        low: mean - half,
        high: mean + half,
        level,
        n,
    })
}

/// Confidence interval of the paired difference `b\[i\] − a\[i\]` (common random numbers make
/// replication i of two variants see the same workload, so pairing removes that variance).
pub fn paired_difference(a: &[f64], b: &[f64], level: f64) -> Result<Interval, StatsError> {
    if a.len() != b.len() {
        return Err(StatsError::LengthMismatch {
            left: a.len(),
            right: b.len(),
        });
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    t_interval(&diffs, level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Two-sided 95 %: t_{0.975, 9} = 2.262157, t_{0.975, 29} = 2.045230 (standard tables).
        assert!((t_quantile(0.95, 10).unwrap() - 2.262157).abs() < 1e-5);
        assert!((t_quantile(0.95, 30).unwrap() - 2.045230).abs() < 1e-5);
        // 99 %, 4 d.o.f.: 4.604095.
        assert!((t_quantile(0.99, 5).unwrap() - 4.604095).abs() < 1e-5);
    }

    #[test]
    fn interval_of_known_sample() {
        // mean 3, sample sd sqrt(2.5), half width = 2.776445 * sqrt(2.5/5).
        let ci = t_interval(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95).unwrap();
        assert_eq!(ci.mean, 3.0);
        assert!((ci.std_dev - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((ci.half_width() - 2.776445 * 0.5f64.sqrt()).abs() < 1e-5);
        assert!(ci.contains(3.0) && !ci.contains(10.0));
    }

    #[test]
    fn constant_samples_give_a_zero_width_interval() {
        let ci = t_interval(&[2.0; 4], 0.95).unwrap();
        assert_eq!((ci.low, ci.high), (2.0, 2.0));
    }

    #[test]
    fn errors_instead_of_nonsense() {
        assert_eq!(
            t_interval(&[1.0], 0.95),
            Err(StatsError::TooFewSamples { n: 1 })
        );
        assert_eq!(
            t_interval(&[1.0, f64::NAN], 0.95),
            Err(StatsError::NonFinite)
        );
        assert_eq!(t_interval(&[1.0, 2.0], 1.0), Err(StatsError::BadLevel(1.0)));
        assert!(matches!(
            paired_difference(&[1.0], &[1.0, 2.0], 0.95),
            Err(StatsError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn pairing_removes_shared_variance() {
        let a = [10.0, 20.0, 30.0, 40.0];
        let b = [11.0, 21.1, 30.9, 41.0];
        let d = paired_difference(&a, &b, 0.95).unwrap();
        assert!((d.mean - 1.0).abs() < 1e-12);
        assert!(d.half_width() < 0.2, "{d}");
    }
}
