//! The parts of a results directory the charts use, read from its CSV files and manifest.
//!
//! Every file is optional here: a chart whose input is missing is skipped. Rows are kept in
//! file order, and variants are listed in order of first appearance so that colours and
//! legends follow the order of the scenario's variants.

use std::path::Path;

use super::PlotError;
use super::csv::Table;

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
        let (scenario, replications) = read_manifest(&dir.join("manifest.json"))?;

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
            scenario,
            replications,
            variants,
            summary,
            timeseries,
            delay_cdf,
            episodes,
        })
    }

    /// True if no result file was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.summary.is_none()
            && self.timeseries.is_none()
            && self.delay_cdf.is_none()
            && self.episodes.is_none()
    }

    /// The position of `variant` in [`Results::variants`], which picks its colour.
    pub(crate) fn variant_index(&self, variant: &str) -> usize {
        self.variants
            .iter()
            .position(|v| v == variant)
            .unwrap_or(self.variants.len())
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

/// Per variant, the mean over replications of the delay quantile at each probability, as
/// `(delay_ms, probability)` points sorted by probability. Undefined (NaN) quantiles are left
/// out of the mean; a probability with none defined is left out.
pub(crate) fn mean_delay_cdf(rows: &[Quantile]) -> Vec<(String, Vec<(f64, f64)>)> {
    by_variant(rows, |q| &q.variant)
        .into_iter()
        .map(|(variant, quantiles)| {
            // (probability, sum, count) by first appearance; 24 entries, so a scan is fine.
            let mut sums: Vec<(f64, f64, u32)> = Vec::new();
            for q in quantiles {
                let i = match sums.iter().position(|(p, _, _)| *p == q.probability) {
                    Some(i) => i,
                    None => {
                        sums.push((q.probability, 0.0, 0));
                        sums.len() - 1
                    }
                };
                if q.delay_ms.is_finite() {
                    sums[i].1 += q.delay_ms;
                    sums[i].2 += 1;
                }
            }
            let mut points: Vec<(f64, f64)> = sums
                .into_iter()
                .filter(|(_, _, n)| *n > 0)
                .map(|(p, sum, n)| (sum / f64::from(n), p))
                .collect();
            points.sort_by(|a, b| a.1.total_cmp(&b.1));
            (variant.to_string(), points)
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

/// Scenario name and replication count from `manifest.json`, if present.
fn read_manifest(path: &Path) -> Result<(Option<String>, Option<u64>), PlotError> {
    let text = match crate::scenario::read_optional(path, crate::scenario::MAX_RON_BYTES) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok((None, None)),
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
    Ok((
        json.get("scenario")
            .and_then(|s| s.as_str())
            .map(str::to_string),
        json.get("replications").and_then(|r| r.as_u64()),
    ))
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
    fn delay_cdf_averages_replications_per_probability() {
        let rows = [
            quantile("base", 0, 0.5, 1.0),
            quantile("base", 0, 0.99, 10.0),
            quantile("base", 1, 0.5, 3.0),
            quantile("base", 1, 0.99, f64::NAN),
            quantile("active", 0, 0.5, 2.0),
        ];
        let cdf = mean_delay_cdf(&rows);
        assert_eq!(
            cdf,
            vec![
                ("base".to_string(), vec![(2.0, 0.5), (10.0, 0.99)]),
                ("active".to_string(), vec![(2.0, 0.5)]),
            ]
        );
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
