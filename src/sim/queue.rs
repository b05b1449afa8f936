//! The pending-event set, ordered by (time, insertion sequence).
//!
//! Equal-time events come out first-in, first-out, so the order never depends on heap
//! internals and a run is a pure function of its inputs.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::SimTime;

/// Pending events, earliest first; events at equal times come out in the order they were pushed.
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    next_seq: u64,
}

struct Entry<E> {
    at: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `capacity` pending events before it reallocates.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            heap: BinaryHeap::with_capacity(capacity),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `at`.
    #[inline]
    pub fn push(&mut self, at: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Entry { at, seq, event }));
    }

    /// Removes the earliest event if it is due at or before `horizon`.
    #[inline]
    pub fn pop_due(&mut self, horizon: SimTime) -> Option<(SimTime, E)> {
        if self.heap.peek()?.0.at > horizon {
            return None;
        }
        self.heap.pop().map(|Reverse(e)| (e.at, e.event))
    }

    /// Time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.0.at)
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Pending events in no particular order: for end-of-run accounting (e.g. counting
    /// messages still on the wire), never for anything that feeds back into the simulation.
    pub fn pending(&self) -> impl Iterator<Item = (SimTime, &E)> {
        self.heap.iter().map(|e| (e.0.at, &e.0.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimRng;
    use rand::{Rng, SeedableRng};

    /// Differential test: the queue must produce exactly the order of a stable sort by time.
    #[test]
    fn pops_in_the_order_of_a_stable_sort_by_time() {
        for seed in 0..50u64 {
            let mut rng = SimRng::seed_from_u64(seed);
            let mut queue = EventQueue::new();
            let mut reference = Vec::new();
            for id in 0..500u32 {
                // Few distinct times, so ties are common.
                let at = SimTime::from_nanos(rng.next_u64() % 40);
                queue.push(at, id);
                reference.push((at, id));
            }
            reference.sort_by_key(|&(at, _)| at); // stable: equal times keep push order
            let popped: Vec<_> = std::iter::from_fn(|| queue.pop_due(SimTime::NEVER)).collect();
            assert_eq!(popped, reference, "seed {seed}");
        }
    }

    #[test]
    fn pop_due_respects_the_horizon() {
        let mut queue = EventQueue::new();
        queue.push(SimTime::from_nanos(5), 'a');
        queue.push(SimTime::from_nanos(10), 'b');
        assert_eq!(
            queue.pop_due(SimTime::from_nanos(7)),
            Some((SimTime::from_nanos(5), 'a'))
        );
        assert_eq!(queue.pop_due(SimTime::from_nanos(7)), None);
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.peek_time(), Some(SimTime::from_nanos(10)));
    }
}
