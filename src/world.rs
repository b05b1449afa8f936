//! One replication: the dataflow world that the kernel drives.
//!
//! The world owns all mutable state of a replication — node cores, instance queues, links,
//! random streams, the metrics recorder — built from a validated [`Scenario`]. It reacts to
//! [`Event`]s through a single `match` in [`World::handle`].
//!
//! Queueing model. An operator instance has a FIFO input queue and `threads` service slots;
//! serving an event needs one core of the instance's node. Instances with work and a free slot
//! wait in their node's FIFO ready queue; a freed core goes to the first one, which then goes to
//! the back if it still has work (round robin between co-located instances). A service time is
//! drawn per event and divided by the node's speed. Sources and sinks use no core: they stand
//! for the external producers and consumers.
//!
//! Messages between instances on different nodes travel over [`Channels`]; between instances
//! on the same node they arrive at once (no event is scheduled for them).

mod channel;
mod checkpoint;
mod detection;
mod event;
mod faults;
mod flow;
mod keys;
mod logs;
mod recovery;
mod replicas;
mod run;
mod sink;
mod trace;

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU32;

use rand::SeedableRng;

pub use channel::{Channels, LinkCondition, MessageId};
use checkpoint::expected_barriers;
pub use event::Event;
use flow::{Flow, NO_CHANNEL};
use keys::{KeySet, StateCopy, WindowTable};
use logs::OutputLog;
use replicas::Dedup;
pub use run::{
    Holder, HolderKind, Overload, STEP_EVENTS, run_replication_traced, run_replication_within,
};
pub use trace::{DATA_ROWS_CAP, ROWS_CAP, TRACE_HEADER, Trace, TraceKind, TraceKinds};

use crate::fault::FaultPlan;
use crate::ft::replication::StateSource;
use crate::ft::{
    CheckpointCoordinator, FailureDetector, FaultTolerance, ReplicationStrategy, RollbackScope,
    SinkCommit,
};
use crate::metrics::{Conservation, DeliveryLedger, Recorder, ReplicationSummary};
use crate::model::{
    ArrivalPhase, DataEvent, Graph, InstanceId, NodeId, Operator, OperatorId, OperatorKind,
    Routing, unit_draw,
};
use crate::partition::{KeyPartitioner, Partitioner, skew};
use crate::scenario::{Scenario, Variant};
use crate::sim::{
    Ctx, Engine, Handler, SimDuration, SimRng, SimTime, Stream, derive_seed, splitmix64,
};

/// A model-level failure of one replication.
#[derive(Debug, Clone, PartialEq)]
pub enum SimError {
    /// The end-of-run event count did not balance: a simulator bug. Report it with the seed
    /// and replication printed alongside.
    ConservationViolated(Conservation),
    /// A flow-control channel's credits did not add up at the end: a simulator bug.
    CreditsViolated(String),
    /// Fault model `model` (its index in the scenario's `faults`) drew more than
    /// `cap` events in this replication, so its plan would have been cut short: make its
    /// faults rarer or the run shorter.
    FaultPlanCapped {
        /// Index of the fault model.
        model: usize,
        /// The cap ([`crate::fault::MAX_FAULTS_PER_MODEL`]).
        cap: u32,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConservationViolated(c) => write!(
                f,
                "event conservation violated (a simulator bug): emitted {} + spawned {} + \
                 replayed {} != delivered {} + absorbed {} + dropped {} + shed {} + in flight {}",
                c.emitted,
                c.spawned,
                c.replayed,
                c.delivered,
                c.absorbed,
                c.dropped,
                c.shed,
                c.in_flight
            ),
            Self::CreditsViolated(m) => write!(f, "flow control violated (a simulator bug): {m}"),
            Self::FaultPlanCapped { model, cap } => write!(
                f,
                "faults[{model}] drew more than {cap} fault events in this replication; the \
                 plan would stop there and leave the rest of the run without its faults. Make \
                 its faults rarer (a longer mean time to failure or gap) or shorten duration_s"
            ),
        }
    }
}

impl std::error::Error for SimError {}

/// Id of a checkpoint barrier travelling in-band with data: a `DataEvent` whose `key` is the
/// checkpoint number. Derived event ids are made odd-free in their lowest bit so they never
/// collide with it; source ids stay far below it.
pub(crate) const BARRIER_ID: u64 = u64::MAX;

/// Id of a message voided by a rollback while on the wire: its delivery does nothing. Odd, so
/// no derived id equals it.
pub(crate) const VOID_ID: u64 = u64::MAX - 2;

/// Id of a barrier voided on the wire: unlike a voided event it took no flow-control credit.
pub(crate) const VOID_BARRIER_ID: u64 = u64::MAX - 4;

/// A barrier for `checkpoint` on input channel `channel` of its receiver, as it travels on
/// links and waits in queues: the key holds the checkpoint in its low 32 bits and the
/// channel above (see [`checkpoint::barrier_channel`]).
fn barrier(checkpoint: u32, channel: u32, now: SimTime) -> DataEvent {
    DataEvent {
        id: BARRIER_ID,
        key: u64::from(checkpoint) | u64::from(channel) << 32,
        created: now,
        bytes: BARRIER_BYTES,
    }
}

/// Size of a barrier on the wire \[bytes\].
const BARRIER_BYTES: u32 = 16;

/// An id for a derived event (flat-map extra output, window result): marked as derived for
/// the ledger, and never equal to [`BARRIER_ID`].
fn derived_id(hash: u64) -> u64 {
    (hash | crate::metrics::DERIVED_ID) & !1
}

/// An event waiting at, or being served by, an instance.
#[derive(Clone, Copy, Debug)]
struct Queued {
    event: DataEvent,
    arrived: SimTime,
    /// The flow-control channel it took credit on ([`NO_CHANNEL`] if none).
    channel: u32,
    /// The instance that sent it (its input channel, for barrier alignment).
    from: InstanceId,
}

#[derive(Clone, Copy, Debug)]
struct InService {
    queued: Queued,
    service: SimDuration,
    /// When its service started (for busy time still in progress at the end).
    started: SimTime,
}

#[derive(Debug)]
struct NodeState {
    /// Whether the node runs (false between a crash and its repair).
    up: bool,
    cores: u32,
    free_cores: u32,
    speed: f64,
    /// Straggler slow-down factor (1 = normal).
    slowdown: f64,
    /// Incremented by every crash: heartbeat ticks of an earlier incarnation are stale.
    incarnation: u32,
    /// Instances with queued work and a free slot, waiting for a core.
    ready: VecDeque<InstanceId>,
}

#[derive(Debug)]
struct SourceState {
    phase: ArrivalPhase,
    rng: SimRng,
    next_seq: u64,
    /// With checkpoints: events since the last complete checkpoint's offset, kept for replay
    /// (a replayable source such as a Kafka topic).
    retained: VecDeque<DataEvent>,
    /// How many of the newest retained events were never sent (they arrived while the source
    /// was down).
    unsent: u64,
    /// Offsets (next sequence number) recorded at each checkpoint's trigger.
    offsets: Vec<(u32, u64)>,
}

#[derive(Debug)]
struct InstanceState<'s> {
    /// The operator this instance runs (cached: looked up on every event).
    op: &'s Operator,
    operator: OperatorId,
    index: u32,
    node: NodeId,
    queue: VecDeque<Queued>,
    slots: Vec<Option<InService>>,
    busy: u32,
    in_ready: bool,
    /// Incremented when the instance crashes, voiding timers armed before.
    epoch: u32,
    /// Running, down or restarting.
    status: Status,
    /// Stopped serving while its node keeps running (a hang fault).
    hung: bool,
    /// Writing a synchronous snapshot: no new service meanwhile.
    paused: bool,
    /// Has output waiting for flow-control credit: serves nothing new meanwhile.
    blocked: bool,
    /// `status == Running && !hung && !paused && !blocked`, kept up to date by
    /// [`InstanceState::refresh_serving`]: the hot paths test one flag.
    serving: bool,
    /// Barriers expected per checkpoint: one from every input channel.
    expected_barriers: u32,
    /// (checkpoint, barriers received for it).
    barriers: (u32, u32),
    /// Under active replication: the input channels whose barrier for `barriers.0` arrived
    /// (every copy of an upstream instance sends one; the first counts).
    barrier_channels: Vec<u32>,
    /// Restored after a rollback at this time and still catching up: counted down until a
    /// sink delivers an event created after it.
    catching_up_since: Option<SimTime>,
    /// Service-time and selectivity draws.
    rng: SimRng,
    source: Option<SourceState>,
    keys: KeySet,
    window: WindowTable,
    /// Most distinct keys held at once (for a window: keys in a window when it closed).
    peak_keys: usize,
    /// Round-robin position per output edge (rebalance routing).
    next_target: Vec<u32>,
    /// The graph instance this one is a copy of (itself unless it is an active replica).
    logical: InstanceId,
    /// What it sent downstream since it became durable there (local replay only).
    log: Option<OutputLog>,
    /// First-copy filter (active replication only).
    dedup: Option<Dedup>,
    /// State at each pending or last complete checkpoint, oldest first.
    snapshots: Vec<(u32, StateCopy)>,
    /// Where the replacement being started takes its state from.
    restore_from: StateSource,
    /// Moved onto its passive standby's node: the restart is a promotion.
    promoting: bool,
    /// Continuous standby sync: ids applied since the last complete checkpoint, and their
    /// count when each barrier passed.
    applied: Vec<u64>,
    applied_marks: Vec<(u32, usize)>,
    /// Continuous standby sync: the standby's copy of the state when the primary failed.
    standby_copy: Option<StateCopy>,
    /// Continuous sync: the standby's output log — it applied the same input, so it
    /// produced the same output — taken over with `standby_copy`.
    standby_log: Option<Box<OutputLog>>,
    /// Latest checkpoint whose barriers this instance has all received.
    last_barrier: u32,
    /// Barrier alignment in progress (aligned and unaligned modes only).
    alignment: Option<Box<checkpoint::Alignment>>,
    /// Unaligned checkpoints: the in-flight data stored with each pending or last complete
    /// snapshot, oldest first.
    inflight: Vec<(u32, checkpoint::InFlight)>,
    /// The checkpoint whose aligned-barrier timeout is armed here.
    align_timer: u32,
    /// An active copy rebuilt from a peer while its input kept flowing: it missed what
    /// arrived during its rebuild, so it cannot yet stand for the whole stream.
    incomplete: Option<Incomplete>,
    /// When it last crashed (or was fenced).
    crashed_at: Option<SimTime>,
    /// Events that entered its queue, and that it finished serving (whole run).
    enqueued: u64,
    served: u64,
    /// Window under upstream backup: `last_barrier` when it last emitted (what it folded in
    /// before that checkpoint is reflected downstream).
    durable: u32,
}

/// Until when a rebuilt active copy is incomplete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Incomplete {
    /// With checkpoints: until a checkpoint with this id or later completes (it takes no part
    /// in checkpoints until then, so none can rely on its partial stream).
    UntilCheckpoint(u32),
    /// Without: until `peer` has served `served` events — everything it had received when
    /// this copy was rebuilt, which covers what this copy missed.
    UntilPeerServed { peer: InstanceId, served: u64 },
}

/// Life-cycle of an operator instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Serving its partitions.
    Running,
    /// Crashed (its node is down, or it crashed itself); waits for a restart.
    Down,
    /// A replacement is starting; events sent to it meanwhile are lost.
    Restarting,
}

impl<'s> InstanceState<'s> {
    /// A running instance of `op` (number `index` of `operator`) on `node`, with nothing
    /// queued and no state, standing for graph instance `logical`.
    fn new(
        op: &'s Operator,
        (operator, index): (OperatorId, u32),
        node: NodeId,
        expected_barriers: u32,
        rng: SimRng,
        source: Option<SourceState>,
        logical: InstanceId,
    ) -> Self {
        Self {
            op,
            operator,
            index,
            node,
            queue: VecDeque::with_capacity(64),
            slots: vec![None; op.threads as usize],
            busy: 0,
            in_ready: false,
            epoch: 0,
            status: Status::Running,
            hung: false,
            paused: false,
            blocked: false,
            serving: true,
            expected_barriers,
            barriers: (0, 0),
            barrier_channels: Vec::new(),
            catching_up_since: None,
            rng,
            source,
            keys: KeySet::default(),
            window: WindowTable::default(),
            peak_keys: 0,
            next_target: vec![0; op.outputs.len()],
            logical,
            log: None,
            dedup: None,
            snapshots: Vec::new(),
            restore_from: StateSource::Empty,
            promoting: false,
            applied: Vec::new(),
            applied_marks: Vec::new(),
            standby_copy: None,
            standby_log: None,
            last_barrier: 0,
            alignment: None,
            inflight: Vec::new(),
            align_timer: 0,
            incomplete: None,
            crashed_at: None,
            enqueued: 0,
            served: 0,
            durable: 0,
        }
    }

    /// Recomputes `serving`; call after changing `status`, `hung`, `paused` or `blocked`.
    fn refresh_serving(&mut self) {
        self.serving =
            self.status == Status::Running && !self.hung && !self.paused && !self.blocked;
    }
}

/// How one edge reaches its downstream instances.
#[derive(Debug)]
struct EdgeRoute {
    routing: Routing,
    /// The downstream operator's first instance.
    first_target: InstanceId,
    partitioner: Option<KeyPartitioner>,
    targets: NonZeroU32,
}

/// The mutable state of one replication.
pub struct World<'s> {
    scenario: &'s Scenario,
    /// Failure detection and recovery settings of the variant being run.
    ft: &'s FaultTolerance,
    master_seed: u64,
    replication: u32,
    nodes: Vec<NodeState>,
    instances: Vec<InstanceState<'s>>,
    /// Each instance's node, as in `instances[i].node`, packed: every message reads its
    /// receiver's node, and in a model of thousands of instances a read of the receiver's
    /// whole state would be a cache miss per message. Changed only by [`World::place`].
    node_of: Vec<NodeId>,
    edges: Vec<EdgeRoute>,
    channels: Channels,
    recorder: Recorder,
    network_messages: u64,
    network_bytes: u64,
    /// Reused buffer for window results, so closing a window allocates nothing.
    scratch: Vec<(u64, SimTime)>,
    /// This replication's faults, in time order; one is scheduled at a time.
    plan: FaultPlan,
    /// Per partition of the plan: when its current episode heals (while active).
    partition_heals: Vec<Option<SimTime>>,
    /// Per spike of the plan: whether it is active.
    spike_active: Vec<bool>,
    /// Whether any partition or spike is active (fast path for sends).
    network_degraded: bool,
    /// Keys that crash the instance processing them.
    poison: Vec<u64>,
    /// The coordinator's failure detector, if the scenario has one.
    detector: Option<Box<dyn FailureDetector>>,
    /// Per node: suspected by the detector.
    suspected: Vec<bool>,
    /// Restart-time draws.
    strategy_rng: SimRng,
    /// Extra-latency draws of link spikes (kept apart from restart draws, so that traffic
    /// cannot shift restart delays between variants).
    spike_rng: SimRng,
    /// The same for credit announcements (flow control shifts no other draw).
    credit_spike_rng: SimRng,
    /// Heartbeat datagrams and checkpoint control messages sent.
    control_messages: u64,
    /// The checkpoint coordinator, if the variant checkpoints.
    checkpoints: Option<CheckpointCoordinator>,
    /// State bytes written by snapshots.
    checkpoint_bytes: u64,
    /// Events that crashed an instance once: skipped on replay (a dead-letter policy), so a
    /// poison event cannot crash the pipeline forever.
    poisoned_ids: Vec<u64>,
    /// Loss and duplicate accounting per source event.
    ledger: DeliveryLedger,
    /// Instances catching up after a rollback.
    catching_up: u32,
    /// A rollback is in progress: sources hold back until every instance runs again.
    recovering: bool,
    /// The variant's replication strategy.
    strategy: &'s dyn ReplicationStrategy,
    /// Failures roll back only the failed instances, replayed from upstream output logs.
    local: bool,
    /// Per logical instance under active replication: its copies (primary first). Empty
    /// without replication.
    groups: Vec<Vec<InstanceId>>,
    /// Per logical instance under passive replication: its standby's node.
    standby: Vec<Option<NodeId>>,
    /// Passive standbys receive every state change (log shipping).
    standby_sync_continuous: bool,
    /// Local replays a down source owes a restored instance: (source, instance).
    owed: Vec<(InstanceId, InstanceId)>,
    /// Messages voided on the wire when their sender failed, to be sent again by its
    /// replacement: (sender, receiver, event), in send order.
    resend: Vec<(InstanceId, InstanceId, DataEvent)>,
    /// Active copies waiting for a peer to serve what they missed.
    incomplete_copies: u32,
    /// The last checkpoint that completed (0 before the first).
    last_completed: u32,
    /// Credit-based flow control, when some operator has a bounded buffer.
    flow: Option<Flow>,
    /// How barriers meet at instances with several inputs.
    barrier_mode: crate::ft::BarrierMode,
    /// Alignment time of every instance with several inputs and checkpoint \[s\].
    alignment_times: Vec<f64>,
    /// Bytes of in-flight data stored with unaligned snapshots.
    checkpoint_inflight_bytes: u64,
    /// Failovers triggered by more failed checkpoints than tolerated.
    checkpoint_failovers: u32,
    /// A checkpoint start waits for the least pause to end.
    checkpoint_deferred: bool,
    /// Sink commit and the visible ledger, when some variant of the scenario has a sink
    /// other than at-least-once.
    sinks: Option<sink::Sinks>,
}

impl<'s> World<'s> {
    /// Builds replication `replication` of `variant` of `scenario` with the given master seed
    /// and seeds its first events into `engine`.
    pub fn new(
        scenario: &'s Scenario,
        variant: &'s Variant,
        master_seed: u64,
        replication: u32,
        engine: &mut Engine<Event>,
    ) -> Self {
        let graph = &scenario.graph;
        let nodes = scenario
            .cluster
            .nodes
            .iter()
            .map(|n| NodeState {
                up: true,
                cores: n.cores,
                free_cores: n.cores,
                speed: n.speed,
                slowdown: 1.0,
                incarnation: 0,
                ready: VecDeque::new(),
            })
            .collect();
        let seed = |stream, index| {
            SimRng::seed_from_u64(derive_seed(master_seed, replication, stream, index))
        };
        let instances = graph
            .instances
            .iter()
            .enumerate()
            .map(|(i, inst)| {
                let op = graph.operator(inst.operator);
                let source = matches!(op.kind, OperatorKind::Source { .. }).then(|| SourceState {
                    phase: ArrivalPhase::default(),
                    rng: seed(Stream::Workload, i as u32),
                    next_seq: 0,
                    retained: VecDeque::new(),
                    unsent: 0,
                    offsets: Vec::new(),
                });
                InstanceState::new(
                    op,
                    (inst.operator, inst.index),
                    inst.node,
                    expected_barriers(graph, inst.operator),
                    seed(Stream::Service, i as u32),
                    source,
                    InstanceId(i as u32),
                )
            })
            .collect::<Vec<_>>();
        let ft = &variant.fault_tolerance;
        let strategy = ft.replication.strategy();
        let mut instances = instances;
        let logical_count = instances.len();
        let mut groups = Vec::new();
        if strategy.replicas() > 1 {
            // Copies go to distinct nodes among those that are neither the coordinator nor
            // spares; each draws service times from its own stream.
            let workers: Vec<NodeId> = (0..scenario.cluster.nodes.len())
                .map(|n| NodeId(n as u32))
                .filter(|n| Some(*n) != ft.coordinator && !ft.spares.contains(n))
                .collect();
            groups = (0..logical_count)
                .map(|l| vec![InstanceId(l as u32)])
                .collect();
            for l in 0..logical_count {
                if !Self::replicable(&instances[l].op.kind) {
                    continue;
                }
                // Prefer the nodes the operator already runs on (copies of a stage stay on
                // the stage's machines), then the other workers.
                let mut candidates: Vec<NodeId> = Vec::new();
                for inst in instances[..logical_count]
                    .iter()
                    .filter(|x| x.operator == instances[l].operator)
                {
                    if !candidates.contains(&inst.node) {
                        candidates.push(inst.node);
                    }
                }
                if let Some(k) = candidates.iter().position(|&n| n == instances[l].node) {
                    candidates.rotate_left(k); // the stage's next machine first
                }
                let others: Vec<NodeId> = workers
                    .iter()
                    .copied()
                    .filter(|n| !candidates.contains(n))
                    .collect();
                candidates.extend(others);
                for node in
                    replicas::replica_nodes(instances[l].node, &candidates, strategy.replicas())
                {
                    let id = instances.len();
                    let p = &instances[l];
                    let copy = InstanceState::new(
                        p.op,
                        (p.operator, p.index),
                        node,
                        p.expected_barriers,
                        seed(Stream::Service, id as u32),
                        None,
                        InstanceId(l as u32),
                    );
                    instances.push(copy);
                    groups[l].push(InstanceId(id as u32));
                }
            }
            for s in &mut instances {
                if !matches!(s.op.kind, OperatorKind::Source { .. }) {
                    s.dedup = Some(Dedup::default());
                }
            }
        }
        let edges = graph
            .edges
            .iter()
            .map(|e| EdgeRoute {
                routing: e.routing.clone(),
                first_target: graph.operator(e.to).first_instance,
                partitioner: KeyPartitioner::for_routing(&e.routing),
                targets: NonZeroU32::new(graph.operator(e.to).parallelism)
                    .expect("validated parallelism >= 1"),
            })
            .collect();
        let plan = scenario
            .faults
            .plan(scenario.metrics.end, master_seed, replication);
        let mut ledger = if scenario.faults.is_empty() {
            DeliveryLedger::disabled()
        } else {
            DeliveryLedger::new(graph.instances.len())
        };
        for (i, inst) in graph.instances.iter().enumerate() {
            if let OperatorKind::Source { arrivals, .. } = &graph.operator(inst.operator).kind {
                // Expected events plus 10 %: the bitset then never grows in steady state.
                let expected = scenario.metrics.end.as_nanos() as f64 / arrivals.mean_gap_ns();
                ledger.reserve(i, (expected * 1.1) as u64 + 64);
            }
        }
        let instances_len = instances.len();
        let node_of = instances.iter().map(|s| s.node).collect();
        let mut world = Self {
            scenario,
            ft: &variant.fault_tolerance,
            master_seed,
            replication,
            nodes,
            instances,
            node_of,
            edges,
            channels: Channels::new(scenario.cluster.nodes.len(), master_seed, replication),
            recorder: Recorder::new(scenario.metrics, logical_count, instances_len),
            network_messages: 0,
            network_bytes: 0,
            scratch: Vec::new(),
            partition_heals: vec![None; plan.partitions.len()],
            spike_active: vec![false; plan.spikes.len()],
            network_degraded: false,
            plan,
            poison: Vec::new(),
            detector: variant
                .fault_tolerance
                .detector
                .as_ref()
                .map(|d| d.build(scenario.cluster.nodes.len())),
            suspected: vec![false; scenario.cluster.nodes.len()],
            strategy_rng: seed(Stream::Strategy, 0),
            spike_rng: seed(Stream::Strategy, 2),
            credit_spike_rng: seed(Stream::Strategy, 3),
            control_messages: 0,
            checkpoints: variant
                .fault_tolerance
                .checkpoint
                .as_ref()
                .filter(|_| strategy.uses_checkpoints())
                .map(|_| CheckpointCoordinator::new(graph.instances.len())),
            checkpoint_bytes: 0,
            poisoned_ids: Vec::new(),
            ledger,
            catching_up: 0,
            recovering: false,
            strategy,
            local: ft.checkpoint.as_ref().is_some_and(|c| {
                strategy.uses_checkpoints() && strategy.rollback(c.rollback) == RollbackScope::Local
            }),
            groups,
            standby: Vec::new(),
            standby_sync_continuous: strategy.continuous_sync(),
            owed: Vec::new(),
            resend: Vec::new(),
            incomplete_copies: 0,
            last_completed: 0,
            flow: graph.operators.iter().any(|o| o.buffer.is_some()).then(|| {
                Flow::new(
                    instances_len,
                    (scenario.metrics.warmup, scenario.metrics.end),
                )
            }),
            barrier_mode: variant
                .fault_tolerance
                .checkpoint
                .as_ref()
                .map_or(Default::default(), |c| c.barriers),
            alignment_times: Vec::new(),
            checkpoint_inflight_bytes: 0,
            checkpoint_failovers: 0,
            checkpoint_deferred: false,
            sinks: None,
        };
        if scenario
            .variants
            .iter()
            .any(|v| v.fault_tolerance.sink != SinkCommit::AtLeastOnce)
        {
            let commit = ft.sink;
            world.sinks = Some(sink::Sinks::new(
                commit,
                instances_len,
                world.ledger.enabled(),
            ));
            world
                .recorder
                .track_visible(commit == SinkCommit::Transactional);
        }
        for i in 0..world.instances.len() {
            world.instances[i].log = world.new_log(world.instances[i].op);
        }
        if strategy.standby() {
            let mut ordinal = 0;
            world.standby = (0..logical_count)
                .map(|i| {
                    Self::replicable(&world.instances[i].op.kind).then(|| {
                        ordinal += 1;
                        world.standby_node(i, ordinal - 1)
                    })?
                })
                .collect();
        }
        world.schedule_initial_events(engine);
        world
    }

    fn schedule_initial_events(&mut self, engine: &mut Engine<Event>) {
        if let Some(&(at, _)) = self.plan.events.first() {
            engine.schedule_at(at, Event::Fault { index: 0 });
        }
        self.start_heartbeats(engine);
        if let Some(c) = self
            .ft
            .checkpoint
            .as_ref()
            .filter(|_| self.checkpoints.is_some())
        {
            engine.schedule_at(SimTime::ZERO + c.interval, Event::CheckpointTick);
        }
        for (i, state) in self.instances.iter_mut().enumerate() {
            let instance = InstanceId(i as u32);
            match &state.op.kind {
                OperatorKind::Source { arrivals, .. } => {
                    let src = state
                        .source
                        .as_mut()
                        .expect("source instances have source state");
                    engine.schedule_at(
                        arrivals.first(&mut src.rng, &mut src.phase),
                        Event::SourceEmit { instance },
                    );
                }
                OperatorKind::Window { size, .. } => {
                    engine.schedule_at(SimTime::ZERO + *size, Event::WindowFire { instance });
                }
                OperatorKind::Map { .. } | OperatorKind::Sink => {}
            }
        }
    }

    fn graph(&self) -> &'s Graph {
        &self.scenario.graph
    }

    fn on_source_emit(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let state = &mut self.instances[i.index()];
        let OperatorKind::Source {
            arrivals,
            keys,
            event_bytes,
            ..
        } = &state.op.kind
        else {
            unreachable!("SourceEmit is only scheduled for sources")
        };
        let src = state
            .source
            .as_mut()
            .expect("source instances have source state");
        let now = cx.now();
        let event = DataEvent {
            id: (u64::from(i.0) << 40) | src.next_seq,
            key: keys.sample(&mut src.rng),
            created: now,
            bytes: *event_bytes,
        };
        src.next_seq += 1;
        let next = arrivals.next(now, &mut src.rng, &mut src.phase);
        self.recorder.emitted(now);
        self.ledger
            .emitted(i.index(), event.id & ((1 << crate::metrics::SEQ_BITS) - 1));
        if self.flow.is_some() && self.source_must_wait(i, &event) {
            self.hold_at_source(i, event, now);
        } else {
            self.ingest(i, event, cx);
        }
        cx.schedule_at(next, Event::SourceEmit { instance: i });
    }

    /// Source `i` takes `event` into the system: sends it, or keeps it for replay while it is
    /// down or the job rolls back.
    #[inline(always)]
    fn ingest(&mut self, i: InstanceId, event: DataEvent, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        let state = &mut self.instances[i.index()];
        let src = state
            .source
            .as_mut()
            .expect("source instances have source state");
        let running = state.status == Status::Running && !self.recovering;
        // With checkpoints a source keeps everything since the last one (for rollback);
        // under active replication, which has none, it keeps only what arrives while it is
        // down, resuming from its offset when it restarts.
        let replayable = self.checkpoints.is_some() || !self.groups.is_empty();
        if self.checkpoints.is_some() || (replayable && !running) {
            src.retained.push_back(event);
        }
        if replayable && !running {
            src.unsent += 1;
        }
        if running {
            self.emit(i, event, cx);
        } else if !replayable {
            // The external producers keep producing; a down ingest without a replayable
            // source loses their events. With one, they wait in the source for replay.
            self.recorder.dropped();
            self.ledger.dropped(event.id, event.created, now);
        }
    }

    /// Moves instance `i` to `node` (a failover, a promoted standby).
    fn place(&mut self, i: usize, node: NodeId) {
        self.instances[i].node = node;
        self.node_of[i] = node;
    }

    /// Sends `event` from instance `from` along every output edge of its operator.
    fn emit(&mut self, from: InstanceId, event: DataEvent, cx: &mut Ctx<'_, Event>) {
        let op = self.instances[from.index()].op;
        if op.outputs.len() > 1 {
            // Every extra output edge carries a copy.
            self.recorder.spawned(op.outputs.len() as u64 - 1);
        }
        for (k, &edge_id) in op.outputs.iter().enumerate() {
            let route = &self.edges[edge_id.index()];
            let sender = &mut self.instances[from.index()];
            let target = match (&route.routing, &route.partitioner) {
                (_, Some(p)) => p.route(event.key, route.targets),
                (Routing::Forward, None) => sender.index,
                (_, None) => {
                    let t = sender.next_target[k];
                    // A comparison, not a division: this runs once per event and edge.
                    let next = t + 1;
                    sender.next_target[k] = if next == route.targets.get() { 0 } else { next };
                    t
                }
            };
            if let Some(log) = sender.log.as_mut() {
                log.push(k, target, event);
            }
            let to = InstanceId(route.first_target.0 + target);
            self.send(from, to, event, cx);
        }
    }

    /// Moves `event` from one instance to another, as flow control allows: at once on the
    /// same node, else as a message.
    #[inline(always)]
    fn send_one(
        &mut self,
        from: InstanceId,
        to: InstanceId,
        event: DataEvent,
        cx: &mut Ctx<'_, Event>,
    ) {
        if self.flow.is_some() && !self.admit(from, to, event, cx.now()) {
            return; // waits in the sender's output buffer
        }
        self.transmit(from, to, event, cx);
    }

    /// Puts `event` on its way from one instance to another (flow control has admitted it).
    #[inline(always)]
    fn transmit(
        &mut self,
        from: InstanceId,
        to: InstanceId,
        event: DataEvent,
        cx: &mut Ctx<'_, Event>,
    ) {
        let (a, b) = (self.node_of[from.index()], self.node_of[to.index()]);
        if a == b {
            self.arrive(from, to, event, cx);
        } else {
            let condition = self.link_condition(a, b);
            let (message, at, attempts) = self.channels.send_reliable(
                &self.scenario.cluster.network,
                (a, b),
                (from, to),
                event,
                cx.now(),
                &condition,
            );
            self.network_messages += u64::from(attempts);
            self.network_bytes += u64::from(attempts) * u64::from(event.bytes);
            cx.schedule_at(at, Event::Deliver { message });
        }
    }

    #[inline(always)]
    fn arrive(
        &mut self,
        from: InstanceId,
        i: InstanceId,
        event: DataEvent,
        cx: &mut Ctx<'_, Event>,
    ) {
        let now = cx.now();
        // VOID_BARRIER_ID, VOID_ID and BARRIER_ID are the three largest odd ids: one
        // comparison on the data path.
        if event.id >= VOID_BARRIER_ID {
            self.arrive_marker(from, i, event, cx);
            return;
        }
        let channel = match &self.flow {
            Some(flow) if self.instances[i.index()].op.buffer.is_some() => {
                flow.arrival_channel(from, i)
            }
            _ => NO_CHANNEL,
        };
        let state = &mut self.instances[i.index()];
        if state.status != Status::Running {
            self.recorder.dropped();
            self.ledger.dropped(event.id, event.created, now);
            self.release_if(channel, event.bytes, cx);
            return;
        }
        if let Some(dedup) = state.dedup.as_mut()
            && !dedup.first_copy(event.id, now)
        {
            self.recorder.absorbed(); // a later copy under active replication
            self.release_if(channel, event.bytes, cx);
            return;
        }
        if state.alignment.is_some() && self.aligning_holds(from, i, event, channel, now) {
            return; // its input is blocked by a barrier alignment
        }
        let state = &mut self.instances[i.index()];
        if matches!(state.op.kind, OperatorKind::Sink) {
            self.deliver(i, event, channel, cx);
            return;
        }
        state.queue.push_back(Queued {
            event,
            arrived: now,
            channel,
            from,
        });
        state.enqueued += 1;
        self.recorder.arrival(i.index(), now);
        let node = state.node;
        self.wake(i, node, cx);
    }

    /// Sink `i` delivers `event` (which took credit on `channel`).
    #[inline(always)]
    fn deliver(&mut self, i: InstanceId, event: DataEvent, channel: u32, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        self.recorder.delivered(now, event.created);
        self.ledger.processed(event.id, event.created, now);
        self.sink_write(i, event, now);
        if self.catching_up > 0 {
            if self.local {
                self.instance_caught_up(i, event.created, now);
            } else {
                self.caught_up(event.created, now);
            }
        }
        self.release_if(channel, event.bytes, cx);
    }

    /// A barrier or a voided message reached instance `i`.
    fn arrive_marker(
        &mut self,
        from: InstanceId,
        i: InstanceId,
        event: DataEvent,
        cx: &mut Ctx<'_, Event>,
    ) {
        if event.id == VOID_ID {
            // Sent before a rollback and already counted as dropped; its credit comes back.
            if let Some(flow) = &self.flow
                && self.instances[i.index()].op.buffer.is_some()
            {
                let channel = flow.arrival_channel(from, i);
                self.release_if(channel, event.bytes, cx);
            }
            return;
        }
        if event.id != BARRIER_ID {
            return; // a voided barrier
        }
        if self.barrier_mode != crate::ft::BarrierMode::AtLeastOnce
            && self.instances[i.index()].status == Status::Running
            && self.modal_barrier(from, i, event, cx)
        {
            return;
        }
        let state = &mut self.instances[i.index()];
        if state.status == Status::Running {
            // A hung or snapshotting instance handles the barrier only when it serves
            // again, and a busy one when what it is serving is done: the snapshot must
            // reflect every event before the barrier, or a crash right after the
            // checkpoint completes would lose the one in service.
            if state.queue.is_empty() && state.busy == 0 && !state.hung && !state.paused {
                self.on_barrier(i, event.key, cx);
                self.wake_if_work(i, cx);
            } else {
                state.queue.push_back(Queued {
                    event,
                    arrived: cx.now(),
                    channel: NO_CHANNEL,
                    from,
                });
            }
        }
    }

    /// Returns the credit of an event of `bytes` that took some on `channel`.
    #[inline(always)]
    fn release_if(&mut self, channel: u32, bytes: u32, cx: &mut Ctx<'_, Event>) {
        if channel != NO_CHANNEL {
            self.release(channel, bytes, cx);
        }
    }

    /// Lets instance `i` use free cores of `node`: `make_ready(i)` then `dispatch(node)`, but
    /// while no other instance waits for a core it starts service directly, skipping the
    /// ready-queue round trip (same state changes, same order).
    #[inline(always)]
    fn wake(&mut self, i: InstanceId, node: NodeId, cx: &mut Ctx<'_, Event>) {
        loop {
            let n = &self.nodes[node.index()];
            let s = &self.instances[i.index()];
            if n.free_cores == 0
                || !n.ready.is_empty()
                || s.in_ready
                || !s.serving
                || s.busy >= s.slots.len() as u32
                || s.queue.is_empty()
                || !self.start_service(i, cx)
            {
                break;
            }
            self.nodes[node.index()].free_cores -= 1;
        }
        self.make_ready(i);
        let n = &self.nodes[node.index()];
        if n.free_cores > 0 && !n.ready.is_empty() {
            self.dispatch(node, cx);
        }
    }

    /// Puts instance `i` in its node's ready queue if it has work and a free slot.
    #[inline(always)]
    fn make_ready(&mut self, i: InstanceId) {
        let state = &mut self.instances[i.index()];
        if !state.in_ready
            && state.serving
            && state.busy < state.slots.len() as u32
            && !state.queue.is_empty()
            && !(state.busy > 0
                && state
                    .queue
                    .front()
                    .is_some_and(|q| q.event.id == BARRIER_ID))
        {
            state.in_ready = true;
            self.nodes[state.node.index()].ready.push_back(i);
        }
    }

    /// Hands free cores of `node` to ready instances, first come first served.
    fn dispatch(&mut self, node: NodeId, cx: &mut Ctx<'_, Event>) {
        while self.nodes[node.index()].free_cores > 0 {
            let Some(i) = self.nodes[node.index()].ready.pop_front() else {
                break;
            };
            self.instances[i.index()].in_ready = false;
            if self.start_service(i, cx) {
                self.nodes[node.index()].free_cores -= 1;
            }
            self.make_ready(i);
        }
    }

    /// Starts serving the head of `i`'s queue; false if it has nothing to serve.
    #[inline(always)]
    fn start_service(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) -> bool {
        // Barriers at the head of the queue are handled as they come up (no service time).
        while let Some(front) = self.instances[i.index()].queue.front()
            && front.event.id == BARRIER_ID
        {
            if self.instances[i.index()].busy > 0 {
                return false; // the barrier waits for the events before it to finish
            }
            let key = front.event.key;
            self.instances[i.index()].queue.pop_front();
            self.on_barrier(i, key, cx);
            let s = &self.instances[i.index()];
            if s.paused || s.status != Status::Running {
                return false;
            }
        }
        let state = &self.instances[i.index()];
        let Some(slot) = state.slots.iter().position(Option::is_none) else {
            return false;
        };
        if !self.poison.is_empty()
            && let Some(front) = state.queue.front()
            && self.poison.contains(&front.event.key)
        {
            let (id, created) = (front.event.id, front.event.created);
            if self.poisoned_ids.contains(&id) {
                // Replayed after it crashed the instance once: skipped (dead-letter policy).
                // It goes to the dead-letter queue, which the ledger counts as processed:
                // handled on purpose, not lost.
                let dead = self.instances[i.index()].queue.pop_front();
                if let Some(q) = dead {
                    self.release_if(q.channel, q.event.bytes, cx);
                }
                self.recorder.lost_at_instance(i.index(), cx.now(), 1);
                self.sink_dead_letter(id);
                let logical = self.instances[i.index()].logical.index();
                let replicated = self.groups.get(logical).is_some_and(|g| g.len() > 1);
                self.ledger_absorbed(id, created, replicated, cx.now());
                return self.start_service(i, cx);
            }
            // Processing a poison event crashes the instance.
            self.poisoned_ids.push(id);
            self.crash_instance_locally(i, cx);
            return false;
        }
        let state = &mut self.instances[i.index()];
        let Some(queued) = state.queue.pop_front() else {
            return false;
        };
        let dist = match &state.op.kind {
            OperatorKind::Map { service, .. } | OperatorKind::Window { service, .. } => service,
            OperatorKind::Source { .. } | OperatorKind::Sink => {
                unreachable!("sources and sinks never queue events")
            }
        };
        let mut service = dist.sample(&mut state.rng);
        let node = &self.nodes[state.node.index()];
        let stretch = node.slowdown / node.speed;
        if stretch != 1.0 {
            service = SimDuration::from_nanos_f64(service.as_nanos() as f64 * stretch);
        }
        state.slots[slot] = Some(InService {
            queued,
            service,
            started: cx.now(),
        });
        state.busy += 1;
        cx.schedule_in(
            service,
            Event::ServiceDone {
                instance: i,
                slot: slot as u16,
                epoch: state.epoch,
            },
        );
        true
    }

    fn on_service_done(&mut self, i: InstanceId, slot: u16, epoch: u32, cx: &mut Ctx<'_, Event>) {
        let now = cx.now();
        let state = &mut self.instances[i.index()];
        if epoch != state.epoch {
            return; // served by an incarnation that no longer exists
        }
        let done = state.slots[usize::from(slot)]
            .take()
            .expect("a completion has an event in its slot");
        state.busy -= 1;
        state.served += 1;
        let node = state.node;
        self.nodes[node.index()].free_cores += 1;
        self.recorder
            .departure(i.index(), now, done.queued.arrived, done.service);
        let op = state.op;
        let event = done.queued.event;
        if op.state_bytes_per_key > 0 && matches!(op.kind, OperatorKind::Map { .. }) {
            state.keys.insert(event.key);
            state.peak_keys = state.peak_keys.max(state.keys.len());
        }
        if self.standby_sync_continuous {
            // Log shipping: the standby applies the same input.
            state.applied.push(event.id);
            self.network_messages += 1;
            self.network_bytes += u64::from(event.bytes);
        }
        if self.catching_up > 0 && self.local {
            self.instance_caught_up(i, event.created, now);
        }
        if self.incomplete_copies > 0 {
            self.copies_served_by(i);
        }
        // Copies of one replicated instance all fold the event in: the ledger counts it once.
        let logical = self.instances[i.index()].logical.index();
        let replicated = self.groups.get(logical).is_some_and(|g| g.len() > 1);
        let deterministic = self.sinks.is_some();
        let state = &mut self.instances[i.index()];
        match &op.kind {
            OperatorKind::Map {
                selectivity,
                output_bytes,
                ..
            } => {
                let outputs = if *selectivity == 1.0 {
                    1
                } else {
                    // floor(s) outputs, plus one more with probability frac(s): mean s.
                    let whole = selectivity.floor();
                    // Copies must agree on what an event produces, and so must a replay
                    // behind an exactly-once sink (its aborted output is written again only
                    // if the replay produces it again): they draw from its id.
                    let u = if replicated || deterministic {
                        (splitmix64(event.id ^ 0x5e1e_c71f) >> 11) as f64 / (1u64 << 53) as f64
                    } else {
                        unit_draw(&mut state.rng)
                    };
                    whole as u64 + u64::from(u < selectivity - whole)
                };
                let out = DataEvent {
                    bytes: output_bytes.unwrap_or(event.bytes),
                    ..event
                };
                match outputs {
                    0 => {
                        self.recorder.absorbed();
                        self.ledger_absorbed(event.id, event.created, replicated, now);
                    }
                    n => {
                        self.recorder.spawned(n - 1);
                        self.emit(i, out, cx);
                        for k in 1..n {
                            let copy = DataEvent {
                                id: derived_id(splitmix64(event.id ^ splitmix64(k))),
                                ..out
                            };
                            self.emit(i, copy, cx);
                        }
                    }
                }
            }
            OperatorKind::Window { .. } => {
                state.window.add(&event);
                self.recorder.absorbed();
                self.ledger_absorbed(event.id, event.created, replicated, now);
            }
            OperatorKind::Source { .. } | OperatorKind::Sink => {
                unreachable!("sources and sinks never serve events")
            }
        }
        self.wake(i, node, cx);
        self.release_if(done.queued.channel, event.bytes, cx);
    }

    fn on_window_fire(&mut self, i: InstanceId, cx: &mut Ctx<'_, Event>) {
        let graph = self.graph();
        let state = &mut self.instances[i.index()];
        let OperatorKind::Window {
            size, output_bytes, ..
        } = graph.operator(state.operator).kind
        else {
            unreachable!("WindowFire is only scheduled for windows")
        };
        let window_index = state.window.closed;
        // What it folded in before its last complete barrier now shows downstream.
        state.durable = state.last_barrier;
        state.peak_keys = state.peak_keys.max(state.window.len());
        let operator = state.operator;
        let mut results = std::mem::take(&mut self.scratch);
        results.extend(state.window.drain());
        self.recorder.spawned(results.len() as u64);
        for &(key, created) in &results {
            // Ids depend on (operator, key, window) only, so replicas agree on them.
            let id = derived_id(splitmix64(
                splitmix64(u64::from(operator.0) << 48 ^ window_index) ^ key,
            ));
            self.emit(
                i,
                DataEvent {
                    id,
                    key,
                    created,
                    bytes: output_bytes,
                },
                cx,
            );
        }
        results.clear();
        self.scratch = results;
        cx.schedule_in(size, Event::WindowFire { instance: i });
    }

    /// An input was absorbed; copies of a replicated instance all absorb it, so for them the
    /// ledger only marks it processed (a duplicate would be a second delivery downstream).
    #[inline]
    fn ledger_absorbed(&mut self, id: u64, created: SimTime, replicated: bool, now: SimTime) {
        if replicated {
            self.ledger.mark(id);
        } else {
            self.ledger.processed(id, created, now);
        }
    }

    /// Closes the replication: checks conservation and produces the summary.
    pub fn finish(self, engine: &Engine<Event>) -> Result<ReplicationSummary, SimError> {
        let end = self.scenario.metrics.end;
        self.finish_at(engine, end)
    }

    /// Closes a replication stopped at `end` (its end, or earlier when it outgrew its memory
    /// budget): metrics cover the measurement window up to `end`.
    fn finish_at(
        mut self,
        engine: &Engine<Event>,
        end: SimTime,
    ) -> Result<ReplicationSummary, SimError> {
        if end < self.scenario.metrics.end {
            self.recorder.stop_at(end);
        }
        let graph = self.graph();
        let on_wire = self.channels.in_transit();
        debug_assert_eq!(
            self.channels.messages_in_transit().count() as u64,
            engine
                .queue()
                .pending()
                .filter(|(_, e)| matches!(e, Event::Deliver { .. }))
                .count() as u64,
            "every message on a link has exactly one pending delivery"
        );
        let in_instances: u64 = self
            .instances
            .iter()
            .map(|s| {
                s.queue
                    .iter()
                    .chain(s.alignment.iter().flat_map(|a| a.held()))
                    .filter(|q| q.event.id != BARRIER_ID)
                    .count() as u64
                    + u64::from(s.busy)
            })
            .sum::<u64>()
            + self.flow.as_ref().map_or(0, |f| f.held().count() as u64);
        if let Err(e) = self.check_credits() {
            return Err(SimError::CreditsViolated(e));
        }
        // Events waiting in a source for their first send (they arrived while it was down).
        let awaiting: u64 = self
            .instances
            .iter()
            .filter_map(|s| s.source.as_ref())
            .map(|src| src.unsent)
            .sum();
        // Everything that may still be processed: for the ledger's loss count.
        let mut pending: Vec<u64> = Vec::new();
        for s in &self.instances {
            pending.extend(s.queue.iter().map(|q| q.event.id));
            pending.extend(
                s.alignment
                    .iter()
                    .flat_map(|a| a.held())
                    .map(|q| q.event.id),
            );
            // In-flight data of unaligned snapshots: a rollback restores it.
            pending.extend(s.inflight.iter().flat_map(|(_, f)| f.ids()));
            pending.extend(s.slots.iter().flatten().map(|x| x.queued.event.id));
            if let Some(src) = &s.source {
                pending.extend(src.retained.iter().map(|e| e.id));
            }
            if let Some(log) = &s.log {
                pending.extend(log.events().map(|e| e.id));
            }
        }
        pending.extend(self.channels.messages_in_transit().map(|e| e.id));
        if let Some(flow) = &self.flow {
            pending.extend(flow.held().map(|e| e.id));
        }
        // Cut off the wire, waiting for their sender's replacement to send them again.
        pending.extend(self.resend.iter().map(|&(_, _, e)| e.id));
        pending.extend(self.sink_pending());
        let mut losses = self.ledger.losses(&pending, end);
        pending.sort_unstable();
        losses.extend(
            self.sink_losses(&pending)
                .into_iter()
                .map(|(_, created, at)| (created, at)),
        );
        losses.sort_unstable();
        let lost = losses.len() as u64;
        // Service still in progress at the end is busy time too (otherwise utilisation and
        // CPU-seconds would lose about ρ·E[S] per instance).
        for (i, s) in self.instances.iter().enumerate() {
            for slot in s.slots.iter().flatten() {
                self.recorder.busy_until_end(i, slot.started);
            }
        }
        let (completed, aborted) = self.checkpoints.as_ref().map_or((0, 0), |c| c.counts());
        let window_s = self.recorder.window_s();
        let mut operator_metrics = Vec::new();
        for op in &graph.operators {
            if matches!(op.kind, OperatorKind::Source { .. } | OperatorKind::Sink) {
                continue;
            }
            let loads: Vec<u64> = op
                .instances()
                .map(|i| self.recorder.queues()[i.index()].processed)
                .collect();
            let busy: f64 = op
                .instances()
                .map(|i| self.recorder.queues()[i.index()].busy_s())
                .sum();
            operator_metrics.push((format!("load_skew_{}", op.name), skew(&loads)));
            operator_metrics.push((
                format!("utilisation_{}", op.name),
                busy / (window_s * f64::from(op.parallelism) * f64::from(op.threads)),
            ));
            if op.state_bytes_per_key > 0 {
                let keys: usize = op
                    .instances()
                    .map(|i| self.instances[i.index()].peak_keys)
                    .sum();
                operator_metrics.push((
                    format!("state_bytes_peak_{}", op.name),
                    (keys as u64 * op.state_bytes_per_key) as f64,
                ));
            }
        }
        operator_metrics.push(("events_lost".to_string(), lost as f64));
        operator_metrics.push((
            "events_duplicated".to_string(),
            self.ledger.duplicates() as f64,
        ));
        operator_metrics.push(("checkpoints_completed".to_string(), f64::from(completed)));
        operator_metrics.push(("checkpoints_aborted".to_string(), f64::from(aborted)));
        operator_metrics.push(("checkpoint_bytes".to_string(), self.checkpoint_bytes as f64));
        if let Some(c) = self.checkpoints.as_ref() {
            operator_metrics.extend(checkpoint_metrics(
                c,
                &self.alignment_times,
                (self.checkpoint_bytes, self.checkpoint_inflight_bytes),
                self.checkpoint_failovers,
            ));
        }
        operator_metrics.push((
            "cost_bytes".to_string(),
            (self.network_bytes + self.checkpoint_bytes) as f64,
        ));
        let cpu_s: f64 = self.recorder.queues().iter().map(|q| q.busy_s()).sum();
        operator_metrics.push(("cpu_seconds".to_string(), cpu_s));
        operator_metrics.push(("control_messages".to_string(), self.control_messages as f64));
        operator_metrics.push(("network_messages".to_string(), self.network_messages as f64));
        operator_metrics.push(("network_bytes".to_string(), self.network_bytes as f64));
        operator_metrics.extend(self.flow_metrics(end, window_s));
        operator_metrics.extend(self.sink_metrics());
        let visible_duplicates = self.visible_duplicate_times().to_vec();
        let mut summary = self.recorder.finish(
            on_wire + in_instances + awaiting,
            operator_metrics,
            engine.processed(),
        );
        summary.unblamed = crate::metrics::blame(
            &mut summary.episodes,
            &losses,
            self.ledger.duplicate_times(),
            &visible_duplicates,
        );
        if summary.conservation.holds() {
            Ok(summary)
        } else {
            Err(SimError::ConservationViolated(summary.conservation))
        }
    }
}

/// Nearest-rank quantile `q` of sorted `xs` (0 when empty).
fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let k = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[k - 1]
}

/// Checkpoint durations, alignment times, bytes by kind, expiries and failovers.
fn checkpoint_metrics(
    c: &CheckpointCoordinator,
    alignment_s: &[f64],
    (bytes, inflight): (u64, u64),
    failovers: u32,
) -> Vec<(String, f64)> {
    let mut d = c.durations().to_vec();
    d.sort_by(f64::total_cmp);
    let mut a = alignment_s.to_vec();
    a.sort_by(f64::total_cmp);
    let mean = |xs: &[f64]| {
        if xs.is_empty() {
            0.0
        } else {
            xs.iter().sum::<f64>() / xs.len() as f64
        }
    };
    vec![
        (
            "checkpoint_state_bytes".to_string(),
            (bytes - inflight) as f64,
        ),
        ("checkpoint_inflight_bytes".to_string(), inflight as f64),
        ("checkpoint_duration_mean_s".to_string(), mean(&d)),
        ("checkpoint_duration_p50_s".to_string(), quantile(&d, 0.5)),
        ("checkpoint_duration_p99_s".to_string(), quantile(&d, 0.99)),
        (
            "checkpoint_duration_max_s".to_string(),
            d.last().copied().unwrap_or(0.0),
        ),
        ("alignment_mean_ms".to_string(), mean(&a) * 1e3),
        ("alignment_p99_ms".to_string(), quantile(&a, 0.99) * 1e3),
        ("checkpoints_expired".to_string(), f64::from(c.expired())),
        ("checkpoint_failovers".to_string(), f64::from(failovers)),
    ]
}

impl Handler<Event> for World<'_> {
    #[inline(always)]
    fn handle(&mut self, event: Event, cx: &mut Ctx<'_, Event>) {
        match event {
            Event::SourceEmit { instance } => self.on_source_emit(instance, cx),
            Event::Deliver { message } => {
                let (from, to, event) = self.channels.receive(message);
                self.arrive(from, to, event, cx)
            }
            Event::Credit { channel } => self.on_credit(channel, cx),
            Event::AlignmentTimeout {
                instance,
                checkpoint,
            } => self.on_alignment_timeout(instance, checkpoint, cx),
            Event::CheckpointExpire { checkpoint } => self.on_checkpoint_expire(checkpoint, cx),
            Event::CheckpointDeferred => self.try_start_checkpoint(cx),
            Event::ServiceDone {
                instance,
                slot,
                epoch,
            } => self.on_service_done(instance, slot, epoch, cx),
            Event::WindowFire { instance } => self.on_window_fire(instance, cx),
            Event::Fault { index } => self.on_fault(index, cx),
            Event::HeartbeatTick { node, incarnation } => {
                self.on_heartbeat_tick(node, incarnation, cx)
            }
            Event::HeartbeatArrive { from } => self.on_heartbeat_arrive(from, cx),
            Event::SuspectTimeout { node, generation } => {
                self.on_suspect_timeout(node, generation, cx)
            }
            Event::RestartDone { instance, epoch } => self.on_restart_done(instance, epoch, cx),
            Event::CheckpointTick => self.on_checkpoint_tick(cx),
            Event::CheckpointTrigger {
                instance,
                checkpoint,
            } => self.on_checkpoint_trigger(instance, checkpoint, cx),
            Event::SnapshotDone {
                instance,
                epoch,
                checkpoint,
            } => self.on_snapshot_done(instance, epoch, checkpoint, cx),
            Event::CheckpointAck {
                instance,
                checkpoint,
            } => self.on_checkpoint_ack(instance, checkpoint, cx),
            Event::WatchdogCheck { checkpoint } => self.on_watchdog_check(checkpoint, cx),
            Event::SinkCommit {
                instance,
                checkpoint,
            } => self.on_sink_commit(instance, checkpoint, cx.now()),
        }
        if let Some(flow) = &self.flow
            && flow.has_recheck()
        {
            self.flow_recheck(cx);
        }
    }
}

/// Runs replication `replication` of variant number `variant` of `scenario` to its end, with
/// no memory budget. `progress` is called with the simulated time covered since its last
/// call, for progress bars; it cannot affect results.
pub fn run_replication(
    scenario: &Scenario,
    variant: usize,
    master_seed: u64,
    replication: u32,
    progress: &(dyn Fn(SimDuration) + Sync),
) -> Result<ReplicationSummary, SimError> {
    run_replication_within(scenario, variant, master_seed, replication, None, progress)
        .map(|(summary, _)| summary)
}
