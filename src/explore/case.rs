//! Random small systems and fault mixes, and their rendering as scenario files.
//!
//! A [`Case`] is plain data — nodes, stages, faults, timings — drawn from a seeded generator
//! and rendered as RON text, so that what the explorer runs is exactly what a reproducer
//! file says, and shrinking edits data, not text.

use std::fmt::Write as _;

use rand::SeedableRng;

use crate::model::unit_draw;
use crate::sim::{SimRng, Stream, derive_seed};

/// The strategies the explorer checks, each a variant of every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StrategyKind {
    /// Checkpoints with global rollback.
    CheckpointGlobal,
    /// Checkpoints with local rollback (upstream replay).
    CheckpointLocal,
    /// Two active copies (with checkpoints as the fallback).
    Active,
    /// Passive standbys fed at checkpoints.
    Passive,
    /// Passive standbys fed continuously.
    PassiveContinuous,
    /// Upstream backup.
    UpstreamBackup,
    /// No checkpoints at all: restart only (a gap, still checked for every invariant).
    RestartOnly,
}

impl StrategyKind {
    /// Every strategy, in variant order.
    pub const ALL: [StrategyKind; 7] = [
        Self::CheckpointGlobal,
        Self::CheckpointLocal,
        Self::Active,
        Self::Passive,
        Self::PassiveContinuous,
        Self::UpstreamBackup,
        Self::RestartOnly,
    ];

    /// Variant label, and the name `--strategy` takes.
    pub fn label(self) -> &'static str {
        match self {
            Self::CheckpointGlobal => "checkpoint-global",
            Self::CheckpointLocal => "checkpoint-local",
            Self::Active => "active",
            Self::Passive => "passive",
            Self::PassiveContinuous => "passive-continuous",
            Self::UpstreamBackup => "upstream-backup",
            Self::RestartOnly => "restart-only",
        }
    }

    /// The strategy named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == name)
    }

    /// Whether failures roll the whole job back (what unaligned checkpoints and
    /// transactional sinks need).
    fn global(self) -> bool {
        matches!(self, Self::CheckpointGlobal)
    }

    /// The `sink` field for the case's draw (`sink`: 0 at-least-once, 1 idempotent, 2
    /// transactional, which falls back to idempotent where it is not valid).
    fn sink(self, sink: u8) -> &'static str {
        match (sink, self.global()) {
            (0, _) => "",
            (2, true) => ", sink: Transactional",
            _ => ", sink: Idempotent",
        }
    }

    /// The variant's `replication` and checkpoint fields in RON; `extra` adds checkpoint
    /// fields (barrier mode and timeouts) with `unaligned` ones only where they are valid.
    fn ron(self, checkpoint_s: f64, extra: &CheckpointExtras) -> (String, String) {
        let more = extra.render(self.global());
        let ckpt = |rollback: &str| {
            format!("Some((interval_s: {checkpoint_s}, rollback: {rollback}{more}))")
        };
        let (replication, checkpoint) = match self {
            Self::CheckpointGlobal => ("None", ckpt("Global")),
            Self::CheckpointLocal => ("None", ckpt("Local")),
            Self::Active => ("Active(replicas: 2)", ckpt("Global")),
            Self::Passive => ("Passive()", ckpt("Global")),
            Self::PassiveContinuous => ("Passive(sync: Continuous)", ckpt("Global")),
            Self::UpstreamBackup => ("UpstreamBackup", ckpt("Global")),
            Self::RestartOnly => ("None", "None".to_string()),
        };
        (replication.to_string(), checkpoint)
    }
}

/// Checkpoint settings beyond the interval that a case draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckpointExtras {
    /// 0: at-least-once, 1: aligned, 2: unaligned.
    pub barriers: u8,
    /// With aligned barriers: switch to unaligned after this long \[ms\].
    pub aligned_timeout_ms: Option<f64>,
    /// Checkpoint timeout \[s\] and the failed checkpoints tolerated.
    pub timeout_s: Option<(f64, u32)>,
    /// Least pause between checkpoints \[s\].
    pub min_pause_s: f64,
}

impl CheckpointExtras {
    /// The extra fields, each with a leading comma; where failures replay locally
    /// (`global` false) unaligned modes fall back to aligned.
    fn render(&self, global: bool) -> String {
        let mut s = String::new();
        match (self.barriers, global) {
            (1, _) | (2, false) => {
                s.push_str(", barriers: Aligned");
                if let (Some(t), true) = (self.aligned_timeout_ms, global) {
                    write!(s, ", aligned_timeout_ms: {t}").expect("infallible");
                }
            }
            (2, true) => s.push_str(", barriers: Unaligned"),
            _ => {}
        }
        if let Some((t, n)) = self.timeout_s {
            write!(s, ", timeout_s: {t}, tolerable_failed_checkpoints: {n}").expect("infallible");
        }
        if self.min_pause_s > 0.0 {
            write!(s, ", min_pause_s: {}", self.min_pause_s).expect("infallible");
        }
        s
    }
}

/// How a stage receives from the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partitioning {
    /// Instance i to instance i (equal parallelism only).
    Forward,
    /// Round robin.
    Rebalance,
    /// Hash of the key.
    Hash,
    /// Key groups, four per instance.
    KeyGroups,
    /// Key ranges, evenly split.
    Range,
}

/// One processing stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// A window of this size \[s\], or a map.
    pub window_s: Option<f64>,
    /// Keyed state per key \[bytes\] (0: stateless).
    pub state_bytes: u64,
    /// Outputs per input (maps only).
    pub selectivity: f64,
    /// Instances.
    pub parallelism: u32,
    /// From the stage before.
    pub partitioning: Partitioning,
    /// Mean service time \[ms\].
    pub service_ms: f64,
    /// Instance i runs on worker `(offset + i) mod workers`.
    pub offset: u32,
}

/// One fault of a case. Nodes are named `n0`, `n1`, … (workers), `s0`, … (spares) and
/// `coord`.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// A node crashes at `at` and is repaired `repair` seconds later.
    Crash {
        /// Node name.
        node: String,
        /// Time \[s\].
        at: f64,
        /// Repair time \[s\].
        repair: f64,
    },
    /// Two groups of nodes cannot talk.
    Partition {
        /// One side.
        a: Vec<String>,
        /// The other.
        b: Vec<String>,
        /// Start \[s\].
        at: f64,
        /// Length \[s\].
        duration: f64,
    },
    /// Extra loss and latency between two groups.
    Spike {
        /// One side.
        a: Vec<String>,
        /// The other.
        b: Vec<String>,
        /// Extra loss probability.
        loss: f64,
        /// Extra latency \[ms\].
        latency_ms: f64,
        /// Start \[s\].
        at: f64,
        /// Length \[s\].
        duration: f64,
    },
    /// A stage's instance stops serving.
    Hang {
        /// Stage index (0 = first processing stage).
        stage: usize,
        /// Instance.
        instance: u32,
        /// Start \[s\].
        at: f64,
        /// Length \[s\].
        duration: f64,
    },
    /// A node slows down.
    Straggler {
        /// Node name.
        node: String,
        /// Slow-down factor.
        factor: f64,
        /// Start \[s\].
        at: f64,
        /// Length \[s\].
        duration: f64,
    },
    /// A key crashes whoever processes it, from `at` on.
    Poison {
        /// The key.
        key: u64,
        /// Start \[s\].
        at: f64,
    },
}

impl Fault {
    /// When it strikes \[s\].
    pub fn at(&self) -> f64 {
        match self {
            Self::Crash { at, .. }
            | Self::Partition { at, .. }
            | Self::Spike { at, .. }
            | Self::Hang { at, .. }
            | Self::Straggler { at, .. }
            | Self::Poison { at, .. } => *at,
        }
    }
}

/// A small system and its faults.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// Index of the case in its exploration.
    pub index: u32,
    /// The scenario's master seed.
    pub seed: u64,
    /// Simulated time \[s\].
    pub duration_s: f64,
    /// Worker nodes and their cores.
    pub workers: Vec<u32>,
    /// Spare nodes.
    pub spares: u32,
    /// Source instances.
    pub sources: u32,
    /// Events per second over all sources.
    pub rate: f64,
    /// Distinct keys.
    pub keys: u64,
    /// Processing stages, in order; a sink follows the last.
    pub stages: Vec<Stage>,
    /// Faults, any order.
    pub faults: Vec<Fault>,
    /// Heartbeat interval \[ms\].
    pub heartbeat_ms: f64,
    /// Heartbeat timeout \[ms\].
    pub timeout_ms: f64,
    /// Restart delay \[ms\].
    pub restart_ms: f64,
    /// Checkpoint interval \[s\].
    pub checkpoint_s: f64,
    /// Source instance i runs on worker `(source_offset + i) mod workers`.
    pub source_offset: u32,
    /// The sink runs on worker `sink_offset mod workers`.
    pub sink_offset: u32,
    /// Flow control: every input channel holds this many events (`None`: unbounded).
    pub buffer: Option<u32>,
    /// With flow control, sources push into a buffer of this many events and shed the rest
    /// (`None`: they pull from a replayable log).
    pub push_buffer: Option<u32>,
    /// Service times are this many times their 30 %-busy value (above about 3, stages
    /// overload and backpressure reaches the sources).
    pub load: f64,
    /// Barrier mode, timeouts and pause of the checkpoints.
    pub checkpoint: CheckpointExtras,
    /// 0: at-least-once sink, 1: idempotent, 2: transactional (where the strategy rolls
    /// back globally; idempotent elsewhere).
    pub sink: u8,
}

/// Uniform draw in [lo, hi).
fn uniform(rng: &mut SimRng, lo: f64, hi: f64) -> f64 {
    lo + unit_draw(rng) * (hi - lo)
}

/// Uniform integer in [lo, hi].
fn pick(rng: &mut SimRng, lo: u32, hi: u32) -> u32 {
    lo + ((unit_draw(rng) * f64::from(hi - lo + 1)) as u32).min(hi - lo)
}

/// Rounds to three decimals so that rendered files read well and parse back exactly.
fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Case {
    /// Case number `index` of the exploration seeded `seed`.
    pub fn generate(seed: u64, index: u32) -> Self {
        let mut rng = SimRng::seed_from_u64(derive_seed(seed, index, Stream::Strategy, 77));
        let rng = &mut rng;
        let workers: Vec<u32> = (0..pick(rng, 2, 6)).map(|_| pick(rng, 1, 4)).collect();
        let spares = pick(rng, 0, 2).min(9 - workers.len() as u32);
        let sources = pick(rng, 1, 2);
        let rate = r3(uniform(rng, 100.0, 600.0));
        let keys = u64::from(pick(rng, 10, 200));
        let mut stages: Vec<Stage> = Vec::new();
        let mut upstream_parallelism = sources;
        let mut rate_in = rate;
        for _ in 0..pick(rng, 1, 4) {
            let parallelism = pick(rng, 1, 4);
            let window = unit_draw(rng) < 0.25;
            let partitioning = match pick(rng, 0, 4) {
                0 if parallelism == upstream_parallelism => Partitioning::Forward,
                0 | 1 => Partitioning::Rebalance,
                2 => Partitioning::Hash,
                3 => Partitioning::KeyGroups,
                _ => Partitioning::Range,
            };
            let selectivity = if window {
                1.0
            } else {
                [1.0, 1.0, 0.5, 1.5][pick(rng, 0, 3) as usize]
            };
            // About 30 % busy per instance: the faults, not overload, decide what happens.
            let service_ms =
                r3((0.3 * f64::from(parallelism) / rate_in * 1000.0).clamp(0.05, 20.0));
            stages.push(Stage {
                window_s: window.then(|| r3(uniform(rng, 0.5, 2.0))),
                state_bytes: if window || unit_draw(rng) < 0.5 {
                    256
                } else {
                    0
                },
                selectivity,
                parallelism,
                partitioning,
                service_ms,
                offset: pick(rng, 0, 5),
            });
            upstream_parallelism = parallelism;
            rate_in = if window {
                keys as f64
            } else {
                rate_in * selectivity
            };
        }
        let duration_s = r3(uniform(rng, 15.0, 35.0));
        let heartbeat_ms = r3(uniform(rng, 50.0, 200.0));
        let mut case = Self {
            index,
            seed: derive_seed(seed, index, Stream::Strategy, 78),
            duration_s,
            workers,
            spares,
            sources,
            rate,
            keys,
            stages,
            faults: Vec::new(),
            heartbeat_ms,
            timeout_ms: r3(heartbeat_ms * uniform(rng, 3.0, 6.0)),
            restart_ms: r3(uniform(rng, 50.0, 1000.0)),
            checkpoint_s: r3(uniform(rng, 0.5, 3.0)),
            source_offset: pick(rng, 0, 5),
            sink_offset: pick(rng, 0, 5),
            buffer: None,
            push_buffer: None,
            load: 1.0,
            checkpoint: CheckpointExtras::default(),
            sink: 0,
        };
        let nodes = case.node_names(true);
        for _ in 0..pick(rng, 1, 5) {
            let at = r3(uniform(rng, 2.0, duration_s - 2.0));
            let node = nodes[pick(rng, 0, nodes.len() as u32 - 1) as usize].clone();
            let split = |rng: &mut SimRng| {
                let mut a = Vec::new();
                let mut b = Vec::new();
                for n in &nodes {
                    if unit_draw(rng) < 0.5 {
                        a.push(n.clone());
                    } else {
                        b.push(n.clone());
                    }
                }
                if a.is_empty() {
                    a.push(b.pop().expect("at least three nodes"));
                }
                if b.is_empty() {
                    b.push(a.pop().expect("at least three nodes"));
                }
                (a, b)
            };
            let fault = match pick(rng, 0, 9) {
                0..=3 => Fault::Crash {
                    node,
                    at,
                    repair: r3(uniform(rng, 0.3, 8.0)),
                },
                4 => {
                    // A crash during the recovery of another (or the same node again).
                    let first = r3(uniform(rng, 0.3, 4.0));
                    case.faults.push(Fault::Crash {
                        node: node.clone(),
                        at,
                        repair: first,
                    });
                    let other = nodes[pick(rng, 0, nodes.len() as u32 - 1) as usize].clone();
                    Fault::Crash {
                        node: other,
                        at: r3((at + uniform(rng, 0.1, 2.0)).min(duration_s - 0.5)),
                        repair: r3(uniform(rng, 0.3, 4.0)),
                    }
                }
                5 => {
                    let (a, b) = split(rng);
                    Fault::Partition {
                        a,
                        b,
                        at,
                        duration: r3(uniform(rng, 0.2, 3.0)),
                    }
                }
                6 => {
                    let (a, b) = split(rng);
                    Fault::Spike {
                        a,
                        b,
                        loss: r3(uniform(rng, 0.0, 0.3)),
                        latency_ms: r3(uniform(rng, 0.0, 50.0)),
                        at,
                        duration: r3(uniform(rng, 0.5, 5.0)),
                    }
                }
                7 => {
                    let stage = pick(rng, 0, case.stages.len() as u32 - 1) as usize;
                    Fault::Hang {
                        stage,
                        instance: pick(rng, 0, case.stages[stage].parallelism - 1),
                        at,
                        duration: r3(uniform(rng, 0.3, 5.0)),
                    }
                }
                8 => Fault::Straggler {
                    node,
                    factor: r3(uniform(rng, 1.5, 5.0)),
                    at,
                    duration: r3(uniform(rng, 0.5, 5.0)),
                },
                _ => Fault::Poison {
                    key: u64::from(pick(rng, 0, case.keys as u32 - 1)),
                    at,
                },
            };
            case.faults.push(fault);
        }
        // Drawn last, so the cases of earlier explorations keep everything else.
        if unit_draw(rng) < 0.5 {
            case.buffer = Some(pick(rng, 1, 32));
            if unit_draw(rng) < 0.3 {
                case.push_buffer = Some(pick(rng, 0, 50));
            }
            if unit_draw(rng) < 0.4 {
                case.load = r3(uniform(rng, 1.0, 4.0));
            }
        }
        let x = &mut case.checkpoint;
        x.barriers = pick(rng, 0, 2) as u8;
        if x.barriers == 1 && unit_draw(rng) < 0.5 {
            x.aligned_timeout_ms = Some(r3(uniform(rng, 0.0, 50.0)));
        }
        if unit_draw(rng) < 0.3 {
            x.timeout_s = Some((r3(uniform(rng, 0.05, 2.0)), pick(rng, 0, 3)));
        }
        if unit_draw(rng) < 0.2 {
            x.min_pause_s = r3(uniform(rng, 0.1, 2.0));
        }
        case.sink = pick(rng, 0, 2) as u8;
        case
    }

    /// Node names: workers, then spares, then (with `coordinator`) `coord`.
    pub fn node_names(&self, coordinator: bool) -> Vec<String> {
        let mut names: Vec<String> = (0..self.workers.len()).map(|k| format!("n{k}")).collect();
        names.extend((0..self.spares).map(|k| format!("s{k}")));
        if coordinator {
            names.push("coord".to_string());
        }
        names
    }

    /// The scenario file of this case with one variant per strategy in `strategies`, and a
    /// header comment `header` (each line is prefixed with `// `).
    pub fn render(&self, strategies: &[StrategyKind], header: &str) -> String {
        let mut s = String::new();
        for line in header.lines() {
            writeln!(s, "// {line}").expect("infallible");
        }
        let list = |names: &[String]| {
            names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            s,
            "(\n  version: 1,\n  name: \"explore-case-{}\",\n  seed: {},\n  replications: 2,\n  duration_s: {},\n  warmup_s: 1.0,",
            self.index, self.seed, self.duration_s
        )
        .expect("infallible");
        s.push_str("  cluster: (\n    nodes: [(name: \"coord\")");
        for (k, cores) in self.workers.iter().enumerate() {
            write!(s, ", (name: \"n{k}\", cores: {cores})").expect("infallible");
        }
        for k in 0..self.spares {
            write!(s, ", (name: \"s{k}\", cores: 4)").expect("infallible");
        }
        s.push_str("],\n    network: (latency_ms: Exp(mean: 0.3)),\n  ),\n");
        if let Some(n) = self.buffer {
            writeln!(s, "  buffers: Events({n}),").expect("infallible");
        }
        s.push_str("  operators: [\n");
        let placement = |offset: u32, parallelism: u32| {
            let w = self.workers.len() as u32;
            let names: Vec<String> = (0..parallelism)
                .map(|i| format!("n{}", (offset + i) % w))
                .collect();
            list(&names)
        };
        writeln!(
            s,
            "    (name: \"src\", kind: Source(arrivals: Poisson(rate_per_s: {}), keys: Uniform(count: {}){}), parallelism: {}, placement: Nodes([{}])),",
            r3(self.rate / f64::from(self.sources)),
            self.keys,
            self.push_buffer
                .map(|b| format!(", pressure: Push(buffer: {b})"))
                .unwrap_or_default(),
            self.sources,
            placement(self.source_offset, self.sources)
        )
        .expect("infallible");
        let mut from = "src".to_string();
        for (k, st) in self.stages.iter().enumerate() {
            let kind = match st.window_s {
                Some(size) => format!(
                    "Window(size_s: {size}, service_ms: Exp(mean: {}))",
                    r3(st.service_ms * self.load)
                ),
                None => format!(
                    "Map(service_ms: Exp(mean: {}), selectivity: {})",
                    r3(st.service_ms * self.load),
                    st.selectivity
                ),
            };
            let partitioning = match st.partitioning {
                Partitioning::Forward => "Forward".to_string(),
                Partitioning::Rebalance => "Rebalance".to_string(),
                Partitioning::Hash => "Hash".to_string(),
                Partitioning::KeyGroups => format!("KeyGroups(count: {})", 4 * st.parallelism),
                Partitioning::Range => {
                    let bounds: Vec<String> = (1..st.parallelism)
                        .map(|b| (self.keys * u64::from(b) / u64::from(st.parallelism)).to_string())
                        .collect();
                    format!("Range(bounds: [{}])", bounds.join(", "))
                }
            };
            writeln!(
                s,
                "    (name: \"op{k}\", kind: {kind}, parallelism: {}, state_bytes_per_key: {}, placement: Nodes([{}]), inputs: [(from: {from:?}, partitioning: {partitioning})]),",
                st.parallelism,
                st.state_bytes,
                placement(st.offset, st.parallelism)
            )
            .expect("infallible");
            from = format!("op{k}");
        }
        writeln!(
            s,
            "    (name: \"out\", kind: Sink, placement: Nodes([{}]), inputs: [(from: {from:?})]),\n  ],",
            placement(self.sink_offset, 1)
        )
        .expect("infallible");
        s.push_str("  faults: [\n");
        for f in &self.faults {
            let line = match f {
                Fault::Crash { node, at, repair } => {
                    format!("CrashAt(node: {node:?}, at_s: {at}, repair_s: {repair})")
                }
                Fault::Partition { a, b, at, duration } => format!(
                    "Partition(groups: (a: [{}], b: [{}]), at_s: {at}, duration_s: {duration})",
                    list(a),
                    list(b)
                ),
                Fault::Spike {
                    a,
                    b,
                    loss,
                    latency_ms,
                    at,
                    duration,
                } => format!(
                    "LinkSpike(groups: (a: [{}], b: [{}]), extra_loss: {loss}, extra_latency_ms: Const({latency_ms}), at_s: {at}, duration_s: {duration})",
                    list(a),
                    list(b)
                ),
                Fault::Hang {
                    stage,
                    instance,
                    at,
                    duration,
                } => format!(
                    "Hang(operator: \"op{stage}\", instance: {instance}, at_s: {at}, duration_s: {duration})"
                ),
                Fault::Straggler {
                    node,
                    factor,
                    at,
                    duration,
                } => format!(
                    "Straggler(node: {node:?}, factor: {factor}, at_s: {at}, duration_s: {duration})"
                ),
                Fault::Poison { key, at } => format!("Poison(key: {key}, at_s: {at})"),
            };
            writeln!(s, "    {line},").expect("infallible");
        }
        s.push_str("  ],\n");
        let spares = list(&self.node_names(false)[self.workers.len()..]);
        let ft = |replication: &str, checkpoint: &str, sink: &str| {
            format!(
                "(coordinator: \"coord\", spares: [{spares}], detector: Heartbeat(interval_ms: {}, timeout_ms: {}), restart_ms: Const({}), checkpoint: {checkpoint}, replication: {replication}{sink})",
                self.heartbeat_ms, self.timeout_ms, self.restart_ms
            )
        };
        let (base_replication, base_checkpoint) =
            StrategyKind::CheckpointGlobal.ron(self.checkpoint_s, &self.checkpoint);
        writeln!(
            s,
            "  fault_tolerance: {},",
            ft(
                &base_replication,
                &base_checkpoint,
                StrategyKind::CheckpointGlobal.sink(self.sink)
            )
        )
        .expect("infallible");
        s.push_str("  variants: [\n");
        for st in strategies {
            let (replication, checkpoint) = st.ron(self.checkpoint_s, &self.checkpoint);
            writeln!(
                s,
                "    (label: {:?}, fault_tolerance: Some({})),",
                st.label(),
                ft(&replication, &checkpoint, st.sink(self.sink))
            )
            .expect("infallible");
        }
        s.push_str("  ],\n)\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn generated_cases_are_valid_scenarios() {
        for index in 0..200 {
            let case = Case::generate(5, index);
            let text = case.render(&StrategyKind::ALL, "test");
            if let Err(e) = crate::scenario::from_str(&text, Path::new("case.ron"), Path::new("."))
            {
                panic!("case {index} is invalid: {e}\n{text}");
            }
        }
    }

    #[test]
    fn the_same_seed_and_index_give_the_same_case() {
        assert_eq!(Case::generate(9, 3), Case::generate(9, 3));
        assert_ne!(Case::generate(9, 3), Case::generate(9, 4));
    }
}
