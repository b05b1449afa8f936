//! The published trend of Hwang et al. (ICDE 2005): on a chain of operators, recovery time
//! ranks active < passive < upstream backup while runtime overhead ranks the other way, and
//! passive traces a curve between them as its checkpoint interval varies.

use std::path::PathBuf;

use super::{Check, Group, Setup, ValidateError, run_file};
use crate::plot::xy::{CiStyle, LabelledPoint, Series, XyChart};

/// (label, recovery mean \[s\], recovery 99 % interval, overhead \[MB/s\]).
type Point = (String, f64, (f64, f64), f64);

/// The trend checks and the recovery-versus-overhead chart.
pub fn checks(setup: &Setup) -> Result<(Vec<Check>, Vec<PathBuf>), ValidateError> {
    let mode = setup.mode;
    let (scenario, run) = run_file(setup, "hwang-chain.ron", |f| {
        f.duration_s = mode.scale(f.duration_s, 3.0, 120.0);
        f.replications = mode.scale(f64::from(f.replications), 2.0, 4.0) as u32;
    })?;
    let window = (scenario.metrics.end - scenario.metrics.warmup).as_secs_f64();
    let cost = |label: &str| -> f64 {
        run.cells
            .iter()
            .find(|c| c.label == label)
            .map(|c| {
                let v = c.values("cost_bytes");
                v.iter().sum::<f64>() / v.len() as f64
            })
            .unwrap_or(f64::NAN)
    };
    let zero = cost("none");
    let mut points: Vec<Point> = Vec::new();
    for cell in run.cells.iter().filter(|c| c.label != "none") {
        let ci = cell.interval("recovery_time_mean_s", super::LEVEL);
        let (mean, bounds) = ci.map_or((f64::NAN, (f64::NAN, f64::NAN)), |i| {
            (i.mean, (i.low, i.high))
        });
        // Bytes sent or written beyond restart-only, per second of the run.
        let overhead = (cost(&cell.label) - zero) / scenario.metrics.end.as_secs_f64() / 1e6;
        points.push((cell.label.clone(), mean, bounds, overhead));
    }
    let _ = window;
    let get = |l: &str| points.iter().find(|p| p.0 == l).cloned();
    let passive: Vec<Point> = points
        .iter()
        .filter(|p| p.0.starts_with("passive"))
        .cloned()
        .collect();
    let (Some(active), Some(upstream), Some(p1)) =
        (get("active"), get("upstream-backup"), get("passive-1p0s"))
    else {
        return Err(ValidateError::Run(
            "hwang-chain.ron lacks a variant".to_string(),
        ));
    };
    let mut checks = Vec::new();
    let describe = |p: &Point| format!("{} {} s / {} MB/s", p.0, super::sig(p.1), super::sig(p.3));
    let passive_list = passive.iter().map(describe).collect::<Vec<_>>().join(", ");
    // Recovery: active below every passive; passive (same 1 s interval as upstream backup's
    // trimming) below upstream backup — interval bounds, not just means.
    let fastest_passive_low = passive.iter().map(|p| p.2.0).fold(f64::INFINITY, f64::min);
    checks.push(Check::exact(
        Group::Trend,
        "recovery time: active < every passive",
        "s",
        fastest_passive_low,
        "Hwang et al. 2005, Fig. 9: active standby recovers fastest",
        active.2.1,
        active.2.1 < fastest_passive_low,
        format!("active {} s; {passive_list}", super::sig(active.1)),
    ));
    checks.push(Check::exact(
        Group::Trend,
        "recovery time: passive (1 s checkpoints) < upstream backup (1 s acknowledgements)",
        "s",
        upstream.2.0,
        "Hwang et al. 2005, Fig. 9: upstream backup recovers slowest",
        p1.2.1,
        p1.2.1 < upstream.2.0,
        format!(
            "passive-1p0s {} s, upstream backup {} s",
            super::sig(p1.1),
            super::sig(upstream.1)
        ),
    ));
    let max_passive = passive
        .iter()
        .map(|p| p.3)
        .fold(f64::NEG_INFINITY, f64::max);
    let min_passive = passive.iter().map(|p| p.3).fold(f64::INFINITY, f64::min);
    checks.push(Check::exact(
        Group::Trend,
        "runtime overhead: active > every passive > upstream backup",
        "MB/s",
        max_passive,
        "Hwang et al. 2005, Fig. 9: the cost ranks the other way",
        active.3,
        active.3 > max_passive && min_passive > upstream.3,
        format!(
            "active {} MB/s, passive {}–{} MB/s, upstream backup {} MB/s (beyond restart-only)",
            super::sig(active.3),
            super::sig(min_passive),
            super::sig(max_passive),
            super::sig(upstream.3)
        ),
    ));
    // Passive traces a curve: shorter intervals cost more and recover faster.
    let monotone = passive
        .windows(2)
        .all(|w| w[0].3 > w[1].3 && w[0].1 < w[1].1);
    checks.push(Check::exact(
        Group::Trend,
        "passive traces a curve: longer checkpoint interval, less overhead, slower recovery",
        "",
        1.0,
        "Hwang et al. 2005, Fig. 9",
        f64::from(u8::from(monotone)),
        monotone,
        passive_list.clone(),
    ));

    let mut chart = XyChart::new(
        "Recovery time vs runtime overhead on a 3-operator chain (after Hwang et al., ICDE 2005)",
        "runtime overhead: bytes sent or written beyond restart-only [MB/s]",
        "mean recovery time [s]",
    );
    for (k, group) in [
        vec![active.clone()],
        passive.clone(),
        vec![upstream.clone()],
    ]
    .into_iter()
    .enumerate()
    {
        let label = [
            "active",
            "passive (checkpoint interval varies)",
            "upstream backup",
        ][k];
        chart.series.push(
            Series::new(label, group.iter().map(|p| (p.3, p.1)).collect())
                .with_ci(group.iter().map(|p| p.2).collect(), CiStyle::Whiskers),
        );
    }
    chart.points = passive
        .iter()
        .map(|p| LabelledPoint {
            label: p
                .0
                .trim_start_matches("passive-")
                .replace('p', ".")
                .to_string(),
            x: p.3,
            y: p.1,
            series: Some(1),
        })
        .collect();
    let paths = chart.write(&setup.chart("hwang_tradeoff"))?;
    Ok((checks, paths))
}
