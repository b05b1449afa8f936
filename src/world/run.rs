//! Running one replication to its end — or, when it outgrows its memory budget, stopping it
//! cleanly and saying what grew.
//!
//! The kernel runs in steps of at most [`STEP_EVENTS`] kernel events (and at most 1/50 of the
//! run's simulated time), so progress moves steadily however dense the events are, and the
//! heap the replication holds ([`memory::thread_net_bytes`]) is looked at every step. An
//! unstable model — an arrival rate above a stage's capacity, a checkpoint that never
//! completes so that replay buffers grow — grows without bound; at the stop line the
//! replication ends at the current instant, its metrics cover the window up to it, and an
//! [`Overload`] names the largest holders of events. The stop line is a number of bytes that
//! depends on the budget alone, and the bytes are counted from the replication's own
//! requests, so the stop instant does not depend on the thread count.
//!
//! A replication that grows but fits runs to its end; the events it holds and its last
//! completed checkpoint are sampled at each of the fifty progress horizons, and
//! [`RunawayWatch`] flags it in its summary if its checkpoints stopped completing or what it
//! holds kept growing.

use super::trace::{Trace, TraceKinds, Traced};
use super::{BARRIER_ID, Engine, Event, SimError, World};
use crate::memory;
pub use crate::metrics::{Holder, HolderKind};
use crate::metrics::{ReplicationSummary, RunawayWatch};
use crate::model::OperatorKind;
use crate::scenario::Scenario;
use crate::sim::{SimDuration, SimTime};

/// Kernel events between two looks at progress and the heap.
pub const STEP_EVENTS: u64 = 1 << 16;

/// Why a replication was stopped before its end, and what grew.
#[derive(Clone, Debug, PartialEq)]
pub struct Overload {
    /// When it was stopped.
    pub at: SimTime,
    /// Heap the replication held then \[bytes\].
    pub held_bytes: u64,
    /// Its stop line \[bytes\].
    pub limit_bytes: u64,
    /// Kernel events pending then (messages on the wire, timers).
    pub pending_kernel_events: u64,
    /// The largest holders of events, largest first (at most [`Overload::HOLDERS`]).
    pub holders: Vec<Holder>,
    /// Checkpoints completed before the stop (a replay buffer that only grows means none
    /// completes).
    pub checkpoints_completed: u32,
}

impl Overload {
    /// How many holders a report lists.
    pub const HOLDERS: usize = 5;
}

/// Runs replication `replication` of variant number `variant` of `scenario`; with
/// `limit_bytes`, stops it once it holds more heap than that. Returns its summary and, when
/// it was stopped, why. `progress` is called with the simulated time covered since its last
/// call, for progress bars; neither it nor the limit's checks affect results.
pub fn run_replication_within(
    scenario: &Scenario,
    variant: usize,
    master_seed: u64,
    replication: u32,
    limit_bytes: Option<u64>,
    progress: &(dyn Fn(SimDuration) + Sync),
) -> Result<(ReplicationSummary, Option<Overload>), SimError> {
    let (summary, overload, _) = run_replication_traced(
        scenario,
        variant,
        master_seed,
        replication,
        limit_bytes,
        None,
        progress,
    )?;
    Ok((summary, overload))
}

/// [`run_replication_within`], with a trace of the chosen kinds when `trace` is given. The
/// trace's own heap is left out of the budget, so the results are those of the untraced run.
pub fn run_replication_traced(
    scenario: &Scenario,
    variant: usize,
    master_seed: u64,
    replication: u32,
    limit_bytes: Option<u64>,
    trace: Option<TraceKinds>,
    progress: &(dyn Fn(SimDuration) + Sync),
) -> Result<(ReplicationSummary, Option<Overload>, Option<Trace>), SimError> {
    let start = memory::thread_net_bytes();
    let mut engine = Engine::with_capacity(4096);
    let mut world = World::new(
        scenario,
        &scenario.variants[variant],
        master_seed,
        replication,
        &mut engine,
    );
    if let Some(model) = world.plan.capped {
        return Err(SimError::FaultPlanCapped {
            model,
            cap: crate::fault::MAX_FAULTS_PER_MODEL,
        });
    }
    let end = scenario.metrics.end;
    const CHUNKS: u64 = 50;
    let mut chunk = 1;
    let mut reached = SimTime::ZERO;
    // Bytes the progress callback left allocated on this thread (a progress bar's buffers):
    // not the replication's.
    let mut foreign: i64 = 0;
    // The trace's heap is not the replication's: its names and snapshots are counted here,
    // its rows at every step.
    let before = memory::thread_net_bytes();
    let mut trace = trace.map(|kinds| Trace::new(&world, kinds));
    foreign += memory::thread_net_bytes() - before;
    let mut watch = RunawayWatch::new(
        scenario.metrics.warmup,
        end,
        world.ft.checkpoint.as_ref().map(|c| c.interval),
    );
    loop {
        let horizon = if chunk == CHUNKS {
            end
        } else {
            SimTime::from_nanos(end.as_nanos() / CHUNKS * chunk).min(end)
        };
        // Two loops, monomorphised apart: an untraced run never meets the wrapper.
        let at_horizon = match trace.as_mut() {
            None => engine.run_until_or_after(horizon, STEP_EVENTS, &mut world),
            Some(trace) => engine.run_until_or_after(
                horizon,
                STEP_EVENTS,
                &mut Traced {
                    world: &mut world,
                    trace,
                },
            ),
        };
        let now = engine.now();
        let before = memory::thread_net_bytes();
        progress(now - reached);
        foreign += memory::thread_net_bytes() - before;
        reached = now;
        if let Some(limit) = limit_bytes {
            let traced = trace.as_ref().map_or(0, |t| t.rows_heap_bytes() as i64);
            let held = (memory::thread_net_bytes() - start - foreign - traced).max(0) as u64;
            if held > limit && now < end {
                let overload = world.overload(&engine, held, limit);
                watch.stop_at(now);
                let runaway = watch.verdict(world.held_events(), || world.largest_holders(now));
                let mut summary = world.finish_at(&engine, now)?;
                summary.runaway = runaway;
                if let Some(t) = trace.as_mut() {
                    t.end_at(now);
                }
                return Ok((summary, Some(overload), trace));
            }
        }
        if at_horizon {
            watch.sample(now, world.held_events(), world.last_completed);
            if chunk == CHUNKS {
                break;
            }
            chunk += 1;
        }
    }
    if let Some(t) = trace.as_mut() {
        t.end_at(end);
    }
    let runaway = watch.verdict(world.held_events(), || world.largest_holders(end));
    let mut summary = world.finish(&engine)?;
    summary.runaway = runaway;
    Ok((summary, None, trace))
}

impl World<'_> {
    /// What holds the events of a replication stopped at `engine.now()`.
    fn overload(&self, engine: &Engine<Event>, held_bytes: u64, limit_bytes: u64) -> Overload {
        Overload {
            at: engine.now(),
            held_bytes,
            limit_bytes,
            pending_kernel_events: engine.queue().len() as u64,
            holders: self.largest_holders(engine.now()),
            checkpoints_completed: self.last_completed,
        }
    }

    /// Events held now in input queues, replay buffers and output logs (barriers apart).
    fn held_events(&self) -> u64 {
        self.instances
            .iter()
            .map(|s| {
                let queued = s.queue.iter().filter(|q| q.event.id != BARRIER_ID).count();
                let retained = s.source.as_ref().map_or(0, |src| src.retained.len());
                let logged = s.log.as_ref().map_or(0, |log| log.events().count());
                (queued + retained + logged) as u64
            })
            .sum()
    }

    /// The largest holders of events now, largest first (at most [`Overload::HOLDERS`]).
    fn largest_holders(&self, now: SimTime) -> Vec<Holder> {
        let elapsed_s = now.as_secs_f64().max(1e-9);
        let mut holders = Vec::new();
        for s in &self.instances {
            let node = &self.scenario.cluster.nodes[s.node.index()];
            let arrival_rate = s.enqueued as f64 / elapsed_s;
            let service_ns = match &s.op.kind {
                OperatorKind::Map { service, .. } | OperatorKind::Window { service, .. } => {
                    Some(service.mean_ns())
                }
                OperatorKind::Source { .. } | OperatorKind::Sink => None,
            };
            let servers = f64::from(s.op.threads.min(node.cores).max(1));
            let holder = |kind, events| Holder {
                operator: s.op.name.clone(),
                index: s.index,
                node: node.name.clone(),
                kind,
                events,
                offered_load: match kind {
                    HolderKind::InputQueue => {
                        service_ns.map(|ns| arrival_rate * ns * 1e-9 / node.speed / servers)
                    }
                    _ => None,
                },
                arrival_rate,
            };
            let queued = s.queue.iter().filter(|q| q.event.id != BARRIER_ID).count() as u64;
            holders.push(holder(HolderKind::InputQueue, queued));
            if let Some(src) = &s.source {
                holders.push(holder(HolderKind::ReplayBuffer, src.retained.len() as u64));
            }
            if let Some(log) = &s.log {
                holders.push(holder(HolderKind::OutputLog, log.events().count() as u64));
            }
        }
        // Largest first; ties in instance order (the sort is stable).
        holders.sort_by_key(|h| std::cmp::Reverse(h.events));
        holders.retain(|h| h.events > 0);
        holders.truncate(Overload::HOLDERS);
        holders
    }
}
