//! No heap allocation per simulated event.
//!
//! A counting global allocator (for this unit-test binary only) counts allocations and
//! reallocations per thread, so tests running in parallel on other threads do not disturb the
//! count. Each test builds a replication, runs a first stretch of simulated time so that every
//! growable buffer reaches its working size (instance queues, ready queues, window tables, the
//! window scratch buffer, the event heap), then runs a second stretch of at least 200 000
//! kernel events and asserts that it allocated (almost) nothing. Engine, world and recorder
//! are used directly, as `world::run_replication` does, so only the simulation loop is counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use crate::scenario::{self, Scenario};
use crate::sim::{Engine, SimTime};
use crate::world::{Event, World};

/// `System`, counting the allocations and reallocations of the calling thread.
struct PerThreadCounting;

thread_local! {
    /// Const-initialised and without a destructor, so accessing it never allocates (no lazy
    /// initialisation, no destructor registration) and never recurses into the allocator.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

#[inline]
fn count_one() {
    // `try_with` rather than `with`: never panic inside the allocator, even during thread
    // teardown.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` unchanged; counting has no effect on memory.
unsafe impl GlobalAlloc for PerThreadCounting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: PerThreadCounting = PerThreadCounting;

/// Allocations made by this thread so far.
fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
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
