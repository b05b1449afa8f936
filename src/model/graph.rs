//! The dataflow graph: operators, the edges between them and the parallel instances that run
//! them, each placed on a node.

use super::{
    ArrivalProcess, DurationDist, EdgeId, InstanceId, KeyDist, NodeId, OperatorId, SourcePressure,
};
use crate::sim::SimDuration;

/// What an operator does with events.
#[derive(Clone, Debug)]
pub enum OperatorKind {
    /// Emits events; has no inputs and uses no core (it stands for external producers).
    Source {
        /// Arrivals at each instance (the scenario's total rate divided by parallelism).
        arrivals: ArrivalProcess,
        /// Key of each event.
        keys: KeyDist,
        /// Size of each event \[bytes\].
        event_bytes: u32,
        /// What happens to events it cannot send yet (bounded buffers only).
        pressure: SourcePressure,
    },
    /// Stateless per-event processing: each input takes one service time and yields
    /// `selectivity` outputs on average (0.3: a filter passing 30 %; 2.5: a flat-map).
    Map {
        /// Service time per input event, before the node's speed factor.
        service: DurationDist,
        /// Mean number of outputs per input.
        selectivity: f64,
        /// Size of outputs \[bytes\]; `None` keeps the input's size.
        output_bytes: Option<u32>,
    },
    /// Keyed tumbling processing-time window: each input takes one service time and is folded
    /// into its key's aggregate; at every multiple of `size` one result per key seen is emitted.
    Window {
        /// Window length.
        size: SimDuration,
        /// Service time per input event, before the node's speed factor.
        service: DurationDist,
        /// Size of each result \[bytes\].
        output_bytes: u32,
    },
    /// The external consumer: an event is delivered when it reaches a sink instance.
    Sink,
}

impl OperatorKind {
    /// Short lowercase name for reports.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Source { .. } => "source",
            Self::Map { .. } => "map",
            Self::Window { .. } => "window",
            Self::Sink => "sink",
        }
    }
}

/// How an edge chooses the downstream instance of each event.
#[derive(Clone, Debug, PartialEq)]
pub enum Routing {
    /// Instance i sends to instance i (equal parallelism).
    Forward,
    /// Round robin over downstream instances, per sending instance.
    Rebalance,
    /// Logical partition `hash(key) mod n`, one per downstream instance.
    Hash,
    /// `hash(key) mod groups` key groups, assigned to instances in contiguous ranges.
    KeyGroups {
        /// Number of key groups (logical partitions).
        groups: u32,
    },
    /// Instance i receives keys in [bounds\[i−1\], bounds\[i\]).
    Range {
        /// Strictly increasing upper bounds, one fewer than the downstream instances.
        bounds: Vec<u64>,
    },
}

/// A connection from one operator's output to another's input.
#[derive(Clone, Debug)]
pub struct Edge {
    /// Upstream operator.
    pub from: OperatorId,
    /// Downstream operator.
    pub to: OperatorId,
    /// How events are routed to downstream instances.
    pub routing: Routing,
}

/// One operator of the graph.
#[derive(Clone, Debug)]
pub struct Operator {
    /// Unique name from the scenario.
    pub name: String,
    /// Behaviour.
    pub kind: OperatorKind,
    /// Its instances: `first_instance .. first_instance + parallelism`.
    pub first_instance: InstanceId,
    /// Number of parallel instances.
    pub parallelism: u32,
    /// How many events one instance may service at the same time (each needs a core).
    pub threads: u32,
    /// State kept per distinct key seen \[bytes\]; feeds state size, and from the fault
    /// tolerance issue on, snapshot and restore times.
    pub state_bytes_per_key: u64,
    /// Edges leaving this operator, in declaration order.
    pub outputs: Vec<EdgeId>,
    /// Capacity of each input channel; `None`: unbounded.
    pub buffer: Option<Capacity>,
}

/// Capacity of a bounded input channel, in credits: what a sender may have outstanding to one
/// receiver (on the wire, queued there or in service).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capacity {
    /// Events: every event takes one credit.
    Events(u32),
    /// Bytes: an event takes its size in credits.
    Bytes(u64),
}

impl Capacity {
    /// All credits of an empty channel.
    pub fn credits(self) -> u64 {
        match self {
            Self::Events(n) => u64::from(n),
            Self::Bytes(n) => n,
        }
    }

    /// Credits an event of `bytes` bytes takes (an event larger than the whole buffer
    /// takes all of it, so it passes when the buffer is empty).
    #[inline]
    pub fn units(self, bytes: u32) -> u64 {
        match self {
            Self::Events(_) => 1,
            Self::Bytes(n) => u64::from(bytes).min(n),
        }
    }
}

impl Operator {
    /// The instance ids of this operator.
    pub fn instances(&self) -> impl Iterator<Item = InstanceId> + use<> {
        let first = self.first_instance.0;
        (first..first + self.parallelism).map(InstanceId)
    }

    /// The id of this operator's instance number `index`.
    #[inline]
    pub fn instance(&self, index: u32) -> InstanceId {
        debug_assert!(index < self.parallelism);
        InstanceId(self.first_instance.0 + index)
    }
}

/// One parallel instance of an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    /// Its operator.
    pub operator: OperatorId,
    /// Its index among the operator's instances.
    pub index: u32,
    /// Where it runs.
    pub node: NodeId,
}

/// A validated directed acyclic dataflow graph.
#[derive(Clone, Debug)]
pub struct Graph {
    /// Operators in declaration order, which is also a topological order.
    pub operators: Vec<Operator>,
    /// Edges in declaration order.
    pub edges: Vec<Edge>,
    /// All instances, operator by operator.
    pub instances: Vec<Instance>,
}

impl Graph {
    /// The operator called `name`.
    pub fn operator_named(&self, name: &str) -> Option<OperatorId> {
        self.operators
            .iter()
            .position(|o| o.name == name)
            .map(|i| OperatorId(i as u16))
    }

    /// The operator with id `id`.
    #[inline]
    pub fn operator(&self, id: OperatorId) -> &Operator {
        &self.operators[id.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::Capacity;

    #[test]
    fn an_event_capacity_counts_one_credit_per_event_whatever_its_size() {
        let c = Capacity::Events(8);
        assert_eq!(c.credits(), 8);
        for bytes in [0, 1, 8, 9, 64, u32::MAX] {
            assert_eq!(c.units(bytes), 1, "{bytes} bytes");
        }
    }

    #[test]
    fn a_byte_capacity_counts_an_events_bytes_up_to_the_whole_buffer() {
        let c = Capacity::Bytes(100);
        assert_eq!(c.credits(), 100);
        assert_eq!(c.units(0), 0);
        assert_eq!(c.units(1), 1);
        assert_eq!(c.units(64), 64);
        assert_eq!(c.units(100), 100);
        // Larger than the buffer: it takes all of it, so it passes an empty channel.
        assert_eq!(c.units(101), 100);
        assert_eq!(c.units(u32::MAX), 100);
        let tiny = Capacity::Bytes(1);
        assert_eq!(tiny.units(200), tiny.credits());
    }
}
