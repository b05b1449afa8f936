//! Checkpoint intervals against Young (1974) and Daly (2006): a batch job that checkpoints
//! periodically under Poisson failures, simulated on the kernel over a grid of intervals.
//!
//! The job needs [`WORK_H`] hours of computation. It computes in segments of τ, writes a
//! checkpoint of δ = [`CHECKPOINT_MIN`] after every segment but the last, and after a
//! failure spends R = [`RESTART_MIN`] restarting, then resumes from the last completed
//! checkpoint. Failures form a Poisson process of mean spacing M (the MTBF) and strike during
//! computation, checkpoint writes and restarts alike; a failure during a restart starts the
//! restart over. Every replication index has one failure timeline, shared by every interval
//! of the grid (common random numbers), so intervals are compared pairwise.

use std::path::PathBuf;

use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};
use rayon::prelude::*;

use super::{Check, Group, LEVEL, Mode, Setup, ValidateError, sig};
use crate::plot::xy::{CiStyle, Dash, LabelledPoint, Mark, Series, XyChart};
use crate::sim::{Ctx, Engine, Handler, SimDuration, SimRng, SimTime, Stream, derive_seed};
use crate::stats::{Interval, mean, paired_difference, t_interval};

/// Master seed of the failure timelines. Arbitrary and fixed (the digits spell the year of
/// Daly's paper), so that a rerun reproduces every number; never changed to make a check pass.
pub const SEED: u64 = 0xDA1_2006;

/// Computation the job needs \[h\].
pub const WORK_H: f64 = 500.0;
/// Time to write one checkpoint, δ \[min\].
pub const CHECKPOINT_MIN: f64 = 5.0;
/// Time to restart after a failure, R \[min\].
pub const RESTART_MIN: f64 = 10.0;
/// The MTBFs studied \[min\]: 24 h, 6 h and 15 min.
pub const MTBFS_MIN: [f64; 3] = [24.0 * 60.0, 6.0 * 60.0, 15.0];

/// MTBF and checkpoint interval of the work-lost check \[min\]: M ≫ τ.
const LOSS_CASE: (f64, f64) = (24.0 * 60.0, 60.0);
/// Failure-stream index of the work-lost check (0…2 are the grid MTBFs), so that its
/// replications are independent of the grid's.
const LOSS_STREAM: u32 = 3;

/// How much to simulate.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Log-spaced grid points from 0.3 τ_D to 3 τ_D (τ_D and τ_Y are added).
    grid: usize,
    /// Replications per grid point.
    reps: u32,
    /// Replications of the work-lost check.
    loss_reps: u32,
}

impl Plan {
    fn new(mode: Mode) -> Self {
        match mode {
            Mode::Full => Self {
                grid: 25,
                reps: 1000,
                loss_reps: 10_000,
            },
            Mode::Quick => Self {
                grid: 9,
                reps: 30,
                loss_reps: 200,
            },
        }
    }
}

/// Young's first-order optimum τ_Y = √(2δM) (Young, CACM 17(9), 1974), in the unit of the
/// arguments.
fn young(delta: f64, mtbf: f64) -> f64 {
    (2.0 * delta * mtbf).sqrt()
}

/// Daly's higher-order optimum (Daly, FGCS 22(3), 2006):
/// τ_D = √(2δM)·[1 + ⅓√(δ/2M) + ⅑(δ/2M)] − δ for δ < 2M, else M.
fn daly(delta: f64, mtbf: f64) -> f64 {
    if delta >= 2.0 * mtbf {
        return mtbf;
    }
    let x = delta / (2.0 * mtbf);
    young(delta, mtbf) * (1.0 + x.sqrt() / 3.0 + x / 9.0) - delta
}

/// Expected wall-clock time to get through `length` of failure-free time that any failure
/// sends back to its start, with a restart of `restart` (itself subject to failures) after
/// each failure: M·e^{R/M}·(e^{L/M} − 1).
fn segment_time(length: f64, restart: f64, mtbf: f64) -> f64 {
    mtbf * (restart / mtbf).exp() * (length / mtbf).exp_m1()
}

/// Daly's expected completion time (2006) with exponential failures:
/// T_w(τ) = M·e^{R/M}·(e^{(τ+δ)/M} − 1)·T_s/τ — T_s/τ segments of τ + δ, each started over
/// after a failure and a restart.
fn daly_completion(work: f64, tau: f64, delta: f64, restart: f64, mtbf: f64) -> f64 {
    segment_time(tau + delta, restart, mtbf) * work / tau
}

/// The exact expectation for this model's convention: ⌈T_s/τ⌉ − 1 segments of τ + δ and a
/// last one of the remaining work without a checkpoint. Differs from Daly's whole-number
/// approximation by less than one segment's time.
fn exact_completion(work: f64, tau: f64, delta: f64, restart: f64, mtbf: f64) -> f64 {
    let n = segments(work, tau);
    let last = work - (n - 1.0) * tau;
    (n - 1.0) * segment_time(tau + delta, restart, mtbf) + segment_time(last, restart, mtbf)
}

/// Number of segments of at most `tau` that `work` needs.
fn segments(work: f64, tau: f64) -> f64 {
    (work / tau).ceil().max(1.0)
}

/// Expected work lost by a failure that strikes during computation, for segments of `tau`.
///
/// A compute attempt starts when a checkpoint or a restart completes. Failures are Poisson,
/// so from that moment the time X to the next failure is exponential with mean M whatever
/// happened before. The failure strikes during computation iff X < τ, and then loses exactly
/// X (the work since the last completed checkpoint). Hence
/// E[X | X < τ] = ∫₀^τ x·e^{−x/M}/M dx / (1 − e^{−τ/M}) = M − τ/(e^{τ/M} − 1)
/// = τ/2 − τ²/(12M) + O(τ⁴/M³): just under the folklore τ/2. Each such loss is an independent
/// draw from this law, so the mean of a replication's losses estimates it without bias.
fn expected_loss(tau: f64, mtbf: f64) -> f64 {
    mtbf - tau / (tau / mtbf).exp_m1()
}

/// One model run at one interval and MTBF.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Run {
    /// Wall-clock time to finish the job \[s\].
    completion_s: f64,
    /// Failures before the job finished.
    failures: u32,
    /// Failures during computation.
    compute_failures: u32,
    /// Work lost by those failures \[s\].
    lost_s: f64,
}

/// Kernel events. Failures make pending completions stale: each completion carries the
/// attempt it belongs to and is ignored once a failure has started a new one (the kernel has
/// no cancellation).
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The computation of the current segment ends.
    SegmentDone { attempt: u64 },
    /// The checkpoint after it is written.
    CheckpointDone { attempt: u64 },
    /// A failure strikes.
    Failure,
    /// The restart after a failure completes.
    RestartDone { attempt: u64 },
}

/// What the job is doing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Computing the current segment since the given time.
    Compute { since: SimTime },
    /// Writing the checkpoint of the current segment.
    Checkpoint,
    /// Restarting after a failure.
    Restart,
    /// Finished.
    Done,
}

/// The job's state: the kernel's handler.
struct Job {
    work: SimDuration,
    tau: SimDuration,
    delta: SimDuration,
    restart: SimDuration,
    mtbf_ns: f64,
    failures: SimRng,
    /// Work saved by the last completed checkpoint.
    committed: SimDuration,
    phase: Phase,
    /// Bumped by every failure; completions of older attempts are stale.
    attempt: u64,
    finished: Option<SimTime>,
    run: Run,
}

impl Job {
    /// Length of the segment after the committed work: τ, or what remains.
    fn segment(&self) -> SimDuration {
        let left = self.work.as_nanos() - self.committed.as_nanos();
        SimDuration::from_nanos(left.min(self.tau.as_nanos()))
    }

    fn is_last_segment(&self) -> bool {
        self.committed.as_nanos() + self.segment().as_nanos() >= self.work.as_nanos()
    }

    fn start_segment(&mut self, cx: &mut Ctx<'_, Event>) {
        self.phase = Phase::Compute { since: cx.now() };
        let attempt = self.attempt;
        cx.schedule_in(self.segment(), Event::SegmentDone { attempt });
    }

    fn next_failure(&mut self) -> SimDuration {
        let e: f64 = Exp1.sample(&mut self.failures);
        if self.mtbf_ns.is_infinite() {
            // No failures: the longest span the clock takes, decades after the job ends.
            return SimDuration::from_nanos_f64(f64::INFINITY);
        }
        SimDuration::from_nanos_f64(e * self.mtbf_ns)
    }
}

impl Handler<Event> for Job {
    fn handle(&mut self, event: Event, cx: &mut Ctx<'_, Event>) {
        if self.phase == Phase::Done {
            return;
        }
        match event {
            Event::SegmentDone { attempt } if attempt == self.attempt => {
                if self.is_last_segment() {
                    self.phase = Phase::Done;
                    self.finished = Some(cx.now());
                } else {
                    self.phase = Phase::Checkpoint;
                    cx.schedule_in(self.delta, Event::CheckpointDone { attempt });
                }
            }
            Event::CheckpointDone { attempt } if attempt == self.attempt => {
                self.committed = self.committed + self.segment();
                self.start_segment(cx);
            }
            Event::RestartDone { attempt } if attempt == self.attempt => self.start_segment(cx),
            Event::Failure => {
                self.run.failures += 1;
                if let Phase::Compute { since } = self.phase {
                    self.run.compute_failures += 1;
                    self.run.lost_s += (cx.now() - since).as_secs_f64();
                }
                self.attempt += 1;
                self.phase = Phase::Restart;
                let attempt = self.attempt;
                cx.schedule_in(self.restart, Event::RestartDone { attempt });
                let next = self.next_failure();
                cx.schedule_in(next, Event::Failure);
            }
            // A completion of an attempt a failure has ended.
            _ => {}
        }
    }
}

/// Simulates the job once: checkpoint interval `tau_s`, MTBF `mtbf_s` (infinite for no
/// failures), failure times from a stream seeded with `seed`.
fn simulate(tau_s: f64, mtbf_s: f64, seed: u64) -> Result<Run, ValidateError> {
    let mut job = Job {
        work: SimDuration::from_secs_f64(WORK_H * 3600.0),
        tau: SimDuration::from_secs_f64(tau_s),
        delta: SimDuration::from_secs_f64(CHECKPOINT_MIN * 60.0),
        restart: SimDuration::from_secs_f64(RESTART_MIN * 60.0),
        mtbf_ns: mtbf_s * 1e9,
        failures: SimRng::seed_from_u64(seed),
        committed: SimDuration::ZERO,
        phase: Phase::Compute {
            since: SimTime::ZERO,
        },
        attempt: 0,
        finished: None,
        run: Run {
            completion_s: f64::NAN,
            failures: 0,
            compute_failures: 0,
            lost_s: 0.0,
        },
    };
    if job.tau == SimDuration::ZERO {
        return Err(ValidateError::Run(format!(
            "checkpoint interval {tau_s} s is not positive"
        )));
    }
    let mut engine = Engine::with_capacity(8);
    engine.schedule_at(
        SimTime::ZERO + job.segment(),
        Event::SegmentDone { attempt: 0 },
    );
    let first = job.next_failure();
    engine.schedule_at(SimTime::ZERO + first, Event::Failure);
    engine.run_until(SimTime::NEVER, &mut job);
    let finished = job.finished.ok_or_else(|| {
        ValidateError::Run(format!(
            "checkpointing model: the job (τ = {tau_s} s, M = {mtbf_s} s) never finished"
        ))
    })?;
    job.run.completion_s = finished.as_secs_f64();
    Ok(job.run)
}

/// One simulated configuration: interval and MTBF \[min\], and the failure stream index.
#[derive(Clone, Copy, Debug)]
struct Case {
    tau_min: f64,
    mtbf_min: f64,
    stream: u32,
}

/// `reps` replications of every case, grouped by case in replication order, run on the
/// current rayon pool. Replication r of every case with the same stream index sees the same
/// failure timeline.
fn run_cases(cases: &[Case], reps: u32) -> Result<Vec<Vec<Run>>, ValidateError> {
    let jobs = cases.len() * reps as usize;
    // One flat, indexed job list: rayon's collect keeps the order whatever the thread count.
    let runs: Vec<Run> = (0..jobs)
        .into_par_iter()
        .map(|job| {
            let case = cases[job / reps as usize];
            let r = (job % reps as usize) as u32;
            let seed = derive_seed(SEED, r, Stream::Faults, case.stream);
            simulate(case.tau_min * 60.0, case.mtbf_min * 60.0, seed)
        })
        .collect::<Result<_, _>>()?;
    Ok(runs
        .chunks(reps.max(1) as usize)
        .map(<[Run]>::to_vec)
        .collect())
}

/// "24 h", "6 h", "15 min".
fn mtbf_label(mtbf_min: f64) -> String {
    let hours = mtbf_min / 60.0;
    if hours >= 1.0 && hours.fract() == 0.0 {
        format!("{hours} h")
    } else if mtbf_min.fract() == 0.0 {
        format!("{mtbf_min} min")
    } else {
        format!("{} min", sig(mtbf_min))
    }
}

/// The grid of one MTBF: `points` log-spaced intervals from 0.3 τ_D to 3 τ_D, plus τ_D and
/// τ_Y, ascending \[min\].
fn grid(points: usize, tau_d: f64, tau_y: f64) -> Vec<f64> {
    let mut taus: Vec<f64> = (0..points)
        .map(|k| 0.3 * tau_d * 10f64.powf(k as f64 / (points.max(2) - 1) as f64))
        .chain([tau_d, tau_y])
        .collect();
    taus.sort_by(f64::total_cmp);
    taus.dedup();
    taus
}

/// Completion times \[h\] of a case's replications.
fn hours(runs: &[Run]) -> Vec<f64> {
    runs.iter().map(|r| r.completion_s / 3600.0).collect()
}

fn interval(samples: &[f64]) -> Result<Interval, ValidateError> {
    t_interval(samples, LEVEL).map_err(|e| ValidateError::Run(format!("checkpointing: {e}")))
}

/// Formats an interval of hours as "mean h [low, high]".
fn hours_ci(ci: &Interval) -> String {
    format!("{} h [{}, {}]", sig(ci.mean), sig(ci.low), sig(ci.high))
}

/// One MTBF's grid results.
struct Study {
    mtbf_min: f64,
    tau_y: f64,
    tau_d: f64,
    taus: Vec<f64>,
    /// Completion times \[h\] per grid point, per replication.
    hours: Vec<Vec<f64>>,
}

impl Study {
    fn index_of(&self, tau: f64) -> usize {
        self.taus.iter().position(|t| *t == tau).unwrap_or(0)
    }

    /// Index of the grid point of least mean completion time.
    fn best(&self) -> usize {
        (0..self.taus.len())
            .min_by(|&a, &b| mean(&self.hours[a]).total_cmp(&mean(&self.hours[b])))
            .unwrap_or(0)
    }

    /// Check (a): is Daly's interval as good as the best of the grid?
    ///
    /// Picking the smallest of many noisy means and then testing it against τ_D on the same
    /// replications would reject τ_D too often, so τ_D is compared with every grid point at a
    /// Bonferroni-corrected level: it fails only if some grid point is faster at family-wise
    /// confidence [`LEVEL`]. The best point's difference is the one reported.
    fn optimum_check(&self) -> Result<Check, ValidateError> {
        let n = self.hours[0].len();
        let d = self.index_of(self.tau_d);
        let y = self.index_of(self.tau_y);
        let others = self.taus.len().saturating_sub(1).max(1);
        let level = 1.0 - (1.0 - LEVEL) / others as f64;
        let diff = |a: usize, b: usize, level: f64| {
            paired_difference(&self.hours[a], &self.hours[b], level)
                .map_err(|e| ValidateError::Run(format!("checkpointing: {e}")))
        };
        // T(τ_D) − T(τ_k) for every other grid point k.
        let mut faster = Vec::new();
        for k in (0..self.taus.len()).filter(|k| *k != d) {
            if diff(k, d, level)?.low > 0.0 {
                faster.push(sig(self.taus[k]));
            }
        }
        let best = self.best();
        let young = diff(d, y, LEVEL)?;
        let young_note = format!(
            "T(τ_Y) − T(τ_D) = {} at τ_Y = {} min ({:.0} % CI)",
            hours_ci(&young),
            sig(self.tau_y),
            LEVEL * 100.0
        );
        let verdict = if faster.is_empty() {
            String::new()
        } else {
            format!("faster than τ_D: τ = {} min; ", faster.join(", "))
        };
        let note = if best == d {
            format!("{verdict}the best grid point is τ_D; {young_note}")
        } else {
            format!(
                "{verdict}T(τ_D) − T(best) = {} (Bonferroni {} % CI); {young_note}",
                hours_ci(&diff(best, d, level)?),
                sig(level * 100.0)
            )
        };
        let source = format!(
            "Daly (FGCS 22, 2006) τ_D = √(2δM)·[1 + ⅓√(δ/2M) + ⅑·δ/2M] − δ, δ = {CHECKPOINT_MIN} \
             min; measured: the interval of least mean completion time among {} grid points \
             (0.3–3 τ_D log-spaced, plus τ_D and τ_Y; {n} replications each, common failure \
             timelines); passes unless a grid point is faster than τ_D at family-wise {:.0} % \
             confidence (paired intervals of T(τ_D) − T(τ), Bonferroni-corrected)",
            self.taus.len(),
            LEVEL * 100.0,
        );
        Ok(Check::exact(
            Group::Checkpointing,
            format!(
                "optimum checkpoint interval, M = {}",
                mtbf_label(self.mtbf_min)
            ),
            "min",
            self.tau_d,
            source,
            self.taus[best],
            faster.is_empty(),
            note,
        ))
    }

    /// Check (b): simulated mean completion time at τ_D against Daly's T_w(τ_D).
    fn completion_check(&self, mode: Mode) -> Check {
        let work = WORK_H * 60.0;
        let (delta, restart, m) = (CHECKPOINT_MIN, RESTART_MIN, self.mtbf_min);
        let theory = daly_completion(work, self.tau_d, delta, restart, m) / 60.0;
        let exact = exact_completion(work, self.tau_d, delta, restart, m) / 60.0;
        let mut check = Check::from_samples(
            Group::Checkpointing,
            format!(
                "completion time at τ_D = {} min, M = {}",
                sig(self.tau_d),
                mtbf_label(m)
            ),
            "h",
            theory,
            format!(
                "Daly (2006) T_w(τ) = M·e^{{R/M}}·(e^{{(τ+δ)/M}} − 1)·T_s/τ, T_s = {WORK_H} h, \
                 δ = {CHECKPOINT_MIN} min, R = {RESTART_MIN} min"
            ),
            &self.hours[self.index_of(self.tau_d)],
            mode,
        );
        let convention = format!(
            "Daly counts T_s/τ whole segments; this model's last segment is the remainder \
             without a checkpoint, whose exact expectation is {} h ({:+.3} %)",
            sig(exact),
            (exact / theory - 1.0) * 100.0
        );
        check.note = if check.note.is_empty() {
            convention
        } else {
            format!("{}; {convention}", check.note)
        };
        check
    }
}

/// Check (c): mean work lost per failure during computation against E[X | X < τ].
fn loss_check(runs: &[Run], mode: Mode) -> Check {
    let (mtbf, tau) = LOSS_CASE;
    // Replication means of the loss; a replication without a compute failure has none.
    let samples: Vec<f64> = runs
        .iter()
        .filter(|r| r.compute_failures > 0)
        .map(|r| r.lost_s / 60.0 / f64::from(r.compute_failures))
        .collect();
    let failures: u32 = runs.iter().map(|r| r.compute_failures).sum();
    let theory = expected_loss(tau, mtbf);
    let mut check = Check::from_samples(
        Group::Checkpointing,
        format!(
            "work lost per failure, τ = {} min, M = {}",
            sig(tau),
            mtbf_label(mtbf)
        ),
        "min",
        theory,
        format!(
            "the folklore τ/2 = {} min, exactly E[X | X < τ] = M − τ/(e^{{τ/M}} − 1) ≈ τ/2 − \
             τ²/12M for exponential failures (X: time from the last checkpoint to the failure; \
             failures during computation only)",
            sig(tau / 2.0)
        ),
        &samples,
        mode,
    );
    let half = match &check.measured {
        super::Measured::Interval(ci) if ci.contains(tau / 2.0) => "inside",
        _ => "outside",
    };
    let extra = format!(
        "{failures} failures during computation in {} replications; τ/2 is {half} the interval",
        runs.len()
    );
    check.note = if check.note.is_empty() {
        extra
    } else {
        format!("{}; {extra}", check.note)
    };
    check
}

/// Runs the checkpointing checks and draws `checkpoint_interval`: Daly's optimum against the
/// simulated best interval and Daly's expected completion time per MTBF, and the work lost
/// per failure.
pub fn checks(setup: &Setup) -> Result<(Vec<Check>, Vec<PathBuf>), ValidateError> {
    let plan = Plan::new(setup.mode);
    let mut cases = Vec::new();
    let mut studies = Vec::new();
    for (stream, &m) in MTBFS_MIN.iter().enumerate() {
        let (tau_y, tau_d) = (young(CHECKPOINT_MIN, m), daly(CHECKPOINT_MIN, m));
        let taus = grid(plan.grid, tau_d, tau_y);
        cases.extend(taus.iter().map(|&tau_min| Case {
            tau_min,
            mtbf_min: m,
            stream: stream as u32,
        }));
        studies.push(Study {
            mtbf_min: m,
            tau_y,
            tau_d,
            taus,
            hours: Vec::new(),
        });
    }
    let mut results = run_cases(&cases, plan.reps)?.into_iter();
    for study in &mut studies {
        study.hours = results
            .by_ref()
            .take(study.taus.len())
            .map(|r| hours(&r))
            .collect();
    }
    let loss_case = Case {
        tau_min: LOSS_CASE.1,
        mtbf_min: LOSS_CASE.0,
        stream: LOSS_STREAM,
    };
    let loss_runs = run_cases(&[loss_case], plan.loss_reps)?;

    let mut rows = Vec::new();
    for study in &studies {
        rows.push(study.optimum_check()?);
        rows.push(study.completion_check(setup.mode));
    }
    rows.push(loss_check(
        loss_runs.first().map_or(&[][..], Vec::as_slice),
        setup.mode,
    ));
    let chart = chart(&studies, plan.reps)?;
    let written = chart.write(&setup.chart("checkpoint_interval"))?;
    Ok((rows, written))
}

/// Overhead (completion time / T_s − 1, in %) against the interval, one band per MTBF, with
/// Young's and Daly's intervals marked.
fn chart(studies: &[Study], reps: u32) -> Result<XyChart, ValidateError> {
    let mut chart = XyChart::new(
        format!(
            "Checkpointing a {WORK_H} h job (δ = {CHECKPOINT_MIN} min, R = {RESTART_MIN} min): \
             mean of {reps} replications, 99 % CI"
        ),
        "checkpoint interval τ [min], log scale",
        format!("overhead: completion time / {WORK_H} h − 1 [%], log scale"),
    );
    chart.log_x = true;
    chart.log_y = true;
    let overhead = |h: f64| (h / WORK_H - 1.0) * 100.0;
    for (i, s) in studies.iter().enumerate() {
        let mut points = Vec::new();
        let mut ci = Vec::new();
        for (tau, hours) in s.taus.iter().zip(&s.hours) {
            let c = interval(hours)?;
            points.push((*tau, overhead(c.mean)));
            ci.push((overhead(c.low), overhead(c.high)));
        }
        let label = mtbf_label(s.mtbf_min);
        chart.series.push(
            Series::new(format!("simulated, MTBF M = {label}"), points).with_ci(ci, CiStyle::Band),
        );
        chart.marks.push(Mark {
            label: format!("Young {} min (M = {label})", sig(s.tau_y)),
            x: s.tau_y,
            series: Some(i),
            dash: Dash::Short,
        });
        chart.marks.push(Mark {
            label: format!("Daly {} min (M = {label})", sig(s.tau_d)),
            x: s.tau_d,
            series: Some(i),
            dash: Dash::Long,
        });
        let best = s.best();
        chart.points.push(LabelledPoint {
            label: format!("best: {} min", sig(s.taus[best])),
            x: s.taus[best],
            y: overhead(mean(&s.hours[best])),
            series: Some(i),
        });
    }
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_give_the_published_intervals() {
        // Daly ≈ 117, 57 and 9.1 min; Young 120, 60 and 12.25 min.
        let expected = [
            (1440.0, 120.0, 117.0, 0.5),
            (360.0, 60.0, 57.0, 0.5),
            (15.0, 12.25, 9.1, 0.05),
        ];
        for (m, y, d, tolerance) in expected {
            assert!((young(5.0, m) - y).abs() < 0.005, "Young, M = {m}");
            let tau_d = daly(5.0, m);
            assert!((tau_d - d).abs() < tolerance, "Daly, M = {m}: {tau_d}");
        }
        assert!((daly(5.0, 15.0) - 9.141).abs() < 1e-3);
        // Beyond δ = 2M Daly takes τ = M.
        assert_eq!(daly(5.0, 2.0), 2.0);
        // τ_D minimises T_w to within a few parts in a million (checked on a fine grid).
        for m in MTBFS_MIN {
            let t = |tau: f64| daly_completion(30000.0, tau, 5.0, 10.0, m);
            let at_d = t(daly(5.0, m));
            let best = (1..4000)
                .map(|k| t(f64::from(k) * 0.1))
                .fold(f64::INFINITY, f64::min);
            assert!(at_d <= best * (1.0 + 1e-5), "M = {m}");
        }
    }

    #[test]
    fn expected_loss_is_just_under_half_the_interval() {
        let (m, tau) = (1440.0, 60.0);
        let exact = expected_loss(tau, m);
        let series = tau / 2.0 - tau * tau / (12.0 * m);
        assert!((exact - series).abs() < 1e-3, "{exact} vs {series}");
        // Numerical integration of E[X | X < τ].
        let n = 100_000;
        let (mut num, mut den) = (0.0, 0.0);
        for k in 0..n {
            let x = (f64::from(k) + 0.5) * tau / f64::from(n);
            let w = (-x / m).exp();
            num += x * w;
            den += w;
        }
        assert!((exact - num / den).abs() < 1e-6);
    }

    #[test]
    fn without_failures_the_job_takes_its_work_and_checkpoints() {
        let work = SimDuration::from_secs_f64(WORK_H * 3600.0).as_nanos();
        let delta = SimDuration::from_secs_f64(CHECKPOINT_MIN * 60.0).as_nanos();
        // τ dividing the work, not dividing it, and longer than the whole job.
        for tau_min in [60.0, 7.0, 117.3, 40_000.0] {
            let run = simulate(tau_min * 60.0, f64::INFINITY, 1).unwrap();
            let tau = SimDuration::from_secs_f64(tau_min * 60.0).as_nanos();
            let n = work.div_ceil(tau);
            let expected = SimTime::from_nanos(work + (n - 1) * delta).as_secs_f64();
            assert_eq!(run.completion_s, expected, "τ = {tau_min} min");
            assert_eq!((run.failures, run.compute_failures), (0, 0));
        }
    }

    #[test]
    fn runs_are_deterministic_and_share_failure_timelines() {
        let seed = derive_seed(SEED, 4, Stream::Faults, 2);
        let a = simulate(9.0 * 60.0, 15.0 * 60.0, seed).unwrap();
        assert_eq!(a, simulate(9.0 * 60.0, 15.0 * 60.0, seed).unwrap());
        assert!(a.failures > 1000 && a.completion_s > WORK_H * 3600.0);
        let cases = [
            Case {
                tau_min: 30.0,
                mtbf_min: 60.0,
                stream: 0,
            },
            Case {
                tau_min: 60.0,
                mtbf_min: 60.0,
                stream: 0,
            },
        ];
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| run_cases(&cases, 6)).unwrap();
        assert_eq!(one, pool(2).install(|| run_cases(&cases, 6)).unwrap());
        assert_eq!(
            one[0][5],
            simulate(1800.0, 3600.0, derive_seed(SEED, 5, Stream::Faults, 0)).unwrap()
        );
    }

    #[test]
    fn quick_checks_write_their_chart() {
        let out = std::env::temp_dir().join(format!(
            "faultline-validate-checkpointing-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&out);
        let setup = Setup {
            scenarios: PathBuf::from("scenarios/validation"),
            out: out.clone(),
            mode: Mode::Quick,
            threads: 2,
        };
        let (rows, charts) = checks(&setup).unwrap();
        assert_eq!(rows.len(), 7);
        assert!(rows.iter().all(|r| r.group == Group::Checkpointing));
        assert_eq!(
            charts,
            [
                out.join("checkpoint_interval.png"),
                out.join("checkpoint_interval.svg")
            ]
        );
        assert!(charts.iter().all(|c| c.exists()));
        std::fs::remove_dir_all(&out).unwrap();
    }
}
