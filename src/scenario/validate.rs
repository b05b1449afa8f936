//! Semantic validation: turns a parsed [`ScenarioFile`] into a runnable [`Scenario`], or
//! reports every problem at once with the path of each offending field.

use std::collections::BTreeMap;
use std::path::Path;

use super::Scenario;
use super::convert::{NS_PER_MS, NS_PER_S, build_dist, quoted, unknown_node};
use super::error::Problems;
use super::input::{EXCERPT_CHARS, excerpt, name_list};
use super::schema::*;
use crate::metrics::MetricsConfig;
use crate::model::{
    ArrivalProcess, Capacity, Cluster, Edge, EdgeId, Graph, Instance, InstanceId, KeyDist, Link,
    Network, Node, NodeId, Operator, OperatorId, OperatorKind, Routing, SourcePressure,
};
use crate::sim::{SimDuration, SimTime};

/// Longest replication accepted \[s\] (about three years): keeps nanosecond clocks far from
/// overflow whatever the scenario.
const MAX_DURATION_S: f64 = 1e8;
/// Most nodes (the link matrix is n²).
const MAX_NODES: u64 = 4096;
/// Most instances of one operator, and of the whole graph.
const MAX_INSTANCES: u64 = 1_000_000;
/// Most time-series buckets per replication.
const MAX_BUCKETS: f64 = 1_000_000.0;
/// Most operators, and most edges: their ids are `u16`.
const MAX_OPERATORS: usize = u16::MAX as usize;
/// Most link overrides: with the default, every distinct link setting fits a `u16` class.
const MAX_LINK_OVERRIDES: usize = u16::MAX as usize;

/// Longest name or label \[characters\].
pub(crate) const MAX_LABEL_CHARS: usize = 64;

/// Whether `name` uses only `[a-z0-9-]`, so it is safe in file names, shell scripts and
/// unquoted CSV (and, with at least one letter or digit besides `-`, never `.` or `..`).
pub(crate) fn is_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LABEL_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// What is wrong with `name` as a label, if anything: the message every name check (scenario
/// names, variant labels, node and operator names, sweep names) reports.
pub(crate) fn label_problem(name: &str) -> Option<String> {
    (!is_label(name)).then(|| {
        format!(
            "{} must be 1–{MAX_LABEL_CHARS} characters of a-z, 0-9 and '-' (it names files and \
             directories, and appears in scripts)",
            excerpt(name, EXCERPT_CHARS)
        )
    })
}

/// Resolves and checks `file`; `base_dir` anchors relative paths (empirical CSV files).
pub fn validate(mut file: ScenarioFile, base_dir: &Path) -> Result<Scenario, Problems> {
    let mut p = Problems::default();

    if let Some(problem) = label_problem(&file.name) {
        p.push("name", problem);
    }
    p.require(
        file.replications >= 2,
        "replications",
        format!(
            "is {}; need at least 2 for a confidence interval",
            file.replications
        ),
    );
    // At least 1 ns: the clock counts whole nanoseconds.
    let duration_ok =
        file.duration_s.is_finite() && file.duration_s >= 1e-9 && file.duration_s <= MAX_DURATION_S;
    p.require(
        duration_ok,
        "duration_s",
        format!(
            "is {}; must be at least 1e-9 s and at most {MAX_DURATION_S:e} s",
            file.duration_s
        ),
    );
    p.require(
        file.warmup_s.is_finite() && file.warmup_s >= 0.0,
        "warmup_s",
        format!("is {}; must be zero or positive", file.warmup_s),
    );
    // Compared as the clock sees them: two different floats can round to the same nanosecond.
    let (warmup, end) = (
        SimTime::from_secs_f64(file.warmup_s),
        SimTime::from_secs_f64(file.duration_s),
    );
    if duration_ok && file.warmup_s.is_finite() && file.warmup_s >= 0.0 && warmup >= end {
        let rounded = if file.warmup_s < file.duration_s {
            " once both are rounded to whole nanoseconds"
        } else {
            ""
        };
        p.push(
            "warmup_s",
            format!(
                "is {} s but must be shorter than duration_s ({} s){rounded}, or nothing is \
                 measured",
                file.warmup_s, file.duration_s
            ),
        );
    }
    let m = &file.metrics;
    let bucket_ok = m.bucket_s.is_finite() && m.bucket_s >= 1e-6;
    p.require(
        bucket_ok,
        "metrics.bucket_s",
        format!("is {}; must be at least 1e-6 s", m.bucket_s),
    );
    if bucket_ok && duration_ok && file.duration_s / m.bucket_s > MAX_BUCKETS {
        p.push(
            "metrics.bucket_s",
            format!("gives more than {MAX_BUCKETS:e} buckets over duration_s; make it wider"),
        );
    }
    p.require(
        m.confidence > 0.0 && m.confidence < 1.0,
        "metrics.confidence",
        format!(
            "is {}; must be strictly between 0 and 1, e.g. 0.95",
            m.confidence
        ),
    );
    if let Some(sla) = m.sla_ms {
        p.require(
            sla.is_finite() && sla > 0.0 && sla <= 1e9,
            "metrics.sla_ms",
            format!("is {sla}; must be a positive delay in milliseconds"),
        );
    }

    let cluster = build_cluster(&mut file.cluster, base_dir, &mut p);
    // Nodes reserved by any variant, so that placement is the same for every variant.
    let reserved = cluster
        .as_ref()
        .map(|c| {
            let mut r = super::faults::reserved_nodes(&file.fault_tolerance, c);
            for v in &file.variants {
                if let Some(ft) = &v.fault_tolerance {
                    r.extend(super::faults::reserved_nodes(ft, c));
                }
            }
            r
        })
        .unwrap_or_default();
    let default_buffer = build_buffer(file.buffers, "buffers", &mut p);
    let graph = build_graph(
        &mut file.operators,
        (&cluster, &reserved),
        default_buffer,
        base_dir,
        &mut p,
    );
    let (faults, fault_tolerance) = match &cluster {
        Some(c) => (
            super::faults::build_faults(
                &mut file.faults,
                c,
                graph.as_ref(),
                &reserved,
                duration_ok.then_some(file.duration_s),
                base_dir,
                &mut p,
            ),
            super::faults::build_fault_tolerance(
                &mut file.fault_tolerance,
                "fault_tolerance",
                c,
                base_dir,
                &mut p,
            ),
        ),
        None => (Default::default(), None),
    };
    let variants = build_variants(
        &mut file.variants,
        cluster.as_ref(),
        fault_tolerance.as_ref(),
        base_dir,
        &mut p,
    );

    match (cluster, graph, fault_tolerance) {
        (Some(cluster), Some(graph), Some(fault_tolerance)) if p.0.is_empty() => {
            let metrics = MetricsConfig {
                warmup,
                end,
                bucket: SimDuration::from_secs_f64(file.metrics.bucket_s),
                sla: file.metrics.sla_ms.map(SimDuration::from_millis_f64),
            };
            Ok(Scenario {
                warnings: keying_warnings(&file.operators),
                description: String::new(),
                name: file.name.clone(),
                seed: file.seed,
                replications: file.replications,
                confidence: file.metrics.confidence,
                metrics,
                cluster,
                graph,
                faults,
                fault_tolerance,
                variants,
                resolved: file,
            })
        }
        _ => Err(p),
    }
}

/// Valid but probably unintended: a `Window` of several instances fed by an edge that does
/// not partition by key (`Rebalance`, or `Forward` from an operator whose instances do not
/// hold one key range each), so the events of one key reach several instances and each
/// emits its own partial result for that key. `Forward` keeps keying when the upstream
/// operator is itself fed only by one key partitioning (with equal parallelism, which
/// `Forward` requires, its instance i holds exactly the keys the window's instance i would).
/// Call on a validated file: inputs name earlier operators.
fn keying_warnings(operators: &[OperatorSpec]) -> Vec<super::Problem> {
    /// The key partitioning every instance of operator `i` receives, if it has one.
    fn keyed_by(operators: &[OperatorSpec], i: usize) -> Option<&PartitioningSpec> {
        let op = &operators[i];
        let mut by = None;
        for input in &op.inputs {
            let edge = edge_keying(operators, input)?;
            if by.is_some_and(|b| b != edge) {
                return None;
            }
            by = Some(edge);
        }
        by
    }
    /// The key partitioning an edge delivers, if it delivers one.
    fn edge_keying<'o>(
        operators: &'o [OperatorSpec],
        input: &'o InputSpec,
    ) -> Option<&'o PartitioningSpec> {
        match &input.partitioning {
            PartitioningSpec::Rebalance => None,
            PartitioningSpec::Forward => {
                let from = operators.iter().position(|o| o.name == input.from)?;
                keyed_by(operators, from)
            }
            keyed => Some(keyed),
        }
    }
    let mut warnings = Vec::new();
    for (i, op) in operators.iter().enumerate() {
        if !matches!(op.kind, OperatorKindSpec::Window { .. }) || op.parallelism < 2 {
            continue;
        }
        for (k, input) in op.inputs.iter().enumerate() {
            if edge_keying(operators, input).is_none() {
                warnings.push(super::Problem {
                    path: format!("operators[{i}].inputs[{k}].partitioning"),
                    message: format!(
                        "the window {} has {} instances but this input from {} is not \
                         partitioned by key ({:?}), so one key's events reach several \
                         instances and each emits a partial result for it; use Hash, \
                         KeyGroups or Range",
                        quoted(&op.name),
                        op.parallelism,
                        quoted(&input.from),
                        input.partitioning
                    ),
                });
            }
        }
    }
    warnings
}

/// Checks the variants and resolves each into the configuration it runs.
fn build_variants(
    specs: &mut [VariantSpec],
    cluster: Option<&Cluster>,
    base: Option<&crate::ft::FaultTolerance>,
    base_dir: &Path,
    p: &mut Problems,
) -> Vec<super::Variant> {
    let mut variants = Vec::new();
    p.require(specs.len() <= 64, "variants", "at most 64 variants");
    for (i, v) in specs.iter_mut().enumerate() {
        let path = format!("variants[{i}]");
        if let Some(problem) = label_problem(&v.label) {
            p.push(format!("{path}.label"), problem);
        }
        if variants.iter().any(|x: &super::Variant| x.label == v.label) {
            p.push(
                format!("{path}.label"),
                format!("{} is used by an earlier variant", quoted(&v.label)),
            );
        }
        let fault_tolerance = match (&mut v.fault_tolerance, cluster) {
            (Some(ft), Some(c)) => super::faults::build_fault_tolerance(
                ft,
                &format!("{path}.fault_tolerance"),
                c,
                base_dir,
                p,
            ),
            (None, _) => base.cloned(),
            (Some(_), None) => None,
        };
        let fault_tolerance = match (fault_tolerance, &v.replication, cluster) {
            (Some(mut ft), Some(r), Some(c)) => {
                let checkpoints = ft.checkpoint.is_some();
                let workers =
                    c.nodes.len() - ft.spares.len() - usize::from(ft.coordinator.is_some());
                ft.replication = super::faults::build_replication(
                    r,
                    &format!("{path}.replication"),
                    checkpoints,
                    workers,
                    p,
                );
                Some(ft)
            }
            (ft, _, _) => ft,
        };
        if let Some(ft) = &fault_tolerance {
            needs_global_rollback(ft, &format!("{path}.fault_tolerance"), p);
        }
        if let Some(fault_tolerance) = fault_tolerance {
            variants.push(super::Variant {
                label: v.label.clone(),
                fault_tolerance,
            });
        }
    }
    if specs.is_empty()
        && let Some(base) = base
    {
        needs_global_rollback(base, "fault_tolerance", p);
        variants.push(super::Variant {
            label: "base".to_string(),
            fault_tolerance: base.clone(),
        });
    }
    variants
}

/// Unaligned checkpoints store in-flight data that only a global rollback restores: a
/// strategy that replays failed instances locally from upstream logs would skip it, and
/// active copies each store a different in-flight set (restoring one consistent set per
/// logical instance is not modelled). A transactional sink's open transactions are aborted
/// and replayed by a global rollback too; a sink replaced locally would lose them (a
/// continuous standby replays nothing), and active sinks are not modelled.
fn needs_global_rollback(ft: &crate::ft::FaultTolerance, path: &str, p: &mut Problems) {
    let strategy = ft.replication.strategy();
    let transactional = ft.sink == crate::ft::SinkCommit::Transactional;
    let Some(c) = &ft.checkpoint else {
        p.require(
            !transactional,
            format!("{path}.sink"),
            "a transactional sink commits when a checkpoint completes; add a `checkpoint` \
             block, or use `sink: Idempotent`",
        );
        return;
    };
    let unaligned = c.barriers == crate::ft::BarrierMode::Unaligned || c.aligned_timeout.is_some();
    let global = strategy.replicas() == 1
        && strategy.label() == "none"
        && strategy.rollback(c.rollback) == crate::ft::RollbackScope::Global;
    p.require(
        !unaligned || global,
        format!("{path}.checkpoint.barriers"),
        format!(
            "unaligned checkpoints (or an aligned timeout) restore in-flight data on a global \
             rollback of single copies, which `{}` does not do (it replays locally from \
             upstream logs, or runs active copies); use `barriers: Aligned` without \
             aligned_timeout_ms, or replication None with rollback: Global",
            strategy.label()
        ),
    );
    p.require(
        !transactional || global,
        format!("{path}.sink"),
        format!(
            "a transactional sink's open transactions are aborted and replayed by a global \
             rollback of single copies, which `{}` does not do; use `sink: Idempotent`, or \
             replication None with rollback: Global",
            strategy.label()
        ),
    );
}

fn build_link(spec: &mut LinkSpec, base_dir: &Path, path: &str, p: &mut Problems) -> Option<Link> {
    let latency = build_dist(
        &mut spec.latency_ms,
        NS_PER_MS,
        base_dir,
        &format!("{path}.latency_ms"),
        p,
    );
    p.require(
        spec.bandwidth_mbps.is_finite() && spec.bandwidth_mbps >= 0.0,
        format!("{path}.bandwidth_mbps"),
        format!(
            "is {}; must be zero (unlimited) or positive",
            spec.bandwidth_mbps
        ),
    );
    p.require(
        spec.loss.is_finite() && (0.0..1.0).contains(&spec.loss),
        format!("{path}.loss"),
        format!(
            "is {}; must be a probability in [0, 1) (reliable channels retransmit, so 1 would never deliver)",
            spec.loss
        ),
    );
    p.require(
        spec.retransmit_timeout_ms.is_finite() && spec.retransmit_timeout_ms > 0.0,
        format!("{path}.retransmit_timeout_ms"),
        format!("is {}; must be positive", spec.retransmit_timeout_ms),
    );
    Some(Link {
        latency: latency?,
        bytes_per_s: if spec.bandwidth_mbps == 0.0 {
            f64::INFINITY
        } else {
            spec.bandwidth_mbps * 1e6 / 8.0
        },
        loss: spec.loss,
        retransmit_timeout: SimDuration::from_millis_f64(spec.retransmit_timeout_ms),
    })
}

fn build_cluster(spec: &mut ClusterSpec, base_dir: &Path, p: &mut Problems) -> Option<Cluster> {
    let mut nodes = Vec::new();
    p.require(
        !spec.nodes.is_empty(),
        "cluster.nodes",
        "declare at least one node",
    );
    let total: u64 = spec.nodes.iter().map(|n| u64::from(n.count)).sum();
    if total > MAX_NODES {
        p.push(
            "cluster.nodes",
            format!("declares {total} nodes; at most {MAX_NODES} are supported"),
        );
        return None;
    }
    for (i, n) in spec.nodes.iter().enumerate() {
        let path = format!("cluster.nodes[{i}]");
        if let Some(problem) = label_problem(&n.name) {
            p.push(format!("{path}.name"), problem);
        }
        p.require(n.count >= 1, format!("{path}.count"), "must be at least 1");
        p.require(n.cores >= 1, format!("{path}.cores"), "must be at least 1");
        p.require(
            n.speed.is_finite() && n.speed > 0.0,
            format!("{path}.speed"),
            format!("is {}; must be positive (1 = reference speed)", n.speed),
        );
        for k in 0..n.count {
            let name = if n.count == 1 {
                n.name.clone()
            } else {
                format!("{}{k}", n.name)
            };
            nodes.push(Node {
                name,
                cores: n.cores,
                speed: n.speed,
            });
        }
    }
    let mut seen = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        if let Some(first) = seen.insert(n.name.clone(), i) {
            p.push(
                "cluster.nodes",
                format!(
                    "node name {} is used twice (nodes {first} and {i})",
                    quoted(&n.name)
                ),
            );
        }
    }
    let default = build_link(&mut spec.network, base_dir, "cluster.network", p);
    if nodes.is_empty() {
        // Already reported; without nodes there is nothing to place instances on.
        return None;
    }
    let cluster = Cluster {
        network: Network::uniform(nodes.len(), default.clone()?),
        nodes,
    };
    let mut cluster = cluster;
    if spec.links.len() > MAX_LINK_OVERRIDES {
        p.push(
            "cluster.links",
            format!(
                "has {} overrides; at most {MAX_LINK_OVERRIDES} are supported",
                spec.links.len()
            ),
        );
        return Some(cluster);
    }
    for (i, o) in spec.links.iter_mut().enumerate() {
        let path = format!("cluster.links[{i}]");
        let a = cluster.node_named(&o.between.0);
        let b = cluster.node_named(&o.between.1);
        p.require(
            a.is_some(),
            format!("{path}.between"),
            unknown_node(&cluster, &o.between.0),
        );
        p.require(
            b.is_some(),
            format!("{path}.between"),
            unknown_node(&cluster, &o.between.1),
        );
        p.require(
            a.is_none() || a != b,
            format!("{path}.between"),
            "a link joins two different nodes",
        );
        let link = build_link(&mut o.link, base_dir, &format!("{path}.link"), p);
        if let (Some(a), Some(b), Some(link)) = (a, b, link) {
            cluster.network.set_link(a, b, link.clone());
            cluster.network.set_link(b, a, link);
        }
    }
    Some(cluster)
}

/// Largest bounded buffer in events, and in bytes.
const MAX_BUFFER_EVENTS: u32 = 1 << 24;
const MAX_BUFFER_BYTES: u64 = 1 << 40;

/// A channel capacity from its spec (`None`: unbounded).
fn build_buffer(spec: BufferSpec, path: &str, p: &mut Problems) -> Option<Capacity> {
    match spec {
        BufferSpec::Unbounded => None,
        BufferSpec::Events(n) => {
            p.require(
                (1..=MAX_BUFFER_EVENTS).contains(&n),
                path.to_string(),
                format!(
                    "is Events({n}); a bounded buffer holds 1 to {MAX_BUFFER_EVENTS} events \
                     (use Unbounded for no bound)"
                ),
            );
            Some(Capacity::Events(n.clamp(1, MAX_BUFFER_EVENTS)))
        }
        BufferSpec::Bytes(n) => {
            p.require(
                (1..=MAX_BUFFER_BYTES).contains(&n),
                path.to_string(),
                format!(
                    "is Bytes({n}); a bounded buffer holds 1 to {MAX_BUFFER_BYTES} bytes \
                     (use Unbounded for no bound)"
                ),
            );
            Some(Capacity::Bytes(n.clamp(1, MAX_BUFFER_BYTES)))
        }
    }
}

fn build_graph(
    specs: &mut [OperatorSpec],
    (cluster, reserved): (&Option<Cluster>, &[NodeId]),
    default_buffer: Option<Capacity>,
    base_dir: &Path,
    p: &mut Problems,
) -> Option<Graph> {
    p.require(
        !specs.is_empty(),
        "operators",
        "declare at least a source and a sink",
    );
    if specs.len() > MAX_OPERATORS {
        p.push(
            "operators",
            format!(
                "declares {} operators; at most {MAX_OPERATORS} are supported",
                specs.len()
            ),
        );
        return None;
    }
    let op_names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, op) in specs.iter().enumerate() {
        if let Some(problem) = label_problem(&op.name) {
            p.push(format!("operators[{i}].name"), problem);
        }
        if let Some(first) = names.insert(op.name.clone(), i) {
            p.push(
                format!("operators[{i}].name"),
                format!(
                    "{} is already the name of operators[{first}]",
                    quoted(&op.name)
                ),
            );
            names.insert(op.name.clone(), first);
        }
    }
    let total_instances: u64 = specs.iter().map(|o| u64::from(o.parallelism)).sum();
    if total_instances > MAX_INSTANCES {
        p.push(
            "operators",
            format!("{total_instances} instances in all; at most {MAX_INSTANCES} are supported"),
        );
        return None;
    }

    let mut operators = Vec::with_capacity(specs.len());
    let mut edges: Vec<Edge> = Vec::new();
    let mut instances = Vec::new();
    let mut has_downstream = vec![false; specs.len()];
    // From the specs: an operator whose kind is invalid is built as a placeholder `Sink`.
    let is_sink: Vec<bool> = specs
        .iter()
        .map(|s| matches!(s.kind, OperatorKindSpec::Sink))
        .collect();
    let mut spread_next = 0usize;
    let mut ok = true;

    for (i, spec) in specs.iter_mut().enumerate() {
        let path = format!("operators[{i}]");
        let id = OperatorId(i as u16);
        p.require(
            spec.parallelism >= 1,
            format!("{path}.parallelism"),
            "must be at least 1",
        );
        p.require(
            spec.threads >= 1,
            format!("{path}.threads"),
            "must be at least 1",
        );
        p.require(
            spec.threads <= 1024,
            format!("{path}.threads"),
            "must be at most 1024",
        );
        let parallelism = spec.parallelism.max(1);
        let kind = build_kind(
            &mut spec.kind,
            parallelism,
            base_dir,
            &format!("{path}.kind"),
            p,
        );
        let is_source = matches!(spec.kind, OperatorKindSpec::Source { .. });
        let buffer = match spec.buffer {
            Some(b) => build_buffer(b, &format!("{path}.buffer"), p),
            None => default_buffer,
        };
        if is_source {
            p.require(
                spec.inputs.is_empty(),
                format!("{path}.inputs"),
                "a Source has no inputs; remove them",
            );
            p.require(
                spec.buffer.is_none(),
                format!("{path}.buffer"),
                "a Source has no input channel to bound; say what it does under pressure \
                 with `pressure: Pull` or `pressure: Push(buffer: n)` in its kind",
            );
        } else {
            p.require(
                !spec.inputs.is_empty(),
                format!("{path}.inputs"),
                "needs at least one input; add `inputs: [(from: \"...\")]`",
            );
        }

        // Inputs: edges from earlier operators, which keeps the graph acyclic.
        let mut seen_inputs = Vec::new();
        for (k, input) in spec.inputs.iter().enumerate() {
            let ipath = format!("{path}.inputs[{k}]");
            let Some(&from) = names.get(&input.from) else {
                p.push(
                    format!("{ipath}.from"),
                    format!(
                        "no operator named {}; the operators are {}",
                        quoted(&input.from),
                        name_list(op_names.iter().map(String::as_str), "none")
                    ),
                );
                ok = false;
                continue;
            };
            if from >= i {
                p.push(
                    format!("{ipath}.from"),
                    format!("{} must be declared before {} (operators are listed upstream first; cycles are not allowed)", quoted(&input.from), quoted(&spec.name)),
                );
                ok = false;
                continue;
            }
            if seen_inputs.contains(&from) {
                p.push(
                    format!("{ipath}.from"),
                    format!("{} is already an input", quoted(&input.from)),
                );
                continue;
            }
            seen_inputs.push(from);
            let upstream: &Operator = &operators[from];
            if is_sink[from] {
                p.push(
                    format!("{ipath}.from"),
                    format!("{} is a Sink and has no output", quoted(&input.from)),
                );
            }
            let routing = build_routing(
                &input.partitioning,
                upstream.parallelism,
                parallelism,
                &format!("{ipath}.partitioning"),
                p,
            );
            has_downstream[from] = true;
            let edge = EdgeId(edges.len() as u16);
            operators[from].outputs.push(edge);
            edges.push(Edge {
                from: OperatorId(from as u16),
                to: id,
                routing: routing.unwrap_or(Routing::Rebalance),
            });
        }
        if edges.len() > MAX_OPERATORS {
            p.push(
                "operators",
                format!("too many edges (at most {MAX_OPERATORS})"),
            );
            return None;
        }

        // Placement.
        let first_instance = InstanceId(instances.len() as u32);
        let node_of: Vec<Option<NodeId>> = match (&spec.placement, cluster) {
            (_, None) => vec![None; parallelism as usize],
            (PlacementSpec::Spread, Some(c)) => {
                // Round robin over the nodes that are neither coordinator nor spare (over all
                // nodes if that leaves none).
                let mut eligible: Vec<NodeId> = (0..c.nodes.len() as u32)
                    .map(NodeId)
                    .filter(|n| !reserved.contains(n))
                    .collect();
                if eligible.is_empty() {
                    eligible = (0..c.nodes.len() as u32).map(NodeId).collect();
                }
                (0..parallelism)
                    .map(|_| {
                        let n = eligible[spread_next % eligible.len()];
                        spread_next += 1;
                        Some(n)
                    })
                    .collect()
            }
            (PlacementSpec::Nodes(list), Some(c)) => {
                p.require(
                    list.len() == parallelism as usize,
                    format!("{path}.placement"),
                    format!(
                        "lists {} nodes for {} instances; give one node per instance",
                        list.len(),
                        parallelism
                    ),
                );
                (0..parallelism as usize)
                    .map(|k| {
                        let name = list.get(k)?;
                        let node = c.node_named(name);
                        p.require(
                            node.is_some(),
                            format!("{path}.placement[{k}]"),
                            unknown_node(c, name),
                        );
                        node
                    })
                    .collect()
            }
        };
        for (k, node) in node_of.into_iter().enumerate() {
            instances.push(Instance {
                operator: id,
                index: k as u32,
                node: node.unwrap_or(NodeId(0)),
            });
        }
        match kind {
            Some(kind) => operators.push(Operator {
                name: spec.name.clone(),
                kind,
                first_instance,
                parallelism,
                threads: spec.threads.max(1),
                state_bytes_per_key: spec.state_bytes_per_key,
                outputs: Vec::new(),
                buffer: buffer.filter(|_| !is_source),
            }),
            None => {
                ok = false;
                // A placeholder keeps indices aligned so later operators are still checked.
                operators.push(Operator {
                    name: spec.name.clone(),
                    kind: OperatorKind::Sink,
                    first_instance,
                    parallelism,
                    threads: 1,
                    state_bytes_per_key: 0,
                    outputs: Vec::new(),
                    buffer: None,
                });
            }
        }
    }
    for (i, spec) in specs.iter().enumerate() {
        if !matches!(spec.kind, OperatorKindSpec::Sink) && !has_downstream[i] {
            p.push(
                format!("operators[{i}]"),
                format!(
                    "{} has no downstream operator; every path must end in a Sink",
                    quoted(&spec.name)
                ),
            );
        }
    }
    if !specs
        .iter()
        .any(|s| matches!(s.kind, OperatorKindSpec::Source { .. }))
        && !specs.is_empty()
    {
        p.push("operators", "declare at least one Source");
    }
    (ok && cluster.is_some()).then_some(Graph {
        operators,
        edges,
        instances,
    })
}

fn build_kind(
    spec: &mut OperatorKindSpec,
    parallelism: u32,
    base_dir: &Path,
    path: &str,
    p: &mut Problems,
) -> Option<OperatorKind> {
    match spec {
        OperatorKindSpec::Source {
            arrivals,
            keys,
            event_bytes,
            pressure,
        } => {
            let arrivals = build_arrivals(
                arrivals,
                parallelism,
                base_dir,
                &format!("{path}.arrivals"),
                p,
            );
            let keys = match *keys {
                KeySpec::Uniform { count } => {
                    p.require(
                        count >= 1,
                        format!("{path}.keys.count"),
                        "must be at least 1",
                    );
                    Some(KeyDist::Uniform {
                        count: count.max(1),
                    })
                }
                KeySpec::Zipf { count, exponent } => {
                    p.require(
                        count >= 1,
                        format!("{path}.keys.count"),
                        "must be at least 1",
                    );
                    let exp_ok = exponent.is_finite() && (0.0..=100.0).contains(&exponent);
                    p.require(
                        exp_ok,
                        format!("{path}.keys.exponent"),
                        format!("is {exponent}; must be in [0, 100]"),
                    );
                    (count >= 1 && exp_ok).then(|| KeyDist::zipf(count, exponent))
                }
            };
            let pressure = match *pressure {
                PressureSpec::Pull => SourcePressure::Pull,
                PressureSpec::Push { buffer } => {
                    p.require(
                        buffer <= MAX_BUFFER_EVENTS,
                        format!("{path}.pressure.buffer"),
                        format!("is {buffer}; a source buffers at most {MAX_BUFFER_EVENTS} events"),
                    );
                    SourcePressure::Push {
                        buffer: buffer.min(MAX_BUFFER_EVENTS),
                    }
                }
            };
            Some(OperatorKind::Source {
                arrivals: arrivals?,
                keys: keys?,
                event_bytes: *event_bytes,
                pressure,
            })
        }
        OperatorKindSpec::Map {
            service_ms,
            selectivity,
            output_bytes,
        } => {
            let service = build_dist(
                service_ms,
                NS_PER_MS,
                base_dir,
                &format!("{path}.service_ms"),
                p,
            );
            let s = *selectivity;
            p.require(
                s.is_finite() && (0.0..=1000.0).contains(&s),
                format!("{path}.selectivity"),
                format!("is {s}; must be in [0, 1000] (mean outputs per input)"),
            );
            Some(OperatorKind::Map {
                service: service?,
                selectivity: s,
                output_bytes: *output_bytes,
            })
        }
        OperatorKindSpec::Window {
            size_s,
            service_ms,
            output_bytes,
        } => {
            let service = build_dist(
                service_ms,
                NS_PER_MS,
                base_dir,
                &format!("{path}.service_ms"),
                p,
            );
            let size_ok = size_s.is_finite() && *size_s >= 1e-6 && *size_s <= MAX_DURATION_S;
            p.require(
                size_ok,
                format!("{path}.size_s"),
                format!("is {size_s}; must be at least 1e-6 s"),
            );
            Some(OperatorKind::Window {
                size: SimDuration::from_secs_f64(*size_s),
                service: service?,
                output_bytes: *output_bytes,
            })
            .filter(|_| size_ok)
        }
        OperatorKindSpec::Sink => Some(OperatorKind::Sink),
    }
}

fn build_arrivals(
    spec: &mut ArrivalSpec,
    parallelism: u32,
    base_dir: &Path,
    path: &str,
    p: &mut Problems,
) -> Option<ArrivalProcess> {
    let rate = match spec {
        ArrivalSpec::Constant { rate_per_s }
        | ArrivalSpec::Poisson { rate_per_s }
        | ArrivalSpec::OnOff { rate_per_s, .. } => *rate_per_s,
    };
    let rate_ok = rate.is_finite() && rate > 0.0 && rate <= 1e9;
    p.require(
        rate_ok,
        format!("{path}.rate_per_s"),
        format!("is {rate}; must be positive (events per second, at most 1e9)"),
    );
    // Each instance produces an equal share of the operator's rate.
    let gap_ns = NS_PER_S * f64::from(parallelism) / rate;
    match spec {
        ArrivalSpec::Constant { .. } => {
            let period = SimDuration::from_secs_f64(gap_ns * 1e-9);
            if rate_ok && period == SimDuration::ZERO {
                p.push(
                    format!("{path}.rate_per_s"),
                    "is above one event per nanosecond per instance",
                );
            }
            rate_ok.then_some(ArrivalProcess::Constant { period })
        }
        ArrivalSpec::Poisson { .. } => rate_ok.then_some(ArrivalProcess::Poisson {
            mean_gap_ns: gap_ns,
        }),
        ArrivalSpec::OnOff { on_s, off_s, .. } => {
            let on = build_dist(on_s, NS_PER_S, base_dir, &format!("{path}.on_s"), p);
            let off = build_dist(off_s, NS_PER_S, base_dir, &format!("{path}.off_s"), p);
            if let Some(on) = &on {
                p.require(
                    on.mean_ns() >= 1.0,
                    format!("{path}.on_s"),
                    "on periods must have a positive mean",
                );
            }
            let (on, off) = (on?, off?);
            (rate_ok && on.mean_ns() >= 1.0).then_some(ArrivalProcess::OnOff {
                mean_gap_ns: gap_ns,
                on,
                off,
            })
        }
    }
}

fn build_routing(
    spec: &PartitioningSpec,
    upstream: u32,
    downstream: u32,
    path: &str,
    p: &mut Problems,
) -> Option<Routing> {
    let before = p.0.len();
    let routing = match spec {
        PartitioningSpec::Forward => {
            p.require(
                upstream == downstream,
                path,
                format!("Forward needs equal parallelism, got {upstream} upstream and {downstream} here; use Rebalance or Hash"),
            );
            Routing::Forward
        }
        PartitioningSpec::Rebalance => Routing::Rebalance,
        PartitioningSpec::Hash => Routing::Hash,
        PartitioningSpec::KeyGroups { count } => {
            p.require(
                *count >= downstream && *count <= 1 << 20,
                format!("{path}.count"),
                format!("is {count}; needs at least one key group per instance ({downstream}) and at most 1048576"),
            );
            Routing::KeyGroups { groups: *count }
        }
        PartitioningSpec::Range { bounds } => {
            p.require(
                bounds.len() + 1 == downstream as usize,
                format!("{path}.bounds"),
                format!(
                    "has {} bounds; {downstream} instances need {}",
                    bounds.len(),
                    downstream.saturating_sub(1)
                ),
            );
            if let Some(k) = bounds.windows(2).position(|w| w[0] >= w[1]) {
                p.push(
                    format!("{path}.bounds[{}]", k + 1),
                    format!(
                        "bounds must be strictly increasing, but {} follows {}",
                        bounds[k + 1],
                        bounds[k]
                    ),
                );
            }
            Routing::Range {
                bounds: bounds.clone(),
            }
        }
    };
    (p.0.len() == before).then_some(routing)
}
