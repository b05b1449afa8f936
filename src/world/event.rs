//! Every cause of change in a replication, one variant each.

use super::channel::LinkId;
use crate::model::{InstanceId, NodeId};

/// A kernel event of the dataflow world. Kept small (12 bytes) and `Copy`: the queue moves
/// millions of them and none may allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A source instance emits its next event.
    SourceEmit {
        /// The source instance.
        instance: InstanceId,
    },
    /// The oldest data message on a link arrives (the link's FIFO queue holds the payload,
    /// which keeps this event small).
    Deliver {
        /// The link.
        link: LinkId,
    },
    /// An instance finishes serving the event in one of its service slots.
    ServiceDone {
        /// The serving instance.
        instance: InstanceId,
        /// Which of its `threads` slots.
        slot: u16,
        /// The instance's epoch when service started; a stale epoch (the instance was
        /// restarted since) makes the completion void.
        epoch: u32,
    },
    /// A window instance closes its current window and emits one result per key.
    WindowFire {
        /// The window instance.
        instance: InstanceId,
    },
    /// The fault at this index of the replication's fault plan happens.
    Fault {
        /// Index into the plan.
        index: u32,
    },
    /// A node's heartbeat timer fires: it sends a heartbeat to the coordinator.
    HeartbeatTick {
        /// The sending node.
        node: NodeId,
    },
    /// A heartbeat datagram reaches the coordinator.
    HeartbeatArrive {
        /// The node that sent it.
        from: NodeId,
    },
    /// A suspicion deadline armed after a heartbeat expires; stale if a later heartbeat
    /// re-armed it (its generation moved on).
    SuspectTimeout {
        /// The watched node.
        node: NodeId,
        /// The detector's generation for that node when the timer was armed (low 32 bits).
        generation: u32,
    },
    /// A replacement instance finished starting.
    RestartDone {
        /// The instance.
        instance: InstanceId,
        /// Its epoch when the restart began; stale if it crashed again meanwhile.
        epoch: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stay_small() {
        assert!(
            std::mem::size_of::<Event>() <= 40,
            "{}",
            std::mem::size_of::<Event>()
        );
    }
}
