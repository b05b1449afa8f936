//! No heap allocation per simulated event.
//!
//! The counting global allocator ([`crate::memory::CountingAllocator`]) counts allocations
//! and reallocations per thread, so tests running in parallel on other threads do not disturb the
//! count. Each test builds a replication, runs a first stretch of simulated time so that every
//! growable buffer reaches its working size (instance queues, ready queues, window tables, the
//! window scratch buffer, the event heap), then runs a second stretch of at least 200 000
//! kernel events and asserts that it allocated (almost) nothing. Engine, world and recorder
//! are used directly, as `world::run_replication` does, so only the simulation loop is counted.

use std::path::Path;

use crate::memory::CountingAllocator;
use crate::scenario::{self, Scenario};
use crate::sim::{Engine, SimTime};
use crate::world::{Event, World};

/// The library's own counting allocator, installed for this unit-test binary (as the binary
/// installs it): the budget tests need its byte counts too.
#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations made by this thread so far.
fn allocations() -> u64 {
    crate::memory::thread_allocations()
}

fn load(relative: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(relative);
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs replication 0 of `relative` to `warm_s` seconds, then to `stop_s`; returns the
/// allocations and the kernel events of the second stretch. Checks conservation at the end.
fn second_stretch(relative: &str, warm_s: f64, stop_s: f64) -> (u64, u64) {
    let scenario = load(relative);
    let seed = scenario.seed.expect("shipped scenarios set a seed");
    let (warm, stop) = (
        SimTime::from_secs_f64(warm_s),
        SimTime::from_secs_f64(stop_s),
    );
    assert!(
        stop <= scenario.metrics.end,
        "{relative} is shorter than {stop_s} s"
    );
    let mut engine = Engine::<Event>::with_capacity(4096);
    let mut world = World::new(&scenario, &scenario.variants[0], seed, 0, &mut engine);
    engine.run_until(warm, &mut world);
    let (a0, e0) = (allocations(), engine.processed());
    engine.run_until(stop, &mut world);
    let (a1, e1) = (allocations(), engine.processed());
    world
        .finish(&engine)
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    let (allocs, events) = (a1 - a0, e1 - e0);
    eprintln!("{relative}: {allocs} allocations over {events} kernel events after warm-up");
    assert!(
        events >= 200_000,
        "{relative}: only {events} kernel events measured"
    );
    (allocs, events)
}

/// The counter sees this thread's allocations (guards against a test that passes because
/// nothing is counted).
#[test]
fn the_counter_counts() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 100]);
    assert_eq!(allocations() - before, 1);
    drop(v);
}

/// M/M/1 at ρ = 0.9: 100 s of warm-up (90 000 customers), then 300 s (≈ 540 000 kernel
/// events).
///
/// The bound is not zero because one buffer may still legitimately grow: the instance's FIFO
/// queue (a `VecDeque`, 64 slots initially) doubles when the queue reaches a new maximum
/// length. At ρ = 0.9 the queue length is geometric, so its maximum over n customers grows
/// like log(n)/log(1/ρ) (≈ 130 for 10⁶ customers), and the number of doublings is
/// log2(maximum / 64): logarithmic in the maximum queue length, not proportional to the
/// number of events. The event heap holds at most two events here, far below its capacity.
#[test]
fn mm1_steady_state_allocates_nothing_per_event() {
    let (allocs, _) = second_stretch("bench/mm1-rho09.ron", 100.0, 400.0);
    assert!(allocs <= 4, "{allocs} allocations in steady state");
}

/// Sensor monitoring: 5 s of warm-up (five windows closed, so window tables and the scratch
/// buffer hold every key an instance owns, and the hash maps keep their capacity across
/// `clear`), then 55 s (≈ 230 000 kernel events) of parsing, network messages, keyed windows
/// and results. Same logarithmic-growth allowance for queues as above.
#[test]
fn sensor_monitoring_steady_state_allocates_nothing_per_event() {
    let (allocs, _) = second_stretch("validation/sensor-pipeline.ron", 5.0, 60.0);
    assert!(allocs <= 4, "{allocs} allocations in steady state");
}

/// The sensor pipeline with bounded channels (credit announcements), aligned checkpoints
/// every second and a transactional sink: 5 s of warm-up, then 55 s. Flow control and the
/// sink's transactions reuse their buffers, so the data path allocates nothing per event;
/// what a checkpoint allocates is per checkpoint: five alignments (four window instances with
/// two inputs, the sink with four), each a boxed record whose held-events buffer doubles a
/// few times as the blocked inputs deliver, and four snapshots, each copying a window
/// instance's key set and window table — about 28 allocations. The bound allows 32 per
/// checkpoint (55 of them here; measured: 1246 in all, 22.7 per checkpoint) on top of the
/// queues' growth; per event there would be some 290 000.
#[test]
fn bounded_aligned_transactional_allocates_per_checkpoint_not_per_event() {
    let (allocs, events) = second_stretch("bench/sensor-bounded-aligned.ron", 5.0, 60.0);
    assert!(
        allocs <= 4 + 32 * 55,
        "{allocs} allocations over {events} kernel events"
    );
}
