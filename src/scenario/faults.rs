//! Validation of fault models and fault-tolerance settings, and their conversion into the
//! runtime [`FaultSetup`] and [`FaultTolerance`].

use std::path::Path;

use super::convert::{NS_PER_MS, NS_PER_S, build_dist, quoted, unknown_node};
use super::error::Problems;
use super::input::{BadRows, EXCERPT_CHARS, MAX_CSV_BYTES, excerpt, name_list, read_input};
use super::schema::*;
use crate::fault::{
    FaultEvent, FaultModelConfig, FaultSetup, LinkSpike, MAX_FAULTS_PER_MODEL, NetworkPartition,
};
use crate::ft::{
    ActiveReplication, BarrierMode, CheckpointConfig, DetectorConfig, FaultTolerance,
    NoReplication, PassiveReplication, Replication, RollbackScope, SnapshotMode, StandbySync,
    UpstreamBackup,
};
use crate::model::{Cluster, DurationDist, Graph, NodeId, OperatorKind};
use crate::sim::{SimDuration, SimTime};

/// Most fault models in one scenario.
const MAX_FAULT_MODELS: usize = 10_000;
/// Shortest mean time to failure or between episodes \[s\]: keeps fault plans to a sane size.
const MIN_MEAN_GAP_S: f64 = 1e-3;

/// Nodes that `Spread` placement and the `Workers` selector leave out: the coordinator and
/// the spares. Unknown names are ignored here and reported by [`build_fault_tolerance`].
pub(super) fn reserved_nodes(spec: &FaultToleranceSpec, cluster: &Cluster) -> Vec<NodeId> {
    spec.coordinator
        .iter()
        .chain(&spec.spares)
        .filter_map(|name| cluster.node_named(name))
        .collect()
}

fn node(cluster: &Cluster, name: &str, path: String, p: &mut Problems) -> Option<NodeId> {
    let n = cluster.node_named(name);
    if n.is_none() {
        p.push(path, unknown_node(cluster, name));
    }
    n
}

fn nodes(cluster: &Cluster, names: &[String], path: &str, p: &mut Problems) -> Option<Vec<NodeId>> {
    p.require(!names.is_empty(), path, "list at least one node");
    let found: Vec<Option<NodeId>> = names
        .iter()
        .enumerate()
        .map(|(k, name)| node(cluster, name, format!("{path}[{k}]"), p))
        .collect();
    found
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
}

/// Checks a time window `[at_s, at_s + duration_s)`: a time, 0 or later, before the run's
/// end `end_s` (when `duration_s` itself is valid), and a positive length.
fn check_window(
    at_s: f64,
    duration_s: Option<f64>,
    end_s: Option<f64>,
    path: &str,
    p: &mut Problems,
) {
    let time_ok = at_s.is_finite() && (0.0..=1e8).contains(&at_s);
    p.require(
        time_ok,
        format!("{path}.at_s"),
        format!("is {at_s}; must be a time in seconds, 0 or later"),
    );
    if let Some(end_s) = end_s.filter(|_| time_ok) {
        // Compared as the clock sees them: the plan drops faults at or after the end.
        if SimTime::from_secs_f64(at_s) >= SimTime::from_secs_f64(end_s) {
            p.push(
                format!("{path}.at_s"),
                format!(
                    "is {at_s} s but the run ends at {end_s} s (duration_s), so this fault \
                     would never happen; schedule it before {end_s} s or lengthen duration_s"
                ),
            );
        }
    }
    if let Some(d) = duration_s {
        p.require(
            d.is_finite() && d > 0.0 && d <= 1e8,
            format!("{path}.duration_s"),
            format!("is {d}; must be positive"),
        );
    }
}

/// Checks a number of repair crews: absent (one per node) or at least 1.
fn check_crews(crews: Option<u32>, path: &str, p: &mut Problems) -> bool {
    let ok = crews != Some(0);
    p.require(
        ok,
        format!("{path}.crews"),
        "is 0; failed nodes would never be repaired: use at least 1 crew, or leave `crews` \
         out for one crew per node",
    );
    ok
}

/// A distribution of gaps between faults, with a positive mean.
fn gap_dist(
    spec: &mut DistSpec,
    base_dir: &Path,
    path: String,
    p: &mut Problems,
) -> Option<DurationDist> {
    let d = build_dist(spec, NS_PER_S, base_dir, &path, p)?;
    let ok = d.mean_ns() >= MIN_MEAN_GAP_S * NS_PER_S;
    p.require(
        ok,
        path,
        format!("needs a mean of at least {MIN_MEAN_GAP_S} s"),
    );
    ok.then_some(d)
}

fn groups(
    cluster: &Cluster,
    g: &GroupsSpec,
    path: &str,
    p: &mut Problems,
) -> Option<(Vec<NodeId>, Vec<NodeId>)> {
    let a = nodes(cluster, &g.a, &format!("{path}.groups.a"), p);
    let b = nodes(cluster, &g.b, &format!("{path}.groups.b"), p);
    let (a, b) = (a?, b?);
    let overlap = a.iter().any(|n| b.contains(n));
    p.require(
        !overlap,
        format!("{path}.groups"),
        "a node cannot be on both sides",
    );
    (!overlap).then_some((a, b))
}

/// A fault that starts at `start` and ends `duration_s` seconds later.
fn episode(
    start: SimTime,
    duration_s: f64,
    begin: FaultEvent,
    end: FaultEvent,
) -> FaultModelConfig {
    FaultModelConfig::Scripted(vec![
        (start, begin),
        (start + SimDuration::from_secs_f64(duration_s), end),
    ])
}

/// Validates `specs` and builds the runtime fault setup. `end_s`: the run's `duration_s`
/// when it is valid; scripted faults must start before it.
pub(super) fn build_faults(
    specs: &mut [FaultSpec],
    cluster: &Cluster,
    graph: Option<&Graph>,
    reserved: &[NodeId],
    end_s: Option<f64>,
    base_dir: &Path,
    p: &mut Problems,
) -> FaultSetup {
    let mut setup = FaultSetup::default();
    if specs.len() > MAX_FAULT_MODELS {
        p.push("faults", format!("at most {MAX_FAULT_MODELS} fault models"));
        return setup;
    }
    let at = SimTime::from_secs_f64;
    for (i, spec) in specs.iter_mut().enumerate() {
        let path = format!("faults[{i}]");
        let model = match spec {
            FaultSpec::Crash {
                nodes: selector,
                ttf_s,
                repair_s,
                crews,
            } => {
                let crews_ok = check_crews(*crews, &path, p);
                let covered = match selector {
                    NodeSelectorSpec::Workers => Some(
                        (0..cluster.nodes.len() as u32)
                            .map(NodeId)
                            .filter(|n| !reserved.contains(n))
                            .collect::<Vec<_>>(),
                    ),
                    NodeSelectorSpec::Nodes(names) => {
                        nodes(cluster, names, &format!("{path}.nodes"), p)
                    }
                };
                let ttf = gap_dist(ttf_s, base_dir, format!("{path}.ttf_s"), p);
                let repair =
                    build_dist(repair_s, NS_PER_S, base_dir, &format!("{path}.repair_s"), p);
                match (covered, ttf, repair) {
                    (Some(nodes), Some(ttf), Some(repair)) if !nodes.is_empty() => crews_ok
                        .then_some(FaultModelConfig::Crash {
                            nodes,
                            ttf,
                            repair,
                            crews: *crews,
                        }),
                    (Some(_), Some(_), Some(_)) => {
                        p.push(
                            format!("{path}.nodes"),
                            "covers no node (every node is the coordinator or a spare)",
                        );
                        None
                    }
                    _ => None,
                }
            }
            FaultSpec::GroupCrash {
                nodes: names,
                ttf_s,
                repair_s,
            } => {
                let group = nodes(cluster, names, &format!("{path}.nodes"), p);
                let ttf = gap_dist(ttf_s, base_dir, format!("{path}.ttf_s"), p);
                let repair =
                    build_dist(repair_s, NS_PER_S, base_dir, &format!("{path}.repair_s"), p);
                match (group, ttf, repair) {
                    (Some(nodes), Some(ttf), Some(repair)) => {
                        Some(FaultModelConfig::GroupCrash { nodes, ttf, repair })
                    }
                    _ => None,
                }
            }
            FaultSpec::ColdStandby {
                nodes: names,
                active,
                ttf_s,
                repair_s,
                crews,
            } => {
                let listed = nodes(cluster, names, &format!("{path}.nodes"), p);
                let mut distinct = true;
                for (k, name) in names.iter().enumerate() {
                    if let Some(j) = names[..k].iter().position(|other| other == name) {
                        distinct = false;
                        p.push(
                            format!("{path}.nodes[{k}]"),
                            format!(
                                "names {} again (already nodes[{j}]); list each node once",
                                quoted(name)
                            ),
                        );
                    }
                }
                let n = names.len();
                p.require(
                    n != 1,
                    format!("{path}.nodes"),
                    "lists one node; a cold standby needs at least two: the running ones and \
                     a spare",
                );
                let active_ok = *active >= 1 && (n < 2 || (*active as usize) < n);
                p.require(
                    active_ok,
                    format!("{path}.active"),
                    format!(
                        "is {active}; must be at least 1 and fewer than the {n} nodes listed, \
                         so that at least one waits as a spare"
                    ),
                );
                let crews_ok = check_crews(*crews, &path, p);
                let ttf = gap_dist(ttf_s, base_dir, format!("{path}.ttf_s"), p);
                let repair =
                    build_dist(repair_s, NS_PER_S, base_dir, &format!("{path}.repair_s"), p);
                match (listed, ttf, repair) {
                    (Some(nodes), Some(ttf), Some(repair))
                        if distinct && n >= 2 && active_ok && crews_ok =>
                    {
                        Some(FaultModelConfig::ColdStandby {
                            nodes,
                            active: *active,
                            ttf,
                            repair,
                            crews: *crews,
                        })
                    }
                    _ => None,
                }
            }
            FaultSpec::CrashAt {
                node: name,
                at_s,
                repair_s,
            } => {
                let n = node(cluster, name, format!("{path}.node"), p);
                check_window(*at_s, None, end_s, &path, p);
                p.require(
                    repair_s.is_finite() && *repair_s >= 0.0 && *repair_s <= 1e8,
                    format!("{path}.repair_s"),
                    format!("is {repair_s}; must be zero or positive"),
                );
                n.map(|node| {
                    let crash = at(*at_s);
                    episode(
                        crash,
                        *repair_s,
                        FaultEvent::NodeCrash { node },
                        FaultEvent::NodeRepair { node },
                    )
                })
            }
            FaultSpec::Partition {
                groups: g,
                at_s,
                duration_s,
            } => {
                check_window(*at_s, Some(*duration_s), end_s, &path, p);
                groups(cluster, g, &path, p).map(|(a, b)| {
                    let partition = setup.partitions.len() as u16;
                    setup.partitions.push(NetworkPartition { a, b });
                    let start = at(*at_s);
                    episode(
                        start,
                        *duration_s,
                        FaultEvent::PartitionStart { partition },
                        FaultEvent::PartitionEnd { partition },
                    )
                })
            }
            FaultSpec::RandomPartitions {
                groups: g,
                gap_s,
                duration_s,
            } => {
                let sides = groups(cluster, g, &path, p);
                let gap = gap_dist(gap_s, base_dir, format!("{path}.gap_s"), p);
                let duration = build_dist(
                    duration_s,
                    NS_PER_S,
                    base_dir,
                    &format!("{path}.duration_s"),
                    p,
                );
                match (sides, gap, duration) {
                    (Some((a, b)), Some(gap), Some(duration)) => {
                        let partition = setup.partitions.len() as u16;
                        setup.partitions.push(NetworkPartition { a, b });
                        Some(FaultModelConfig::Recurring {
                            start: FaultEvent::PartitionStart { partition },
                            end: FaultEvent::PartitionEnd { partition },
                            gap,
                            duration,
                        })
                    }
                    _ => None,
                }
            }
            FaultSpec::LinkSpike {
                groups: g,
                extra_loss,
                extra_latency_ms,
                at_s,
                duration_s,
            } => {
                check_window(*at_s, Some(*duration_s), end_s, &path, p);
                p.require(
                    extra_loss.is_finite() && (0.0..1.0).contains(extra_loss),
                    format!("{path}.extra_loss"),
                    format!("is {extra_loss}; must be a probability in [0, 1)"),
                );
                let latency = build_dist(
                    extra_latency_ms,
                    NS_PER_MS,
                    base_dir,
                    &format!("{path}.extra_latency_ms"),
                    p,
                );
                match (groups(cluster, g, &path, p), latency) {
                    (Some((a, b)), Some(extra_latency)) => {
                        let spike = setup.spikes.len() as u16;
                        setup.spikes.push(LinkSpike {
                            a,
                            b,
                            extra_loss: *extra_loss,
                            extra_latency,
                        });
                        let start = at(*at_s);
                        Some(episode(
                            start,
                            *duration_s,
                            FaultEvent::SpikeStart { spike },
                            FaultEvent::SpikeEnd { spike },
                        ))
                    }
                    _ => None,
                }
            }
            FaultSpec::Hang {
                operator,
                instance,
                at_s,
                duration_s,
            } => {
                check_window(*at_s, Some(*duration_s), end_s, &path, p);
                let target = graph.and_then(|g| {
                    let op = g.operator_named(operator);
                    p.require(
                        op.is_some(),
                        format!("{path}.operator"),
                        format!(
                            "no operator named {}; the operators are {}",
                            quoted(operator),
                            name_list(g.operators.iter().map(|o| o.name.as_str()), "none")
                        ),
                    );
                    let op = g.operator(op?);
                    let ok = *instance < op.parallelism;
                    p.require(
                        ok,
                        format!("{path}.instance"),
                        format!(
                            "is {instance}, but {} has {} instances (0 to {})",
                            quoted(operator),
                            op.parallelism,
                            op.parallelism - 1
                        ),
                    );
                    ok.then(|| op.instance(*instance))
                });
                target.map(|instance| {
                    let start = at(*at_s);
                    episode(
                        start,
                        *duration_s,
                        FaultEvent::HangStart { instance },
                        FaultEvent::HangEnd { instance },
                    )
                })
            }
            FaultSpec::Straggler {
                node: name,
                factor,
                at_s,
                duration_s,
            } => {
                check_window(*at_s, Some(*duration_s), end_s, &path, p);
                let ok = factor.is_finite() && *factor >= 1.0 && *factor <= 1e6;
                p.require(
                    ok,
                    format!("{path}.factor"),
                    format!("is {factor}; must be in [1, 1e6] (times slower)"),
                );
                node(cluster, name, format!("{path}.node"), p)
                    .filter(|_| ok)
                    .map(|node| {
                        let start = at(*at_s);
                        episode(
                            start,
                            *duration_s,
                            FaultEvent::SlowStart {
                                node,
                                factor: *factor,
                            },
                            FaultEvent::SlowEnd { node },
                        )
                    })
            }
            FaultSpec::Poison { key, at_s } => {
                check_window(*at_s, None, end_s, &path, p);
                // Sources draw keys 0..count, and every operator keeps its input's key.
                let keys = graph.map(|g| {
                    g.operators
                        .iter()
                        .filter_map(|o| match &o.kind {
                            OperatorKind::Source { keys, .. } => Some(keys.count()),
                            _ => None,
                        })
                        .max()
                        .unwrap_or(0)
                });
                if let Some(count) = keys.filter(|&count| *key >= count) {
                    p.push(
                        format!("{path}.key"),
                        format!(
                            "is {key}, but the sources only draw keys 0 to {} (keys.count = \
                             {count}), so this poison event would never be processed; use a \
                             key below {count}",
                            count.saturating_sub(1)
                        ),
                    );
                }
                Some(FaultModelConfig::Scripted(vec![(
                    at(*at_s),
                    FaultEvent::PoisonKey { key: *key },
                )]))
            }
            FaultSpec::Trace { path: file } => {
                match read_trace(&base_dir.join(&*file), cluster, end_s) {
                    Ok(events) => Some(FaultModelConfig::Scripted(events)),
                    Err(lines) => {
                        for line in lines {
                            p.push(
                                format!("{path}.path"),
                                format!("cannot use {}: {line}", excerpt(file, EXCERPT_CHARS)),
                            );
                        }
                        None
                    }
                }
            }
        };
        if let (Some(m), Some(end_s)) = (&model, end_s) {
            check_fault_count(m, end_s, spec, &path, p);
            check_first_fault(m, end_s, &path, p);
        }
        if let Some(m) = model {
            setup.models.push(m);
        }
    }
    setup
}

/// The fault events `model` is expected to draw over a run of `end_s` seconds (each failure
/// is two: crash and repair, or an episode's start and end), the field that sets the rate,
/// and the formula in words. Used to refuse plans that would be cut, and to estimate a
/// plan's memory.
pub(crate) fn expected_fault_events(
    model: &FaultModelConfig,
    end_s: f64,
) -> (f64, &'static str, String) {
    let s = |d: &DurationDist| d.mean_ns() / NS_PER_S;
    match model {
        FaultModelConfig::Crash {
            nodes, ttf, repair, ..
        }
        | FaultModelConfig::GroupCrash { nodes, ttf, repair } => (
            2.0 * nodes.len() as f64 * end_s / (s(ttf) + s(repair)),
            "ttf_s",
            format!(
                "2 × {} node(s) × {end_s} s / (mean ttf_s {} s + mean repair_s {} s)",
                nodes.len(),
                s(ttf),
                s(repair)
            ),
        ),
        FaultModelConfig::ColdStandby {
            nodes,
            active,
            ttf,
            repair,
            ..
        } => {
            // While spares last, `active` nodes fail at once; no node cycles faster than
            // ttf + repair.
            let running = 2.0 * f64::from(*active) * end_s / s(ttf);
            let cycling = 2.0 * nodes.len() as f64 * end_s / (s(ttf) + s(repair));
            (
                running.min(cycling),
                "ttf_s",
                format!(
                    "2 × {active} running node(s) × {end_s} s / mean ttf_s {} s",
                    s(ttf)
                ),
            )
        }
        FaultModelConfig::Recurring { gap, duration, .. } => (
            2.0 * end_s / (s(gap) + s(duration)),
            "gap_s",
            format!(
                "2 × {end_s} s / (mean gap_s {} s + mean duration_s {} s)",
                s(gap),
                s(duration)
            ),
        ),
        FaultModelConfig::Scripted(events) => {
            (events.len() as f64, "at_s", "events listed".to_string())
        }
    }
}

/// Refuses a fault model expected to draw more than [`MAX_FAULTS_PER_MODEL`] events over
/// a run of `end_s` seconds: its plan would be cut there and the rest of the run would go
/// without its faults. Each failure is two events (crash and repair, or an episode's start
/// and end).
fn check_fault_count(
    model: &FaultModelConfig,
    end_s: f64,
    spec: &FaultSpec,
    path: &str,
    p: &mut Problems,
) {
    let (expected, field, how) = expected_fault_events(model, end_s);
    let field = match (model, spec) {
        (FaultModelConfig::Scripted(_), FaultSpec::Trace { .. }) => "path",
        _ => field,
    };
    if expected.is_nan() || expected > f64::from(MAX_FAULTS_PER_MODEL) {
        p.push(
            format!("{path}.{field}"),
            format!(
                "expects about {expected:.0} fault events per replication ({how}), more than the \
                 {MAX_FAULTS_PER_MODEL} one fault model may draw; make the faults rarer or \
                 duration_s shorter"
            ),
        );
    }
}

/// The smallest value `d` can draw \[ns\]: 0 for distributions unbounded below.
fn earliest_ns(d: &DurationDist) -> f64 {
    match d {
        DurationDist::Const(v) => v.as_nanos() as f64,
        DurationDist::Uniform { low_ns, .. } => *low_ns,
        DurationDist::Empirical { values } => {
            values.iter().min().map_or(0.0, |v| v.as_nanos() as f64)
        }
        DurationDist::Exp { .. }
        | DurationDist::LogNormal { .. }
        | DurationDist::Weibull { .. } => 0.0,
    }
}

/// Refuses a random fault model that can never fire: its first fault comes one time to
/// failure (or gap) after the start, and the shortest it can draw is at or after the end.
fn check_first_fault(model: &FaultModelConfig, end_s: f64, path: &str, p: &mut Problems) {
    let (first, field) = match model {
        FaultModelConfig::Crash { ttf, .. }
        | FaultModelConfig::GroupCrash { ttf, .. }
        | FaultModelConfig::ColdStandby { ttf, .. } => (ttf, "ttf_s"),
        FaultModelConfig::Recurring { gap, .. } => (gap, "gap_s"),
        FaultModelConfig::Scripted(_) => return,
    };
    let earliest_s = earliest_ns(first) / NS_PER_S;
    if earliest_s >= end_s {
        p.push(
            format!("{path}.{field}"),
            format!(
                "draws no value below {earliest_s} s, but the run ends at {end_s} s \
                 (duration_s), so this fault model would never fire; make {field} shorter or \
                 duration_s longer"
            ),
        );
    }
}

/// Reads a fault trace: `time_s,kind,target[,value]` lines, kinds `crash`, `repair`, `slow`
/// (value = factor) and `unslow`; a header line and `#` comments are skipped. A crash or
/// slow-down at or after `end_s` would never happen and is an error, like a scripted fault
/// there. On failure, one line per bad row (the first [`super::input::MAX_LISTED_ROWS`]),
/// each with its `file:line`.
fn read_trace(
    path: &Path,
    cluster: &Cluster,
    end_s: Option<f64>,
) -> Result<Vec<(SimTime, FaultEvent)>, Vec<String>> {
    let text = read_input(path, MAX_CSV_BYTES).map_err(|e| vec![e.to_string()])?;
    let mut events = Vec::new();
    let mut bad = BadRows::default();
    let end = end_s.map(SimTime::from_secs_f64);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match trace_row(line, cluster, end) {
            Ok(Some(event)) => events.push(event),
            Ok(None) if n == 0 => {} // header
            Ok(None) => bad.push(
                path,
                n + 1,
                format!(
                    "{} is not a time in seconds",
                    excerpt(line.split(',').next().unwrap_or("").trim(), EXCERPT_CHARS)
                ),
            ),
            Err(what) => bad.push(path, n + 1, what),
        }
        if events.len() > MAX_FAULTS_PER_MODEL as usize {
            return Err(vec![format!(
                "{}: more than {MAX_FAULTS_PER_MODEL} events; one fault model holds at most \
                 {MAX_FAULTS_PER_MODEL}",
                path.display()
            )]);
        }
    }
    if bad.is_empty() {
        Ok(events)
    } else {
        Err(bad.into_lines())
    }
}

/// One trace row: `Ok(None)` when its time is not a number (a header on the first line).
fn trace_row(
    line: &str,
    cluster: &Cluster,
    end: Option<SimTime>,
) -> Result<Option<(SimTime, FaultEvent)>, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let Ok(t) = fields[0].parse::<f64>() else {
        return Ok(None);
    };
    if !(t.is_finite() && (0.0..=1e8).contains(&t)) {
        return Err(format!("time {t} out of range (0 to 1e8 s)"));
    }
    let at = SimTime::from_secs_f64(t);
    let target = fields.get(2).copied().unwrap_or("");
    let node = cluster
        .node_named(target)
        .ok_or_else(|| unknown_node(cluster, target))?;
    let event = match fields.get(1).copied().unwrap_or("") {
        "crash" => FaultEvent::NodeCrash { node },
        "repair" => FaultEvent::NodeRepair { node },
        "slow" => {
            let factor = fields
                .get(3)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|f| f.is_finite() && (1.0..=1e6).contains(f))
                .ok_or_else(|| "slow needs a factor in [1, 1e6]".to_string())?;
            FaultEvent::SlowStart { node, factor }
        }
        "unslow" => FaultEvent::SlowEnd { node },
        other => {
            return Err(format!(
                "unknown kind {} (crash, repair, slow, unslow)",
                excerpt(other, EXCERPT_CHARS)
            ));
        }
    };
    let onset = matches!(
        event,
        FaultEvent::NodeCrash { .. } | FaultEvent::SlowStart { .. }
    );
    if let Some(end) = end.filter(|&end| onset && at >= end) {
        return Err(format!(
            "{t} s is at or after the run's end ({} s, duration_s), so this fault would never \
             happen; drop the row or lengthen duration_s",
            end.as_secs_f64()
        ));
    }
    Ok(Some((at, event)))
}

/// Validates the fault-tolerance settings.
pub(super) fn build_fault_tolerance(
    spec: &mut FaultToleranceSpec,
    path: &str,
    cluster: &Cluster,
    base_dir: &Path,
    p: &mut Problems,
) -> Option<FaultTolerance> {
    let coordinator = spec
        .coordinator
        .as_ref()
        .and_then(|name| node(cluster, name, format!("{path}.coordinator"), p));
    let spares: Vec<NodeId> = spec
        .spares
        .iter()
        .enumerate()
        .filter_map(|(k, name)| node(cluster, name, format!("{path}.spares[{k}]"), p))
        .collect();
    if let Some(c) = coordinator {
        p.require(
            !spares.contains(&c),
            format!("{path}.spares"),
            "the coordinator cannot be a spare",
        );
    }
    let restart = build_dist(
        &mut spec.restart_ms,
        NS_PER_MS,
        base_dir,
        &format!("{path}.restart_ms"),
        p,
    );
    let detector = match &spec.detector {
        None => None,
        Some(d) => {
            p.require(
                coordinator.is_some() || spec.coordinator.is_some(),
                format!("{path}.coordinator"),
                "a detector runs on a coordinator node; name one",
            );
            let dpath = format!("{path}.detector");
            let positive = |v: f64| v.is_finite() && v > 0.0 && v <= 1e9;
            // At least a microsecond: a period that rounds to zero nanoseconds would fire
            // forever at one instant.
            let period = |v: f64| v.is_finite() && (1e-3..=1e9).contains(&v);
            match *d {
                DetectorSpec::Heartbeat {
                    interval_ms,
                    timeout_ms,
                } => {
                    p.require(
                        period(interval_ms),
                        format!("{dpath}.interval_ms"),
                        format!("is {interval_ms}; must be between 0.001 and 1e9 ms"),
                    );
                    p.require(
                        positive(timeout_ms) && timeout_ms > interval_ms,
                        format!("{dpath}.timeout_ms"),
                        format!("is {timeout_ms}; must exceed interval_ms ({interval_ms}), or every node is suspected between heartbeats"),
                    );
                    Some(DetectorConfig::Heartbeat {
                        interval: SimDuration::from_millis_f64(interval_ms),
                        timeout: SimDuration::from_millis_f64(timeout_ms),
                    })
                }
                DetectorSpec::PhiAccrual {
                    interval_ms,
                    threshold,
                    window,
                    min_std_ms,
                    pause_ms,
                } => {
                    p.require(
                        period(interval_ms),
                        format!("{dpath}.interval_ms"),
                        format!("is {interval_ms}; must be between 0.001 and 1e9 ms"),
                    );
                    p.require(
                        threshold.is_finite() && (0.1..=30.0).contains(&threshold),
                        format!("{dpath}.threshold"),
                        format!("is {threshold}; must be in [0.1, 30]"),
                    );
                    p.require(
                        (1..=100_000).contains(&window),
                        format!("{dpath}.window"),
                        "must be in [1, 100000]",
                    );
                    p.require(
                        positive(min_std_ms),
                        format!("{dpath}.min_std_ms"),
                        format!("is {min_std_ms}; must be positive"),
                    );
                    p.require(
                        pause_ms.is_finite() && (0.0..=1e9).contains(&pause_ms),
                        format!("{dpath}.pause_ms"),
                        format!("is {pause_ms}; must be zero or positive"),
                    );
                    Some(DetectorConfig::PhiAccrual {
                        interval: SimDuration::from_millis_f64(interval_ms),
                        threshold,
                        window: window as usize,
                        min_std: SimDuration::from_millis_f64(min_std_ms),
                        pause: SimDuration::from_millis_f64(pause_ms),
                    })
                }
            }
        }
    };
    let checkpoint = spec.checkpoint.as_ref().map(|c| {
        let cpath = format!("{path}.checkpoint");
        p.require(
            c.interval_s.is_finite() && (1e-3..=1e8).contains(&c.interval_s),
            format!("{cpath}.interval_s"),
            format!("is {}; must be between 0.001 and 1e8 s", c.interval_s),
        );
        for (name, v) in [
            ("snapshot_mbps", c.snapshot_mbps),
            ("restore_mbps", c.restore_mbps),
        ] {
            p.require(
                v.is_finite() && v > 0.0 && v <= 1e9,
                format!("{cpath}.{name}"),
                format!("is {v}; must be positive (megabits per second)"),
            );
        }
        if let Some(w) = c.watchdog_s {
            p.require(
                w.is_finite() && w > 0.0 && w <= 1e8,
                format!("{cpath}.watchdog_s"),
                format!("is {w}; must be positive"),
            );
            p.require(
                coordinator.is_some() || spec.coordinator.is_some(),
                format!("{path}.coordinator"),
                "the checkpoint watchdog runs on a coordinator node; name one",
            );
        }
        let duration_ok = |v: f64| v.is_finite() && v > 0.0 && v <= 1e8;
        if let Some(t) = c.timeout_s {
            p.require(
                duration_ok(t),
                format!("{cpath}.timeout_s"),
                format!("is {t}; must be a positive time in seconds"),
            );
        }
        if let Some(t) = c.aligned_timeout_ms {
            p.require(
                t.is_finite() && (0.0..=1e11).contains(&t),
                format!("{cpath}.aligned_timeout_ms"),
                format!("is {t}; must be 0 (always unaligned) or a positive time in milliseconds"),
            );
            p.require(
                c.barriers == BarrierSpec::Aligned,
                format!("{cpath}.aligned_timeout_ms"),
                "switches aligned barriers to unaligned; it needs `barriers: Aligned`",
            );
        }
        p.require(
            c.min_pause_s.is_finite() && (0.0..=1e8).contains(&c.min_pause_s),
            format!("{cpath}.min_pause_s"),
            format!(
                "is {}; must be 0 or a positive time in seconds",
                c.min_pause_s
            ),
        );
        if c.tolerable_failed_checkpoints.is_some() && c.timeout_s.is_none() {
            p.push(
                format!("{cpath}.tolerable_failed_checkpoints"),
                "counts checkpoints that expired, and without `timeout_s` none ever does; set \
                 timeout_s too",
            );
        }
        CheckpointConfig {
            barriers: match c.barriers {
                BarrierSpec::AtLeastOnce => BarrierMode::AtLeastOnce,
                BarrierSpec::Aligned => BarrierMode::Aligned,
                BarrierSpec::Unaligned => BarrierMode::Unaligned,
            },
            aligned_timeout: c.aligned_timeout_ms.map(SimDuration::from_millis_f64),
            timeout: c
                .timeout_s
                .filter(|t| duration_ok(*t))
                .map(SimDuration::from_secs_f64),
            tolerable_failed: c.tolerable_failed_checkpoints,
            min_pause: SimDuration::from_secs_f64(c.min_pause_s.clamp(0.0, 1e8)),
            interval: SimDuration::from_secs_f64(c.interval_s),
            snapshot_bytes_per_s: c.snapshot_mbps * 1e6 / 8.0,
            restore_bytes_per_s: c.restore_mbps * 1e6 / 8.0,
            mode: match c.mode {
                SnapshotModeSpec::Sync => SnapshotMode::Sync,
                SnapshotModeSpec::Async => SnapshotMode::Async,
            },
            watchdog: c.watchdog_s.map(SimDuration::from_secs_f64),
            rollback: match c.rollback {
                RollbackSpec::Global => RollbackScope::Global,
                RollbackSpec::Local => RollbackScope::Local,
            },
        }
    });
    if spec.checkpoint.is_some() && spec.coordinator.is_none() {
        p.push(
            format!("{path}.coordinator"),
            "checkpoints are coordinated by a coordinator node; name one",
        );
    }
    let replication = build_replication(
        &spec.replication,
        &format!("{path}.replication"),
        spec.checkpoint.is_some(),
        cluster.nodes.len() - spares.len() - usize::from(coordinator.is_some()),
        p,
    );
    Some(FaultTolerance {
        coordinator,
        detector,
        spares,
        restart: restart?,
        checkpoint,
        replication,
        sink: match spec.sink {
            SinkSpec::AtLeastOnce => crate::ft::SinkCommit::AtLeastOnce,
            SinkSpec::Idempotent => crate::ft::SinkCommit::Idempotent,
            SinkSpec::Transactional => crate::ft::SinkCommit::Transactional,
        },
        sabotage: crate::ft::Sabotage::from_env(),
    })
}

/// Checks a replication strategy. `checkpoints`: whether the same fault-tolerance block
/// configures checkpoints; `workers`: nodes that are neither the coordinator nor spares
/// (active copies need distinct ones).
pub(super) fn build_replication(
    spec: &ReplicationSpec,
    path: &str,
    checkpoints: bool,
    workers: usize,
    p: &mut Problems,
) -> Replication {
    match *spec {
        ReplicationSpec::None => Replication::None(NoReplication),
        ReplicationSpec::Active {
            replicas,
            transfer_mbps,
        } => {
            p.require(
                (1..=8).contains(&replicas) && replicas as usize <= workers.max(1),
                format!("{path}.replicas"),
                format!(
                    "is {replicas}; must be between 1 and 8 and at most the {workers} nodes that \
                     are neither the coordinator nor spares (copies run on distinct nodes)"
                ),
            );
            p.require(
                transfer_mbps.is_finite() && transfer_mbps > 0.0 && transfer_mbps <= 1e9,
                format!("{path}.transfer_mbps"),
                format!("is {transfer_mbps}; must be positive (megabits per second)"),
            );
            Replication::Active(ActiveReplication {
                replicas,
                transfer_bytes_per_s: transfer_mbps * 1e6 / 8.0,
            })
        }
        ReplicationSpec::Passive { promote_ms, sync } => {
            p.require(
                promote_ms.is_finite() && (0.0..=1e9).contains(&promote_ms),
                format!("{path}.promote_ms"),
                format!("is {promote_ms}; must be zero or positive"),
            );
            p.require(
                checkpoints,
                path,
                "Passive syncs its standbys at checkpoints and trims upstream logs with them; \
                 add a `checkpoint: (interval_s: ...)` block",
            );
            Replication::Passive(PassiveReplication {
                promote: SimDuration::from_millis_f64(promote_ms.clamp(0.0, 1e9)),
                sync: match sync {
                    StandbySyncSpec::Checkpoint => StandbySync::Checkpoint,
                    StandbySyncSpec::Continuous => StandbySync::Continuous,
                },
            })
        }
        ReplicationSpec::UpstreamBackup => {
            p.require(
                checkpoints,
                path,
                "UpstreamBackup trims upstream logs on checkpoint acknowledgements; add a \
                 `checkpoint: (interval_s: ...)` block",
            );
            Replication::UpstreamBackup(UpstreamBackup)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::fault::FaultModelConfig;
    use crate::scenario::{Problem, ScenarioError, from_str};

    /// A 60 s scenario on nodes a, b, c with `faults` as its fault list.
    fn scenario(faults: &str) -> String {
        format!(
            r#"(version: 1, name: "faults", duration_s: 60.0,
  cluster: (nodes: [(name: "a"), (name: "b"), (name: "c")]),
  operators: [
    (name: "src", kind: Source(arrivals: Poisson(rate_per_s: 5.0), keys: Uniform(count: 4))),
    (name: "work", kind: Map(service_ms: Const(1.0)), inputs: [(from: "src")]),
    (name: "out", kind: Sink, inputs: [(from: "work")]),
  ],
  faults: [{faults}],
)"#
        )
    }

    fn problems(faults: &str) -> Vec<Problem> {
        match from_str(&scenario(faults), Path::new("f.ron"), Path::new(".")) {
            Err(ScenarioError::Invalid { problems, .. }) => problems,
            other => panic!("expected semantic problems, got {other:?}"),
        }
    }

    fn assert_problems(faults: &str, expected: &[(&str, &str)]) {
        let found = problems(faults);
        let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
        let want: Vec<&str> = expected.iter().map(|(p, _)| *p).collect();
        assert_eq!(paths, want, "{found:?}");
        for (problem, (_, says)) in found.iter().zip(expected) {
            assert!(
                problem.message.contains(says),
                "{problem} does not say {says:?}"
            );
        }
    }

    #[test]
    fn crews_load_and_only_a_set_crews_is_resolved() {
        let text = scenario(
            r#"Crash(nodes: Nodes(["a", "b"]), ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5), crews: 1),
               Crash(nodes: Nodes(["c"]), ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5)),"#,
        );
        let s = from_str(&text, Path::new("f.ron"), Path::new(".")).expect("valid");
        assert!(matches!(
            s.faults.models[0],
            FaultModelConfig::Crash { crews: Some(1), .. }
        ));
        assert!(matches!(
            s.faults.models[1],
            FaultModelConfig::Crash { crews: None, .. }
        ));
        let resolved = s.resolved_text();
        assert_eq!(resolved.matches("crews: 1").count(), 1, "{resolved}");
        assert_eq!(resolved.matches("crews").count(), 1, "{resolved}");
    }

    #[test]
    fn a_crash_without_crews_resolves_as_before() {
        let text =
            scenario(r#"Crash(nodes: Workers, ttf_s: Exp(mean: 1.0), repair_s: Const(0.5))"#);
        let s = from_str(&text, Path::new("f.ron"), Path::new(".")).expect("valid");
        assert!(!s.resolved_text().contains("crews"));
        assert!(matches!(
            s.faults.models[0],
            FaultModelConfig::Crash { crews: None, .. }
        ));
    }

    #[test]
    fn zero_crews_are_located() {
        assert_problems(
            r#"Crash(nodes: Workers, ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5), crews: 0)"#,
            &[("faults[0].crews", "is 0")],
        );
    }

    #[test]
    fn group_crash_has_no_crews() {
        let text = scenario(
            r#"GroupCrash(nodes: ["a", "b"], ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5), crews: 1)"#,
        );
        match from_str(&text, Path::new("f.ron"), Path::new(".")) {
            Err(ScenarioError::Syntax { message, .. }) => {
                assert!(message.contains("crews"), "{message}")
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn cold_standbys_load_into_their_model() {
        let text = scenario(
            r#"ColdStandby(nodes: ["c", "a", "b"], active: 2, ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5))"#,
        );
        let s = from_str(&text, Path::new("f.ron"), Path::new(".")).expect("valid");
        let FaultModelConfig::ColdStandby {
            nodes,
            active,
            crews,
            ..
        } = &s.faults.models[0]
        else {
            panic!("{:?}", s.faults.models[0])
        };
        let names: Vec<&str> = nodes
            .iter()
            .map(|&n| s.cluster.nodes[n.index()].name.as_str())
            .collect();
        assert_eq!((names, *active, *crews), (vec!["c", "a", "b"], 2, None));
        assert!(!s.resolved_text().contains("crews"));
    }

    #[test]
    fn bad_standby_settings_are_located() {
        assert_problems(
            r#"ColdStandby(nodes: ["a", "zz", "a"], active: 3, ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5), crews: 0),
               ColdStandby(nodes: ["a"], active: 1, ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5)),
               ColdStandby(nodes: ["a", "b"], active: 0, ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5)),
               ColdStandby(nodes: ["a", "b"], active: 2, ttf_s: Exp(mean: 1.0), repair_s: Exp(mean: 0.5)),"#,
            &[
                ("faults[0].nodes[1]", "no node named \"zz\""),
                ("faults[0].nodes[2]", "already nodes[0]"),
                ("faults[0].active", "fewer than the 3 nodes"),
                ("faults[0].crews", "at least 1 crew"),
                ("faults[1].nodes", "at least two"),
                ("faults[2].active", "is 0"),
                (
                    "faults[3].active",
                    "is 2; must be at least 1 and fewer than the 2 nodes",
                ),
            ],
        );
    }

    #[test]
    fn faults_at_or_after_the_end_are_errors() {
        assert_problems(
            r#"CrashAt(node: "a", at_s: 100.0, repair_s: 1.0),
               Partition(groups: (a: ["a"], b: ["b"]), at_s: 60.0, duration_s: 1.0),
               LinkSpike(groups: (a: ["a"], b: ["b"]), extra_loss: 0.1, at_s: 75.0, duration_s: 1.0),
               Hang(operator: "work", at_s: 61.0, duration_s: 1.0),
               Straggler(node: "c", factor: 2.0, at_s: 1e6, duration_s: 1.0),
               Poison(key: 3, at_s: 60.5),
               CrashAt(node: "b", at_s: 59.9, repair_s: 100.0),
               Partition(groups: (a: ["a"], b: ["c"]), at_s: 0.0, duration_s: 100.0),"#,
            &[
                ("faults[0].at_s", "is 100 s but the run ends at 60 s"),
                ("faults[1].at_s", "is 60 s but the run ends at 60 s"),
                ("faults[2].at_s", "is 75 s"),
                ("faults[3].at_s", "is 61 s"),
                ("faults[4].at_s", "lengthen duration_s"),
                ("faults[5].at_s", "schedule it before 60 s"),
            ],
        );
    }
}
