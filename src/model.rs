//! The simulated system's vocabulary: nodes and network, the dataflow graph of operators and
//! their instances, workload generators and the probability distributions they draw from.
//!
//! Everything here is plain data built once per scenario (by `scenario`) and shared read-only
//! by every replication; the mutable per-replication state lives in `world`. Units: time in
//! [`SimDuration`](crate::sim::SimDuration) nanoseconds, sizes in bytes, rates per second.

mod cluster;
mod dist;
mod graph;
mod ids;
mod workload;

pub use cluster::{Cluster, Link, Network, Node};
pub use dist::DurationDist;
pub(crate) use dist::unit_f64 as unit_draw;
pub use graph::{Capacity, Edge, Graph, Instance, Operator, OperatorKind, Routing};
pub use ids::{EdgeId, InstanceId, NodeId, OperatorId};
pub use workload::{ArrivalPhase, ArrivalProcess, DataEvent, KeyDist, SourcePressure};
