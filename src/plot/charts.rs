//! The charts: what each one shows, built from [`Results`], and how it is drawn.
//!
//! Each chart is prepared once as plain data ([`Chart`]) and then drawn twice through the same
//! generic code, once on the PNG backend and once on the SVG backend, so both files always
//! show the same thing.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::decimate::{decimate, split_at_sharp_turns};
use super::frame::{
    ANNOTATION_PX, AXIS_DESC_PX, Axis, DETECTED_COLOUR, DrawError, FALSE_FAILOVER_COLOUR,
    FAULT_COLOUR, LEGEND_PX, RECOVERED_COLOUR, SIZE, TICK_PX, builder, draw_mesh, draw_whisker,
    fixed, font, linear_ticks, place_labels,
};
use super::results::{Estimate, Results, by_variant};

/// Radius of the point markers of the per-variant charts \[px\].
const MARKER_PX: i32 = 10;

/// A chart ready to draw.
#[derive(Debug)]
pub(crate) enum Chart {
    Throughput(Throughput),
    PerVariant(PerVariant),
    CostVsRecovery(CostVsRecovery),
}

/// Throughput over time of one run (seeded replication) per variant, as small multiples: one
/// panel per variant on shared axes, each with its own episodes as vertical marks and the
/// run's partitions and link spikes shaded.
#[derive(Debug)]
pub(crate) struct Throughput {
    title: String,
    panels: Vec<Panel>,
    /// Partitions and link spikes of the run: the same in every variant.
    shaded: Vec<(Shade, f64, f64)>,
}

/// One variant's panel of [`Throughput`].
#[derive(Debug)]
struct Panel {
    label: String,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
    marks: Vec<(MarkKind, f64)>,
}

/// A shaded interval of the throughput chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Shade {
    Partition,
    LinkSpike,
}

impl Shade {
    fn label(self) -> &'static str {
        match self {
            Self::Partition => "partition",
            Self::LinkSpike => "link spike",
        }
    }

    fn style(self) -> ShapeStyle {
        match self {
            Self::Partition => RGBColor(90, 90, 90).mix(0.22).filled(),
            Self::LinkSpike => RGBColor(230, 200, 40).mix(0.35).filled(),
        }
    }
}

/// One summary metric per variant, as a point with its confidence interval.
#[derive(Debug)]
pub(crate) struct PerVariant {
    name: &'static str,
    title: String,
    y_desc: &'static str,
    /// Digits after the decimal point of the value written next to each point.
    decimals: usize,
    y_axis: YAxis,
    points: Vec<(String, RGBColor, Estimate)>,
}

/// What a strategy costs, as rates, against its recovery time: two panels sharing the
/// recovery axis, traffic and CPU, one labelled point per variant.
#[derive(Debug)]
pub(crate) struct CostVsRecovery {
    title: String,
    /// Descriptions of the two cost axes, with units.
    x_desc: [String; 2],
    /// Variant, colour, [traffic, CPU] (rates when the window is known), recovery time \[s\].
    points: Vec<(String, RGBColor, [Option<Estimate>; 2], Estimate)>,
}

/// Which backend a chart is drawn on: plotters' bitmap rasterizer needs help with the sharp
/// turns of decimated lines (see `decimate`), SVG viewers do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Raster {
    Bitmap,
    Vector,
}

/// How a [`PerVariant`] chart scales its values.
#[derive(Clone, Copy, Debug)]
enum YAxis {
    /// From zero up, for durations.
    FromZero,
    /// Zoomed on the values, which are percentages: availabilities differ in the decimals.
    ZoomedPercent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum MarkKind {
    Fault,
    Detected,
    Recovered,
    FalseFailover,
}

impl MarkKind {
    const ALL: [Self; 4] = [
        Self::Fault,
        Self::Detected,
        Self::Recovered,
        Self::FalseFailover,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Fault => "fault",
            Self::Detected => "detected",
            Self::Recovered => "recovered",
            Self::FalseFailover => "false failover",
        }
    }

    fn colour(self) -> RGBColor {
        match self {
            Self::Fault => FAULT_COLOUR,
            Self::Detected => DETECTED_COLOUR,
            Self::Recovered => RECOVERED_COLOUR,
            Self::FalseFailover => FALSE_FAILOVER_COLOUR,
        }
    }
}

/// Every chart the results support, in a fixed order; charts without data are left out.
pub(crate) fn charts(results: &Results) -> Vec<Chart> {
    let mut out = Vec::new();
    out.extend(throughput(results).map(Chart::Throughput));
    out.extend(availability(results).map(Chart::PerVariant));
    out.extend(recovery_time(results).map(Chart::PerVariant));
    out.extend(cost_vs_recovery(results).map(Chart::CostVsRecovery));
    out
}

impl Chart {
    /// File name without extension.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Throughput(_) => "throughput",
            Self::PerVariant(c) => c.name,
            Self::CostVsRecovery(_) => "cost_vs_recovery",
        }
    }

    /// Size \[px\]: the common size, taller for throughput panels of many variants.
    fn size(&self) -> (u32, u32) {
        match self {
            Self::Throughput(c) => (SIZE.0, SIZE.1.max(Throughput::height(c.panels.len()))),
            _ => SIZE,
        }
    }

    /// Writes `<name>.png` and `<name>.svg` into `dir` and returns their paths.
    pub(crate) fn write(&self, dir: &Path) -> Result<[PathBuf; 2], PlotError> {
        let png = dir.join(format!("{}.png", self.name()));
        self.render(
            &BitMapBackend::new(&png, self.size()).into_drawing_area(),
            Raster::Bitmap,
        )
        .map_err(|DrawError(message)| PlotError::Draw {
            path: png.clone(),
            message,
        })?;
        let svg = dir.join(format!("{}.svg", self.name()));
        self.render(
            &SVGBackend::new(&svg, self.size()).into_drawing_area(),
            Raster::Vector,
        )
        .map_err(|DrawError(message)| PlotError::Draw {
            path: svg.clone(),
            message,
        })?;
        Ok([png, svg])
    }

    /// Draws on a white background and writes the file.
    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        raster: Raster,
    ) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        match self {
            Self::Throughput(c) => c.draw(root, raster)?,
            Self::PerVariant(c) => c.draw(root)?,
            Self::CostVsRecovery(c) => c.draw(root)?,
        }
        root.present()?;
        Ok(())
    }
}

fn throughput(results: &Results) -> Option<Throughput> {
    let samples = results.timeseries.as_deref()?;
    // Run 0 normally; the lowest one present if 0 is missing. The same run in every panel,
    // so the panels compare strategies under the same faults (common random numbers).
    let run = samples.iter().map(|s| s.replication).min()?;
    let mut panels = Vec::new();
    for (variant, rows) in by_variant(samples, |s| &s.variant) {
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|s| s.replication == run && s.throughput_per_s.is_finite())
            .collect();
        // Each bucket's rate is drawn at the middle of the bucket.
        let bucket_s = rows
            .windows(2)
            .map(|w| w[1].t_s - w[0].t_s)
            .filter(|d| *d > 0.0)
            .fold(f64::INFINITY, f64::min);
        let half = if bucket_s.is_finite() {
            bucket_s / 2.0
        } else {
            0.0
        };
        let mut marks = Vec::new();
        for e in results.episodes.iter().flatten() {
            if e.variant != variant || e.replication != run {
                continue;
            }
            let start = if e.is_false_failover() {
                MarkKind::FalseFailover
            } else {
                MarkKind::Fault
            };
            marks.push((start, e.fault_s));
            marks.extend(e.detected_s.map(|t| (MarkKind::Detected, t)));
            marks.extend(e.recovered_s.map(|t| (MarkKind::Recovered, t)));
        }
        marks.retain(|(_, t)| t.is_finite());
        panels.push(Panel {
            label: variant.to_string(),
            colour: results.colour(variant),
            points: rows
                .iter()
                .map(|s| (s.t_s + half, s.throughput_per_s))
                .collect(),
            marks,
        });
    }
    if panels.iter().all(|p| p.points.is_empty()) {
        return None;
    }
    let shaded = results
        .network_faults
        .iter()
        .flatten()
        .filter(|f| f.replication == run && f.end_s > f.start_s)
        .filter_map(|f| {
            let shade = match f.kind.as_str() {
                "partition" => Shade::Partition,
                "link-spike" => Shade::LinkSpike,
                _ => return None,
            };
            Some((shade, f.start_s, f.end_s))
        })
        .collect();
    Some(Throughput {
        title: format!(
            "Sink throughput per variant{}, run {run}",
            scenario_suffix(results)
        ),
        panels,
        shaded,
    })
}

fn availability(results: &Results) -> Option<PerVariant> {
    let points = estimates(results, "availability_system", 100.0)?;
    Some(PerVariant {
        name: "availability",
        title: format!(
            "System availability{}{}",
            scenario_suffix(results),
            ci_suffix(results, "availability_system")
        ),
        y_desc: "system availability [%]",
        decimals: 3,
        y_axis: YAxis::ZoomedPercent,
        points,
    })
}

fn recovery_time(results: &Results) -> Option<PerVariant> {
    let points = estimates(results, "recovery_time_mean_s", 1.0)?;
    Some(PerVariant {
        name: "recovery_time",
        title: format!(
            "Mean recovery time{}{}",
            scenario_suffix(results),
            ci_suffix(results, "recovery_time_mean_s")
        ),
        y_desc: "recovery time, fault to service restored [s]",
        decimals: 3,
        y_axis: YAxis::FromZero,
        points,
    })
}

/// `cost_bytes` covers the whole run `[0, T)` and `cpu_seconds` the window `[W, T)`: as rates
/// they are MB/s over `T` and cores (CPU-seconds per second) over `T − W`. Results without the
/// window in their manifest get totals per run.
fn cost_vs_recovery(results: &Results) -> Option<CostVsRecovery> {
    let recovery = estimates(results, "recovery_time_mean_s", 1.0)?;
    let duration = results.duration_s.filter(|d| *d > 0.0);
    let window = duration
        .zip(results.warmup_s)
        .map(|(t, w)| t - w)
        .filter(|w| *w > 0.0);
    // Older results have no `cost_bytes`: fall back to network traffic alone.
    let (bytes_metric, bytes_what) = if results.metric("cost_bytes").is_empty() {
        ("network_bytes", "network traffic")
    } else {
        ("cost_bytes", "network + checkpoint traffic")
    };
    let traffic = estimates(results, bytes_metric, 1e-6 / duration.unwrap_or(1.0));
    let cpu = estimates(results, "cpu_seconds", 1.0 / window.unwrap_or(1.0));
    let x_desc = [
        match duration {
            Some(_) => format!("{bytes_what} [MB/s]"),
            None => format!("{bytes_what} per run [MB]"),
        },
        match window {
            Some(_) => "CPU in use [cores]".to_string(),
            None => "CPU time per run [core-seconds]".to_string(),
        },
    ];
    let find = |rows: &Option<Vec<(String, RGBColor, Estimate)>>, variant: &str| {
        rows.iter()
            .flatten()
            .find(|(v, _, _)| v == variant)
            .map(|(_, _, e)| e.clone())
    };
    let points: Vec<_> = recovery
        .into_iter()
        .filter_map(|(variant, colour, r)| {
            let costs = [find(&traffic, &variant), find(&cpu, &variant)];
            (costs.iter().any(Option::is_some)).then_some((variant, colour, costs, r))
        })
        .collect();
    if points.is_empty() {
        return None;
    }
    Some(CostVsRecovery {
        title: format!(
            "Cost vs recovery time{}{}",
            scenario_suffix(results),
            ci_suffix(results, "recovery_time_mean_s")
        ),
        x_desc,
        points,
    })
}

/// `metric` per variant, scaled by `scale`, leaving out variants whose mean is undefined;
/// `None` if no variant has a defined mean.
fn estimates(
    results: &Results,
    metric: &str,
    scale: f64,
) -> Option<Vec<(String, RGBColor, Estimate)>> {
    let points: Vec<_> = results
        .metric(metric)
        .into_iter()
        .filter(|e| e.mean.is_finite())
        .map(|e| {
            let (low, high) = crate::metrics::clip_interval(metric, e.ci_low, e.ci_high);
            let scaled = Estimate {
                mean: e.mean * scale,
                ci_low: low * scale,
                ci_high: high * scale,
                ..e.clone()
            };
            (e.variant.clone(), results.colour(&e.variant), scaled)
        })
        .collect();
    (!points.is_empty()).then_some(points)
}

fn scenario_suffix(results: &Results) -> String {
    results
        .scenario
        .as_ref()
        .map(|s| format!(" — {s}"))
        .unwrap_or_default()
}

/// " (mean, 95% CI)" with the level of `metric`'s first interval.
fn ci_suffix(results: &Results, metric: &str) -> String {
    match results.metric(metric).first().map(|e| e.level) {
        Some(level) if level.is_finite() => format!(" (mean, {}% CI)", level * 100.0),
        _ => " (mean)".to_string(),
    }
}

/// An axis range from zero (or the lowest interval end, if negative) to a quarter above
/// the highest value or interval end.
fn axis_from_zero<'e>(estimates: impl Iterator<Item = &'e Estimate>) -> Range<f64> {
    let (mut low, mut high) = (0.0f64, 0.0f64);
    for v in estimates.flat_map(|e| [e.mean, e.ci_low, e.ci_high]) {
        if v.is_finite() {
            low = low.min(v);
            high = high.max(v);
        }
    }
    let high = if high > 0.0 { high * 1.25 } else { 1.0 };
    low..high
}

/// Height of one throughput panel's plotting area and axes \[px\].
const PANEL_PX: u32 = 190;
/// Room above the panels for the title and the legend row \[px\].
const PANEL_HEAD_PX: u32 = 110;
/// Extra room under the last panel for the x axis description \[px\].
const PANEL_FOOT_PX: u32 = 50;

impl Throughput {
    /// Image height for `panels` panels \[px\].
    fn height(panels: usize) -> u32 {
        PANEL_HEAD_PX + panels as u32 * PANEL_PX + PANEL_FOOT_PX
    }

    /// The shared axes: the time span of every panel, marks and shaded interval included,
    /// and a throughput range fitted to the data (from its lowest value, or zero if that is
    /// within a tenth of the span, to its highest, with 5 % margins).
    fn ranges(&self) -> (Range<f64>, Range<f64>) {
        let (mut t0, mut t1) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(t, v) in self.panels.iter().flat_map(|p| &p.points) {
            t0 = t0.min(t);
            t1 = t1.max(t);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        for &(_, t) in self.panels.iter().flat_map(|p| &p.marks) {
            t0 = t0.min(t);
            t1 = t1.max(t);
        }
        let t0 = t0.min(0.0);
        let t1 = if t1 > t0 { t1 } else { t0 + 1.0 };
        if !(lo.is_finite() && hi.is_finite()) {
            return (t0..t1, 0.0..1.0);
        }
        let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
        let lo = if lo - 0.1 * span <= 0.0 {
            0.0
        } else {
            lo - 0.05 * span
        };
        (t0..t1, lo..hi + 0.05 * span)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        raster: Raster,
    ) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let (x, y) = self.ranges();
        let width = root.dim_in_pixel().0;
        let body = root.titled(&self.title, font(title_px(root, &self.title)))?;
        let (legend_row, panels) = body.split_vertically(PANEL_HEAD_PX as i32 - 50);
        self.draw_legend_row(&legend_row, width)?;
        // The panels share the height under the title and legend: at least PANEL_PX each,
        // more when few panels leave the 800 px image room.
        let n = self.panels.len().max(1) as u32;
        let height = root.dim_in_pixel().1;
        let panel_px = (height.saturating_sub(PANEL_HEAD_PX + PANEL_FOOT_PX) / n).max(PANEL_PX);
        let panel_heights: Vec<u32> = (0..n)
            .map(|i| panel_px + if i + 1 == n { PANEL_FOOT_PX } else { 0 })
            .collect();
        let mut rest = panels;
        let (x_ticks, y_ticks) = (linear_ticks(&x), linear_ticks(&y));
        for (i, panel) in self.panels.iter().enumerate() {
            let last = i + 1 == self.panels.len();
            let (area, below) = rest.split_vertically(panel_heights[i] as i32);
            rest = below;
            let mut chart = ChartBuilder::on(&area)
                .margin_left(20)
                .margin_right(40)
                .margin_top(6)
                .margin_bottom(if last { 10 } else { 4 })
                .x_label_area_size(if last { 80 } else { 34 })
                .y_label_area_size(110)
                .build_cartesian_2d(x.clone(), y.clone())?;
            chart
                .configure_mesh()
                .x_desc(if last { "simulated time [s]" } else { "" })
                .y_desc("events/s")
                .axis_desc_style(font(AXIS_DESC_PX))
                .label_style(font(TICK_PX))
                .bold_line_style(BLACK.mix(0.15))
                .light_line_style(BLACK.mix(0.04))
                .x_labels(10)
                .y_labels((panel_px as usize / 50).clamp(4, 10))
                .x_label_formatter(&x_ticks)
                .y_label_formatter(&y_ticks)
                .draw()?;
            for &(shade, start, end) in &self.shaded {
                chart.draw_series([Rectangle::new(
                    [(start.max(x.start), y.start), (end.min(x.end), y.end)],
                    shade.style(),
                )])?;
            }
            // Marks under the line, so it stays visible on top of them. Marks of one kind on
            // one pixel column draw the same dashed line: only the last of them is drawn (the
            // last keeps which colour ends on top), so the file does not grow with the
            // episodes.
            let mut last_of: BTreeMap<(MarkKind, i32), usize> = BTreeMap::new();
            for (k, &(kind, t)) in panel.marks.iter().enumerate() {
                last_of.insert((kind, chart.backend_coord(&(t, 0.0)).0), k);
            }
            let mut drawn: Vec<usize> = last_of.into_values().collect();
            drawn.sort_unstable();
            for &(kind, t) in drawn.iter().map(|&k| &panel.marks[k]) {
                let style = kind.colour().mix(0.8).stroke_width(2);
                chart.draw_series([DashedPathElement::new(
                    [(t, y.start), (t, y.end)],
                    10,
                    6,
                    style,
                )])?;
            }
            let columns = chart.plotting_area().dim_in_pixel().0 as usize;
            let points = decimate(&panel.points, x.clone(), columns);
            // What the panel's name must not cover: the line and the marks.
            let mut pixels: Vec<(i32, i32)> =
                points.iter().map(|p| chart.backend_coord(p)).collect();
            for &(_, t) in &panel.marks {
                let (mx, _) = chart.backend_coord(&(t, y.start));
                let (ys0, ys1) = (
                    chart.backend_coord(&(t, y.end)).1,
                    chart.backend_coord(&(t, y.start)).1,
                );
                pixels.extend((ys0..=ys1).step_by(4).map(|py| (mx, py)));
            }
            let pieces = if raster == Raster::Bitmap && points.len() < panel.points.len() {
                split_at_sharp_turns(&points, |p| chart.backend_coord(p))
            } else {
                vec![points]
            };
            let style = panel.colour.stroke_width(2);
            chart.draw_series(pieces.into_iter().map(|p| PathElement::new(p, style)))?;
            // The variant's name in its colour, at the first place along the panel's bottom
            // and top edges (left first) that neither the line nor a mark crosses, or else
            // the least crossed one.
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let name_font = font(LEGEND_PX).color(&panel.colour);
            let (w, h) = root.estimate_text_size(&panel.label, &name_font)?;
            let (w, h) = (w as i32, h as i32);
            let (left, right) = (xs.start + 8, xs.end - 8 - w);
            let (top, bottom) = (ys.start + 6, ys.end - 6 - h);
            let crossed = |&(cx, cy): &(i32, i32)| {
                pixels
                    .iter()
                    .filter(|&&(px, py)| {
                        (cx - 6..=cx + w + 6).contains(&px) && (cy - 6..=cy + h + 6).contains(&py)
                    })
                    .count()
            };
            let along = |k: i32| left + (right - left) * k / 4;
            let corners: Vec<(i32, i32)> = [bottom, top]
                .into_iter()
                .flat_map(|row| (0..=4).map(move |k| (k, row)))
                .map(|(k, row)| (along(k), row))
                .collect();
            let corner = corners
                .iter()
                .copied()
                .min_by_key(|c| crossed(c))
                .expect("four corners");
            root.draw(&Rectangle::new(
                [
                    (corner.0 - 4, corner.1 - 3),
                    (corner.0 + w + 4, corner.1 + h + 3),
                ],
                WHITE.mix(0.85).filled(),
            ))?;
            root.draw(&Text::new(panel.label.clone(), corner, name_font))?;
        }
        Ok(())
    }

    /// The legend, as one row under the title: the marks and shaded intervals that occur.
    fn draw_legend_row<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        width: u32,
    ) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        enum Entry {
            Mark(MarkKind),
            Shade(Shade),
        }
        let mut entries: Vec<(Entry, &str)> = MarkKind::ALL
            .into_iter()
            .filter(|k| {
                self.panels
                    .iter()
                    .any(|p| p.marks.iter().any(|(m, _)| m == k))
            })
            .map(|k| (Entry::Mark(k), k.label()))
            .collect();
        for shade in [Shade::Partition, Shade::LinkSpike] {
            if self.shaded.iter().any(|(s, _, _)| *s == shade) {
                entries.push((Entry::Shade(shade), shade.label()));
            }
        }
        if entries.is_empty() {
            return Ok(());
        }
        let label_font = font(LEGEND_PX);
        const SAMPLE: i32 = 34;
        const GAP: i32 = 30;
        let mut widths = Vec::new();
        for (_, label) in &entries {
            widths.push(area.estimate_text_size(label, &label_font)?.0 as i32);
        }
        let total: i32 =
            widths.iter().map(|w| SAMPLE + 8 + w).sum::<i32>() + GAP * (entries.len() as i32 - 1);
        let mut x = ((width as i32 - total) / 2).max(10);
        let y = 24;
        for ((entry, label), w) in entries.iter().zip(widths) {
            match entry {
                Entry::Mark(kind) => area.draw(&DashedPathElement::new(
                    [(x, y), (x + SAMPLE, y)],
                    10,
                    6,
                    kind.colour().mix(0.8).stroke_width(3),
                ))?,
                Entry::Shade(shade) => area.draw(&Rectangle::new(
                    [(x, y - 10), (x + SAMPLE, y + 10)],
                    shade.style(),
                ))?,
            }
            area.draw(&Text::new(
                label.to_string(),
                (x + SAMPLE + 8, y),
                label_font.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += SAMPLE + 8 + w + GAP;
        }
        Ok(())
    }
}

/// The largest title font size (from [`super::frame::TITLE_PX`] down) at which `title` fits
/// the width.
fn title_px<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str) -> u32 {
    let width = root.dim_in_pixel().0;
    (16..=super::frame::TITLE_PX)
        .rev()
        .step_by(2)
        .find(|px| {
            root.estimate_text_size(title, &font(*px))
                .is_ok_and(|(w, _)| w + 40 <= width)
        })
        .unwrap_or(16)
}

impl PerVariant {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let y = match self.y_axis {
            YAxis::FromZero => axis_from_zero(self.points.iter().map(|p| &p.2)),
            YAxis::ZoomedPercent => {
                let values = self
                    .points
                    .iter()
                    .flat_map(|(_, _, e)| [e.mean, e.ci_low, e.ci_high])
                    .filter(|v| v.is_finite());
                let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
                // At least a tenth of a percentage point, and little room above 100 %
                // (whose ticks are left unlabelled) so that a point at 100 % stays clear of
                // the title.
                let pad = ((high - low) * 0.2).max(0.05);
                low - pad..(high + pad).min(100.0_f64.max(high) + pad / 3.0)
            }
        };
        // Variant i sits at x = i; the axis is labelled with the variant names below.
        let n = self.points.len();
        let x = -0.5..n as f64 - 0.5;
        let ticks = linear_ticks(&y);
        let y_ticks = |v: &f64| match self.y_axis {
            YAxis::ZoomedPercent if *v > 100.0 + 1e-9 => String::new(),
            _ => ticks(v),
        };
        let labels: Vec<&str> = self.points.iter().map(|(l, _, _)| l.as_str()).collect();
        let (label_style, stagger) = category_labels(root, &labels)?;
        let mut frame = builder(root, &self.title);
        if stagger {
            frame.x_label_area_size(80 + TICK_PX + 6);
        }
        let mut chart = frame.build_cartesian_2d(x, y.clone())?;
        draw_mesh(
            &mut chart,
            Axis {
                desc: "variant",
                ticks: 0,
                format: &|_| String::new(),
            },
            Axis::new(self.y_desc, &y_ticks),
        )?;
        draw_category_labels(root, &chart, &labels, (&label_style, stagger), y.start)?;
        for (i, (_, colour, e)) in self.points.iter().enumerate() {
            let x = i as f64;
            if e.ci_low.is_finite() && e.ci_high.is_finite() {
                let px = |v: f64| chart.backend_coord(&(x, v));
                draw_whisker(root, px(e.ci_low), px(e.ci_high), *colour)?;
            }
            chart.draw_series([EmptyElement::at((x, e.mean))
                + Circle::new((0, 0), MARKER_PX, colour.filled())
                + Text::new(
                    fixed(e.mean, self.decimals),
                    (20, -(ANNOTATION_PX as i32) / 2),
                    font(ANNOTATION_PX),
                )])?;
        }
        Ok(())
    }
}

/// Labels of a category axis: the text style, and whether the labels are too wide to sit
/// side by side and go in two staggered rows.
fn category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: &[&str],
) -> Result<(TextStyle<'static>, bool), DrawError>
where
    DB::ErrorType: 'static,
{
    let style = font(TICK_PX).pos(Pos::new(HPos::Center, VPos::Top));
    // The plotting area is the width less the y label area and the margins.
    let slot = (SIZE.0 - 170) / labels.len().max(1) as u32;
    let mut widest = 0;
    for label in labels {
        widest = widest.max(root.estimate_text_size(label, &style)?.0);
    }
    Ok((style, widest + 10 > slot))
}

/// Writes one label under each integer position of a chart's x axis, alternately in two
/// rows if `stagger`, and kept inside the image.
fn draw_category_labels<DB, Y>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    labels: &[&str],
    (style, stagger): (&TextStyle<'static>, bool),
    y_bottom: f64,
) -> Result<(), DrawError>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    Y: Ranged<ValueType = f64>,
{
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64, y_bottom));
        root.draw(&PathElement::new(vec![(x, y), (x, y + 6)], BLACK))?;
        let row = if stagger && i % 2 == 1 {
            TICK_PX as i32 + 6
        } else {
            0
        };
        let half = root.estimate_text_size(label, style)?.0 as i32 / 2;
        let x = x.clamp(half + 5, SIZE.0 as i32 - half - 5);
        root.draw(&Text::new(
            label.to_string(),
            (x, y + 10 + row),
            style.clone(),
        ))?;
    }
    Ok(())
}

impl CostVsRecovery {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let body = root.titled(&self.title, font(title_px(root, &self.title)))?;
        let panels: Vec<usize> = (0..2)
            .filter(|&k| self.points.iter().any(|p| p.2[k].is_some()))
            .collect();
        let areas = body.split_evenly((1, panels.len()));
        let y = axis_from_zero(self.points.iter().map(|p| &p.3));
        let y_ticks = linear_ticks(&y);
        for (area, &k) in areas.iter().zip(&panels) {
            let x = axis_from_zero(self.points.iter().filter_map(|p| p.2[k].as_ref()));
            let x_ticks = linear_ticks(&x);
            let mut chart = ChartBuilder::on(area)
                .margin(20)
                .margin_right(30)
                .x_label_area_size(80)
                .y_label_area_size(if k == panels[0] { 110 } else { 70 })
                .build_cartesian_2d(x, y.clone())?;
            draw_mesh(
                &mut chart,
                Axis {
                    ticks: 6,
                    ..Axis::new(&self.x_desc[k], &x_ticks)
                },
                Axis::new(
                    if k == panels[0] {
                        "mean recovery time [s]"
                    } else {
                        ""
                    },
                    &y_ticks,
                ),
            )?;
            let mut at = Vec::new();
            let mut whiskers = Vec::new();
            for (_, colour, costs, recovery) in &self.points {
                let Some(cost) = &costs[k] else { continue };
                let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
                if cost.ci_low.is_finite() && cost.ci_high.is_finite() {
                    let (lo, hi) = (
                        px(cost.ci_low, recovery.mean),
                        px(cost.ci_high, recovery.mean),
                    );
                    draw_whisker(root, lo, hi, *colour)?;
                    whiskers.push((lo, hi));
                }
                if recovery.ci_low.is_finite() && recovery.ci_high.is_finite() {
                    let (lo, hi) = (
                        px(cost.mean, recovery.ci_low),
                        px(cost.mean, recovery.ci_high),
                    );
                    draw_whisker(root, lo, hi, *colour)?;
                    whiskers.push((lo, hi));
                }
                let centre = px(cost.mean, recovery.mean);
                root.draw(&Circle::new(centre, MARKER_PX, colour.filled()))?;
                at.push(centre);
            }
            // Labels last, placed clear of every point, of the error bars and of each other.
            let label_font = font(LEGEND_PX);
            let mut sizes = Vec::new();
            let labelled: Vec<&str> = self
                .points
                .iter()
                .filter(|p| p.2[k].is_some())
                .map(|p| p.0.as_str())
                .collect();
            for label in &labelled {
                sizes.push(root.estimate_text_size(label, &label_font)?);
            }
            let obstacles = whiskers.iter().flat_map(|&((x0, y0), (x1, y1))| {
                (0..=8).map(move |j| (x0 + (x1 - x0) * j / 8, y0 + (y1 - y0) * j / 8))
            });
            let mut all = at.clone();
            all.extend(obstacles);
            sizes.resize(all.len(), (0, 0));
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let corners = place_labels(
                &all,
                &sizes,
                MARKER_PX,
                (xs.start, ys.start, xs.end, ys.end),
            );
            for ((label, corner), (w, h)) in labelled.iter().zip(corners).zip(sizes) {
                root.draw(&Rectangle::new(
                    [
                        (corner.0 - 3, corner.1 - 2),
                        (corner.0 + w as i32 + 3, corner.1 + h as i32 + 2),
                    ],
                    WHITE.mix(0.85).filled(),
                ))?;
                root.draw(&Text::new(label.to_string(), corner, label_font.clone()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::results::{Episode, Sample};
    use super::*;

    /// Size bound of a chart's SVG whatever the series length: 4 points per pixel column and
    /// variant at about 10 bytes each is under 200 KB for the 3 variants here; before
    /// decimation this series wrote about 25 MB.
    const SVG_LIMIT_BYTES: u64 = 2_000_000;

    /// 10⁶ buckets of 10 ms (10⁴ s) for each of three variants, jagged, with a short drop,
    /// and many episodes.
    fn long_run() -> Results {
        let variants = ["active", "passive", "upstream-backup"];
        let mut timeseries = Vec::with_capacity(3_000_000);
        for (k, variant) in variants.iter().enumerate() {
            for i in 0..1_000_000u32 {
                let t_s = f64::from(i) * 0.01;
                let jag = f64::from((i.wrapping_mul(7919) + k as u32) % 101);
                let rate = if (300_000..300_500).contains(&i) {
                    50.0
                } else {
                    1000.0 + 100.0 * (t_s / 50.0 + k as f64).sin() + jag
                };
                timeseries.push(Sample {
                    variant: variant.to_string(),
                    replication: 0,
                    t_s,
                    throughput_per_s: rate,
                });
            }
        }
        Results {
            scenario: Some("long".into()),
            replications: Some(1),
            variants: variants.iter().map(|v| v.to_string()).collect(),
            timeseries: Some(timeseries),
            // A crash loop: 10⁴ episodes within 5 s, about one pixel column. Each dashed mark
            // is some 4 KB of SVG; drawn one by one they were 120 MB.
            episodes: Some(
                (0..10_000)
                    .map(|i| Episode {
                        variant: "active".into(),
                        replication: 0,
                        kind: "node-crash".into(),
                        fault_s: 3000.0 + f64::from(i) * 5e-4,
                        detected_s: Some(3000.5 + f64::from(i) * 5e-4),
                        recovered_s: Some(3005.0 + f64::from(i) * 5e-4),
                    })
                    .collect(),
            ),
            ..Results::default()
        }
    }

    fn estimate(variant: &str, metric: &str, mean: f64) -> Estimate {
        Estimate {
            variant: variant.into(),
            metric: metric.into(),
            mean,
            ci_low: mean * 0.9,
            ci_high: mean * 1.1,
            level: 0.95,
        }
    }

    /// `cost_bytes` covers the whole run (T = 120 s) and `cpu_seconds` the window
    /// (T − W = 115 s): 12 MB is 0.1 MB/s, 230 CPU-seconds are 2 cores.
    #[test]
    fn cost_vs_recovery_draws_costs_as_rates() {
        let results = Results {
            variants: vec!["passive".into()],
            summary: Some(vec![
                estimate("passive", "recovery_time_mean_s", 0.8),
                estimate("passive", "cost_bytes", 12e6),
                estimate("passive", "cpu_seconds", 230.0),
            ]),
            duration_s: Some(120.0),
            warmup_s: Some(5.0),
            ..Results::default()
        };
        let Some(Chart::CostVsRecovery(c)) = charts(&results).pop() else {
            panic!("a cost_vs_recovery chart");
        };
        let [traffic, cpu] = &c.points[0].2;
        let (traffic, cpu) = (traffic.as_ref().unwrap(), cpu.as_ref().unwrap());
        assert!((traffic.mean - 0.1).abs() < 1e-12, "{traffic:?}");
        assert!((traffic.ci_high - 0.11).abs() < 1e-12, "{traffic:?}");
        assert!((cpu.mean - 2.0).abs() < 1e-12, "{cpu:?}");
        assert_eq!(c.x_desc[0], "network + checkpoint traffic [MB/s]");
        assert_eq!(c.x_desc[1], "CPU in use [cores]");
        // Without the window (older manifests): totals per run, said so on the axis.
        let older = Results {
            duration_s: None,
            warmup_s: None,
            ..results
        };
        let Some(Chart::CostVsRecovery(c)) = charts(&older).pop() else {
            panic!("a cost_vs_recovery chart");
        };
        assert!((c.points[0].2[0].as_ref().unwrap().mean - 12.0).abs() < 1e-12);
        assert_eq!(c.x_desc[0], "network + checkpoint traffic per run [MB]");
    }

    #[test]
    fn a_strategy_keeps_its_colour_whatever_the_variant_order() {
        let a = Results {
            variants: vec!["passive".into(), "active".into()],
            ..Results::default()
        };
        let b = Results {
            variants: vec!["active".into(), "warm-standby".into(), "passive".into()],
            strategies: vec![("warm-standby".into(), "passive".into())],
            ..Results::default()
        };
        assert_eq!(a.colour("active"), b.colour("active"));
        assert_eq!(a.colour("passive"), b.colour("warm-standby"));
        // A second passive variant in one chart gets a shade of the colour.
        assert_ne!(b.colour("warm-standby"), b.colour("passive"));
    }

    #[test]
    fn a_throughput_chart_of_a_million_buckets_and_many_episodes_stays_small() {
        super::super::register_font();
        let results = long_run();
        let chart = charts(&results)
            .into_iter()
            .find(|c| c.name() == "throughput")
            .expect("a throughput chart");
        let dir = std::env::temp_dir().join(format!("faultline-long-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let [png, svg] = chart.write(&dir).unwrap();
        let svg_bytes = std::fs::metadata(&svg).unwrap().len();
        assert!(
            svg_bytes < SVG_LIMIT_BYTES,
            "{} is {svg_bytes} bytes",
            svg.display()
        );
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(
            text.matches("<polyline").count() >= 3,
            "one line per variant"
        );
        assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
