//! What a run will cost before it starts — kernel events, memory, output size — and how it
//! fits a memory budget: how many replications may run at once and where each is stopped.
//!
//! The estimate is a model, not a measurement: the offered load of every stage from the
//! workload's mean rates and the operators' selectivities and mean service times (no faults),
//! kernel events from the events every stage handles, and memory from the sizes of the
//! structures a replication allocates up front (series buckets, instances, channels, the
//! delivery ledger, the fault plan) plus the time series every finished replication keeps until the run is
//! written. A test holds the memory estimate within a factor of the heap measured on the
//! shipped scenarios.
//!
//! [`plan`] refuses a run whose fixed footprint alone cannot fit (one replication's share, the
//! kept results, or the output files), and otherwise chooses the replications that run at
//! once — at most one per core, fewer when the budget holds fewer — and the stop line of each:
//! half its share, so that a buffer that doubles past the line still fits. The share depends
//! on the budget, the scenario and the core count, never on `--threads`, so a stopped run
//! stops at the same instant whatever the thread count.

use std::fmt::{self, Write as _};

use crate::memory::{Budget, Bytes};
use crate::metrics::SeriesPoint;
use crate::model::{OperatorKind, Routing};
use crate::scenario::Scenario;

use super::RunResult;

/// Largest output a run may write \[bytes\] (estimated before it starts): beyond it the files
/// are of no use to anyone, and a disk may fill.
pub const MAX_OUTPUT_BYTES: u64 = 2 << 30;

/// Estimated offered load of one stage.
#[derive(Clone, Debug, PartialEq)]
pub struct StageLoad {
    /// Operator name.
    pub operator: String,
    /// Events per second arriving at the stage (all instances).
    pub arrival_rate: f64,
    /// Offered load per server of its busiest node share: arrival rate × mean service time /
    /// (speed × servers), with the load split evenly over the instances.
    pub rho: f64,
    /// Events per second the stage can serve.
    pub capacity: f64,
}

/// What a run will cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Kernel events of the whole run (every variant and replication).
    pub kernel_events: f64,
    /// Heap of one replication while it runs, before any queue grows \[bytes\].
    pub replication_bytes: u64,
    /// Heap the finished replications' summaries hold until the run is written \[bytes\].
    pub results_bytes: u64,
    /// Size of the files written \[bytes\].
    pub output_bytes: u64,
    /// Every stage that serves events, in graph order.
    pub stages: Vec<StageLoad>,
}

impl Estimate {
    /// The stages whose offered load reaches 1: their queues grow without bound.
    pub fn overloaded(&self) -> impl Iterator<Item = &StageLoad> {
        self.stages.iter().filter(|s| s.rho >= 1.0)
    }
}

/// Bytes of one bucket of the time series as a replication holds it.
const SERIES_POINT_BYTES: u64 = std::mem::size_of::<SeriesPoint>() as u64;

/// Bytes of one event of a fault plan.
const FAULT_EVENT_BYTES: u64 =
    std::mem::size_of::<(crate::sim::SimTime, crate::fault::FaultEvent)>() as u64;

/// Heap of one operator instance with its empty buffers (measured: see the tests).
const INSTANCE_BYTES: u64 = 4 << 10;

/// Heap of one channel between two instances on different nodes.
const CHANNEL_BYTES: u64 = 256;

/// Bytes of one row of `timeseries.csv`.
const TIMESERIES_ROW_BYTES: u64 = 64;

/// Kernel events per event and stage: its arrival (a delivery) and its service completion.
const KERNEL_EVENTS_PER_HOP: f64 = 2.0;

/// Estimates the cost of running `scenario`.
pub fn estimate(scenario: &Scenario) -> Estimate {
    let graph = &scenario.graph;
    let duration_s = scenario.metrics.end.as_secs_f64();
    // Arrival rate at each operator: sources' own rates, then along edges (the graph is a
    // DAG; a pass per operator reaches a fixed point).
    let n = graph.operators.len();
    let mut arrivals = vec![0.0f64; n];
    let mut emits = vec![0.0f64; n];
    for _ in 0..n.max(1) {
        for (i, op) in graph.operators.iter().enumerate() {
            emits[i] = match &op.kind {
                OperatorKind::Source { arrivals: a, .. } => {
                    f64::from(op.parallelism) * 1e9 / a.mean_gap_ns().max(1.0)
                }
                OperatorKind::Map { selectivity, .. } => arrivals[i] * selectivity,
                OperatorKind::Window { size, .. } => {
                    // One result per key seen per window and instance: at most the keys.
                    let keys = max_keys(scenario) as f64;
                    let per_window = (arrivals[i] * size.as_secs_f64()).min(keys);
                    per_window / size.as_secs_f64().max(1e-9)
                }
                OperatorKind::Sink => 0.0,
            };
        }
        let mut next = vec![0.0f64; n];
        for e in &graph.edges {
            next[e.to.index()] += emits[e.from.index()];
        }
        arrivals = next;
    }
    let mut stages = Vec::new();
    for (i, op) in graph.operators.iter().enumerate() {
        let service = match &op.kind {
            OperatorKind::Map { service, .. } | OperatorKind::Window { service, .. } => service,
            _ => continue,
        };
        // Per instance: an even share of the stage's arrivals, served by min(threads, cores)
        // servers at the node's speed; the stage's load is its busiest instance's.
        let share = arrivals[i] / f64::from(op.parallelism.max(1));
        let mut rho = 0.0f64;
        let mut capacity = 0.0;
        for inst in op.instances() {
            let node = &scenario.cluster.nodes[graph.instances[inst.index()].node.index()];
            let servers = f64::from(op.threads.min(node.cores).max(1));
            let per_server = node.speed / (service.mean_ns().max(1e-3) * 1e-9);
            rho = rho.max(share / (per_server * servers));
            capacity += per_server * servers;
        }
        stages.push(StageLoad {
            operator: op.name.clone(),
            arrival_rate: arrivals[i],
            rho,
            capacity,
        });
    }
    let replications = f64::from(scenario.replications) * scenario.variants.len() as f64;
    let hops: f64 = arrivals.iter().sum::<f64>();
    let kernel_events = hops * KERNEL_EVENTS_PER_HOP * duration_s * replications;

    // A long run's series merges buckets: it holds at most `MAX_SERIES_POINTS` points.
    let width = crate::metrics::series_width(scenario.metrics.end, scenario.metrics.bucket);
    let buckets = scenario.metrics.end.as_nanos().div_ceil(width.as_nanos());
    let replicas = scenario
        .variants
        .iter()
        .map(|v| u64::from(v.fault_tolerance.replication.strategy().replicas()))
        .max()
        .unwrap_or(1);
    let instances = graph.instances.len() as u64 * replicas;
    let channels: u64 = graph
        .edges
        .iter()
        .map(|e| {
            let (from, to) = (graph.operator(e.from), graph.operator(e.to));
            let per_sender = match e.routing {
                Routing::Forward => 1,
                _ => u64::from(to.parallelism),
            };
            u64::from(from.parallelism) * per_sender * replicas * replicas
        })
        .sum();
    // The ledger keeps one bit per source event (reserved up to 8 MiB per source instance).
    let ledger: u64 = graph
        .operators
        .iter()
        .zip(&emits)
        .filter(|(op, _)| matches!(op.kind, OperatorKind::Source { .. }))
        .map(|(op, rate)| {
            let per_instance = rate / f64::from(op.parallelism.max(1)) * duration_s;
            u64::from(op.parallelism) * ((per_instance / 8.0) as u64).min(8 << 20)
        })
        .sum();
    // The fault plan is drawn whole before the replication starts.
    let plan_events: f64 = scenario
        .faults
        .models
        .iter()
        .map(|m| crate::scenario::expected_fault_events(m, duration_s).0)
        .filter(|e| e.is_finite())
        .sum();
    let plan = (plan_events * FAULT_EVENT_BYTES as f64) as u64;
    let series = buckets * SERIES_POINT_BYTES;
    let replication_bytes =
        series + instances * INSTANCE_BYTES + channels * CHANNEL_BYTES + ledger + plan + (1 << 20);
    let results_bytes = replications as u64 * (series + (64 << 10));
    let output_bytes = replications as u64 * buckets * TIMESERIES_ROW_BYTES;
    Estimate {
        kernel_events,
        replication_bytes,
        results_bytes,
        output_bytes,
        stages,
    }
}

/// The largest key space of the scenario's sources.
fn max_keys(scenario: &Scenario) -> u64 {
    scenario
        .graph
        .operators
        .iter()
        .filter_map(|op| match &op.kind {
            OperatorKind::Source { keys, .. } => Some(keys.count()),
            _ => None,
        })
        .max()
        .unwrap_or(1)
}

/// How a run fits its budget.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The estimate it rests on.
    pub estimate: Estimate,
    /// The budget.
    pub budget: Budget,
    /// Replications that may run at once (and the default thread count).
    pub parallel: usize,
    /// Heap at which a replication is stopped \[bytes\].
    pub stop_line: u64,
}

/// Why a run was refused before it started.
#[derive(Clone, Debug, PartialEq)]
pub enum BudgetError {
    /// One replication's fixed footprint does not fit in the budget.
    Replication {
        /// The estimate.
        estimate: Estimate,
        /// The budget.
        budget: Budget,
    },
    /// The summaries kept until the run is written do not fit.
    Results {
        /// The estimate.
        estimate: Estimate,
        /// The budget.
        budget: Budget,
    },
    /// The output files would exceed [`MAX_OUTPUT_BYTES`].
    Output {
        /// The estimate.
        estimate: Estimate,
    },
}

impl fmt::Display for BudgetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Replication { estimate, budget } => write!(
                f,
                "one replication needs about {} before any queue grows (time-series points, \
                 instances, channels, the fault plan) and a replication may use at most half of \
                 the memory budget of {budget}; shorten duration_s, widen metrics.bucket_s, use fewer \
                 instances, or raise --max-memory",
                Bytes(estimate.replication_bytes)
            ),
            Self::Results { estimate, budget } => write!(
                f,
                "the finished replications' time series would hold about {} until the run is \
                 written, more than half of the memory budget of {budget}; widen \
                 metrics.bucket_s, run fewer variants or replications, or raise --max-memory",
                Bytes(estimate.results_bytes)
            ),
            Self::Output { estimate } => write!(
                f,
                "the run would write about {} of files (timeseries.csv has one row per \
                 variant, replication and time-series point, at most {} per replication), \
                 above the limit of {}; run fewer variants or replications, or widen \
                 metrics.bucket_s",
                Bytes(estimate.output_bytes),
                crate::metrics::MAX_SERIES_POINTS,
                Bytes(MAX_OUTPUT_BYTES)
            ),
        }
    }
}

impl std::error::Error for BudgetError {}

/// Fits `scenario` into `budget` on a machine with `cores` cores.
pub fn plan(scenario: &Scenario, budget: Budget, cores: usize) -> Result<Plan, BudgetError> {
    let estimate = estimate(scenario);
    if estimate.output_bytes > MAX_OUTPUT_BYTES {
        return Err(BudgetError::Output { estimate });
    }
    if estimate.results_bytes > budget.bytes / 2 {
        return Err(BudgetError::Results { estimate, budget });
    }
    let free = budget.bytes - estimate.results_bytes;
    // Each replication's share must hold twice its footprint (the stop line is at half).
    let fits = free / (2 * estimate.replication_bytes.max(1));
    if fits == 0 {
        return Err(BudgetError::Replication { estimate, budget });
    }
    let jobs = (u64::from(scenario.replications) * scenario.variants.len() as u64).max(1);
    let parallel = fits.min(cores.max(1) as u64).min(jobs) as usize;
    Ok(Plan {
        stop_line: free / parallel as u64 / 2,
        estimate,
        budget,
        parallel,
    })
}

/// What a run whose replications were stopped writes (the last paragraph of its report).
pub const STOPPED_RUN_WRITTEN: &str = "written: every result file, with each stopped \
    replication's metrics covering the measurement window up to its stop (so they describe a \
    growing backlog, not a steady state); manifest.json says \"complete\": false.";

/// The report of a run whose replications outgrew their memory budget: which stage is
/// overloaded (offered load and queue length reached), where each replication stopped, and
/// how to fix the scenario. `run` prints it and writes it as `overload.txt` followed by
/// [`STOPPED_RUN_WRITTEN`]; a sweep prints it for the point that overloaded.
pub fn overload_report(result: &RunResult) -> String {
    let mut out = String::new();
    let jobs = result.scenario.replications as usize * result.cells.len();
    let end_s = result.scenario.metrics.end.as_secs_f64();
    let _ = writeln!(
        out,
        "{} of {jobs} replications outgrew their memory budget and were stopped early.",
        result.stopped.len()
    );
    let estimate = estimate(&result.scenario);
    let unstable: Vec<&StageLoad> = estimate.overloaded().collect();
    for s in &unstable {
        let _ = writeln!(
            out,
            "overloaded stage: `{}` has offered load ρ = {:.2}: {:.0} events/s arrive and it \
             serves at most {:.0}/s, so its queue grows by about {:.0} events per second.",
            s.operator,
            s.rho,
            s.arrival_rate,
            s.capacity,
            (s.arrival_rate - s.capacity).max(0.0)
        );
    }
    let _ = writeln!(out);
    for stop in &result.stopped {
        let o = &stop.overload;
        let _ = writeln!(
            out,
            "variant {}, replication {}: stopped at t = {:.1} s of {end_s:.0} s, holding {} \
             (stop line {}); {} kernel events pending",
            stop.variant,
            stop.replication,
            o.at.as_secs_f64(),
            Bytes(o.held_bytes),
            Bytes(o.limit_bytes),
            o.pending_kernel_events
        );
        for h in &o.holders {
            let load = h
                .offered_load
                .map(|r| format!(", offered load ρ = {r:.2} measured over the run"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}[{}] on {}: {} of {} events ({:.0} arrivals/s{load})",
                h.operator,
                h.index,
                h.node,
                h.kind.label(),
                h.events,
                h.arrival_rate
            );
        }
        if o.holders
            .iter()
            .any(|h| h.kind != crate::world::HolderKind::InputQueue)
        {
            let _ = writeln!(
                out,
                "  checkpoints completed before the stop: {}",
                o.checkpoints_completed
            );
        }
    }
    let _ = writeln!(out);
    let top = result
        .stopped
        .iter()
        .filter_map(|s| s.overload.holders.first())
        .next();
    let fix = match (unstable.first(), top) {
        (Some(s), _) => format!(
            "give `{}` more capacity (parallelism, threads, faster or more cores, a shorter \
             service time) or lower the arrival rate below {:.0}/s so that ρ < 1",
            s.operator, s.capacity
        ),
        (None, Some(h)) if h.kind == crate::world::HolderKind::InputQueue => format!(
            "`{}` cannot keep up at times (bursts, faults or recovery replays push its load \
             above capacity): give it more capacity or lower the arrival rate",
            h.operator
        ),
        (None, Some(_)) => "checkpoints are not completing, so replay buffers and output logs \
             are never trimmed: make checkpoints shorter than the time between failures, or \
             lower the failure rate"
            .to_string(),
        (None, None) => "shorten duration_s or simplify the model".to_string(),
    };
    let _ = writeln!(
        out,
        "fix: {fix}; or shorten duration_s so the backlog fits; --max-memory raises the budget."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::load_fixture;

    #[test]
    fn the_mm1_estimate_gives_its_offered_load() {
        let s = load_fixture("bench/mm1-rho09.ron");
        let e = estimate(&s);
        assert_eq!(e.stages.len(), 1);
        assert!((e.stages[0].rho - 0.9).abs() < 1e-9, "{:?}", e.stages);
        assert_eq!(e.overloaded().count(), 0);
    }

    #[test]
    fn a_budget_too_small_for_one_replication_is_refused() {
        let s = load_fixture("bench/mm1-rho09.ron");
        let tiny = Budget::given(1 << 20);
        assert!(matches!(
            plan(&s, tiny, 2),
            Err(BudgetError::Replication { .. } | BudgetError::Results { .. })
        ));
        let p = plan(&s, Budget::given(8 << 30), 2).expect("fits");
        assert_eq!(p.parallel, 2);
        assert!(p.stop_line > p.estimate.replication_bytes);
    }
}
