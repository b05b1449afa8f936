//! Hash partitioning: `hash(key) mod n`, directly or through key groups.

use std::num::NonZeroU32;

use super::Partitioner;
use crate::sim::splitmix64;

/// The partitioning hash: one SplitMix64 step (add the golden-ratio constant, then the
/// finaliser), a fixed bijection of the key (stable across Rust releases and platforms,
/// unlike `DefaultHasher`).
#[inline]
pub fn hash_key(key: u64) -> u64 {
    splitmix64(key)
}

/// `partition = hash(key) mod n`, one logical partition per downstream instance.
#[derive(Clone, Copy, Debug, Default)]
pub struct HashPartitioner;

impl Partitioner for HashPartitioner {
    fn partitions(&self, instances: NonZeroU32) -> u32 {
        instances.get()
    }
    #[inline]
    fn partition_of(&self, key: u64, instances: NonZeroU32) -> u32 {
        (hash_key(key) % u64::from(instances.get())) as u32
    }
    #[inline]
    fn instance_of(&self, partition: u32, _instances: NonZeroU32) -> u32 {
        partition
    }
}

/// `key group = hash(key) mod G`; instance i owns the contiguous groups
/// [⌈i·G/n⌉, ⌈(i+1)·G/n⌉), the scheme Flink uses so that rescaling moves whole ranges.
#[derive(Clone, Copy, Debug)]
pub struct KeyGroupPartitioner {
    groups: u32,
}

impl KeyGroupPartitioner {
    /// `groups` key groups (validated ≥ the downstream parallelism).
    pub fn new(groups: u32) -> Self {
        Self { groups }
    }
}

impl Partitioner for KeyGroupPartitioner {
    fn partitions(&self, _instances: NonZeroU32) -> u32 {
        self.groups
    }
    #[inline]
    fn partition_of(&self, key: u64, _instances: NonZeroU32) -> u32 {
        (hash_key(key) % u64::from(self.groups)) as u32
    }
    #[inline]
    fn instance_of(&self, group: u32, instances: NonZeroU32) -> u32 {
        // Inverse of the range start ⌈i·G/n⌉: instance = ⌊group·n/G⌋.
        ((u64::from(group) * u64::from(instances.get())) / u64::from(self.groups)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::check_partitioner;
    use crate::sim::SimRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn hash_partitioner_honours_the_contract() {
        check_partitioner(&HashPartitioner, &[1, 2, 3, 8, 64]);
    }

    #[test]
    fn key_group_partitioner_honours_the_contract() {
        check_partitioner(&KeyGroupPartitioner::new(128), &[1, 2, 3, 8, 64, 128]);
    }

    /// 100 000 uniform keys over 8 instances: Pearson's χ² with 7 degrees of freedom must lie
    /// within its central 99.8 % range [0.598, 24.322] (p = 0.001 in each tail): too large means
    /// imbalance, too small means suspiciously regular (a broken hash).
    #[test]
    fn hash_of_uniform_keys_passes_chi_square_balance() {
        const KEYS: u32 = 100_000;
        const CHI2_LOW: f64 = 0.598;
        const CHI2_HIGH: f64 = 24.322;
        let instances = NonZeroU32::new(8).unwrap();
        for (name, p) in [
            ("hash", &HashPartitioner as &dyn Partitioner),
            ("key groups", &KeyGroupPartitioner::new(128)),
        ] {
            let mut rng = SimRng::seed_from_u64(0xC41);
            let mut counts = [0u32; 8];
            for _ in 0..KEYS {
                counts[p.route(rng.next_u64(), instances) as usize] += 1;
            }
            let expected = f64::from(KEYS) / 8.0;
            let chi2: f64 = counts
                .iter()
                .map(|&c| (f64::from(c) - expected).powi(2) / expected)
                .sum();
            assert!(
                (CHI2_LOW..=CHI2_HIGH).contains(&chi2),
                "{name}: χ² = {chi2}, {counts:?}"
            );
        }
    }

    /// Sequential keys (sensor ids 0..n) must spread too: the hash mixes low bits.
    #[test]
    fn sequential_keys_spread_evenly() {
        let instances = NonZeroU32::new(4).unwrap();
        let mut counts = [0u32; 4];
        for key in 0..4000 {
            counts[HashPartitioner.route(key, instances) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (900..=1100).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn key_groups_are_assigned_in_contiguous_balanced_ranges() {
        let p = KeyGroupPartitioner::new(10);
        let n = NonZeroU32::new(3).unwrap();
        let owners: Vec<u32> = (0..10).map(|g| p.instance_of(g, n)).collect();
        assert_eq!(owners, [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    }
}
