//! Machines and the network between them.
//!
//! A node has cores shared by the operator instances placed on it and a speed factor that
//! divides every service time drawn there. The network is a matrix of directed links, each
//! with a latency distribution, a bandwidth (serialisation delay = size / bandwidth, one
//! message at a time per link) and a loss probability. Data and control channels are reliable
//! and FIFO, so loss shows up as retransmission delay; datagrams (heartbeats, from the fault
//! tolerance issue on) are simply dropped.

use super::{DurationDist, NodeId};
use crate::sim::SimDuration;

/// One machine.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Name used by placements and reports, e.g. `worker2`.
    pub name: String,
    /// Cores: how many service operations can run on this node at once.
    pub cores: u32,
    /// Speed factor: a service time drawn as t runs for t / speed here.
    pub speed: f64,
}

/// Properties of one directed link.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// Propagation and stack latency of one transmission.
    pub latency: DurationDist,
    /// Bandwidth \[bytes per second\]; `f64::INFINITY` means no serialisation delay.
    pub bytes_per_s: f64,
    /// Probability that one transmission is lost.
    pub loss: f64,
    /// Time after which a reliable channel resends a lost transmission.
    pub retransmit_timeout: SimDuration,
}

impl Link {
    /// Time to put `bytes` on the wire.
    #[inline]
    pub fn serialisation(&self, bytes: u32) -> SimDuration {
        if self.bytes_per_s.is_infinite() {
            SimDuration::ZERO
        } else {
            SimDuration::from_secs_f64(f64::from(bytes) / self.bytes_per_s)
        }
    }
}

/// The links between every ordered pair of nodes. Distinct link settings are stored once
/// and referenced from an n×n matrix, so a large uniform cluster costs two bytes per pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    classes: Vec<Link>,
    class_of: Vec<u16>,
    nodes: usize,
}

impl Network {
    /// Every pair of distinct nodes connected by `default`.
    pub fn uniform(nodes: usize, default: Link) -> Self {
        Self {
            classes: vec![default],
            class_of: vec![0; nodes * nodes],
            nodes,
        }
    }

    /// Replaces the link from `from` to `to`.
    pub fn set_link(&mut self, from: NodeId, to: NodeId, link: Link) {
        let class = match self.classes.iter().position(|c| *c == link) {
            Some(i) => i,
            None => {
                self.classes.push(link);
                self.classes.len() - 1
            }
        };
        self.class_of[from.index() * self.nodes + to.index()] =
            u16::try_from(class).expect("fewer than 65 536 distinct link settings");
    }

    /// The link from `from` to `to`.
    #[inline]
    pub fn link(&self, from: NodeId, to: NodeId) -> &Link {
        // A uniform network (no override, the common case) never reads the n×n matrix:
        // in a cluster of hundreds of nodes each read would be a cache miss per message.
        if self.classes.len() == 1 {
            return &self.classes[0];
        }
        &self.classes[usize::from(self.class_of[from.index() * self.nodes + to.index()])]
    }
}

/// Nodes and the network that joins them.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// Nodes in declaration order; `NodeId(i)` is `nodes\[i\]`.
    pub nodes: Vec<Node>,
    /// Links between them.
    pub network: Network,
}

impl Cluster {
    /// The node called `name`.
    pub fn node_named(&self, name: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| NodeId(i as u32))
    }
}
