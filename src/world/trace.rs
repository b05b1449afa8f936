//! The event trace of one run: every kernel event of the chosen kinds, with the state
//! changes it caused — what a person reads to find out *why* a recovery took 4 s.
//!
//! Tracing wraps the world in [`Traced`], a [`Handler`] that notes each kernel event before
//! the world handles it (its node, instance, event id, checkpoint, and whether it is stale)
//! and compares a small snapshot of the observable state afterwards: per node up/down,
//! suspected by the detector, slowed; per instance running/down/restarting, hung,
//! snapshotting, catching up, incomplete and where it runs; the checkpoint in progress,
//! completed and aborted; the rollback; active partitions and link spikes. The world is only
//! read, never changed, and no random number is drawn, so a traced run's results equal an
//! untraced one's (a test checks it). Untraced runs do not go through the wrapper at all.
//!
//! Rows are kept compact in memory (no strings; names are resolved when the CSV is written)
//! and are not counted against the run's memory budget, so tracing cannot move the instant
//! at which an overloaded run is stopped. Two caps bound a trace:
//!
//! - data rows (kernel events of kind `data` that changed no state) stop after
//!   [`DATA_ROWS_CAP`] per run; a `trace_cap` row marks where, and state-changing events
//!   are still written;
//! - a run's trace stops altogether after [`ROWS_CAP`] rows, marked by `trace_truncated`.
//!
//! Events of a kind the filter leaves out are still written when they changed state: the
//! timeline chart is drawn from the state changes, and a trace that hides the event which
//! suspected a node would explain nothing.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Event, Status, World};
use crate::fault::FaultEvent;
use crate::sim::{Ctx, Handler, SimTime};

/// Data rows (data events that changed no state) kept per traced run.
pub const DATA_ROWS_CAP: u64 = 200_000;

/// Rows kept per traced run, all kinds together; the trace stops after it.
pub const ROWS_CAP: u64 = 2_000_000;

/// The columns of `trace.csv`.
pub const TRACE_HEADER: &str = "variant,run,seq,time_s,kind,event,node,instance,event_id,\
checkpoint,detail,subject_kind,subject,from,to";

/// Which kinds of kernel event a trace writes (state-changing events always are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceKinds(u8);

/// A kind of kernel event, for [`TraceKinds`] and the `kind` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// Fault-plan events: crashes, repairs, partitions, spikes, hangs, stragglers, poison.
    Faults,
    /// Heartbeats, suspicion timeouts, the checkpoint-progress watchdog.
    Detection,
    /// Checkpoint ticks, triggers, snapshots, acknowledgements.
    Checkpoints,
    /// Restarts finishing.
    Recovery,
    /// Source emissions, message deliveries, service completions, window firings.
    Data,
}

impl TraceKind {
    /// Every kind, in column order.
    pub const ALL: [TraceKind; 5] = [
        Self::Faults,
        Self::Detection,
        Self::Checkpoints,
        Self::Recovery,
        Self::Data,
    ];

    /// Its name on the command line and in the `kind` column.
    pub fn name(self) -> &'static str {
        match self {
            Self::Faults => "faults",
            Self::Detection => "detection",
            Self::Checkpoints => "checkpoints",
            Self::Recovery => "recovery",
            Self::Data => "data",
        }
    }

    fn of(event: &Event) -> Self {
        EVENT_NAMES[usize::from(event_index(event))].0
    }
}

impl TraceKinds {
    /// Every kind but data: the default.
    pub const DEFAULT: Self = Self(0b01111);

    /// Parses a comma-separated list of kind names (`faults,detection,…,data`, or `all`).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut bits = 0;
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if name == "all" {
                bits = 0b11111;
                continue;
            }
            let Some(k) = TraceKind::ALL.iter().position(|k| k.name() == name) else {
                return Err(format!(
                    "unknown trace kind '{name}'; expected a comma-separated list of {} (or all)",
                    TraceKind::ALL.map(TraceKind::name).join(", ")
                ));
            };
            bits |= 1 << k;
        }
        if bits == 0 {
            return Err("no trace kind given; e.g. --trace-kinds faults,detection".into());
        }
        Ok(Self(bits))
    }

    /// Whether `kind` is chosen.
    pub fn contains(self, kind: TraceKind) -> bool {
        let k = TraceKind::ALL.iter().position(|&x| x == kind).unwrap_or(0);
        self.0 & (1 << k) != 0
    }

    /// The chosen kinds' names, comma-separated.
    pub fn names(self) -> String {
        let chosen: Vec<&str> = TraceKind::ALL
            .iter()
            .filter(|k| self.contains(**k))
            .map(|k| k.name())
            .collect();
        chosen.join(",")
    }
}

/// No node, instance, id or checkpoint.
const NONE: u32 = u32::MAX;
const NO_ID: u64 = u64::MAX;

/// What the `detail` column says about an event, resolved to text on writing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Detail {
    None,
    /// The event was void: its instance restarted, its node rebooted, its checkpoint moved on.
    Stale,
    /// A data message from this node.
    From(u32),
    /// A checkpoint barrier from this node.
    Barrier(u32),
    /// A message voided by a rollback while on the wire.
    Void,
    /// A heartbeat at the coordinator.
    Heartbeat,
    Fault(FaultEvent),
    /// A trace cap was reached (data rows or all rows).
    Cap {
        data: bool,
    },
}

/// One kernel event's row; its state changes follow in [`Trace::changes`].
#[derive(Clone, Copy, Debug)]
struct Row {
    seq: u64,
    time: SimTime,
    event: u8,
    node: u32,
    instance: u32,
    event_id: u64,
    checkpoint: u32,
    detail: Detail,
    changes: u32,
}

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subject {
    Node(u32),
    Instance(u32),
    /// An instance moved to another node (a promotion onto its standby).
    Placement(u32),
    Partition(u16),
    Spike(u16),
    Checkpoint(u32),
    Rollback,
}

#[derive(Clone, Copy, Debug)]
struct Change {
    subject: Subject,
    from: u32,
    to: u32,
}

// Node state bits.
const UP: u8 = 1;
const SUSPECTED: u8 = 2;
const SLOW: u8 = 4;

// Instance state: the status in the low two bits, then flags.
const RUNNING: u8 = 0;
const DOWN: u8 = 1;
const RESTARTING: u8 = 2;
const STATUS: u8 = 3;
const HUNG: u8 = 4;
const SNAPSHOTTING: u8 = 8;
const CATCHING_UP: u8 = 16;
const INCOMPLETE: u8 = 32;

// Checkpoint phases (the `from`/`to` of a checkpoint subject).
const CP_NONE: u32 = 0;
const CP_STARTED: u32 = 1;
const CP_COMPLETED: u32 = 2;
const CP_ABORTED: u32 = 3;

/// The state the trace compares before and after each event.
#[derive(Clone, Debug, Default, PartialEq)]
struct Snapshot {
    nodes: Vec<u8>,
    instances: Vec<u8>,
    placement: Vec<u32>,
    partitions: Vec<bool>,
    spikes: Vec<bool>,
    in_progress: Option<u32>,
    completed: u32,
    aborted: u32,
    recovering: bool,
}

/// What a lane of the trace is called: resolved once, when tracing starts.
#[derive(Clone, Debug, Default)]
struct Names {
    nodes: Vec<String>,
    /// Per instance: `operator[index]`, with `#copy` for active replicas.
    instances: Vec<String>,
    partitions: Vec<String>,
    spikes: Vec<String>,
    coordinator: Option<u32>,
}

/// The trace of one run.
#[derive(Clone, Debug)]
pub struct Trace {
    kinds: TraceKinds,
    rows: Vec<Row>,
    changes: Vec<Change>,
    snapshot: Snapshot,
    /// The buffers of the next snapshot.
    scratch: Snapshot,
    names: Names,
    /// Kernel events seen so far (the next event's `seq`).
    seen: u64,
    data_rows: u64,
    /// When the data cap was reached.
    data_capped: Option<SimTime>,
    /// When the row cap was reached: the trace stopped there.
    truncated: Option<SimTime>,
    /// The state when tracing started, written as the `trace_start` rows.
    initial: Snapshot,
    /// Where the run ended (its end, or where its budget stopped it).
    end: SimTime,
}

impl Trace {
    /// An empty trace of `world`, writing the chosen kinds.
    pub(super) fn new(world: &World<'_>, kinds: TraceKinds) -> Self {
        let graph = world.graph();
        let nodes: Vec<String> = world
            .scenario
            .cluster
            .nodes
            .iter()
            .map(|n| n.name.clone())
            .collect();
        let instances = (0..world.instances.len())
            .map(|i| {
                let s = &world.instances[i];
                let name = format!("{}[{}]", graph.operator(s.operator).name, s.index);
                let copy = world
                    .groups
                    .get(s.logical.index())
                    .and_then(|g| g.iter().position(|c| c.index() == i))
                    .unwrap_or(0);
                if world
                    .groups
                    .get(s.logical.index())
                    .is_some_and(|g| g.len() > 1)
                {
                    format!("{name}#{copy}")
                } else {
                    name
                }
            })
            .collect();
        let side = |ns: &[crate::model::NodeId]| {
            ns.iter()
                .map(|n| nodes[n.index()].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let partitions = world
            .plan
            .partitions
            .iter()
            .map(|p| format!("{{{}}} | {{{}}}", side(&p.a), side(&p.b)))
            .collect();
        let spikes = world
            .plan
            .spikes
            .iter()
            .map(|p| format!("{{{}}} | {{{}}}", side(&p.a), side(&p.b)))
            .collect();
        let names = Names {
            nodes,
            instances,
            partitions,
            spikes,
            coordinator: world.ft.coordinator.map(|n| n.0),
        };
        let mut trace = Self {
            kinds,
            rows: Vec::new(),
            changes: Vec::new(),
            snapshot: Snapshot::default(),
            scratch: Snapshot::default(),
            names,
            seen: 0,
            data_rows: 0,
            data_capped: None,
            truncated: None,
            initial: Snapshot::default(),
            end: SimTime::ZERO,
        };
        trace.snapshot = snapshot_of(world, Snapshot::default());
        // Both snapshots reach their full size now, so later comparisons never allocate.
        trace.scratch = snapshot_of(world, Snapshot::default());
        trace.initial = trace.snapshot.clone();
        trace
    }

    /// Heap the trace's rows hold \[bytes\] — all it allocates after it is created; left
    /// out of the run's memory budget.
    pub fn rows_heap_bytes(&self) -> u64 {
        (self.rows.capacity() * std::mem::size_of::<Row>()
            + self.changes.capacity() * std::mem::size_of::<Change>()) as u64
    }

    /// Rows written.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Kernel events the run handled while traced.
    pub fn kernel_events(&self) -> u64 {
        self.seen
    }

    /// When the data rows were capped, if they were.
    pub fn data_capped(&self) -> Option<SimTime> {
        self.data_capped
    }

    /// When the trace stopped at [`ROWS_CAP`], if it did.
    pub fn truncated(&self) -> Option<SimTime> {
        self.truncated
    }

    /// Notes where the run ended.
    pub(super) fn end_at(&mut self, end: SimTime) {
        self.end = end;
    }

    /// Writes the rows as CSV lines (no header) for run `run` of `variant`: first a
    /// `trace_start` row per node, instance and placement with its initial state, so every
    /// lane is named even if nothing happens to it, then the events, then `trace_end` at the
    /// run's end.
    pub fn write_csv(&self, out: &mut impl Write, variant: &str, run: u32) -> io::Result<()> {
        let mut changes = self.changes.iter();
        let mut line = String::with_capacity(160);
        let mut prefix = String::with_capacity(128);
        let marker = |s: &mut String, event: &str, time: SimTime| {
            s.clear();
            let ns = time.as_nanos();
            let _ = write!(
                s,
                "{variant},{run},,{}.{:09},trace,{event},,,,,",
                ns / 1_000_000_000,
                ns % 1_000_000_000
            );
        };
        marker(&mut prefix, "trace_start", SimTime::ZERO);
        let first = &self.initial;
        for (n, &bits) in first.nodes.iter().enumerate() {
            let name = &self.names.nodes[n];
            writeln!(out, "{prefix},node,{name},,{}", node_state(bits))?;
        }
        for (i, &bits) in first.instances.iter().enumerate() {
            let name = &self.names.instances[i];
            writeln!(out, "{prefix},instance,{name},,{}", instance_state(bits))?;
            let node = &self.names.nodes[first.placement[i] as usize];
            writeln!(out, "{prefix},placement,{name},,{node}")?;
        }
        for row in &self.rows {
            prefix.clear();
            self.row_prefix(&mut prefix, row, variant, run);
            if row.changes == 0 {
                writeln!(out, "{prefix},,,,")?;
            }
            for change in changes.by_ref().take(row.changes as usize) {
                line.clear();
                self.change_columns(&mut line, change);
                writeln!(out, "{prefix},{line}")?;
            }
        }
        marker(&mut prefix, "trace_end", self.end);
        writeln!(out, "{prefix},,,,")
    }

    fn row_prefix(&self, s: &mut String, row: &Row, variant: &str, run: u32) {
        let event = if matches!(row.detail, Detail::Cap { data: true }) {
            "trace_cap"
        } else if matches!(row.detail, Detail::Cap { data: false }) {
            "trace_truncated"
        } else {
            EVENT_NAMES[row.event as usize].1
        };
        let kind = if matches!(row.detail, Detail::Cap { .. }) {
            "trace"
        } else {
            EVENT_NAMES[row.event as usize].0.name()
        };
        let ns = row.time.as_nanos();
        let _ = write!(
            s,
            "{variant},{run},{},{}.{:09},{kind},{event},",
            row.seq,
            ns / 1_000_000_000,
            ns % 1_000_000_000
        );
        if row.node != NONE {
            s.push_str(&self.names.nodes[row.node as usize]);
        }
        s.push(',');
        if row.instance != NONE {
            s.push_str(&self.names.instances[row.instance as usize]);
        }
        s.push(',');
        if row.event_id != NO_ID {
            let _ = write!(s, "{}", row.event_id);
        }
        s.push(',');
        if row.checkpoint != NONE {
            let _ = write!(s, "{}", row.checkpoint);
        }
        s.push(',');
        self.detail(s, row.detail);
    }

    fn detail(&self, s: &mut String, detail: Detail) {
        let node = |n: crate::model::NodeId| self.names.nodes[n.index()].as_str();
        let _ = match detail {
            Detail::None => Ok(()),
            Detail::Stale => write!(s, "stale (superseded or restarted since: does nothing)"),
            Detail::From(n) => write!(s, "from {}", self.names.nodes[n as usize]),
            Detail::Barrier(n) => write!(s, "barrier from {}", self.names.nodes[n as usize]),
            Detail::Void => write!(s, "voided by a rollback"),
            Detail::Heartbeat => match self.names.coordinator {
                Some(c) => write!(s, "heartbeat at {}", self.names.nodes[c as usize]),
                None => write!(s, "heartbeat at the coordinator"),
            },
            Detail::Cap { data: true } => write!(
                s,
                "data rows capped at {DATA_ROWS_CAP}: later data events are written only when \
                 they change state"
            ),
            Detail::Cap { data: false } => write!(
                s,
                "trace capped at {ROWS_CAP} rows: nothing later in this run is traced"
            ),
            Detail::Fault(f) => match f {
                FaultEvent::NodeCrash { node: n } => write!(s, "crash of {}", node(n)),
                FaultEvent::NodeRepair { node: n } => write!(s, "repair of {}", node(n)),
                FaultEvent::PartitionStart { partition } => write!(
                    s,
                    "partition {partition} starts: {}",
                    self.names.partitions[usize::from(partition)]
                ),
                FaultEvent::PartitionEnd { partition } => {
                    write!(s, "partition {partition} heals")
                }
                FaultEvent::SpikeStart { spike } => write!(
                    s,
                    "link spike {spike} starts: {}",
                    self.names.spikes[usize::from(spike)]
                ),
                FaultEvent::SpikeEnd { spike } => write!(s, "link spike {spike} ends"),
                FaultEvent::HangStart { instance } => {
                    write!(s, "hang of {}", self.names.instances[instance.index()])
                }
                FaultEvent::HangEnd { instance } => {
                    write!(s, "hang of {} ends", self.names.instances[instance.index()])
                }
                FaultEvent::SlowStart { node: n, factor } => {
                    write!(s, "{} slows down {factor}x", node(n))
                }
                FaultEvent::SlowEnd { node: n } => write!(s, "{} back to speed", node(n)),
                FaultEvent::PoisonKey { key } => write!(s, "key {key} becomes poison"),
            },
        };
    }

    fn change_columns(&self, s: &mut String, c: &Change) {
        let _ = match c.subject {
            Subject::Node(n) => write!(
                s,
                "node,{},{},{}",
                self.names.nodes[n as usize],
                node_state(c.from as u8),
                node_state(c.to as u8)
            ),
            Subject::Instance(i) => write!(
                s,
                "instance,{},{},{}",
                self.names.instances[i as usize],
                instance_state(c.from as u8),
                instance_state(c.to as u8)
            ),
            Subject::Placement(i) => write!(
                s,
                "placement,{},{},{}",
                self.names.instances[i as usize],
                self.names.nodes[c.from as usize],
                self.names.nodes[c.to as usize]
            ),
            Subject::Partition(p) => write!(
                s,
                "partition,{p},{},{}",
                active(c.from != 0),
                active(c.to != 0)
            ),
            Subject::Spike(p) => {
                write!(s, "spike,{p},{},{}", active(c.from != 0), active(c.to != 0))
            }
            Subject::Checkpoint(id) => write!(
                s,
                "checkpoint,{id},{},{}",
                checkpoint_phase(c.from),
                checkpoint_phase(c.to)
            ),
            Subject::Rollback => write!(
                s,
                "rollback,global,{},{}",
                rollback_state(c.from != 0),
                rollback_state(c.to != 0)
            ),
        };
    }

    /// Compares the world with the last snapshot and records what changed.
    fn diff(&mut self, world: &World<'_>) -> u32 {
        let before = self.changes.len();
        // Two snapshots swapped in turn: comparing allocates nothing.
        let new = snapshot_of(world, std::mem::take(&mut self.scratch));
        let old = std::mem::replace(&mut self.snapshot, new);
        let new = &self.snapshot;
        let push = |changes: &mut Vec<Change>, subject, from: u32, to: u32| {
            if from != to {
                changes.push(Change { subject, from, to });
            }
        };
        for (n, (&a, &b)) in old.nodes.iter().zip(&new.nodes).enumerate() {
            push(
                &mut self.changes,
                Subject::Node(n as u32),
                a.into(),
                b.into(),
            );
        }
        for (i, (&a, &b)) in old.instances.iter().zip(&new.instances).enumerate() {
            push(
                &mut self.changes,
                Subject::Instance(i as u32),
                a.into(),
                b.into(),
            );
        }
        for (i, (&a, &b)) in old.placement.iter().zip(&new.placement).enumerate() {
            push(&mut self.changes, Subject::Placement(i as u32), a, b);
        }
        for (k, (&a, &b)) in old.partitions.iter().zip(&new.partitions).enumerate() {
            push(
                &mut self.changes,
                Subject::Partition(k as u16),
                a.into(),
                b.into(),
            );
        }
        for (k, (&a, &b)) in old.spikes.iter().zip(&new.spikes).enumerate() {
            push(
                &mut self.changes,
                Subject::Spike(k as u16),
                a.into(),
                b.into(),
            );
        }
        // Endings before beginnings: a checkpoint completes, then the next one starts.
        if new.completed > old.completed
            && let Some((id, _)) = world.checkpoints.as_ref().and_then(|c| c.last_complete())
        {
            push(
                &mut self.changes,
                Subject::Checkpoint(id),
                CP_STARTED,
                CP_COMPLETED,
            );
        }
        if new.aborted > old.aborted
            && let Some(id) = old.in_progress
        {
            push(
                &mut self.changes,
                Subject::Checkpoint(id),
                CP_STARTED,
                CP_ABORTED,
            );
        }
        if let Some(id) = new.in_progress
            && old.in_progress != Some(id)
        {
            push(
                &mut self.changes,
                Subject::Checkpoint(id),
                CP_NONE,
                CP_STARTED,
            );
        }
        push(
            &mut self.changes,
            Subject::Rollback,
            old.recovering.into(),
            new.recovering.into(),
        );
        self.scratch = old;
        (self.changes.len() - before) as u32
    }
}

/// The observable state of `world`, written into `into`'s buffers.
fn snapshot_of(world: &World<'_>, mut into: Snapshot) -> Snapshot {
    into.nodes.clear();
    into.nodes
        .extend(world.nodes.iter().enumerate().map(|(n, s)| {
            let mut bits = 0;
            if s.up {
                bits |= UP;
            }
            if world.suspected.get(n).copied().unwrap_or(false) {
                bits |= SUSPECTED;
            }
            if s.slowdown != 1.0 {
                bits |= SLOW;
            }
            bits
        }));
    into.instances.clear();
    into.instances.extend(world.instances.iter().map(|s| {
        let mut bits = match s.status {
            Status::Running => RUNNING,
            Status::Down => DOWN,
            Status::Restarting => RESTARTING,
        };
        if s.hung {
            bits |= HUNG;
        }
        if s.paused {
            bits |= SNAPSHOTTING;
        }
        if s.catching_up_since.is_some() {
            bits |= CATCHING_UP;
        }
        if s.incomplete.is_some() {
            bits |= INCOMPLETE;
        }
        bits
    }));
    into.placement.clear();
    into.placement
        .extend(world.instances.iter().map(|s| s.node.0));
    into.partitions.clear();
    into.partitions
        .extend(world.partition_heals.iter().map(Option::is_some));
    into.spikes.clear();
    into.spikes.extend(world.spike_active.iter().copied());
    let (completed, aborted) = world.checkpoints.as_ref().map_or((0, 0), |c| c.counts());
    into.in_progress = world.checkpoints.as_ref().and_then(|c| c.in_progress());
    into.completed = completed;
    into.aborted = aborted;
    into.recovering = world.recovering;
    into
}

fn node_state(bits: u8) -> String {
    let mut s = String::from(if bits & UP != 0 { "up" } else { "down" });
    if bits & SUSPECTED != 0 {
        s.push_str("+suspected");
    }
    if bits & SLOW != 0 {
        s.push_str("+slow");
    }
    s
}

fn instance_state(bits: u8) -> String {
    let mut s = String::from(match bits & STATUS {
        RUNNING => "running",
        DOWN => "down",
        _ => "restarting",
    });
    for (flag, name) in [
        (HUNG, "+hung"),
        (SNAPSHOTTING, "+snapshotting"),
        (CATCHING_UP, "+catching-up"),
        (INCOMPLETE, "+incomplete"),
    ] {
        if bits & flag != 0 {
            s.push_str(name);
        }
    }
    s
}

fn active(on: bool) -> &'static str {
    if on { "active" } else { "inactive" }
}

fn rollback_state(on: bool) -> &'static str {
    if on { "rolling-back" } else { "idle" }
}

fn checkpoint_phase(p: u32) -> &'static str {
    match p {
        CP_STARTED => "started",
        CP_COMPLETED => "completed",
        CP_ABORTED => "aborted",
        _ => "none",
    }
}

/// Per [`Event`] variant, in declaration order: its kind and its name in the `event` column.
const EVENT_NAMES: [(TraceKind, &str); 19] = [
    (TraceKind::Data, "source_emit"),
    (TraceKind::Data, "deliver"),
    (TraceKind::Data, "service_done"),
    (TraceKind::Data, "window_fire"),
    (TraceKind::Faults, "fault"),
    (TraceKind::Detection, "heartbeat_tick"),
    (TraceKind::Detection, "heartbeat_arrive"),
    (TraceKind::Detection, "suspect_timeout"),
    (TraceKind::Checkpoints, "checkpoint_tick"),
    (TraceKind::Checkpoints, "checkpoint_trigger"),
    (TraceKind::Checkpoints, "snapshot_done"),
    (TraceKind::Checkpoints, "checkpoint_ack"),
    (TraceKind::Detection, "watchdog_check"),
    (TraceKind::Recovery, "restart_done"),
    (TraceKind::Data, "credit"),
    (TraceKind::Checkpoints, "alignment_timeout"),
    (TraceKind::Checkpoints, "checkpoint_expire"),
    (TraceKind::Checkpoints, "checkpoint_deferred"),
    (TraceKind::Checkpoints, "sink_commit"),
];

fn event_index(event: &Event) -> u8 {
    match event {
        Event::SourceEmit { .. } => 0,
        Event::Deliver { .. } => 1,
        Event::ServiceDone { .. } => 2,
        Event::WindowFire { .. } => 3,
        Event::Fault { .. } => 4,
        Event::HeartbeatTick { .. } => 5,
        Event::HeartbeatArrive { .. } => 6,
        Event::SuspectTimeout { .. } => 7,
        Event::CheckpointTick => 8,
        Event::CheckpointTrigger { .. } => 9,
        Event::SnapshotDone { .. } => 10,
        Event::CheckpointAck { .. } => 11,
        Event::WatchdogCheck { .. } => 12,
        Event::RestartDone { .. } => 13,
        Event::Credit { .. } => 14,
        Event::AlignmentTimeout { .. } => 15,
        Event::CheckpointExpire { .. } => 16,
        Event::CheckpointDeferred => 17,
        Event::SinkCommit { .. } => 18,
    }
}

impl World<'_> {
    /// What a trace row says about `event`, read before the world handles it.
    fn trace_row(&self, event: &Event, seq: u64, now: SimTime) -> Row {
        let mut row = Row {
            seq,
            time: now,
            event: event_index(event),
            node: NONE,
            instance: NONE,
            event_id: NO_ID,
            checkpoint: NONE,
            detail: Detail::None,
            changes: 0,
        };
        let at = |row: &mut Row, i: crate::model::InstanceId| {
            row.instance = i.0;
            row.node = self.instances[i.index()].node.0;
        };
        match *event {
            Event::SourceEmit { instance } | Event::WindowFire { instance } => {
                at(&mut row, instance)
            }
            Event::Deliver { message } => {
                if let Some((from, to, e)) = self.channels.peek(message) {
                    at(&mut row, to);
                    let from = self.instances[from.index()].node.0;
                    if e.id == super::BARRIER_ID {
                        row.checkpoint = e.key as u32;
                        row.detail = Detail::Barrier(from);
                    } else if e.id == super::VOID_ID || e.id == super::VOID_BARRIER_ID {
                        row.detail = Detail::Void;
                    } else {
                        row.event_id = e.id;
                        row.detail = Detail::From(from);
                    }
                }
            }
            Event::ServiceDone {
                instance,
                slot,
                epoch,
            } => {
                at(&mut row, instance);
                let s = &self.instances[instance.index()];
                if s.epoch != epoch {
                    row.detail = Detail::Stale;
                } else if let Some(Some(x)) = s.slots.get(usize::from(slot)) {
                    row.event_id = x.queued.event.id;
                }
            }
            Event::Fault { index } => {
                if let Some(&(_, f)) = self.plan.events.get(index as usize) {
                    row.detail = Detail::Fault(f);
                    match f {
                        FaultEvent::NodeCrash { node }
                        | FaultEvent::NodeRepair { node }
                        | FaultEvent::SlowStart { node, .. }
                        | FaultEvent::SlowEnd { node } => row.node = node.0,
                        FaultEvent::HangStart { instance } | FaultEvent::HangEnd { instance } => {
                            at(&mut row, instance)
                        }
                        _ => {}
                    }
                }
            }
            Event::HeartbeatTick { node, incarnation } => {
                row.node = node.0;
                if self.nodes[node.index()].incarnation != incarnation {
                    row.detail = Detail::Stale;
                }
            }
            Event::HeartbeatArrive { from } => {
                row.node = from.0;
                row.detail = Detail::Heartbeat;
            }
            Event::SuspectTimeout { node, generation } => {
                row.node = node.0;
                if self
                    .detector
                    .as_ref()
                    .is_some_and(|d| d.generation(node) as u32 != generation)
                {
                    row.detail = Detail::Stale;
                }
            }
            Event::AlignmentTimeout {
                instance,
                checkpoint,
            }
            | Event::SinkCommit {
                instance,
                checkpoint,
            } => {
                at(&mut row, instance);
                row.checkpoint = checkpoint;
            }
            Event::CheckpointExpire { checkpoint } => row.checkpoint = checkpoint,
            Event::CheckpointDeferred => {}
            Event::Credit { channel } => {
                if let Some((from, _)) = self.credit_ends(channel) {
                    at(&mut row, from);
                }
            }
            Event::CheckpointTick => {
                if let Some(c) = self.ft.coordinator {
                    row.node = c.0;
                }
            }
            Event::CheckpointTrigger {
                instance,
                checkpoint,
            }
            | Event::CheckpointAck {
                instance,
                checkpoint,
            } => {
                at(&mut row, instance);
                row.checkpoint = checkpoint;
            }
            Event::SnapshotDone {
                instance,
                epoch,
                checkpoint,
            } => {
                at(&mut row, instance);
                row.checkpoint = checkpoint;
                if self.instances[instance.index()].epoch != epoch {
                    row.detail = Detail::Stale;
                }
            }
            Event::WatchdogCheck { checkpoint } => row.checkpoint = checkpoint,
            Event::RestartDone { instance, epoch } => {
                at(&mut row, instance);
                if self.instances[instance.index()].epoch != epoch {
                    row.detail = Detail::Stale;
                }
            }
        }
        row
    }
}

/// The world with a trace attached: handles each event as the world does, and writes it.
pub(super) struct Traced<'a, 's> {
    /// The world being traced.
    pub world: &'a mut World<'s>,
    /// Where the rows go.
    pub trace: &'a mut Trace,
}

impl Handler<Event> for Traced<'_, '_> {
    fn handle(&mut self, event: Event, cx: &mut Ctx<'_, Event>) {
        let trace = &mut *self.trace;
        let seq = trace.seen;
        trace.seen += 1;
        if trace.truncated.is_some() {
            return self.world.handle(event, cx);
        }
        let now = cx.now();
        let mut row = self.world.trace_row(&event, seq, now);
        self.world.handle(event, cx);
        row.changes = trace.diff(self.world);
        let kind = TraceKind::of(&event);
        let write = if row.changes > 0 {
            true
        } else if !trace.kinds.contains(kind) {
            false
        } else if kind == TraceKind::Data {
            if trace.data_rows < DATA_ROWS_CAP {
                trace.data_rows += 1;
                true
            } else {
                if trace.data_capped.is_none() {
                    trace.data_capped = Some(now);
                    trace.rows.push(Row {
                        detail: Detail::Cap { data: true },
                        ..row
                    });
                }
                false
            }
        } else {
            true
        };
        if write {
            trace.rows.push(row);
            if trace.rows.len() as u64 >= ROWS_CAP {
                trace.truncated = Some(now);
                trace.rows.push(Row {
                    detail: Detail::Cap { data: false },
                    changes: 0,
                    ..row
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_refuse_unknown_names() {
        assert_eq!(
            TraceKinds::parse("faults,data").unwrap().names(),
            "faults,data"
        );
        assert_eq!(
            TraceKinds::parse("all").unwrap().names(),
            "faults,detection,checkpoints,recovery,data"
        );
        assert_eq!(
            TraceKinds::DEFAULT.names(),
            "faults,detection,checkpoints,recovery"
        );
        let e = TraceKinds::parse("faults,heartbeats").unwrap_err();
        assert!(e.contains("'heartbeats'") && e.contains("detection"), "{e}");
        assert!(TraceKinds::parse(" , ").is_err());
    }

    #[test]
    fn state_names_say_every_flag() {
        assert_eq!(node_state(UP | SUSPECTED), "up+suspected");
        assert_eq!(node_state(0), "down");
        assert_eq!(instance_state(RUNNING | CATCHING_UP), "running+catching-up");
        assert_eq!(instance_state(RESTARTING), "restarting");
        assert_eq!(instance_state(DOWN | HUNG), "down+hung");
    }
}
