//! The parts of a results directory the charts use, read from its CSV files and manifest.
//!
//! Every file is optional here: a chart whose input is missing is skipped. Rows are kept in
//! file order, and variants are listed in order of first appearance so that colours and
//! legends follow the order of the scenario's variants.

use std::path::Path;

use plotters::style::RGBColor;

use super::PlotError;
use super::csv::Table;
use super::frame::{strategy_from_label, strategy_palette};

/// Everything read from one results directory.
#[derive(Debug, Default)]
pub(crate) struct Results {
    /// Scenario name from `manifest.json`.
    pub scenario: Option<String>,
    /// Replications per variant from `manifest.json`.
    pub replications: Option<u64>,
    /// Every variant label, in order of first appearance (summary, then the other files).
    pub variants: Vec<String>,
    /// `summary.csv`.
    pub summary: Option<Vec<Estimate>>,
    /// `timeseries.csv`.
    pub timeseries: Option<Vec<Sample>>,
    /// `delay_cdf.csv`.
    pub delay_cdf: Option<Vec<Quantile>>,
    /// `episodes.csv`.
    pub episodes: Option<Vec<Episode>>,
    /// `network_faults.csv`: partitions and link spikes per replication.
    pub network_faults: Option<Vec<NetworkFault>>,
    /// Strategy kind per variant from `variants.csv`, in file order.
    pub strategies: Vec<(String, String)>,
    /// Length of a replication \[s\] from `manifest.json`.
    pub duration_s: Option<f64>,
    /// Warm-up \[s\] from `manifest.json`.
    pub warmup_s: Option<f64>,
}

/// One row of `network_faults.csv`: a partition or link spike of one replication.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NetworkFault {
    pub replication: u32,
    /// `partition` or `link-spike`.
    pub kind: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// One row of `summary.csv`: a metric's mean and confidence interval for one variant.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Estimate {
    pub variant: String,
    pub metric: String,
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Confidence level of the interval, e.g. 0.95.
    pub level: f64,
}

/// One bucket of `timeseries.csv`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sample {
    pub variant: String,
    pub replication: u32,
    /// Start of the bucket \[s\].
    pub t_s: f64,
    /// Deliveries per second in the bucket.
    pub throughput_per_s: f64,
}

/// One row of `delay_cdf.csv`: the delay quantile at `probability` of one replication.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Quantile {
    pub variant: String,
    pub replication: u32,
    pub probability: f64,
    pub delay_ms: f64,
}

/// One row of `episodes.csv`: a fault and, if they happened, its detection and recovery.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Episode {
    pub variant: String,
    pub replication: u32,
    /// `node-crash`, `instance-crash` or `false-failover`.
    pub kind: String,
    pub fault_s: f64,
    pub detected_s: Option<f64>,
    pub recovered_s: Option<f64>,
}

impl Episode {
    /// A false failover starts with the suspicion of a live node, not with a fault.
    pub fn is_false_failover(&self) -> bool {
        self.kind == "false-failover"
    }
}

impl Results {
    /// Reads whatever result files `dir` holds.
    pub(crate) fn read(dir: &Path) -> Result<Self, PlotError> {
        let summary = Table::read_optional(&dir.join("summary.csv"))?
            .map(|t| read_summary(&t))
            .transpose()?;
        let timeseries = Table::read_optional(&dir.join("timeseries.csv"))?
            .map(|t| read_timeseries(&t))
            .transpose()?;
        let delay_cdf = Table::read_optional(&dir.join("delay_cdf.csv"))?
            .map(|t| read_delay_cdf(&t))
            .transpose()?;
        let episodes = Table::read_optional(&dir.join("episodes.csv"))?
            .map(|t| read_episodes(&t))
            .transpose()?;
        let network_faults = Table::read_optional(&dir.join("network_faults.csv"))?
            .map(|t| read_network_faults(&t))
            .transpose()?;
        let strategies = Table::read_optional(&dir.join("variants.csv"))?
            .map(|t| read_strategies(&t))
            .transpose()?
            .unwrap_or_default();
        let manifest = read_manifest(&dir.join("manifest.json"))?;

        let mut variants = Vec::new();
        let labels = summary
            .iter()
            .flatten()
            .map(|e| &e.variant)
            .chain(timeseries.iter().flatten().map(|s| &s.variant))
            .chain(delay_cdf.iter().flatten().map(|q| &q.variant))
            .chain(episodes.iter().flatten().map(|e| &e.variant));
        for label in labels {
            if !variants.contains(label) {
                variants.push(label.clone());
            }
        }
        Ok(Self {
            scenario: manifest.scenario,
            replications: manifest.replications,
            variants,
            summary,
            timeseries,
            delay_cdf,
            episodes,
            network_faults,
            strategies,
            duration_s: manifest.duration_s,
            warmup_s: manifest.warmup_s,
        })
    }

    /// True if no result file was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.summary.is_none()
            && self.timeseries.is_none()
            && self.delay_cdf.is_none()
            && self.episodes.is_none()
    }

    /// The strategy kind of `variant`: from `variants.csv`, else guessed from its label.
    pub(crate) fn strategy(&self, variant: &str) -> Option<&str> {
        self.strategies
            .iter()
            .find(|(v, _)| v == variant)
            .map(|(_, s)| s.as_str())
            .or_else(|| strategy_from_label(variant))
    }

    /// The colour of `variant`: its strategy's, the same in every chart
    /// ([`strategy_palette`] over every variant in order).
    pub(crate) fn colour(&self, variant: &str) -> RGBColor {
        let strategies: Vec<Option<&str>> =
            self.variants.iter().map(|v| self.strategy(v)).collect();
        let palette = strategy_palette(&strategies);
        match self.variants.iter().position(|v| v == variant) {
            Some(i) => palette[i],
            None => strategy_palette(&[self.strategy(variant)])[0],
        }
    }

    /// `metric` for every variant that has it in `summary.csv`, in variant order.
    pub(crate) fn metric(&self, metric: &str) -> Vec<&Estimate> {
        let rows = self.summary.as_deref().unwrap_or_default();
        self.variants
            .iter()
            .filter_map(|v| rows.iter().find(|e| &e.variant == v && e.metric == metric))
            .collect()
    }
}

/// Rows grouped by variant, groups in order of first appearance, rows in file order.
pub(crate) fn by_variant<T>(rows: &[T], variant: impl Fn(&T) -> &str) -> Vec<(&str, Vec<&T>)> {
    let mut groups: Vec<(&str, Vec<&T>)> = Vec::new();
    for row in rows {
        let v = variant(row);
        match groups.iter_mut().find(|(g, _)| *g == v) {
            Some((_, members)) => members.push(row),
            None => groups.push((v, vec![row])),
        }
    }
    groups
}

/// A delay quantile across runs: its mean and Student-t confidence interval.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct QuantileBand {
    pub probability: f64,
    /// Mean over runs of the delay quantile \[ms\].
    pub mean_ms: f64,
    /// Confidence interval of that mean \[ms\], clipped at zero (a delay is never
    /// negative); `None` with fewer than two runs.
    pub ci_ms: Option<(f64, f64)>,
}

/// Per variant, the mean over runs (seeded replications) of the delay quantile at each
/// probability and its Student-t interval at `level`, sorted by probability. Undefined
/// (NaN) quantiles are left out; a probability with none defined is left out.
pub(crate) fn delay_quantile_bands(
    rows: &[Quantile],
    level: f64,
) -> Vec<(String, Vec<QuantileBand>)> {
    by_variant(rows, |q| &q.variant)
        .into_iter()
        .map(|(variant, quantiles)| {
            // (probability, samples) by first appearance; 24 entries, so a scan is fine.
            let mut samples: Vec<(f64, Vec<f64>)> = Vec::new();
            for q in quantiles {
                let i = match samples.iter().position(|(p, _)| *p == q.probability) {
                    Some(i) => i,
                    None => {
                        samples.push((q.probability, Vec::new()));
                        samples.len() - 1
                    }
                };
                if q.delay_ms.is_finite() {
                    samples[i].1.push(q.delay_ms);
                }
            }
            let mut bands: Vec<QuantileBand> = samples
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(probability, v)| {
                    let ci = crate::stats::t_interval(&v, level).ok();
                    QuantileBand {
                        probability,
                        mean_ms: crate::stats::mean(&v),
                        ci_ms: ci.map(|i| (i.low.max(0.0), i.high)),
                    }
                })
                .collect();
            bands.sort_by(|a, b| a.probability.total_cmp(&b.probability));
            (variant.to_string(), bands)
        })
        .collect()
}

fn read_summary(t: &Table) -> Result<Vec<Estimate>, PlotError> {
    let (variant, metric, mean, low, high, level) = (
        t.column("variant")?,
        t.column("metric")?,
        t.column("mean")?,
        t.column("ci_low")?,
        t.column("ci_high")?,
        t.column("level")?,
    );
    t.rows()
        .iter()
        .map(|r| {
            Ok(Estimate {
                variant: t.text(r, variant).to_string(),
                metric: t.text(r, metric).to_string(),
                mean: t.number(r, mean)?,
                ci_low: t.number(r, low)?,
                ci_high: t.number(r, high)?,
                level: t.number(r, level)?,
            })
        })
        .collect()
}

fn read_timeseries(t: &Table) -> Result<Vec<Sample>, PlotError> {
    let (variant, replication, time, throughput) = (
        t.column("variant")?,
        t.column("replication")?,
        t.column("t_s")?,
        t.column("throughput_per_s")?,
    );
    t.rows()
        .iter()
        .map(|r| {
            Ok(Sample {
                variant: t.text(r, variant).to_string(),
                replication: t.index(r, replication)?,
                t_s: t.number(r, time)?,
                throughput_per_s: t.number(r, throughput)?,
            })
        })
        .collect()
}

fn read_delay_cdf(t: &Table) -> Result<Vec<Quantile>, PlotError> {
    let (variant, replication, probability, delay) = (
        t.column("variant")?,
        t.column("replication")?,
        t.column("probability")?,
        t.column("delay_ms")?,
    );
    t.rows()
        .iter()
        .map(|r| {
            Ok(Quantile {
                variant: t.text(r, variant).to_string(),
                replication: t.index(r, replication)?,
                probability: t.number(r, probability)?,
                delay_ms: t.number(r, delay)?,
            })
        })
        .collect()
}

fn read_episodes(t: &Table) -> Result<Vec<Episode>, PlotError> {
    let (variant, replication, kind, fault, detected, recovered) = (
        t.column("variant")?,
        t.column("replication")?,
        t.column("kind")?,
        t.column("fault_s")?,
        t.column("detected_s")?,
        t.column("recovered_s")?,
    );
    t.rows()
        .iter()
        .map(|r| {
            Ok(Episode {
                variant: t.text(r, variant).to_string(),
                replication: t.index(r, replication)?,
                kind: t.text(r, kind).to_string(),
                fault_s: t.number(r, fault)?,
                detected_s: t.optional_number(r, detected)?,
                recovered_s: t.optional_number(r, recovered)?,
            })
        })
        .collect()
}

/// What the charts use of `manifest.json`.
#[derive(Debug, Default)]
struct Manifest {
    scenario: Option<String>,
    replications: Option<u64>,
    duration_s: Option<f64>,
    warmup_s: Option<f64>,
}

fn read_network_faults(t: &Table) -> Result<Vec<NetworkFault>, PlotError> {
    let (replication, kind, start, end) = (
        t.column("replication")?,
        t.column("kind")?,
        t.column("start_s")?,
        t.column("end_s")?,
    );
    t.rows()
        .iter()
        .map(|r| {
            Ok(NetworkFault {
                replication: t.index(r, replication)?,
                kind: t.text(r, kind).to_string(),
                start_s: t.number(r, start)?,
                end_s: t.number(r, end)?,
            })
        })
        .collect()
}

fn read_strategies(t: &Table) -> Result<Vec<(String, String)>, PlotError> {
    let (variant, strategy) = (t.column("variant")?, t.column("strategy")?);
    Ok(t.rows()
        .iter()
        .map(|r| {
            (
                t.text(r, variant).to_string(),
                t.text(r, strategy).to_string(),
            )
        })
        .collect())
}

/// Scenario name, replication count and window from `manifest.json`, if present (older
/// manifests have no window).
fn read_manifest(path: &Path) -> Result<Manifest, PlotError> {
    let text = match crate::scenario::read_optional(path, crate::scenario::MAX_RON_BYTES) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(Manifest::default()),
        Err(e) => {
            return Err(PlotError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            });
        }
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| PlotError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        message: e.to_string(),
    })?;
    Ok(Manifest {
        scenario: json
            .get("scenario")
            .and_then(|s| s.as_str())
            .map(str::to_string),
        replications: json.get("replications").and_then(|r| r.as_u64()),
        duration_s: json.get("duration_s").and_then(|d| d.as_f64()),
        warmup_s: json.get("warmup_s").and_then(|w| w.as_f64()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantile(variant: &str, replication: u32, probability: f64, delay_ms: f64) -> Quantile {
        Quantile {
            variant: variant.to_string(),
            replication,
            probability,
            delay_ms,
        }
    }

    #[test]
    fn delay_quantiles_get_a_student_t_band_across_runs() {
        let rows = [
            quantile("base", 0, 0.5, 1.0),
            quantile("base", 0, 0.99, 10.0),
            quantile("base", 1, 0.5, 3.0),
            quantile("base", 1, 0.99, f64::NAN),
            quantile("base", 2, 0.5, 2.0),
            quantile("active", 0, 0.5, 2.0),
        ];
        let bands = delay_quantile_bands(&rows, 0.95);
        assert_eq!(bands.len(), 2);
        let (variant, base) = &bands[0];
        assert_eq!(variant, "base");
        // p = 0.5: samples 1, 3, 2: mean 2, s = 1, t(0.975, 2) = 4.303: 2 ± 2.484, clipped
        // at zero below.
        assert_eq!(base[0].probability, 0.5);
        assert_eq!(base[0].mean_ms, 2.0);
        let (lo, hi) = base[0].ci_ms.unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - (2.0 + 4.302_653 / 3f64.sqrt())).abs() < 1e-5, "{hi}");
        // p = 0.99: one defined run, no interval.
        assert_eq!(base[1].mean_ms, 10.0);
        assert_eq!(base[1].ci_ms, None);
        assert_eq!(bands[1].1.len(), 1);
    }

    #[test]
    fn groups_keep_first_appearance_order() {
        let rows = ["b", "a", "b", "c", "a"];
        let groups = by_variant(&rows, |s| s);
        let order: Vec<&str> = groups.iter().map(|(v, _)| *v).collect();
        assert_eq!(order, ["b", "a", "c"]);
        assert_eq!(groups[0].1.len(), 2);
    }
}
