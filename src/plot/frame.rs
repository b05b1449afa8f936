//! The look shared by every chart: size, fonts, colours, axes, legends, error bars and tick
//! labels.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::combinators::{BindKeyPoints, IntoLogRange, LogCoord, WithKeyPoints};
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Size of every chart \[px\].
pub(crate) const SIZE: (u32, u32) = (1200, 800);
/// Font sizes \[px\], chosen to stay readable when the 1200 px chart is shown at half size.
pub(crate) const TITLE_PX: u32 = 34;
pub(crate) const AXIS_DESC_PX: u32 = 26;
pub(crate) const TICK_PX: u32 = 22;
pub(crate) const LEGEND_PX: u32 = 22;
pub(crate) const ANNOTATION_PX: u32 = 22;
/// The one font family, registered from the embedded file.
const FONT: &str = "sans-serif";
/// Tick labels per axis (an upper bound; plotters picks round values).
const TICKS: usize = 10;
/// Height of one legend entry at [`LEGEND_PX`], margins included \[px\] (measured).
pub(crate) const LEGEND_ROW_PX: u32 = 30;

/// One colour per series, in series order, for charts whose series are not strategies (the
/// validation charts). Red, orange, green and black are left out: they mark faults,
/// detections, recoveries and false failovers.
const VARIANT_COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),  // blue
    RGBColor(148, 103, 189), // purple
    RGBColor(140, 86, 75),   // brown
    RGBColor(23, 190, 207),  // cyan
    RGBColor(227, 119, 194), // pink
    RGBColor(127, 127, 127), // grey
    RGBColor(188, 189, 34),  // olive
    RGBColor(0, 0, 128),     // navy
];

/// The colour of each replication strategy kind (`variants.csv`, written by `run`), the same
/// in every chart of a run and of a sweep, and in the notebooks (`notebooks/palette.py` holds
/// the same values): a strategy keeps its colour whatever its variant is called and wherever
/// it comes in the scenario.
pub(crate) const STRATEGY_COLOURS: [(&str, RGBColor); 5] = [
    ("active", RGBColor(31, 119, 180)),          // blue
    ("passive", RGBColor(148, 103, 189)),        // purple
    ("checkpoint-only", RGBColor(140, 86, 75)),  // brown
    ("upstream-backup", RGBColor(23, 190, 207)), // cyan
    ("none", RGBColor(127, 127, 127)),           // grey
];

/// Colours of variants whose strategy is unknown (results without `variants.csv` and a label
/// that names no strategy), in order of appearance.
const OTHER_COLOURS: [RGBColor; 3] = [
    RGBColor(227, 119, 194), // pink
    RGBColor(188, 189, 34),  // olive
    RGBColor(0, 0, 128),     // navy
];

/// The strategy kind a variant label names, for results written before `variants.csv`:
/// `active`, `passive`, `upstream…`, `checkpoint…` or `none`/`no-…`.
pub(crate) fn strategy_from_label(label: &str) -> Option<&'static str> {
    let words: Vec<&str> = label.split(['-', '_']).collect();
    let has = |w: &str| words.iter().any(|x| x.starts_with(w));
    if has("active") {
        Some("active")
    } else if has("passive") {
        Some("passive")
    } else if has("upstream") {
        Some("upstream-backup")
    } else if has("checkpoint") || has("rollback") {
        Some("checkpoint-only")
    } else if words.first().is_some_and(|w| *w == "none" || *w == "no") {
        Some("none")
    } else {
        None
    }
}

/// One colour per variant, given each variant's strategy kind if known: the strategy's colour
/// ([`STRATEGY_COLOURS`]); a second variant of the same strategy gets it darker, a third
/// lighter, and so on. Variants of unknown strategy take [`OTHER_COLOURS`] in turn.
pub(crate) fn strategy_palette(strategies: &[Option<&str>]) -> Vec<RGBColor> {
    let mut seen: Vec<&str> = Vec::new();
    let mut others = 0;
    strategies
        .iter()
        .map(|kind| {
            let base = kind.and_then(|k| STRATEGY_COLOURS.iter().find(|(name, _)| *name == k));
            match (kind, base) {
                (Some(k), Some(&(_, colour))) => {
                    let repeat = seen.iter().filter(|s| *s == k).count();
                    seen.push(k);
                    shade(colour, repeat)
                }
                _ => {
                    others += 1;
                    let i = others - 1;
                    shade(
                        OTHER_COLOURS[i % OTHER_COLOURS.len()],
                        i / OTHER_COLOURS.len(),
                    )
                }
            }
        })
        .collect()
}

/// `colour` itself (`repeat` 0), darker (odd) or lighter (even), further with each round.
fn shade(RGBColor(r, g, b): RGBColor, repeat: usize) -> RGBColor {
    if repeat == 0 {
        return RGBColor(r, g, b);
    }
    let step = repeat.div_ceil(2) as f64;
    let mix = |c: u8| {
        let c = f64::from(c);
        if repeat % 2 == 1 {
            c * 0.6f64.powf(step)
        } else {
            c + (255.0 - c) * (1.0 - 0.6f64.powf(step))
        }
    };
    RGBColor(mix(r) as u8, mix(g) as u8, mix(b) as u8)
}

pub(crate) const FAULT_COLOUR: RGBColor = RGBColor(214, 39, 40);
pub(crate) const DETECTED_COLOUR: RGBColor = RGBColor(255, 127, 14);
pub(crate) const RECOVERED_COLOUR: RGBColor = RGBColor(44, 160, 44);
pub(crate) const FALSE_FAILOVER_COLOUR: RGBColor = RGBColor(0, 0, 0);

/// The default colour of the series at `index`.
pub(crate) fn variant_colour(index: usize) -> RGBColor {
    VARIANT_COLOURS[index % VARIANT_COLOURS.len()]
}

/// A drawing failure, with plotters' message.
#[derive(Debug)]
pub(crate) struct DrawError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        Self(e.to_string())
    }
}

/// Text in the chart font.
pub(crate) fn font(px: u32) -> TextStyle<'static> {
    (FONT, px).into_font().color(&BLACK)
}

/// The shared frame: title and margins wide enough for the axis texts. A title too long for
/// the width (a long scenario name) is set in a smaller font.
pub(crate) fn builder<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, DB> {
    let fits = |px: u32| {
        root.estimate_text_size(title, &font(px))
            .is_ok_and(|(w, _)| w + 40 <= SIZE.0)
    };
    let title_px = (16..=TITLE_PX)
        .rev()
        .step_by(2)
        .find(|px| fits(*px))
        .unwrap_or(16);
    let mut b = ChartBuilder::on(root);
    b.caption(title, font(title_px))
        .margin(20)
        .margin_right(40)
        .x_label_area_size(80)
        .y_label_area_size(110);
    b
}

/// How one axis is described and labelled.
pub(crate) struct Axis<'a> {
    /// Description with unit, e.g. `delay \[ms\]`.
    pub desc: &'a str,
    /// Tick labels at most (0 for none: the caller labels the axis itself).
    pub ticks: usize,
    /// Tick label of a value.
    pub format: &'a dyn Fn(&f64) -> String,
}

impl<'a> Axis<'a> {
    /// An axis with the usual number of tick labels.
    pub(crate) fn new(desc: &'a str, format: &'a dyn Fn(&f64) -> String) -> Self {
        Self {
            desc,
            ticks: TICKS,
            format,
        }
    }
}

/// Axes, grid, tick labels and axis descriptions in the common style.
pub(crate) fn draw_mesh<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x: Axis<'_>,
    y: Axis<'_>,
) -> Result<(), DrawError>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x.desc)
        .y_desc(y.desc)
        .axis_desc_style(font(AXIS_DESC_PX))
        .label_style(font(TICK_PX))
        .bold_line_style(BLACK.mix(0.15))
        .light_line_style(BLACK.mix(0.04))
        .x_labels(x.ticks)
        .y_labels(y.ticks)
        .x_label_formatter(x.format)
        .y_label_formatter(y.format);
    if x.ticks == 0 {
        mesh.disable_x_mesh();
    }
    mesh.draw()?;
    Ok(())
}

/// Tick labels for a linear axis over `range`: as many decimals as the round values plotters
/// will pick need, and the same number on every label.
pub(crate) fn linear_ticks(range: &Range<f64>) -> impl Fn(&f64) -> String + use<> {
    let points = RangedCoordf64::from(range.clone()).key_points(TICKS);
    let decimals = (0..=6)
        .find(|d| {
            let scale = 10f64.powi(*d);
            points
                .iter()
                .all(|v| ((v * scale).round() - v * scale).abs() < 1e-6)
        })
        .unwrap_or(6) as usize;
    move |v: &f64| fixed(*v, decimals)
}

/// A log axis over `range` (positive) with grid lines at 1…9 × 10^k and labels at 1, 2 and
/// 5 × 10^k, or at powers of ten only when the range spans more than four decades.
pub(crate) fn log_axis(range: Range<f64>) -> WithKeyPoints<LogCoord<f64>> {
    let wide = range.end / range.start > 1e4;
    let (mut labelled, mut grid) = (Vec::new(), Vec::new());
    let mut decade = 10f64.powf(range.start.log10().floor());
    while decade <= range.end {
        for m in 1..=9 {
            let v = decade * f64::from(m);
            if range.contains(&v) {
                grid.push(v);
                if m == 1 || (!wide && (m == 2 || m == 5)) {
                    labelled.push(v);
                }
            }
        }
        decade *= 10.0;
    }
    range
        .log_scale()
        .with_key_points(labelled)
        .with_light_points(grid)
}

/// Tick labels for [`log_axis`]: the value with the decimals its power of ten needs.
pub(crate) fn log_ticks(v: &f64) -> String {
    let decimals = (-v.log10().floor()).max(0.0) as usize;
    fixed(*v, decimals)
}

/// Formats `v` with `decimals` digits after the point.
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

/// Draws the legend of every labelled series at `position`.
pub(crate) fn draw_legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> Result<(), DrawError>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged,
    Y: Ranged,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font(font(LEGEND_PX))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .margin(15)
        .legend_area_size(40)
        .draw()?;
    Ok(())
}

/// A legend sample: a short thick line.
pub(crate) fn legend_line(colour: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 30, y)], colour.stroke_width(4))
}

/// An error bar with caps from `from` to `to`, in pixels of `root` (a chart's
/// `backend_coord`), so it is drawn the same way on any coordinate system.
pub(crate) fn draw_whisker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
    colour: RGBColor,
) -> Result<(), DrawError>
where
    DB::ErrorType: 'static,
{
    const CAP: i32 = 10;
    let style = colour.stroke_width(3);
    let vertical = from.0 == to.0;
    let cap = |(x, y): (i32, i32)| {
        if vertical {
            vec![(x - CAP, y), (x + CAP, y)]
        } else {
            vec![(x, y - CAP), (x, y + CAP)]
        }
    };
    root.draw(&PathElement::new(vec![from, to], style))?;
    root.draw(&PathElement::new(cap(from), style))?;
    root.draw(&PathElement::new(cap(to), style))?;
    Ok(())
}

/// A rectangle in pixels: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);

fn overlap(a: Rect, b: Rect) -> i64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0);
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0);
    i64::from(w) * i64::from(h)
}

/// Top-left corners for the labels of point markers (radius `marker` px) at `points`, each
/// label of the given (width, height): for each point in turn, the first of eight positions
/// around it that overlaps no marker, no label placed so far and does not leave `bounds`, or
/// else the position with the least overlap.
pub(crate) fn place_labels(
    points: &[(i32, i32)],
    sizes: &[(u32, u32)],
    marker: i32,
    bounds: Rect,
) -> Vec<(i32, i32)> {
    let gap = marker + 6;
    let markers: Vec<Rect> = points
        .iter()
        .map(|&(x, y)| (x - marker, y - marker, x + marker, y + marker))
        .collect();
    let mut placed: Vec<Rect> = Vec::new();
    for (&(x, y), &(w, h)) in points.iter().zip(sizes) {
        let (w, h) = (w as i32, h as i32);
        let candidates = [
            (x + gap, y - h - 4),
            (x + gap, y - h / 2),
            (x + gap, y + 4),
            (x - gap - w, y - h - 4),
            (x - gap - w, y - h / 2),
            (x - gap - w, y + 4),
            (x - w / 2, y - gap - h),
            (x - w / 2, y + gap),
        ];
        let cost = |&(left, top): &(i32, i32)| {
            let r = (left, top, left + w, top + h);
            let outside = i64::from(w) * i64::from(h) - overlap(r, bounds);
            let covered: i64 = markers.iter().chain(&placed).map(|m| overlap(r, *m)).sum();
            outside * 4 + covered
        };
        // `min_by_key` keeps the first of equal costs, so free positions go in the order above.
        let best = *candidates
            .iter()
            .min_by_key(|c| cost(c))
            .expect("there are eight candidates");
        placed.push((best.0, best.1, best.0 + w, best.1 + h));
    }
    placed.iter().map(|r| (r.0, r.1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_use_the_decimals_the_round_values_need() {
        assert_eq!(linear_ticks(&(0.0..728.0))(&200.0), "200");
        assert_eq!(linear_ticks(&(0.0..1.0))(&0.2), "0.2");
        assert_eq!(linear_ticks(&(99.2..99.32))(&99.3), "99.30");
    }

    #[test]
    fn log_axis_labels_one_two_five_times_powers_of_ten() {
        let axis = log_axis(0.15..30.0);
        let labels: Vec<String> = axis.bold_points().iter().map(log_ticks).collect();
        assert_eq!(labels, ["0.2", "0.5", "1", "2", "5", "10", "20"]);
        // 0.2…0.9, 1…9, 10 and 20 (the range excludes its end).
        assert_eq!(axis.light_points().len(), 8 + 9 + 2);
        let wide: Vec<String> = log_axis(0.01..1000.0)
            .bold_points()
            .iter()
            .map(log_ticks)
            .collect();
        assert_eq!(wide, ["0.01", "0.1", "1", "10", "100"]);
    }

    #[test]
    fn labels_avoid_markers_and_each_other() {
        // A diagonal of close points, as in a cost/recovery trade-off with many variants.
        let points: Vec<(i32, i32)> = (0..8).map(|i| (200 + 80 * i, 200 + 30 * i)).collect();
        let sizes = vec![(170, 22); 8];
        let bounds = (100, 50, 1160, 700);
        let corners = place_labels(&points, &sizes, 10, bounds);
        let rects: Vec<Rect> = corners
            .iter()
            .zip(&sizes)
            .map(|(&(x, y), &(w, h))| (x, y, x + w as i32, y + h as i32))
            .collect();
        for (i, r) in rects.iter().enumerate() {
            assert_eq!(
                overlap(*r, bounds),
                170 * 22,
                "label {i} leaves the plot: {r:?}"
            );
            for (j, other) in rects.iter().enumerate().skip(i + 1) {
                assert_eq!(overlap(*r, *other), 0, "labels {i} and {j} overlap");
            }
            for (j, &(x, y)) in points.iter().enumerate() {
                assert_eq!(
                    overlap(*r, (x - 10, y - 10, x + 10, y + 10)),
                    0,
                    "label {i} covers point {j}"
                );
            }
        }
        // A lone point gets the first position: up and to the right.
        assert_eq!(
            place_labels(&[(500, 400)], &[(50, 20)], 10, bounds),
            [(516, 376)]
        );
    }
}
