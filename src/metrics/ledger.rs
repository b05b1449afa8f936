//! Per-source-event accounting of loss and duplicates.
//!
//! Every event a source creates gets one bit, indexed by (source instance, sequence number).
//! The bit is set when the event is *processed*: delivered at a sink, filtered by a map, or
//! folded into a window. Processing an event whose bit is already set is a duplicate. At the
//! end of a run, an event that was emitted but whose bit is clear, and that is not still
//! pending (queued, on the wire, in service, or retained by its source for replay), is lost.
//! Derived events (a flat-map's extra outputs, window results) are not in the ledger: their
//! fate follows from their inputs'. Memory: one bit per source event.
//!
//! So that a loss or a duplicate can be blamed on the recovery episode that caused it, the
//! ledger also keeps *when*: every drop of a source event (a crash destroying its queue, a
//! message to a down instance, a voided message) as (id, time), and the time of every
//! duplicate. Both happen only under faults; a lost event is dated by its last drop (or the
//! end of the run if it was never dropped: something else destroyed it).
//!
//! A scenario without faults runs with the ledger off: nothing can be dropped or replayed
//! there (conservation shows `dropped = 0`), so it would only cost time on the hot path; it
//! then reports no loss and no duplicate.

use crate::sim::SimTime;

/// Bit 63 marks a derived event id (outside the ledger).
pub const DERIVED_ID: u64 = 1 << 63;
/// Source event ids are `instance << SEQ_BITS | sequence`.
pub const SEQ_BITS: u32 = 40;

/// The (instance, sequence) of a source event id, or `None` for derived ids.
#[inline]
pub fn source_of(id: u64) -> Option<(usize, u64)> {
    (id & DERIVED_ID == 0).then_some(((id >> SEQ_BITS) as usize, id & ((1 << SEQ_BITS) - 1)))
}

/// Which source events were processed, and how often more than once.
#[derive(Clone, Debug, Default)]
pub struct DeliveryLedger {
    /// Per source instance (indexed by instance id): processed bits by sequence number.
    processed: Vec<Vec<u64>>,
    /// Per source instance: events emitted.
    emitted: Vec<u64>,
    duplicates: u64,
    /// Every drop of a source event: (id, its creation, the drop), in time order.
    drops: Vec<(u64, SimTime, SimTime)>,
    /// Each duplicate: (its creation, when it was processed again), in time order.
    duplicate_times: Vec<(SimTime, SimTime)>,
    enabled: bool,
}

impl DeliveryLedger {
    /// A ledger for a graph with `instances` instances (sources among them).
    pub fn new(instances: usize) -> Self {
        Self {
            processed: vec![Vec::new(); instances],
            emitted: vec![0; instances],
            duplicates: 0,
            drops: Vec::new(),
            duplicate_times: Vec::new(),
            enabled: true,
        }
    }

    /// A ledger that records nothing (for runs without faults).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Reserves room for `events` events of source instance `instance`, so that recording
    /// them allocates nothing in steady state.
    pub fn reserve(&mut self, instance: usize, events: u64) {
        if !self.enabled {
            return;
        }
        // Capped (8 MiB): beyond that the bitset grows by doubling, a handful of times.
        self.processed[instance].reserve(events.div_ceil(64).min(1 << 20) as usize);
    }

    /// A source emitted the event with sequence `seq` (sequences count up from 0).
    #[inline]
    pub fn emitted(&mut self, instance: usize, seq: u64) {
        if !self.enabled {
            return;
        }
        self.emitted[instance] = self.emitted[instance].max(seq + 1);
    }

    /// The event `id`, created at `created`, was processed (delivered, filtered or folded into
    /// a window) at `now`.
    #[inline]
    pub fn processed(&mut self, id: u64, created: SimTime, now: SimTime) {
        if self.set(id) {
            self.duplicates += 1;
            self.duplicate_times.push((created, now));
        }
    }

    /// The event `id`, created at `created`, was destroyed at `now` (it may still be replayed
    /// later).
    #[inline]
    pub fn dropped(&mut self, id: u64, created: SimTime, now: SimTime) {
        if self.enabled && source_of(id).is_some() {
            self.drops.push((id, created, now));
        }
    }

    /// Each duplicate: (its creation, when it was processed again), in time order.
    pub fn duplicate_times(&self) -> &[(SimTime, SimTime)] {
        &self.duplicate_times
    }

    /// Marks `id` processed without counting a repeat as a duplicate (copies of an actively
    /// replicated instance each fold the same event in).
    #[inline]
    pub fn mark(&mut self, id: u64) {
        self.set(id);
    }

    /// Sets `id`'s bit; whether it was set before (false for untracked ids).
    #[inline]
    fn set(&mut self, id: u64) -> bool {
        if !self.enabled {
            return false;
        }
        let Some((instance, seq)) = source_of(id) else {
            return false;
        };
        let Some(bits) = self.processed.get_mut(instance) else {
            return false;
        };
        let word = (seq / 64) as usize;
        if bits.len() <= word {
            bits.resize(word + 1, 0);
        }
        let mask = 1u64 << (seq % 64);
        let was = bits[word] & mask != 0;
        bits[word] |= mask;
        was
    }

    /// Whether source event `id` was processed (false for derived ids and when disabled).
    #[inline]
    pub fn contains(&self, id: u64) -> bool {
        self.enabled
            && source_of(id).is_some_and(|(instance, seq)| {
                instance < self.processed.len() && self.is_processed(instance, seq)
            })
    }

    /// Whether the ledger records anything.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn is_processed(&self, instance: usize, seq: u64) -> bool {
        self.processed[instance]
            .get((seq / 64) as usize)
            .is_some_and(|w| w & (1 << (seq % 64)) != 0)
    }

    /// Duplicates so far.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Events emitted but never processed and not in `pending` (ids of source events still
    /// queued, on the wire, in service or retained for replay at the end).
    pub fn lost(&self, pending: &[u64]) -> u64 {
        self.losses(pending, SimTime::NEVER).len() as u64
    }

    /// Each lost event (as in [`Self::lost`]) as (its creation, when it was lost): its last
    /// drop, or (0, `end`) if it was never dropped. Sorted.
    pub fn losses(&self, pending: &[u64], end: SimTime) -> Vec<(SimTime, SimTime)> {
        let mut pending: Vec<(usize, u64)> =
            pending.iter().filter_map(|&id| source_of(id)).collect();
        pending.sort_unstable();
        pending.dedup();
        // Last drop per id: a stable sort by id keeps time order within an id.
        let mut drops = self.drops.clone();
        drops.sort_by_key(|&(id, _, _)| id);
        let mut times = Vec::new();
        for (instance, &emitted) in self.emitted.iter().enumerate() {
            for seq in 0..emitted {
                if !self.is_processed(instance, seq)
                    && pending.binary_search(&(instance, seq)).is_err()
                {
                    let id = (instance as u64) << SEQ_BITS | seq;
                    let last = drops.partition_point(|&(d, _, _)| d <= id);
                    times.push(match last.checked_sub(1).map(|k| drops[k]) {
                        Some((d, created, at)) if d == id => (created, at),
                        _ => (SimTime::ZERO, end),
                    });
                }
            }
        }
        times.sort_unstable();
        times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(instance: u64, seq: u64) -> u64 {
        instance << SEQ_BITS | seq
    }

    #[test]
    fn counts_duplicates_and_losses_but_not_pending_events() {
        let mut l = DeliveryLedger::new(3);
        for seq in 0..100 {
            l.emitted(1, seq);
        }
        let t = SimTime::from_secs_f64;
        for seq in 0..90 {
            l.processed(id(1, seq), t(0.5), t(1.0));
        }
        l.processed(id(1, 5), t(0.5), t(2.0));
        l.processed(id(1, 5), t(0.5), t(3.0));
        l.processed(DERIVED_ID | 12345, t(0.5), t(4.0)); // derived: ignored
        assert_eq!(l.duplicates(), 2);
        assert_eq!(l.duplicate_times(), [(t(0.5), t(2.0)), (t(0.5), t(3.0))]);
        // 90..100 unprocessed; 95..100 still pending.
        let pending: Vec<u64> = (95..100).map(|s| id(1, s)).collect();
        assert_eq!(l.lost(&pending), 5);
        // 91 was dropped twice (dated by the last drop), 92 once; the rest never.
        l.dropped(id(1, 91), t(0.5), t(5.0));
        l.dropped(id(1, 92), t(0.5), t(6.0));
        l.dropped(id(1, 91), t(0.5), t(7.0));
        assert_eq!(
            l.losses(&pending, t(9.0)),
            [
                (SimTime::ZERO, t(9.0)),
                (SimTime::ZERO, t(9.0)),
                (SimTime::ZERO, t(9.0)),
                (t(0.5), t(6.0)),
                (t(0.5), t(7.0))
            ]
        );
    }

    #[test]
    fn a_disabled_ledger_records_nothing() {
        let mut l = DeliveryLedger::disabled();
        l.emitted(0, 5);
        l.processed(id(0, 1), SimTime::ZERO, SimTime::ZERO);
        l.processed(id(0, 1), SimTime::ZERO, SimTime::ZERO);
        l.dropped(id(0, 2), SimTime::ZERO, SimTime::ZERO);
        assert_eq!((l.duplicates(), l.lost(&[])), (0, 0));
        assert!(l.duplicate_times().is_empty());
    }

    #[test]
    fn source_ids_round_trip() {
        assert_eq!(source_of(id(7, 42)), Some((7, 42)));
        assert_eq!(source_of(DERIVED_ID | 3), None);
    }
}
