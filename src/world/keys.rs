//! Per-instance keyed state: the set of distinct keys held and the open window's aggregates.
//!
//! Lookups use a hash map with a fixed hasher; the maps are never iterated, so hash order
//! cannot reach results. Window results are emitted in the order their keys first appeared.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::model::DataEvent;
use crate::partition::hash_key;
use crate::sim::SimTime;

/// Hasher for integer keys: the partitioning hash, deterministic across platforms.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = hash_key(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, key: u64) {
        self.0 = hash_key(self.0 ^ key);
    }
}

pub(super) type KeyBuild = BuildHasherDefault<KeyHasher>;

/// Distinct keys an instance holds state for.
#[derive(Clone, Debug, Default)]
pub struct KeySet(HashSet<u64, KeyBuild>);

impl KeySet {
    /// Notes that state for `key` exists.
    #[inline]
    pub fn insert(&mut self, key: u64) {
        self.0.insert(key);
    }
    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Aggregates of the open window: one entry per key, in first-seen order.
#[derive(Clone, Debug, Default)]
pub struct WindowTable {
    entries: Vec<(u64, SimTime)>,
    index: HashMap<u64, u32, KeyBuild>,
    /// Number of windows closed so far (part of result ids).
    pub closed: u64,
}

impl WindowTable {
    /// Folds `event` into its key's aggregate, keeping the latest creation time.
    #[inline]
    pub fn add(&mut self, event: &DataEvent) {
        match self.index.get(&event.key) {
            Some(&i) => {
                let slot = &mut self.entries[i as usize].1;
                *slot = (*slot).max(event.created);
            }
            None => {
                self.index.insert(event.key, self.entries.len() as u32);
                self.entries.push((event.key, event.created));
            }
        }
    }

    /// Takes the closed window's (key, latest creation) pairs, leaving the table empty but
    /// with its capacity (no allocation in steady state).
    pub fn drain(&mut self) -> std::vec::Drain<'_, (u64, SimTime)> {
        self.index.clear();
        self.closed += 1;
        self.entries.drain(..)
    }

    /// Keys in the open window.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// An instance's state as a snapshot or a standby holds it.
#[derive(Clone, Debug, Default)]
pub struct StateCopy {
    pub keys: KeySet,
    pub window: WindowTable,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(key: u64, created_ns: u64) -> DataEvent {
        DataEvent {
            id: 0,
            key,
            created: SimTime::from_nanos(created_ns),
            bytes: 1,
        }
    }

    #[test]
    fn window_keeps_latest_creation_per_key_in_first_seen_order() {
        let mut w = WindowTable::default();
        for (k, t) in [(7, 5), (3, 1), (7, 9), (3, 0), (1, 4)] {
            w.add(&ev(k, t));
        }
        let out: Vec<_> = w.drain().map(|(k, t)| (k, t.as_nanos())).collect();
        assert_eq!(out, [(7, 9), (3, 1), (1, 4)]);
        assert_eq!(w.len(), 0);
        assert_eq!(w.closed, 1);
    }
}
