//! The scenario file format (RON), as serde reads and writes it.
//!
//! Every struct denies unknown fields, so a misspelt field is an error instead of a silently
//! applied default. Defaults live here, in the `default_*` functions, and nowhere else; the
//! resolved scenario written next to results spells every one of them out. Units are in the
//! field names (`_ms`, `_s`, `_per_s`, `_bytes`, `_mbps`).

use serde::{Deserialize, Serialize};

/// Schema version this build reads and writes.
pub const CURRENT_VERSION: u32 = 1;

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Schema version; must be [`CURRENT_VERSION`].
    pub version: u32,
    /// Name used for the results directory; `[a-z0-9-]` only.
    pub name: String,
    /// Master seed. When absent, `faultline run` draws one, prints it and records it.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Independent replications (≥ 2 for a confidence interval).
    #[serde(default = "default_replications")]
    pub replications: u32,
    /// Simulated length of each replication [s].
    pub duration_s: f64,
    /// Initial period excluded from every metric [s]; below `duration_s`.
    #[serde(default)]
    pub warmup_s: f64,
    /// Machines and network.
    pub cluster: ClusterSpec,
    /// The dataflow graph, in topological order: an operator's inputs come before it.
    pub operators: Vec<OperatorSpec>,
    /// Measurement settings.
    #[serde(default)]
    pub metrics: MetricsSpec,
}

/// Machines and the network between them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Node groups, in order; node ids follow this order.
    pub nodes: Vec<NodeSpec>,
    /// Settings of every link between two distinct nodes.
    #[serde(default)]
    pub network: LinkSpec,
    /// Per-pair overrides of `network`.
    #[serde(default)]
    pub links: Vec<LinkOverrideSpec>,
}

/// One node, or a group of identical nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Node name; with `count` > 1 the nodes are named `<name>0`, `<name>1`, …
    pub name: String,
    /// How many identical nodes this entry declares.
    #[serde(default = "one")]
    pub count: u32,
    /// Cores per node.
    #[serde(default = "one")]
    pub cores: u32,
    /// Speed factor: service times are divided by it.
    #[serde(default = "unit_speed")]
    pub speed: f64,
}

/// Settings of a directed link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Latency of one transmission [ms].
    #[serde(default = "default_latency")]
    pub latency_ms: DistSpec,
    /// Bandwidth [megabits per second]; 0 means unlimited.
    #[serde(default = "default_bandwidth")]
    pub bandwidth_mbps: f64,
    /// Probability that a transmission is lost, in [0, 1). Reliable channels retransmit.
    #[serde(default)]
    pub loss: f64,
    /// Retransmission timeout of reliable channels [ms].
    #[serde(default = "default_retransmit")]
    pub retransmit_timeout_ms: f64,
}

impl Default for LinkSpec {
    fn default() -> Self {
        Self {
            latency_ms: default_latency(),
            bandwidth_mbps: default_bandwidth(),
            loss: 0.0,
            retransmit_timeout_ms: default_retransmit(),
        }
    }
}

/// Link settings between two named nodes, both directions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverrideSpec {
    /// The two nodes.
    pub between: (String, String),
    /// Settings of both directions.
    pub link: LinkSpec,
}

/// A probability distribution, in the unit of the field that holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DistSpec {
    /// Always this value.
    Const(f64),
    /// Exponential with this mean.
    Exp {
        /// Mean.
        mean: f64,
    },
    /// Uniform between `low` and `high`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Log-normal with this mean and standard deviation (of the value itself).
    LogNormal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Weibull with shape k and scale λ.
    Weibull {
        /// Shape k.
        shape: f64,
        /// Scale λ.
        scale: f64,
    },
    /// The empirical distribution of these observed values.
    Empirical {
        /// Observed values.
        values: Vec<f64>,
    },
    /// The empirical distribution of the numbers in a CSV file (first column; a header line
    /// is skipped), relative to the scenario file. Resolved scenarios inline the values.
    EmpiricalFile {
        /// Path of the CSV file.
        path: String,
    },
}

/// One operator of the dataflow graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorSpec {
    /// Unique name; `[a-z0-9-]`.
    pub name: String,
    /// What it does.
    pub kind: OperatorKindSpec,
    /// Parallel instances.
    #[serde(default = "one")]
    pub parallelism: u32,
    /// Upstream operators and how events are partitioned from each.
    #[serde(default)]
    pub inputs: Vec<InputSpec>,
    /// Where the instances run.
    #[serde(default)]
    pub placement: PlacementSpec,
    /// Events one instance may serve at once (each needs a core).
    #[serde(default = "one")]
    pub threads: u32,
    /// State kept per distinct key [bytes].
    #[serde(default)]
    pub state_bytes_per_key: u64,
}

/// Operator behaviours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum OperatorKindSpec {
    /// External producers: emits events, uses no core.
    Source {
        /// Arrival process of the whole operator (split evenly over its instances).
        arrivals: ArrivalSpec,
        /// Key distribution.
        keys: KeySpec,
        /// Size of each event [bytes].
        #[serde(default = "default_event_bytes")]
        event_bytes: u32,
    },
    /// Per-event processing with mean `selectivity` outputs per input.
    Map {
        /// Service time per event [ms].
        service_ms: DistSpec,
        /// Mean outputs per input (0.3 filters 70 %; 2 doubles).
        #[serde(default = "unit_selectivity")]
        selectivity: f64,
        /// Output size [bytes]; absent keeps the input size.
        #[serde(default)]
        output_bytes: Option<u32>,
    },
    /// Keyed tumbling processing-time window emitting one result per key and window.
    Window {
        /// Window length [s].
        size_s: f64,
        /// Service time per input event [ms].
        service_ms: DistSpec,
        /// Size of each result [bytes].
        #[serde(default = "default_event_bytes")]
        output_bytes: u32,
    },
    /// External consumer; delivery is measured on arrival.
    Sink,
}

/// Arrival processes of sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ArrivalSpec {
    /// Evenly spaced events.
    Constant {
        /// Events per second.
        rate_per_s: f64,
    },
    /// Poisson arrivals.
    Poisson {
        /// Events per second.
        rate_per_s: f64,
    },
    /// Poisson arrivals at `rate_per_s` during on periods, none during off periods.
    OnOff {
        /// Events per second while on.
        rate_per_s: f64,
        /// Length of on periods [s].
        on_s: DistSpec,
        /// Length of off periods [s].
        off_s: DistSpec,
    },
}

/// Key distributions of sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum KeySpec {
    /// Keys 0..count, equally likely.
    Uniform {
        /// Distinct keys.
        count: u64,
    },
    /// Keys 0..count, P(key k) ∝ 1/(k+1)^exponent.
    Zipf {
        /// Distinct keys.
        count: u64,
        /// Exponent s ≥ 0.
        exponent: f64,
    },
}

/// An input edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Upstream operator name.
    pub from: String,
    /// How events are spread over this operator's instances.
    #[serde(default)]
    pub partitioning: PartitioningSpec,
}

/// Partitioning schemes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum PartitioningSpec {
    /// Upstream instance i to instance i; needs equal parallelism.
    Forward,
    /// Round robin.
    #[default]
    Rebalance,
    /// `hash(key) mod parallelism`.
    Hash,
    /// `hash(key) mod count` key groups, assigned to instances in contiguous ranges.
    KeyGroups {
        /// Number of key groups, ≥ parallelism.
        count: u32,
    },
    /// Explicit key ranges: instance i gets keys in [bounds[i−1], bounds[i]).
    Range {
        /// Strictly increasing, parallelism − 1 of them.
        bounds: Vec<u64>,
    },
}

/// Placement of instances on nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum PlacementSpec {
    /// Round robin over all nodes, continuing from where the previous operator stopped.
    #[default]
    Spread,
    /// One node name per instance.
    Nodes(Vec<String>),
}

/// Measurement settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSpec {
    /// Width of time-series buckets [s].
    #[serde(default = "default_bucket")]
    pub bucket_s: f64,
    /// Confidence level of reported intervals.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
}

impl Default for MetricsSpec {
    fn default() -> Self {
        Self {
            bucket_s: default_bucket(),
            confidence: default_confidence(),
        }
    }
}

// ---- defaults: the only place they are set ----

fn default_replications() -> u32 {
    10
}
fn one() -> u32 {
    1
}
fn unit_speed() -> f64 {
    1.0
}
fn unit_selectivity() -> f64 {
    1.0
}
fn default_latency() -> DistSpec {
    DistSpec::Const(0.1)
}
fn default_bandwidth() -> f64 {
    10_000.0
}
fn default_retransmit() -> f64 {
    200.0
}
fn default_event_bytes() -> u32 {
    100
}
fn default_bucket() -> f64 {
    1.0
}
fn default_confidence() -> f64 {
    0.95
}
