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
    /// Simulated length of each replication \[s\].
    pub duration_s: f64,
    /// Initial period excluded from every metric \[s\]; below `duration_s`.
    #[serde(default)]
    pub warmup_s: f64,
    /// Machines and network.
    pub cluster: ClusterSpec,
    /// Capacity of every input channel (credit-based flow control); an operator's `buffer`
    /// overrides it. `Unbounded` (the default) never blocks a sender.
    #[serde(default, skip_serializing_if = "BufferSpec::is_unbounded")]
    pub buffers: BufferSpec,
    /// The dataflow graph, in topological order: an operator's inputs come before it.
    pub operators: Vec<OperatorSpec>,
    /// Measurement settings.
    #[serde(default)]
    pub metrics: MetricsSpec,
    /// Fault models; every variant meets the same faults (common random numbers).
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// How failures are detected and recovered from.
    #[serde(default)]
    pub fault_tolerance: FaultToleranceSpec,
    /// Configurations to compare, each a set of overrides of the base above. Empty: the base
    /// alone, labelled `base`. Every variant meets the same workload and faults.
    #[serde(default)]
    pub variants: Vec<VariantSpec>,
}

/// One configuration to compare: a label and the parts of the base it replaces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// Name in results and charts; `[a-z0-9-]`, unique.
    pub label: String,
    /// Replaces the base's `fault_tolerance` when present.
    #[serde(default)]
    pub fault_tolerance: Option<FaultToleranceSpec>,
    /// Replaces only the replication strategy (of the base, or of this variant's
    /// `fault_tolerance`) when present.
    #[serde(default)]
    pub replication: Option<ReplicationSpec>,
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
    /// Latency of one transmission \[ms\].
    #[serde(default = "default_latency")]
    pub latency_ms: DistSpec,
    /// Bandwidth \[megabits per second\]; 0 means unlimited.
    #[serde(default = "default_bandwidth")]
    pub bandwidth_mbps: f64,
    /// Probability that a transmission is lost, in [0, 1). Reliable channels retransmit.
    #[serde(default)]
    pub loss: f64,
    /// Retransmission timeout of reliable channels \[ms\].
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
    /// State kept per distinct key \[bytes\].
    #[serde(default)]
    pub state_bytes_per_key: u64,
    /// Capacity of each of this operator's input channels, overriding the scenario's
    /// `buffers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer: Option<BufferSpec>,
}

/// Capacity of an input channel: what its receiver holds from one sender (queued and in
/// service) before that sender runs out of credit and blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BufferSpec {
    /// No bound: senders never block.
    #[default]
    Unbounded,
    /// At most this many events.
    Events(u32),
    /// At most this many bytes of events (an event larger than the whole buffer still
    /// passes when the buffer is empty).
    Bytes(u64),
}

impl BufferSpec {
    /// Whether this is the default, `Unbounded`.
    pub fn is_unbounded(&self) -> bool {
        *self == Self::Unbounded
    }
}

/// What a source does with events it cannot send yet (its output has no credit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PressureSpec {
    /// A replayable log (a Kafka topic): events wait outside the system until the source
    /// reads them; nothing is lost, the source lags.
    #[default]
    Pull,
    /// Producers push (sensors): events wait in a buffer of `buffer` events at the source
    /// and are shed when it is full.
    Push {
        /// Events the source buffers before it sheds (0: shed whatever cannot be sent).
        buffer: u32,
    },
}

impl PressureSpec {
    /// Whether this is the default, `Pull`.
    pub fn is_pull(&self) -> bool {
        *self == Self::Pull
    }
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
        /// Size of each event \[bytes\].
        #[serde(default = "default_event_bytes")]
        event_bytes: u32,
        /// What happens to events the source cannot send yet (only with bounded buffers).
        #[serde(default, skip_serializing_if = "PressureSpec::is_pull")]
        pressure: PressureSpec,
    },
    /// Per-event processing with mean `selectivity` outputs per input.
    Map {
        /// Service time per event \[ms\].
        service_ms: DistSpec,
        /// Mean outputs per input (0.3 filters 70 %; 2 doubles).
        #[serde(default = "unit_selectivity")]
        selectivity: f64,
        /// Output size \[bytes\]; absent keeps the input size.
        #[serde(default)]
        output_bytes: Option<u32>,
    },
    /// Keyed tumbling processing-time window emitting one result per key and window.
    Window {
        /// Window length \[s\].
        size_s: f64,
        /// Service time per input event \[ms\].
        service_ms: DistSpec,
        /// Size of each result \[bytes\].
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
        /// Length of on periods \[s\].
        on_s: DistSpec,
        /// Length of off periods \[s\].
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
    /// Explicit key ranges: instance i gets keys in [bounds\[i−1\], bounds\[i\]).
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
    /// Width of time-series buckets \[s\].
    #[serde(default = "default_bucket")]
    pub bucket_s: f64,
    /// Confidence level of reported intervals.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Delay objective \[ms\]: a time bucket meets the SLA when its p99 delay is within it
    /// and no partition is down (`availability_sla`). None: not reported.
    #[serde(default)]
    pub sla_ms: Option<f64>,
}

impl Default for MetricsSpec {
    fn default() -> Self {
        Self {
            bucket_s: default_bucket(),
            confidence: default_confidence(),
            sla_ms: None,
        }
    }
}

/// Two groups of nodes, for partitions and link spikes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupsSpec {
    /// Node names on one side.
    pub a: Vec<String>,
    /// Node names on the other side.
    pub b: Vec<String>,
}

/// Which nodes a crash model covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum NodeSelectorSpec {
    /// Every node except the coordinator's and the spares.
    Workers,
    /// These nodes.
    Nodes(Vec<String>),
}

/// A fault model. Times are in seconds of simulated time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FaultSpec {
    /// Each node alternates up periods (`ttf_s`) and repairs (`repair_s`), independently or
    /// sharing `crews` repair crews.
    Crash {
        /// Nodes covered.
        nodes: NodeSelectorSpec,
        /// Time to failure \[s\].
        ttf_s: DistSpec,
        /// Time to repair \[s\], drawn when a crew starts the repair.
        repair_s: DistSpec,
        /// Repair crews shared by the covered nodes (at least 1): a node failing while every
        /// crew is busy waits, first failed first served. Absent: every failed node is
        /// repaired at once (independent nodes). Left out of the resolved scenario when
        /// absent, so existing files resolve, hash and run exactly as before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        crews: Option<u32>,
    },
    /// The nodes fail and are repaired together (a rack, a power domain). The group is one
    /// unit with one repair at a time, so it has no `crews`.
    GroupCrash {
        /// The group.
        nodes: Vec<String>,
        /// Time to failure of the group \[s\].
        ttf_s: DistSpec,
        /// Time to repair \[s\].
        repair_s: DistSpec,
    },
    /// Cold standby: the first `active` nodes run and fail after `ttf_s`; the others wait
    /// cold and cannot fail. When a running node fails the first cold node (in list order)
    /// takes its place and its failure clock starts; a repaired node runs again if fewer than
    /// `active` run, and waits cold otherwise.
    ColdStandby {
        /// The nodes, at least two, each at most once; the first `active` run from time 0.
        nodes: Vec<String>,
        /// How many nodes run at once, at least 1 and fewer than the nodes.
        active: u32,
        /// Time to failure of a running node \[s\].
        ttf_s: DistSpec,
        /// Time to repair \[s\], drawn when a crew starts the repair.
        repair_s: DistSpec,
        /// Repair crews (at least 1), as in `Crash`. Absent: every failed node is repaired at
        /// once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        crews: Option<u32>,
    },
    /// One scripted crash.
    CrashAt {
        /// The node.
        node: String,
        /// When it crashes \[s\].
        at_s: f64,
        /// How long until it is repaired \[s\].
        repair_s: f64,
    },
    /// One scripted network partition between two groups of nodes.
    Partition {
        /// The two sides.
        groups: GroupsSpec,
        /// When it starts \[s\].
        at_s: f64,
        /// How long it lasts \[s\].
        duration_s: f64,
    },
    /// Recurring random partitions between two groups.
    RandomPartitions {
        /// The two sides.
        groups: GroupsSpec,
        /// Time between the end of one partition and the start of the next \[s\].
        gap_s: DistSpec,
        /// Length of each partition \[s\].
        duration_s: DistSpec,
    },
    /// Extra message loss and latency between two groups for a while.
    LinkSpike {
        /// The two sides.
        groups: GroupsSpec,
        /// Extra loss probability per transmission, in [0, 1).
        #[serde(default)]
        extra_loss: f64,
        /// Extra latency per transmission \[ms\].
        #[serde(default = "zero_dist")]
        extra_latency_ms: DistSpec,
        /// When it starts \[s\].
        at_s: f64,
        /// How long it lasts \[s\].
        duration_s: f64,
    },
    /// An operator instance stops processing (its node keeps sending heartbeats).
    Hang {
        /// Operator name.
        operator: String,
        /// Instance index.
        #[serde(default)]
        instance: u32,
        /// When it hangs \[s\].
        at_s: f64,
        /// How long until it resumes by itself \[s\].
        duration_s: f64,
    },
    /// A node serves `factor` times slower for a while.
    Straggler {
        /// The node.
        node: String,
        /// Slow-down factor (> 1 is slower).
        factor: f64,
        /// When it starts \[s\].
        at_s: f64,
        /// How long it lasts \[s\].
        duration_s: f64,
    },
    /// From `at_s` on, events with this key crash the instance that processes them.
    Poison {
        /// The poisonous key.
        key: u64,
        /// When the poison appears \[s\].
        at_s: f64,
    },
    /// Scripted faults read from a CSV file (`time_s,kind,target,value`; kinds `crash`,
    /// `repair`, `slow`, `unslow`; target a node name; value the slow-down factor).
    Trace {
        /// CSV path, relative to the scenario.
        path: String,
    },
}

/// The failure detector run by the coordinator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DetectorSpec {
    /// Suspect a node `timeout_ms` after its last heartbeat.
    Heartbeat {
        /// Heartbeat period \[ms\].
        interval_ms: f64,
        /// Silence after which a node is suspected \[ms\].
        timeout_ms: f64,
    },
    /// Phi-accrual (Hayashibara et al. 2004) over a sliding window of inter-arrival times.
    PhiAccrual {
        /// Heartbeat period \[ms\].
        interval_ms: f64,
        /// Suspicion threshold φ (8 ≈ 5.6 standard deviations).
        #[serde(default = "default_phi")]
        threshold: f64,
        /// Inter-arrival times remembered.
        #[serde(default = "default_phi_window")]
        window: u32,
        /// Floor on the standard deviation \[ms\].
        #[serde(default = "default_min_std")]
        min_std_ms: f64,
        /// Acceptable extra pause \[ms\].
        #[serde(default)]
        pause_ms: f64,
    },
}

/// Failure detection and recovery settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultToleranceSpec {
    /// Node running the failure detector (and, later, the checkpoint coordinator). Required
    /// with a detector; never given work by `Spread` placement.
    #[serde(default)]
    pub coordinator: Option<String>,
    /// Failure detector; without one, a failed instance restarts only when its node is
    /// repaired.
    #[serde(default)]
    pub detector: Option<DetectorSpec>,
    /// Standby nodes that take over the instances of a suspected node. Not used by `Spread`.
    #[serde(default)]
    pub spares: Vec<String>,
    /// Time to start a replacement instance \[ms\].
    #[serde(default = "zero_dist")]
    pub restart_ms: DistSpec,
    /// Periodic checkpoints for rollback recovery; without them a restarted instance starts
    /// empty.
    #[serde(default)]
    pub checkpoint: Option<CheckpointSpec>,
    /// What stands by for each instance: `None` (checkpoints and rollback only), `Active`,
    /// `Passive` or `UpstreamBackup`.
    #[serde(default)]
    pub replication: ReplicationSpec,
    /// How sinks make deliveries visible: `AtLeastOnce` (at once, replays visible again;
    /// the default), `Idempotent` (an id already written is dropped) or `Transactional`
    /// (visible when the checkpoint covering it completes; needs checkpoints, replication
    /// `None` and `rollback: Global`).
    #[serde(default, skip_serializing_if = "SinkSpec::is_at_least_once")]
    pub sink: SinkSpec,
}

/// How sinks make their deliveries visible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SinkSpec {
    /// Every delivery is visible at once.
    #[default]
    AtLeastOnce,
    /// Upsert by id: a delivery whose id was already written is dropped.
    Idempotent,
    /// Two-phase commit: deliveries become visible when their checkpoint completes.
    Transactional,
}

impl SinkSpec {
    /// Whether this is the default, `AtLeastOnce`.
    pub fn is_at_least_once(&self) -> bool {
        *self == Self::AtLeastOnce
    }
}

/// Replication strategies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum ReplicationSpec {
    /// One copy per instance; recovery by checkpoint and rollback alone.
    #[default]
    None,
    /// `replicas` copies of every processing instance on distinct nodes; a lost copy is
    /// rebuilt from a live one. Replaces checkpoints (the `checkpoint` block is not used).
    Active {
        /// Copies per instance.
        #[serde(default = "two")]
        replicas: u32,
        /// State-transfer bandwidth for rebuilding a copy \[megabits per second\].
        #[serde(default = "default_state_mbps")]
        transfer_mbps: f64,
    },
    /// A standby per instance on a spare (or the next node), promoted on detection.
    /// Needs `checkpoint`.
    Passive {
        /// Promotion delay \[ms\].
        #[serde(default = "default_promote")]
        promote_ms: f64,
        /// `Checkpoint` (state at every checkpoint) or `Continuous` (log shipping).
        #[serde(default)]
        sync: StandbySyncSpec,
    },
    /// Upstream keeps its output until downstream has made it durable; a fresh replacement
    /// replays it. Needs `checkpoint` (its barriers carry the acknowledgements).
    UpstreamBackup,
}

/// When a passive standby receives state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StandbySyncSpec {
    /// At every checkpoint.
    #[default]
    Checkpoint,
    /// Every state change.
    Continuous,
}

/// Which instances a failure rolls back (for the `None` strategy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RollbackSpec {
    /// Every instance; sources replay.
    #[default]
    Global,
    /// Only the failed instances; upstream instances replay their output logs.
    Local,
}

/// Checkpoint settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSpec {
    /// Time between checkpoint starts \[s\].
    pub interval_s: f64,
    /// Snapshot write bandwidth \[megabits per second\].
    #[serde(default = "default_state_mbps")]
    pub snapshot_mbps: f64,
    /// State restore bandwidth \[megabits per second\].
    #[serde(default = "default_state_mbps")]
    pub restore_mbps: f64,
    /// Whether instances pause while writing their snapshot.
    #[serde(default)]
    pub mode: SnapshotModeSpec,
    /// Checkpoint-progress watchdog \[s\]: instances that have not acknowledged a checkpoint
    /// this long after it started are suspected and restarted.
    #[serde(default)]
    pub watchdog_s: Option<f64>,
    /// `Global` or `Local` rollback.
    #[serde(default)]
    pub rollback: RollbackSpec,
    /// How barriers meet at an instance with several inputs: `AtLeastOnce` (counted, the
    /// default), `Aligned` (exactly-once) or `Unaligned` (exactly-once, barriers overtake
    /// buffered data, which the snapshot stores).
    #[serde(default, skip_serializing_if = "BarrierSpec::is_at_least_once")]
    pub barriers: BarrierSpec,
    /// With `Aligned`: an instance whose barrier is older than this switches to unaligned
    /// for that checkpoint (Flink's `aligned-checkpoint-timeout`) \[ms\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aligned_timeout_ms: Option<f64>,
    /// A checkpoint not complete this long after it started expires: it is aborted and
    /// counts as failed \[s\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<f64>,
    /// Failed (expired) checkpoints in a row tolerated; one more triggers a failover (a
    /// global rollback, as in Flink). Absent: any number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerable_failed_checkpoints: Option<u32>,
    /// Least time from the end of one checkpoint to the start of the next \[s\].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_pause_s: f64,
}

/// Barrier handling at instances with several input channels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarrierSpec {
    /// Barriers are counted: input after a channel's barrier is processed before the
    /// snapshot (Flink's at-least-once mode).
    #[default]
    AtLeastOnce,
    /// A channel whose barrier arrived is blocked until every channel's has (exactly-once).
    Aligned,
    /// The first barrier overtakes buffered input and output; the overtaken events are
    /// stored with the snapshot and restored on rollback (exactly-once).
    Unaligned,
}

impl BarrierSpec {
    /// Whether this is the default, `AtLeastOnce`.
    pub fn is_at_least_once(&self) -> bool {
        *self == Self::AtLeastOnce
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Snapshot modes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnapshotModeSpec {
    /// Processing pauses during the snapshot.
    Sync,
    /// The snapshot is written in the background.
    #[default]
    Async,
}

impl Default for FaultToleranceSpec {
    fn default() -> Self {
        Self {
            coordinator: None,
            detector: None,
            spares: Vec::new(),
            restart_ms: zero_dist(),
            checkpoint: None,
            replication: ReplicationSpec::None,
            sink: SinkSpec::AtLeastOnce,
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
fn default_state_mbps() -> f64 {
    800.0
}
fn zero_dist() -> DistSpec {
    DistSpec::Const(0.0)
}
fn two() -> u32 {
    2
}
fn default_promote() -> f64 {
    50.0
}
fn default_phi() -> f64 {
    8.0
}
fn default_phi_window() -> u32 {
    100
}
fn default_min_std() -> f64 {
    10.0
}
