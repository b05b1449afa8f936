//! The pending-event set, ordered by (time, insertion sequence).
//!
//! Equal-time events come out first-in, first-out, so the order never depends on heap
//! internals and a run is a pure function of its inputs.

use super::SimTime;

/// Pending events, earliest first; events at equal times come out in the order they were pushed.
///
/// A binary min-heap written out rather than `std`'s `BinaryHeap<Reverse<_>>`: the ordering
/// key (time, sequence) is packed into one `u128`, so each comparison is a single integer
/// compare, and popping a small heap does no redundant work. The kernel spends about a fifth
/// of its time here.
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    next_seq: u64,
}

struct Entry<E> {
    /// `time << 64 | sequence`: orders by time, then by insertion.
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn at(&self) -> SimTime {
        SimTime::from_nanos((self.key >> 64) as u64)
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
            heap: Vec::with_capacity(capacity),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `at`.
    #[inline]
    pub fn push(&mut self, at: SimTime, event: E) {
        let key = (u128::from(at.as_nanos()) << 64) | u128::from(self.next_seq);
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
        // Sift up.
        let mut i = self.heap.len() - 1;
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.heap[i].key >= self.heap[parent].key {
                break;
            }
            self.heap.swap(i, parent);
            i = parent;
        }
    }

    /// Removes the earliest event if it is due at or before `horizon`.
    #[inline]
    pub fn pop_due(&mut self, horizon: SimTime) -> Option<(SimTime, E)> {
        if self.heap.first()?.at() > horizon {
            return None;
        }
        let last = self.heap.pop().expect("checked non-empty above");
        let top = if self.heap.is_empty() {
            last
        } else {
            let top = std::mem::replace(&mut self.heap[0], last);
            self.sift_down_root();
            top
        };
        Some((top.at(), top.event))
    }

    #[inline]
    fn sift_down_root(&mut self) {
        let n = self.heap.len();
        let mut i = 0;
        loop {
            let left = 2 * i + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.heap[right].key < self.heap[left].key {
                right
            } else {
                left
            };
            if self.heap[child].key >= self.heap[i].key {
                break;
            }
            self.heap.swap(i, child);
            i = child;
        }
    }

    /// Time of the earliest pending event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.first().map(Entry::at)
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
        self.heap.iter().map(|e| (e.at(), &e.event))
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

    /// Differential test with pushes and pops interleaved, as in a simulation: the queue must
    /// always release the (time, push order)-smallest pending event, like a naive linear scan.
    #[test]
    fn interleaved_pushes_and_pops_match_a_naive_queue() {
        for seed in 0..50u64 {
            let mut rng = SimRng::seed_from_u64(seed);
            let mut queue = EventQueue::new();
            let mut naive: Vec<(SimTime, u64, u32)> = Vec::new();
            let mut seq = 0u64;
            let mut now = 0u64;
            for id in 0..3000u32 {
                if rng.next_u64() % 3 != 0 {
                    let at = SimTime::from_nanos(now + rng.next_u64() % 50);
                    queue.push(at, id);
                    naive.push((at, seq, id));
                    seq += 1;
                } else if let Some(k) = (0..naive.len()).min_by_key(|&k| (naive[k].0, naive[k].1)) {
                    let (at, _, id) = naive.remove(k);
                    assert_eq!(queue.pop_due(SimTime::NEVER), Some((at, id)), "seed {seed}");
                    now = at.as_nanos();
                } else {
                    assert_eq!(queue.pop_due(SimTime::NEVER), None);
                }
                assert_eq!(queue.len(), naive.len());
            }
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
