//! Every cause of change in a replication, one variant each.

use super::channel::MessageId;
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
    /// A data message arrives (its payload waits in the channels' slot, which keeps this
    /// event small).
    Deliver {
        /// The message.
        message: MessageId,
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
        /// The node's incarnation when the tick was armed; a crash and repair start a new
        /// heartbeat chain, and the old chain's ticks are stale.
        incarnation: u32,
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
    /// The coordinator's checkpoint timer fires.
    CheckpointTick,
    /// A checkpoint trigger reaches a source.
    CheckpointTrigger {
        /// The source instance.
        instance: InstanceId,
        /// Checkpoint number.
        checkpoint: u32,
    },
    /// An instance finished writing its snapshot.
    SnapshotDone {
        /// The instance.
        instance: InstanceId,
        /// Its epoch when the snapshot started; stale if it crashed meanwhile.
        epoch: u32,
        /// Checkpoint number.
        checkpoint: u32,
    },
    /// A snapshot acknowledgement reaches the coordinator.
    CheckpointAck {
        /// The acknowledging instance.
        instance: InstanceId,
        /// Checkpoint number.
        checkpoint: u32,
    },
    /// The checkpoint-progress watchdog looks at a checkpoint it started.
    WatchdogCheck {
        /// Checkpoint number.
        checkpoint: u32,
    },
    /// The aligned-barrier timeout of a checkpoint expires at an instance.
    AlignmentTimeout {
        /// The instance.
        instance: InstanceId,
        /// Checkpoint number.
        checkpoint: u32,
    },
    /// A checkpoint's timeout: it expires unless complete.
    CheckpointExpire {
        /// Checkpoint number.
        checkpoint: u32,
    },
    /// A checkpoint held back by the least pause between checkpoints may start.
    CheckpointDeferred,
    /// A flow-control credit announcement reaches the sender of a bounded channel.
    Credit {
        /// The channel (see `world::flow`).
        channel: u32,
    },
    /// The coordinator's notice that a checkpoint completed reaches a sink (it commits).
    SinkCommit {
        /// The sink instance.
        instance: InstanceId,
        /// Checkpoint number.
        checkpoint: u32,
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
