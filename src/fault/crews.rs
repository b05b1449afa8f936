//! Repair crews shared by the nodes of one fault model.
//!
//! A failed node is repaired by one crew. With `c` crews at most `c` repairs are in progress at
//! once; a node that fails while every crew is busy waits, first failed first served (the
//! fault models hand failures over in time order, ties by node order, so arrival order is
//! that order), and its repair time is drawn when a crew takes it. Without a limit every
//! failed node is repaired at once, the plain alternating renewal process.

use std::collections::VecDeque;

/// The crews of one fault model: how many are busy and which failed nodes wait for one.
#[derive(Clone, Debug, Default)]
pub(super) struct RepairCrews {
    /// Crews; `None`: as many as there are nodes, so no node ever waits.
    crews: Option<u32>,
    busy: u32,
    /// Failed nodes (indices into the model's node list) waiting for a crew, oldest first.
    waiting: VecDeque<usize>,
}

impl RepairCrews {
    /// `crews` crews, or one per node when `None`.
    pub(super) fn new(crews: Option<u32>) -> Self {
        Self {
            crews,
            busy: 0,
            waiting: VecDeque::new(),
        }
    }

    /// Node `k` failed: whether a crew starts its repair now (otherwise it queues).
    pub(super) fn failed(&mut self, k: usize) -> bool {
        if self.crews.is_none_or(|c| self.busy < c) {
            self.busy += 1;
            true
        } else {
            self.waiting.push_back(k);
            false
        }
    }

    /// A repair finished: the waiting node whose repair its crew starts now, if any.
    pub(super) fn finished(&mut self) -> Option<usize> {
        self.busy -= 1;
        let next = self.waiting.pop_front()?;
        self.busy += 1;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_crew_serves_failures_first_come_first_served() {
        let mut crews = RepairCrews::new(Some(1));
        assert!(crews.failed(2));
        assert!(!crews.failed(0));
        assert!(!crews.failed(1));
        assert_eq!(crews.finished(), Some(0));
        assert_eq!(crews.finished(), Some(1));
        assert_eq!(crews.finished(), None);
        assert!(crews.failed(1), "the crew is free again");
    }

    #[test]
    fn without_a_limit_nobody_waits() {
        let mut crews = RepairCrews::new(None);
        for k in 0..100 {
            assert!(crews.failed(k));
        }
        assert_eq!(crews.finished(), None);
    }
}
