//! The discrete-event kernel: integer simulated time, a deterministic event queue, the run
//! loop and seeded random streams.
//!
//! This module knows nothing about streams, operators or faults. It is generic over the event
//! type so the dataflow world (`crate::world`) and the benchmarks share exactly one engine.

mod engine;
mod queue;
mod rng;
mod time;

pub use engine::{Ctx, Engine, Handler};
pub use queue::EventQueue;
pub use rng::{SimRng, Stream, derive_seed, splitmix64};
pub use time::{SimDuration, SimTime};
