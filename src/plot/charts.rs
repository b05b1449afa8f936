//! The charts: what each one shows, built from [`Results`], and how it is drawn.
//!
//! Each chart is prepared once as plain data ([`Chart`]) and then drawn twice through the same
//! generic code, once on the PNG backend and once on the SVG backend, so both files always
//! show the same thing.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::decimate::{decimate, split_at_sharp_turns};
use super::frame::{
    ANNOTATION_PX, Axis, DETECTED_COLOUR, DrawError, FALSE_FAILOVER_COLOUR, FAULT_COLOUR,
    LEGEND_PX, LEGEND_ROW_PX, RECOVERED_COLOUR, SIZE, TICK_PX, builder, draw_legend, draw_mesh,
    draw_whisker, fixed, font, legend_line, linear_ticks, log_axis, log_ticks, place_labels,
    variant_colour,
};
use super::results::{Estimate, Results, by_variant, mean_delay_cdf};

/// Radius of the point markers of the per-variant charts \[px\].
const MARKER_PX: i32 = 10;

/// A chart ready to draw.
#[derive(Debug)]
pub(crate) enum Chart {
    DelayCdf(DelayCdf),
    Throughput(Throughput),
    PerVariant(PerVariant),
    CostVsRecovery(CostVsRecovery),
}

/// Mean delay quantiles per variant.
#[derive(Debug)]
pub(crate) struct DelayCdf {
    title: String,
    series: Vec<Series>,
    log_x: bool,
}

/// Throughput over time of one replication per variant, with the episodes as vertical marks.
#[derive(Debug)]
pub(crate) struct Throughput {
    title: String,
    series: Vec<Series>,
    marks: Vec<(MarkKind, f64)>,
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

/// Network traffic against recovery time, one labelled point per variant.
#[derive(Debug)]
pub(crate) struct CostVsRecovery {
    title: String,
    /// Variant, colour, traffic \[MB\], recovery time \[s\].
    points: Vec<(String, RGBColor, Estimate, Estimate)>,
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

#[derive(Debug)]
struct Series {
    label: String,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
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
    out.extend(delay_cdf(results).map(Chart::DelayCdf));
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
            Self::DelayCdf(_) => "delay_cdf",
            Self::Throughput(_) => "throughput",
            Self::PerVariant(c) => c.name,
            Self::CostVsRecovery(_) => "cost_vs_recovery",
        }
    }

    /// Writes `<name>.png` and `<name>.svg` into `dir` and returns their paths.
    pub(crate) fn write(&self, dir: &Path) -> Result<[PathBuf; 2], PlotError> {
        let png = dir.join(format!("{}.png", self.name()));
        self.render(
            &BitMapBackend::new(&png, SIZE).into_drawing_area(),
            Raster::Bitmap,
        )
        .map_err(|DrawError(message)| PlotError::Draw {
            path: png.clone(),
            message,
        })?;
        let svg = dir.join(format!("{}.svg", self.name()));
        self.render(
            &SVGBackend::new(&svg, SIZE).into_drawing_area(),
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
            Self::DelayCdf(c) => c.draw(root)?,
            Self::Throughput(c) => c.draw(root, raster)?,
            Self::PerVariant(c) => c.draw(root)?,
            Self::CostVsRecovery(c) => c.draw(root)?,
        }
        root.present()?;
        Ok(())
    }
}

fn delay_cdf(results: &Results) -> Option<DelayCdf> {
    let series: Vec<Series> = mean_delay_cdf(results.delay_cdf.as_deref()?)
        .into_iter()
        .filter(|(_, points)| !points.is_empty())
        .map(|(variant, points)| Series {
            colour: variant_colour(results.variant_index(&variant)),
            label: variant,
            points,
        })
        .collect();
    let (smallest, largest) = positive_extent(series.iter().flat_map(|s| &s.points).map(|p| p.0))?;
    let replications = results
        .replications
        .map(|n| format!(" (mean quantiles of {n} replications)"))
        .unwrap_or_default();
    Some(DelayCdf {
        title: format!("Delay CDF{}{replications}", scenario_suffix(results)),
        log_x: largest / smallest > 100.0,
        series,
    })
}

/// The smallest positive and the largest value, if any value is positive and finite.
fn positive_extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
}

fn throughput(results: &Results) -> Option<Throughput> {
    let samples = results.timeseries.as_deref()?;
    let mut series = Vec::new();
    let mut first_replication = None;
    for (variant, rows) in by_variant(samples, |s| &s.variant) {
        // Replication 0 normally; the lowest one present if 0 is missing.
        let replication = rows.iter().map(|s| s.replication).min()?;
        first_replication.get_or_insert(replication);
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|s| s.replication == replication && s.throughput_per_s.is_finite())
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
        series.push(Series {
            label: variant.to_string(),
            colour: variant_colour(results.variant_index(variant)),
            points: rows
                .iter()
                .map(|s| (s.t_s + half, s.throughput_per_s))
                .collect(),
        });
    }
    let replication = first_replication?;
    if series.iter().all(|s| s.points.is_empty()) {
        return None;
    }
    let first_variant = &series[0].label;
    let mut marks = Vec::new();
    for e in results.episodes.iter().flatten() {
        if &e.variant != first_variant || e.replication != replication {
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
    let marks_of = if marks.is_empty() || series.len() == 1 {
        String::new()
    } else {
        format!(" (marks: {first_variant})")
    };
    Some(Throughput {
        title: format!(
            "Throughput{}, replication {replication}{marks_of}",
            scenario_suffix(results)
        ),
        series,
        marks,
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

fn cost_vs_recovery(results: &Results) -> Option<CostVsRecovery> {
    let recovery = estimates(results, "recovery_time_mean_s", 1.0)?;
    // Older results have no `cost_bytes`: fall back to network traffic alone.
    let cost = estimates(results, "cost_bytes", 1e-6)
        .or_else(|| estimates(results, "network_bytes", 1e-6))?;
    let points: Vec<_> = recovery
        .into_iter()
        .filter_map(|(variant, colour, r)| {
            let (_, _, c) = cost.iter().find(|(v, _, _)| *v == variant)?;
            Some((variant, colour, c.clone(), r))
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
            let colour = variant_colour(results.variant_index(&e.variant));
            (e.variant.clone(), colour, scaled)
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

impl DelayCdf {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let delays = self.series.iter().flat_map(|s| &s.points).map(|p| p.0);
        let Some((smallest, largest)) = positive_extent(delays) else {
            return Ok(());
        };
        if self.log_x {
            let x = log_axis(smallest / 1.25..largest * 1.25);
            self.draw_on(root, x, Axis::new("delay [ms], log scale", &log_ticks))
        } else {
            let range = 0.0..largest * 1.05;
            let ticks = linear_ticks(&range);
            self.draw_on(root, range, Axis::new("delay [ms]", &ticks))
        }
    }

    fn draw_on<DB, X>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: X,
        x_axis: Axis<'_>,
    ) -> Result<(), DrawError>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = builder(root, &self.title).build_cartesian_2d(x, 0.0..1.0)?;
        let y_ticks = linear_ticks(&(0.0..1.0));
        draw_mesh(
            &mut chart,
            x_axis,
            Axis::new("cumulative probability", &y_ticks),
        )?;
        for s in &self.series {
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter(|p| !self.log_x || p.0 > 0.0)
                .copied()
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), s.colour.stroke_width(3)))?
                .label(&s.label)
                .legend(legend_line(s.colour));
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 5, s.colour.filled())),
            )?;
        }
        if self.series.len() > 1 {
            draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        }
        Ok(())
    }
}

impl Throughput {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        raster: Raster,
    ) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let (mut t0, mut t1, mut top) = (0.0f64, f64::NEG_INFINITY, 0.0f64);
        for &(t, v) in self.series.iter().flat_map(|s| &s.points) {
            t0 = t0.min(t);
            t1 = t1.max(t);
            top = top.max(v);
        }
        for &(_, t) in &self.marks {
            t0 = t0.min(t);
            t1 = t1.max(t);
        }
        if t1 <= t0 {
            t1 = t0 + 1.0;
        }
        let kinds: Vec<MarkKind> = MarkKind::ALL
            .into_iter()
            .filter(|k| self.marks.iter().any(|(m, _)| m == k))
            .collect();
        let legend_rows = self.series.len() + kinds.len();
        let show_legend = legend_rows > 1;
        // Head room above the lines for the legend, which sits in the upper right corner:
        // the plotting area is about 600 px tall.
        let legend_px = if show_legend {
            (legend_rows as u32 * LEGEND_ROW_PX + 40) as f64
        } else {
            0.0
        };
        let top = if top > 0.0 { top } else { 1.0 } * 1.1 / (1.0 - (legend_px / 600.0).min(0.6));
        let (x, y) = (t0..t1, 0.0..top);
        let (x_ticks, y_ticks) = (linear_ticks(&x), linear_ticks(&y));
        let mut chart = builder(root, &self.title).build_cartesian_2d(x, y)?;
        draw_mesh(
            &mut chart,
            Axis::new("simulated time [s]", &x_ticks),
            Axis::new("throughput [events/s]", &y_ticks),
        )?;
        // Marks first, so the throughput lines stay visible on top of them. Marks of one kind
        // on one pixel column draw the same dashed line: only the last of them is drawn (the
        // last keeps which colour ends on top), so the file does not grow with the episodes.
        let mut last_of: BTreeMap<(MarkKind, i32), usize> = BTreeMap::new();
        for (i, &(kind, t)) in self.marks.iter().enumerate() {
            last_of.insert((kind, chart.backend_coord(&(t, 0.0)).0), i);
        }
        let mut drawn: Vec<usize> = last_of.into_values().collect();
        drawn.sort_unstable();
        for &(kind, t) in drawn.iter().map(|&i| &self.marks[i]) {
            let style = kind.colour().mix(0.8).stroke_width(2);
            chart.draw_series([DashedPathElement::new([(t, 0.0), (t, top)], 10, 6, style)])?;
        }
        let columns = chart.plotting_area().dim_in_pixel().0 as usize;
        for s in &self.series {
            let points = decimate(&s.points, t0..t1, columns);
            let pieces = if raster == Raster::Bitmap && points.len() < s.points.len() {
                split_at_sharp_turns(&points, |p| chart.backend_coord(p))
            } else {
                vec![points]
            };
            let style = s.colour.stroke_width(2);
            chart
                .draw_series(pieces.into_iter().map(|p| PathElement::new(p, style)))?
                .label(&s.label)
                .legend(legend_line(s.colour));
        }
        // Legend entries for the marks, after the variants.
        for kind in kinds {
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
                .label(kind.label())
                .legend(legend_line(kind.colour()));
        }
        if show_legend {
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
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
        let x = axis_from_zero(self.points.iter().map(|p| &p.2));
        let y = axis_from_zero(self.points.iter().map(|p| &p.3));
        let (x_ticks, y_ticks) = (linear_ticks(&x), linear_ticks(&y));
        let mut chart = builder(root, &self.title).build_cartesian_2d(x, y)?;
        draw_mesh(
            &mut chart,
            Axis::new("network + checkpoint bytes per replication [MB]", &x_ticks),
            Axis::new("mean recovery time [s]", &y_ticks),
        )?;
        let at =
            |cost: &Estimate, recovery: &Estimate| chart.backend_coord(&(cost.mean, recovery.mean));
        for (_, colour, cost, recovery) in &self.points {
            let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
            if cost.ci_low.is_finite() && cost.ci_high.is_finite() {
                let (lo, hi) = (
                    px(cost.ci_low, recovery.mean),
                    px(cost.ci_high, recovery.mean),
                );
                draw_whisker(root, lo, hi, *colour)?;
            }
            if recovery.ci_low.is_finite() && recovery.ci_high.is_finite() {
                let (lo, hi) = (
                    px(cost.mean, recovery.ci_low),
                    px(cost.mean, recovery.ci_high),
                );
                draw_whisker(root, lo, hi, *colour)?;
            }
            root.draw(&Circle::new(at(cost, recovery), MARKER_PX, colour.filled()))?;
        }
        // Labels last, placed clear of every point and of each other.
        let label_font = font(LEGEND_PX);
        let points: Vec<(i32, i32)> = self.points.iter().map(|(_, _, c, r)| at(c, r)).collect();
        let mut sizes = Vec::new();
        for (label, _, _, _) in &self.points {
            sizes.push(root.estimate_text_size(label, &label_font)?);
        }
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let corners = place_labels(
            &points,
            &sizes,
            MARKER_PX,
            (xs.start, ys.start, xs.end, ys.end),
        );
        for ((label, _, _, _), corner) in self.points.iter().zip(corners) {
            root.draw(&Text::new(label.clone(), corner, label_font.clone()))?;
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
