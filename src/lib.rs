//! # faultline
//!
//! A discrete-event simulator and evaluation framework for fault-tolerant data stream
//! processing. A scenario file describes a streaming system (cluster, network, dataflow
//! graph, workload); faultline simulates it message by message over seeded replications and
//! reports delay and throughput with confidence intervals.
//!
//! ```text
//!  scenario.ron ─► scenario::load ─► experiment::run ─► results/…/*.csv
//!                                        │ one replication
//!                                        ▼
//!                  sim::Engine ◄── Event ──► world::World ─► partition, metrics::Recorder
//! ```
//!
//! ## Module map
//!
//! | module | owns |
//! |---|---|
//! | [`sim`] | the kernel: `SimTime`, the (time, sequence)-ordered event queue, the run loop, seeded RNG streams |
//! | [`stats`] | Student-t confidence intervals and paired differences across replications |
//! | [`model`] | nodes, network, dataflow graph, workload and distributions (plain data) |
//! | [`partition`] | hash, key-group and range partitioners |
//! | [`fault`] | fault models (crashes, correlated crashes, partitions, link spikes, scripted faults) and the per-replication fault plan |
//! | [`ft`] | fault tolerance: failure detectors (fixed-timeout heartbeat, phi-accrual), checkpoints, replication strategies and their declared guarantees |
//! | [`metrics`] | metric definitions, the per-replication recorder, and the rules that flag runaway state (checkpoints that stop completing, buffers that keep growing) |
//! | [`memory`] | the memory budget: a per-thread counting allocator, the machine's default budget, sizes |
//! | [`scenario`] | the RON schema, defaults and validation |
//! | [`world`] | one replication: the mutable state the kernel drives |
//! | [`experiment`] | replications in parallel, aggregation, the guarantee oracle across replications, the results directory |
//! | [`explore`] | the randomized fault-schedule explorer: random cases, the oracle, shrinking, reproducers |
//! | [`sweep`] | parameter sweeps: parameter paths, resumable points, shards, merge |
//! | [`gate`] | the availability regression gate's comparison with a baseline |
//! | [`validate`] | `faultline validate`: every mechanism checked against theory, with a report |
//! | [`plot`] | charts (PNG and SVG) drawn from a results directory's CSV files |
//! | [`report`] | Markdown pages of results (`report.md`): the input's description, preformatted blocks, charts with captions |
//! | [`cli`] | the command-line interface |
//!
//! ## Glossary
//!
//! - **event** (data event, tuple): one record flowing through the dataflow.
//! - **kernel event**: one entry of the simulation's event queue (an arrival, a service
//!   completion, a message delivery…); speed is measured in kernel events per second.
//! - **operator**: a stage of the dataflow graph (source, map, window, sink).
//! - **instance**: one of an operator's parallel copies, placed on a node.
//! - **node**: a machine with cores and a speed factor.
//! - **logical partition**: a slice of the key space (hash bucket, key group or key range)
//!   owned by one instance.
//! - **replication**: one independent, seeded simulation of a variant; metrics are averaged
//!   over them. Charts and text output call one a *run* ("run 0"). Not to be confused with a
//!   **replication strategy** (active, passive, upstream backup: [`ft::replication`]), which
//!   is how the simulated system keeps an operator available.
//! - **variant**: one configuration of a comparison; every variant meets the same workload
//!   and faults, replication by replication.
//! - **warm-up**: the initial period excluded from metrics.

#![warn(missing_docs)]

pub mod cli;
pub mod experiment;
pub mod explore;
pub mod fault;
pub mod ft;
pub mod gate;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod partition;
pub mod plot;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod sweep;
pub mod validate;
pub mod world;

#[cfg(test)]
mod tests;
