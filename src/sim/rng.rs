//! Seeded random streams.
//!
//! One master seed per scenario; every other seed is derived by hashing (master, replication,
//! stream, index), so each subsystem owns its own stream. An extra draw in one stream never
//! shifts another, and every variant of a comparison sees identical workload and fault draws
//! (common random numbers).

/// The generator used everywhere in simulation code: named after its algorithm (PCG XSL RR
/// 128/64) so its output does not change with a `rand` upgrade, unlike `StdRng`/`SmallRng`.
pub type SimRng = rand_pcg::Pcg64;

/// Independent random streams of one replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Arrival times and keys of source events; index = source instance.
    Workload = 1,
    /// Service times and selectivity draws; index = operator instance.
    Service = 2,
    /// Link latencies and message loss; index = sending node.
    Network = 3,
    /// Fault times and targets; index = fault model.
    Faults = 4,
    /// Decisions taken by fault-tolerance strategies; index = strategy component.
    Strategy = 5,
}

/// Seed for `stream` number `index` (e.g. a source instance) of `replication`.
pub fn derive_seed(master: u64, replication: u32, stream: Stream, index: u32) -> u64 {
    [u64::from(replication), stream as u64, u64::from(index)]
        .into_iter()
        .fold(splitmix64(master), |acc, part| splitmix64(acc ^ part))
}

/// One SplitMix64 step — add the golden-ratio constant, then the finaliser: bijective and well
/// mixed, so neighbouring inputs give unrelated seeds.
pub const fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn derived_seeds_differ_by_every_coordinate() {
        let base = derive_seed(7, 0, Stream::Workload, 0);
        assert_ne!(base, derive_seed(8, 0, Stream::Workload, 0));
        assert_ne!(base, derive_seed(7, 1, Stream::Workload, 0));
        assert_ne!(base, derive_seed(7, 0, Stream::Service, 0));
        assert_ne!(base, derive_seed(7, 0, Stream::Workload, 1));
        assert_eq!(base, derive_seed(7, 0, Stream::Workload, 0));
    }

    /// Golden values: if this fails, the generator or the derivation changed and every stored
    /// result would silently change with it.
    #[test]
    fn generator_output_is_pinned() {
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        let mut rng = SimRng::seed_from_u64(derive_seed(1, 2, Stream::Faults, 3));
        let first = rng.next_u64();
        let mut again = SimRng::seed_from_u64(derive_seed(1, 2, Stream::Faults, 3));
        assert_eq!(first, again.next_u64());
    }
}
