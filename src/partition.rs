//! Partitioning: which downstream instance receives an event.
//!
//! Keys map to *logical partitions* (the seed's `Partition ID = Hash(Data) mod Number of
//! Partitions`, or key ranges) and logical partitions map to instances. Logical partitions are
//! the unit the fault-tolerance layer reasons about: a partition is available while a live
//! instance is responsible for it.
//!
//! The hash is written here (a SplitMix64 finaliser) instead of `std`'s `DefaultHasher`, whose
//! algorithm is unspecified and may change between Rust releases.

mod hash;
mod range;

use std::fmt;
use std::num::NonZeroU32;

pub use hash::{HashPartitioner, KeyGroupPartitioner, hash_key};
pub use range::RangePartitioner;

use crate::model::Routing;

/// Maps keys to logical partitions and logical partitions to instances.
pub trait Partitioner: fmt::Debug + Send + Sync {
    /// Number of logical partitions when there are `instances` downstream instances.
    fn partitions(&self, instances: NonZeroU32) -> u32;
    /// Logical partition of `key`; below `partitions(instances)`.
    fn partition_of(&self, key: u64, instances: NonZeroU32) -> u32;
    /// Instance responsible for logical partition `partition`; below `instances`.
    fn instance_of(&self, partition: u32, instances: NonZeroU32) -> u32;

    /// Instance that receives `key`. Must be a pure function of its arguments.
    #[inline]
    fn route(&self, key: u64, instances: NonZeroU32) -> u32 {
        self.instance_of(self.partition_of(key, instances), instances)
    }
}

/// Every key-based partitioner, as an enum so the per-event call is static dispatch.
#[derive(Clone, Debug)]
pub enum KeyPartitioner {
    /// `hash(key) mod n`.
    Hash(HashPartitioner),
    /// Key groups in contiguous ranges.
    KeyGroups(KeyGroupPartitioner),
    /// Explicit key ranges.
    Range(RangePartitioner),
}

impl KeyPartitioner {
    /// The partitioner for a routing, or `None` for routings that ignore keys.
    pub fn for_routing(routing: &Routing) -> Option<Self> {
        match routing {
            Routing::Forward | Routing::Rebalance => None,
            Routing::Hash => Some(Self::Hash(HashPartitioner)),
            Routing::KeyGroups { groups } => {
                Some(Self::KeyGroups(KeyGroupPartitioner::new(*groups)))
            }
            Routing::Range { bounds } => Some(Self::Range(RangePartitioner::new(bounds.clone()))),
        }
    }

    fn inner(&self) -> &dyn Partitioner {
        match self {
            Self::Hash(p) => p,
            Self::KeyGroups(p) => p,
            Self::Range(p) => p,
        }
    }
}

impl Partitioner for KeyPartitioner {
    fn partitions(&self, instances: NonZeroU32) -> u32 {
        self.inner().partitions(instances)
    }
    #[inline]
    fn partition_of(&self, key: u64, instances: NonZeroU32) -> u32 {
        match self {
            Self::Hash(p) => p.partition_of(key, instances),
            Self::KeyGroups(p) => p.partition_of(key, instances),
            Self::Range(p) => p.partition_of(key, instances),
        }
    }
    #[inline]
    fn instance_of(&self, partition: u32, instances: NonZeroU32) -> u32 {
        match self {
            Self::Hash(p) => p.instance_of(partition, instances),
            Self::KeyGroups(p) => p.instance_of(partition, instances),
            Self::Range(p) => p.instance_of(partition, instances),
        }
    }
}

/// Load skew of per-instance counts: max / mean (1 = perfectly balanced). `NaN` if nothing
/// was counted.
pub fn skew(loads: &[u64]) -> f64 {
    let total: u64 = loads.iter().sum();
    let max = loads.iter().copied().max().unwrap_or(0);
    if total == 0 {
        f64::NAN
    } else {
        max as f64 * loads.len() as f64 / total as f64
    }
}

/// The contract every partitioner honours. Call it from each implementation's tests.
#[cfg(test)]
pub(crate) fn check_partitioner(p: &dyn Partitioner, instance_counts: &[u32]) {
    use crate::sim::SimRng;
    use rand::{Rng, SeedableRng};
    let mut rng = SimRng::seed_from_u64(0x5EED);
    for &n in instance_counts {
        let instances = NonZeroU32::new(n).unwrap();
        let partitions = p.partitions(instances);
        for _ in 0..10_000 {
            let key = rng.next_u64() % 1_000_000;
            let partition = p.partition_of(key, instances);
            assert!(
                partition < partitions,
                "{p:?} put key {key} in partition {partition}"
            );
            let target = p.route(key, instances);
            assert!(target < n, "{p:?} routed key {key} to {target} of {n}");
            assert_eq!(
                target,
                p.route(key, instances),
                "{p:?} is not deterministic"
            );
        }
        for partition in 0..partitions {
            assert!(p.instance_of(partition, instances) < n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_is_max_over_mean() {
        assert_eq!(skew(&[10, 10, 10, 10]), 1.0);
        assert_eq!(skew(&[40, 0, 0, 0]), 4.0);
        assert!(skew(&[0, 0]).is_nan());
    }
}
