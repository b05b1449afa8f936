//! Range partitioning: explicit key boundaries.

use std::num::NonZeroU32;

use super::Partitioner;

/// Instance i receives keys in [bounds\[i−1\], bounds\[i\]); the first instance everything below
/// bounds\[0\], the last everything from the last bound up. `bounds` are strictly increasing and
/// one fewer than the instances (checked by `scenario`).
#[derive(Clone, Debug)]
pub struct RangePartitioner {
    bounds: Vec<u64>,
}

impl RangePartitioner {
    /// Partitioner with the given upper bounds.
    pub fn new(bounds: Vec<u64>) -> Self {
        debug_assert!(
            bounds.windows(2).all(|w| w[0] < w[1]),
            "bounds must be increasing"
        );
        Self { bounds }
    }
}

impl Partitioner for RangePartitioner {
    fn partitions(&self, _instances: NonZeroU32) -> u32 {
        self.bounds.len() as u32 + 1
    }
    #[inline]
    fn partition_of(&self, key: u64, _instances: NonZeroU32) -> u32 {
        // Number of bounds <= key.
        self.bounds.partition_point(|&b| b <= key) as u32
    }
    #[inline]
    fn instance_of(&self, partition: u32, instances: NonZeroU32) -> u32 {
        partition.min(instances.get() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::check_partitioner;

    #[test]
    fn range_partitioner_honours_the_contract() {
        check_partitioner(
            &RangePartitioner::new(vec![250_000, 500_000, 750_000]),
            &[4],
        );
    }

    #[test]
    fn routes_by_boundaries() {
        let p = RangePartitioner::new(vec![250, 500, 750]);
        let n = NonZeroU32::new(4).unwrap();
        let cases = [
            (0, 0),
            (249, 0),
            (250, 1),
            (499, 1),
            (500, 2),
            (749, 2),
            (750, 3),
            (u64::MAX, 3),
        ];
        for (key, expected) in cases {
            assert_eq!(p.route(key, n), expected, "key {key}");
        }
    }

    /// Uniform keys 0..1000 with bounds at the quartiles: exactly a quarter per instance.
    #[test]
    fn uniform_keys_split_by_quartile_bounds_evenly() {
        let p = RangePartitioner::new(vec![250, 500, 750]);
        let n = NonZeroU32::new(4).unwrap();
        let mut counts = [0u32; 4];
        for key in 0..1000 {
            counts[p.route(key, n) as usize] += 1;
        }
        assert_eq!(counts, [250; 4]);
    }
}
