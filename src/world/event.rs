//! Every cause of change in a replication, one variant each.

use super::channel::LinkId;
use crate::model::InstanceId;

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
