//! Kernel speed in simulated (kernel) events per second, and heap allocations per event.
//!
//! Groups, each reporting `thrpt` in kernel events per second (criterion `Elements`):
//!
//! - `baseline/heap_mm1`: a minimal hand-written M/M/1 loop over `std::collections::BinaryHeap`
//!   (λ = 0.9, μ = 1 per ms, no metrics), run for exactly as many events as `faultline/mm1`.
//!   This machine is shared and noisy, so compare faultline with this baseline measured in the
//!   same run, not with absolute numbers from another day.
//! - `faultline/mm1`: one replication of `scenarios/bench/mm1-rho09.ron` through the real
//!   engine and dataflow world (about 2·10⁶ kernel events), setup and summary included.
//! - `faultline/sensor-pipeline`: one replication of `scenarios/validation/sensor-pipeline.ron`
//!   (the sensor-monitoring pipeline without faults).
//! - `engine/empty_handler`: the faultline `Engine` driving a handler that only reschedules
//!   itself (two pending events, as in M/M/1): the kernel's own overhead.
//! - `scale/x1`, `scale/x10`, `scale/x100`: one replication of `scenarios/bench/sensor-x{K}.ron`,
//!   the sensor pipeline with nodes, instances, keys and rate multiplied by K (written by
//!   `benches/scale_sensor.py`; the duration shrinks with K so each has ~2.5·10⁶ kernel
//!   events). The ratio of events per second at ×100 to ×1 is the cost of model size.
//!
//! Before the groups run, a counting global allocator measures heap allocations per kernel
//! event over the second half of an M/M/1 and a sensor-monitoring replication (the first half
//! warms queues and tables up) and prints the result.
//!
//! Run with `cargo bench --bench kernel`; record the numbers in `benches/RESULTS.md`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rand_pcg::Pcg64;

use faultline::scenario::{self, Scenario};
use faultline::sim::{Ctx, Engine, Handler, SimDuration, SimTime};
use faultline::world::{Event, World};

// ---- allocation counting ----

/// `System`, counting every allocation and reallocation (frees are not counted).
struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` unchanged; the counter has no effect on memory.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

// ---- the models ----

fn load(relative: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(relative);
    scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// One replication (number 0, the scenario's own seed) through the real engine and world;
/// returns the kernel events processed.
fn replicate(scenario: &Scenario) -> u64 {
    let seed = scenario.seed.expect("benchmark scenarios set a seed");
    let mut engine = Engine::<Event>::with_capacity(4096);
    let mut world = World::new(scenario, &scenario.variants[0], seed, 0, &mut engine);
    engine.run_until(scenario.metrics.end, &mut world);
    let processed = engine.processed();
    let summary = world
        .finish(&engine)
        .unwrap_or_else(|e| panic!("{}: {e}", scenario.name));
    black_box(summary);
    processed
}

/// The baseline's two event kinds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum MM1Event {
    Arrival,
    Departure,
}

/// Minimal M/M/1 over a binary heap keyed by (time [ns], sequence): λ = 0.9 and μ = 1 per
/// millisecond, the model of `mm1-rho09.ron`. Processes exactly `events` events and returns
/// (customers served, final time) so nothing can be optimised away. No metrics.
fn heap_mm1(events: u64, seed: u64) -> (u64, u64) {
    const MEAN_GAP_NS: f64 = 1e6 / 0.9;
    const MEAN_SERVICE_NS: f64 = 1e6;
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut exp_ns = |mean: f64| -> u64 {
        let e: f64 = Exp1.sample(&mut rng);
        (e * mean) as u64
    };
    let mut heap: BinaryHeap<Reverse<(u64, u64, MM1Event)>> = BinaryHeap::with_capacity(16);
    let mut seq = 0u64;
    heap.push(Reverse((exp_ns(MEAN_GAP_NS), seq, MM1Event::Arrival)));
    seq += 1;
    let (mut in_system, mut served, mut now) = (0u64, 0u64, 0u64);
    for _ in 0..events {
        let Reverse((at, _, event)) = heap.pop().expect("an arrival is always pending");
        now = at;
        match event {
            MM1Event::Arrival => {
                heap.push(Reverse((now + exp_ns(MEAN_GAP_NS), seq, MM1Event::Arrival)));
                seq += 1;
                in_system += 1;
                if in_system == 1 {
                    heap.push(Reverse((
                        now + exp_ns(MEAN_SERVICE_NS),
                        seq,
                        MM1Event::Departure,
                    )));
                    seq += 1;
                }
            }
            MM1Event::Departure => {
                in_system -= 1;
                served += 1;
                if in_system > 0 {
                    heap.push(Reverse((
                        now + exp_ns(MEAN_SERVICE_NS),
                        seq,
                        MM1Event::Departure,
                    )));
                    seq += 1;
                }
            }
        }
    }
    (served, now)
}

/// Reschedules every event it gets after a pseudo-random delay of 1–2048 ns (xorshift64).
struct Bounce(u64);

impl Handler<u64> for Bounce {
    #[inline]
    fn handle(&mut self, event: u64, cx: &mut Ctx<'_, u64>) {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        cx.schedule_in(SimDuration::from_nanos(1 + (x >> 53)), event + 1);
    }
}

/// Horizon of the empty-handler run: two chains advancing ~1 µs per event, ≈ 2·10⁶ events.
const BOUNCE_HORIZON: SimTime = SimTime::from_nanos(1_000_000_000);

/// The bare engine with two pending events; returns the events processed.
fn empty_handler() -> u64 {
    let mut engine = Engine::<u64>::with_capacity(4096);
    engine.schedule_at(SimTime::ZERO, 0);
    engine.schedule_at(SimTime::from_nanos(1), 1 << 32);
    let mut handler = Bounce(0x9E37_79B9_7F4A_7C15);
    engine.run_until(BOUNCE_HORIZON, &mut handler);
    black_box(handler.0);
    engine.processed()
}

// ---- allocation report ----

/// Allocations during the second half of one replication, after the first half warmed up
/// queues, histograms and tables; prints them per kernel event.
fn report_allocations(relative: &str) {
    let scenario = load(relative);
    let seed = scenario.seed.expect("benchmark scenarios set a seed");
    let before_setup = allocations();
    let mut engine = Engine::<Event>::with_capacity(4096);
    let mut world = World::new(&scenario, &scenario.variants[0], seed, 0, &mut engine);
    let end = scenario.metrics.end;
    engine.run_until(SimTime::from_nanos(end.as_nanos() / 2), &mut world);
    let (a0, e0) = (allocations(), engine.processed());
    engine.run_until(end, &mut world);
    let (a1, e1) = (allocations(), engine.processed());
    black_box(world.finish(&engine).expect("conservation holds"));
    let whole = allocations() - before_setup;
    println!(
        "{relative}: allocations per kernel event (steady state): {} \
         ({} allocations over {} kernel events in the second half; {} in the whole \
         replication, setup and summary included)",
        (a1 - a0) as f64 / (e1 - e0) as f64,
        a1 - a0,
        e1 - e0,
        whole,
    );
}

// ---- benchmarks ----

fn configure<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
    name: &str,
    elements: u64,
) {
    println!("{name}: {elements} kernel events per iteration");
    // Iterations take 10–100 ms: flat sampling keeps the run short.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(elements));
}

fn bench_baseline(c: &mut Criterion) {
    let events = replicate(&load("bench/mm1-rho09.ron"));
    let mut group = c.benchmark_group("baseline");
    configure(&mut group, "baseline/heap_mm1", events);
    group.bench_function("heap_mm1", |b| {
        b.iter(|| black_box(heap_mm1(black_box(events), 20261125)))
    });
    group.finish();
}

fn bench_faultline(c: &mut Criterion) {
    let mut group = c.benchmark_group("faultline");
    for (name, file) in [
        ("mm1", "bench/mm1-rho09.ron"),
        ("sensor-pipeline", "validation/sensor-pipeline.ron"),
        ("sensor-bounded-aligned", "bench/sensor-bounded-aligned.ron"),
    ] {
        let scenario = load(file);
        let events = replicate(&scenario);
        configure(&mut group, &format!("faultline/{name}"), events);
        group.bench_function(name, |b| b.iter(|| replicate(black_box(&scenario))));
    }
    group.finish();
}

fn bench_scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale");
    for k in [1, 10, 100] {
        let scenario = load(&format!("bench/sensor-x{k}.ron"));
        let events = replicate(&scenario);
        let name = format!("x{k}");
        configure(&mut group, &format!("scale/{name}"), events);
        group.bench_function(&name, |b| b.iter(|| replicate(black_box(&scenario))));
    }
    group.finish();
}

fn bench_engine(c: &mut Criterion) {
    let events = empty_handler();
    let mut group = c.benchmark_group("engine");
    configure(&mut group, "engine/empty_handler", events);
    group.bench_function("empty_handler", |b| b.iter(empty_handler));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench_baseline, bench_faultline, bench_scale, bench_engine
}

fn main() {
    // Only under `cargo bench` (which passes `--bench`), not when `cargo test --benches` runs
    // each benchmark once as a smoke test.
    if std::env::args().any(|a| a == "--bench") {
        report_allocations("bench/mm1-rho09.ron");
        report_allocations("validation/sensor-pipeline.ron");
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
