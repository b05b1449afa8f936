//! Real engines' failure-detection defaults (`scenarios/presets/`) on the sensor pipeline:
//! the detection time each gives against Δ + d − η/2, and the failover time (crash →
//! replacement running) against detection plus the restart.

use std::path::PathBuf;

use super::{Check, Group, Setup, ValidateError, run_file};
use crate::metrics::EpisodeKind;
use crate::plot::xy::{CiStyle, LabelledPoint, Series, XyChart};
use crate::stats::t_interval;

/// (file, name, heartbeat interval η \[s\], timeout Δ \[s\]).
const PRESETS: [(&str, &str, f64, f64); 3] = [
    ("kafka-streams.ron", "Kafka Streams", 3.0, 45.0),
    ("flink.ron", "Flink", 10.0, 50.0),
    ("tuned.ron", "tuned", 0.1, 0.5),
];

/// Mean network delay of the preset scenarios \[s\].
const D_NET: f64 = 0.0005;
/// Process start of the preset scenarios \[s\] (state restore is well under a millisecond).
const RESTART: f64 = 1.0;

/// The preset checks and their chart.
pub fn checks(setup: &Setup) -> Result<(Vec<Check>, Vec<PathBuf>), ValidateError> {
    let mode = setup.mode;
    let presets = setup.scenarios.join("../presets");
    let preset_setup = Setup {
        scenarios: presets,
        ..setup.clone()
    };
    let mut checks = Vec::new();
    let mut failover_points = Vec::new();
    for (file, name, eta, delta) in PRESETS {
        let (_, run) = run_file(&preset_setup, file, |f| {
            f.duration_s = mode.scale(f.duration_s, 3.0, 300.0);
            f.replications = mode.scale(f64::from(f.replications), 3.0, 10.0) as u32;
        })?;
        let mut detection = Vec::new();
        let mut failover = Vec::new();
        for rep in &run.cells[0].replications {
            for e in rep
                .episodes
                .iter()
                .filter(|e| e.kind == EpisodeKind::NodeCrash)
            {
                let Some(d) = e.detected_at else {
                    continue;
                };
                detection.push((d - e.fault_at).as_secs_f64());
                let Some(r) = e.restored_at else {
                    continue; // the node hosted nothing: no failover
                };
                // One failure at a time: the replacement started right after detection.
                if ((r - d).as_secs_f64() - RESTART).abs() < 0.01 {
                    failover.push((r - e.fault_at).as_secs_f64());
                }
            }
        }
        let detect_theory = delta + D_NET - eta / 2.0;
        checks.push(Check::from_samples(
            Group::Presets,
            format!("{name} (η = {eta} s, Δ = {delta} s): detection time"),
            "s",
            detect_theory,
            "Δ + d − η/2",
            &detection,
            mode,
        ));
        let failover_theory = detect_theory + RESTART;
        let mut check = Check::from_samples(
            Group::Presets,
            format!("{name}: failover, crash → replacement running"),
            "s",
            failover_theory,
            "Δ + d − η/2 + restart (1 s)",
            &failover,
            mode,
        );
        if name == "Kafka Streams" {
            check.note = format!(
                "{}real Kafka Streams failovers take about the 45 s session timeout (≈ 44 s)",
                if check.note.is_empty() {
                    String::new()
                } else {
                    format!("{}; ", check.note)
                }
            );
        }
        if let Ok(ci) = t_interval(&failover, super::LEVEL) {
            failover_points.push((name, delta, ci));
        }
        checks.push(check);
    }
    let mut chart = XyChart::new(
        "Failover time of real engines' detection defaults (sensor pipeline)",
        "detector timeout Δ [s]",
        "failover time, crash → replacement running [s]",
    );
    chart.log_x = true;
    chart.log_y = true;
    chart.series.push(
        Series::new(
            "simulated mean (99 % CI)",
            failover_points
                .iter()
                .map(|(_, d, ci)| (*d, ci.mean))
                .collect(),
        )
        .with_ci(
            failover_points
                .iter()
                .map(|(_, _, ci)| (ci.low, ci.high))
                .collect(),
            CiStyle::Whiskers,
        ),
    );
    chart.series[0].line = false; // separate engines, not a curve
    let mut line = Series::new("failover = Δ (the timeout)", vec![(0.3, 0.3), (80.0, 80.0)]);
    line.markers = false;
    chart.series.push(line);
    chart.points = failover_points
        .iter()
        .map(|(name, d, ci)| LabelledPoint {
            label: (*name).to_string(),
            x: *d,
            y: ci.mean,
            series: Some(0),
        })
        .collect();
    let paths = chart.write(&setup.chart("presets"))?;
    Ok((checks, paths))
}
