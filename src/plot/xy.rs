//! A small generic XY chart: series with confidence intervals, dashed vertical reference
//! marks and labelled points, drawn as PNG and SVG in the look of the other charts (same
//! size, font, colours, axes and legend). Used by the run charts, the sweep charts and the
//! validation report; it knows nothing about any of them.

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::PlotError;
use super::frame::{
    Axis, DrawError, LEGEND_PX, LEGEND_ROW_PX, SIZE, TITLE_PX, builder, draw_legend, draw_mesh,
    draw_whisker, font, legend_line, linear_ticks, log_axis, log_ticks, place_labels,
    variant_colour,
};
use super::register_font;

/// Radius of point markers \[px\].
const MARKER_PX: i32 = 6;
/// Radius of the markers of labelled points \[px\].
const LABELLED_PX: i32 = 9;

/// How a series' confidence intervals are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CiStyle {
    /// An error bar with caps at each point: for few, spread-out points.
    Whiskers,
    /// A shaded band joining the intervals: for dense curves.
    Band,
    /// A shaded band joining intervals in x (each point's `ci` is a range of x at its y):
    /// for a curve whose uncertainty is in its x values, such as quantiles at fixed
    /// probabilities.
    BandX,
}

/// One curve, drawn in its own colour or else in the `i`-th default colour (series `i`).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its colour (a strategy's); `None` for the default colour of its position.
    pub colour: Option<RGBColor>,
    /// Legend text; an empty label leaves the series out of the legend.
    pub label: String,
    /// Points (x, y), drawn in this order.
    pub points: Vec<(f64, f64)>,
    /// Confidence interval (low, high) of each point, in the order of `points`; empty for
    /// none. Non-finite intervals are skipped.
    pub ci: Vec<(f64, f64)>,
    /// How `ci` is drawn.
    pub ci_style: CiStyle,
    /// Join the points with a line.
    pub line: bool,
    /// Draw a marker at each point.
    pub markers: bool,
}

impl Series {
    /// A line with markers and no intervals.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            colour: None,
            label: label.into(),
            points,
            ci: Vec::new(),
            ci_style: CiStyle::Whiskers,
            line: true,
            markers: true,
        }
    }

    /// The same series in `colour`.
    pub fn with_colour(mut self, colour: RGBColor) -> Self {
        self.colour = Some(colour);
        self
    }

    /// The same series with confidence intervals drawn in `style`.
    pub fn with_ci(mut self, ci: Vec<(f64, f64)>, style: CiStyle) -> Self {
        self.ci = ci;
        self.ci_style = style;
        self
    }
}

/// Dash pattern of a vertical mark, so that two marks of one colour stay distinguishable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dash {
    /// Long dashes.
    Long,
    /// Short dashes, nearly dotted.
    Short,
}

impl Dash {
    /// Dash length and gap \[px\].
    fn pattern(self) -> (u32, u32) {
        match self {
            Self::Long => (14, 7),
            Self::Short => (4, 5),
        }
    }
}

/// A dashed vertical line at `x` across the whole plot, named in the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Legend text.
    pub label: String,
    /// Position on the x axis.
    pub x: f64,
    /// Index of the series whose colour the mark takes; black if `None`.
    pub series: Option<usize>,
    /// Dash pattern.
    pub dash: Dash,
}

impl Mark {
    fn style(&self, chart: &XyChart) -> ShapeStyle {
        self.series
            .map_or(BLACK, |i| chart.series_colour(i))
            .mix(0.9)
            .stroke_width(3)
    }
}

/// A highlighted point with its label written next to it.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledPoint {
    /// Text next to the point.
    pub label: String,
    /// Position on the x axis.
    pub x: f64,
    /// Position on the y axis.
    pub y: f64,
    /// Index of the series whose colour the marker takes; black if `None`.
    pub series: Option<usize>,
}

/// An XY chart.
#[derive(Clone, Debug, PartialEq)]
pub struct XyChart {
    /// Title above the plot.
    pub title: String,
    /// x axis description with its unit, e.g. `checkpoint interval [min]`.
    pub x_label: String,
    /// y axis description with its unit.
    pub y_label: String,
    /// Logarithmic x axis (non-positive x values are left out).
    pub log_x: bool,
    /// Logarithmic y axis (non-positive y values are left out).
    pub log_y: bool,
    /// Curves, in legend order.
    pub series: Vec<Series>,
    /// Vertical reference marks, in the legend after the series.
    pub marks: Vec<Mark>,
    /// Highlighted points with labels.
    pub points: Vec<LabelledPoint>,
}

impl XyChart {
    /// An empty chart with linear axes.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
            series: Vec::new(),
            marks: Vec::new(),
            points: Vec::new(),
        }
    }

    /// Writes `<path>.png` (1200 × 800 px) and `<path>.svg`, creating the directory if
    /// needed, and returns both paths (PNG first).
    pub fn write(&self, path_without_ext: &Path) -> Result<Vec<PathBuf>, PlotError> {
        let png = path_without_ext.with_extension("png");
        let svg = path_without_ext.with_extension("svg");
        let (x, y) = self.ranges().ok_or_else(|| PlotError::Draw {
            path: png.clone(),
            message: format!("`{}` has no point to draw", self.title),
        })?;
        if let Some(dir) = path_without_ext
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| PlotError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        register_font();
        let failed = |path: &Path, DrawError(message): DrawError| PlotError::Draw {
            path: path.to_path_buf(),
            message,
        };
        self.render(
            &BitMapBackend::new(&png, SIZE).into_drawing_area(),
            x.clone(),
            y.clone(),
        )
        .map_err(|e| failed(&png, e))?;
        self.render(&SVGBackend::new(&svg, SIZE).into_drawing_area(), x, y)
            .map_err(|e| failed(&svg, e))?;
        Ok(vec![png, svg])
    }

    /// The colour of series `i`: its own, or the `i`-th default.
    pub fn series_colour(&self, i: usize) -> RGBColor {
        self.series
            .get(i)
            .and_then(|s| s.colour)
            .unwrap_or_else(|| variant_colour(i))
    }

    /// Whether a value can be drawn on an axis.
    fn drawable(v: f64, log: bool) -> bool {
        v.is_finite() && (!log || v > 0.0)
    }

    /// Axis ranges covering every point, interval, mark and labelled point, with a margin;
    /// `None` if nothing can be drawn.
    fn ranges(&self) -> Option<(Range<f64>, Range<f64>)> {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for s in &self.series {
            for &(x, y) in &s.points {
                if Self::drawable(x, self.log_x) && Self::drawable(y, self.log_y) {
                    xs.push(x);
                    ys.push(y);
                }
            }
            for (&(x, y), &(lo, hi)) in s.points.iter().zip(&s.ci) {
                if s.ci_style == CiStyle::BandX {
                    if Self::drawable(y, self.log_y) {
                        xs.extend(
                            [lo, hi]
                                .into_iter()
                                .filter(|v| Self::drawable(*v, self.log_x)),
                        );
                    }
                } else if Self::drawable(x, self.log_x) {
                    ys.extend(
                        [lo, hi]
                            .into_iter()
                            .filter(|v| Self::drawable(*v, self.log_y)),
                    );
                }
            }
        }
        xs.extend(
            self.marks
                .iter()
                .map(|m| m.x)
                .filter(|x| Self::drawable(*x, self.log_x)),
        );
        for p in &self.points {
            if Self::drawable(p.x, self.log_x) && Self::drawable(p.y, self.log_y) {
                xs.push(p.x);
                ys.push(p.y);
            }
        }
        Some((padded(&xs, self.log_x)?, padded(&ys, self.log_y)?))
    }

    /// Draws on a white background and writes the file, dispatching on the axis kinds.
    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: Range<f64>,
        y: Range<f64>,
    ) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (legend, y) = if self.legend_labels().is_empty() {
            (None, y)
        } else {
            let (legend, y) = self.legend_layout(root, &x, y)?;
            (Some(legend), y)
        };
        let x_ticks = linear_ticks(&x);
        let y_ticks = linear_ticks(&y);
        let axes = (
            Axis::new(
                &self.x_label,
                if self.log_x { &log_ticks } else { &x_ticks },
            ),
            Axis::new(
                &self.y_label,
                if self.log_y { &log_ticks } else { &y_ticks },
            ),
        );
        let frame = Frame {
            x_span: x.clone(),
            y_span: y.clone(),
            legend,
        };
        match (self.log_x, self.log_y) {
            (false, false) => self.draw_on(root, (x, y), axes, frame)?,
            (true, false) => self.draw_on(root, (log_axis(x), y), axes, frame)?,
            (false, true) => self.draw_on(root, (x, log_axis(y)), axes, frame)?,
            (true, true) => self.draw_on(root, (log_axis(x), log_axis(y)), axes, frame)?,
        }
        root.present()?;
        Ok(())
    }

    /// Legend entries: labelled series, then marks.
    fn legend_labels(&self) -> Vec<&str> {
        self.series
            .iter()
            .map(|s| s.label.as_str())
            .chain(self.marks.iter().map(|m| m.label.as_str()))
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// The legend's corner and size, and the y range extended at the top if the legend
    /// would cover data in every corner: the corner is the first of upper right, upper left,
    /// lower right and lower left whose legend box covers no point, interval, line or
    /// labelled point.
    fn legend_layout<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: &Range<f64>,
        y: Range<f64>,
    ) -> Result<(Legend, Range<f64>), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let labels = self.legend_labels();
        let mut text_w = 0;
        for label in &labels {
            text_w = text_w.max(root.estimate_text_size(label, &font(LEGEND_PX))?.0);
        }
        let title_h = root.estimate_text_size(&self.title, &font(TITLE_PX))?.1;
        // The plotting area as `frame::builder` lays it out: margins of 20 px (40 px on the
        // right), 110 px for the y labels, 80 px for the x labels, the title on top.
        let plot_w = f64::from(SIZE.0 - 20 - 40 - 110);
        let plot_h = f64::from(SIZE.1 - 40 - 80 - title_h - 10);
        // The box as plotters draws it: text, a 40 px sample area and 15 px margins, 5 px
        // from the plot's edges; a few pixels more for the caps of whiskers.
        let size = (
            text_w as i32 + 40 + 30,
            labels.len() as i32 * LEGEND_ROW_PX as i32 + 30,
        );
        let box_w = (f64::from(size.0) + 15.0) / plot_w;
        let box_h = (f64::from(size.1) + 15.0) / plot_h;
        let samples = self.samples(x, &y);
        let free = |left: bool, top: bool| {
            let (x0, x1) = if left {
                (0.0, box_w)
            } else {
                (1.0 - box_w, 1.0)
            };
            let (y0, y1) = if top {
                (1.0 - box_h, 1.0)
            } else {
                (0.0, box_h)
            };
            !samples
                .iter()
                .any(|&(u, v)| (x0..=x1).contains(&u) && (y0..=y1).contains(&v))
        };
        use SeriesLabelPosition::{LowerLeft, LowerRight, UpperLeft, UpperRight};
        for (position, left, top) in [
            (UpperRight, false, true),
            (UpperLeft, true, true),
            (LowerRight, false, false),
            (LowerLeft, true, false),
        ] {
            if free(left, top) {
                return Ok((Legend { position, size }, y));
            }
        }
        // Head room: the data keep the lower (1 − box_h) of the height.
        let keep = (1.0 - box_h).max(0.4);
        let y = if self.log_y {
            let (lo, hi) = (y.start.ln(), y.end.ln());
            y.start..(lo + (hi - lo) / keep).exp()
        } else {
            y.start..y.start + (y.end - y.start) / keep
        };
        Ok((
            Legend {
                position: UpperRight,
                size,
            },
            y,
        ))
    }

    /// Every drawn data position (points, intervals, lines between points, labelled points)
    /// as fractions (0…1) of the plot's width and height.
    fn samples(&self, x: &Range<f64>, y: &Range<f64>) -> Vec<(f64, f64)> {
        let fx = |v: f64| fraction(v, x, self.log_x);
        let fy = |v: f64| fraction(v, y, self.log_y);
        let ok =
            |&(a, b): &(f64, f64)| Self::drawable(a, self.log_x) && Self::drawable(b, self.log_y);
        let mut out = Vec::new();
        for s in &self.series {
            let points: Vec<(f64, f64)> = s.points.iter().copied().filter(ok).collect();
            out.extend(points.iter().map(|&(a, b)| (fx(a), fy(b))));
            if s.line {
                for w in points.windows(2) {
                    let (a, b) = ((fx(w[0].0), fy(w[0].1)), (fx(w[1].0), fy(w[1].1)));
                    out.extend((1..20).map(|k| {
                        let t = f64::from(k) / 20.0;
                        (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
                    }));
                }
            }
            for (&(px, py), &(lo, hi)) in s.points.iter().zip(&s.ci) {
                for v in [lo, hi] {
                    let at = if s.ci_style == CiStyle::BandX {
                        (v, py)
                    } else {
                        (px, v)
                    };
                    if ok(&at) {
                        out.push((fx(at.0), fy(at.1)));
                    }
                }
            }
        }
        out.extend(
            self.points
                .iter()
                .filter(|p| ok(&(p.x, p.y)))
                .map(|p| (fx(p.x), fy(p.y))),
        );
        out
    }

    fn draw_on<DB, X, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        (x, y): (X, Y),
        (x_axis, y_axis): (Axis<'_>, Axis<'_>),
        Frame {
            x_span,
            y_span,
            legend,
        }: Frame,
    ) -> Result<(), DrawError>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = builder(root, &self.title).build_cartesian_2d(x, y)?;
        draw_mesh(&mut chart, x_axis, y_axis)?;
        let (log_x, log_y) = (self.log_x, self.log_y);
        let ok = |&(a, b): &(f64, f64)| Self::drawable(a, log_x) && Self::drawable(b, log_y);
        // Clamps an interval end into the plot, so a band reaching below a log axis stays a
        // band instead of vanishing.
        let clamp = |v: f64| {
            if log_y && v <= 0.0 {
                y_span.start
            } else {
                v.clamp(y_span.start, y_span.end)
            }
        };

        let clamp_x = |v: f64| {
            if log_x && v <= 0.0 {
                x_span.start
            } else {
                v.clamp(x_span.start, x_span.end)
            }
        };
        // Bands under everything else.
        for (i, s) in self.series.iter().enumerate() {
            if s.ci_style == CiStyle::BandX {
                let band: Vec<(f64, f64, f64)> = s
                    .points
                    .iter()
                    .zip(&s.ci)
                    .filter(|((_, py), (lo, hi))| {
                        Self::drawable(*py, log_y) && lo.is_finite() && hi.is_finite()
                    })
                    .map(|(&(_, py), &(lo, hi))| (py, clamp_x(lo), clamp_x(hi)))
                    .collect();
                if band.len() >= 2 {
                    let outline: Vec<(f64, f64)> = band
                        .iter()
                        .map(|&(py, _, hi)| (hi, py))
                        .chain(band.iter().rev().map(|&(py, lo, _)| (lo, py)))
                        .collect();
                    let colour = self.series_colour(i).mix(0.2).filled();
                    chart.draw_series([Polygon::new(outline, colour)])?;
                }
                continue;
            }
            if s.ci_style != CiStyle::Band {
                continue;
            }
            let band: Vec<(f64, f64, f64)> = s
                .points
                .iter()
                .zip(&s.ci)
                .filter(|((px, _), (lo, hi))| {
                    Self::drawable(*px, log_x) && lo.is_finite() && hi.is_finite()
                })
                .map(|(&(px, _), &(lo, hi))| (px, clamp(lo), clamp(hi)))
                .collect();
            if band.len() < 2 {
                continue;
            }
            let outline: Vec<(f64, f64)> = band
                .iter()
                .map(|&(px, _, hi)| (px, hi))
                .chain(band.iter().rev().map(|&(px, lo, _)| (px, lo)))
                .collect();
            chart.draw_series([Polygon::new(
                outline,
                self.series_colour(i).mix(0.2).filled(),
            )])?;
        }

        // Marks under the data, so the curves stay visible where they cross; their legend
        // entries come after the series'.
        for m in &self.marks {
            if Self::drawable(m.x, log_x) {
                let (dash, gap) = m.dash.pattern();
                chart.draw_series([DashedPathElement::new(
                    [(m.x, y_span.start), (m.x, y_span.end)],
                    dash,
                    gap,
                    m.style(self),
                )])?;
            }
        }

        for (i, s) in self.series.iter().enumerate() {
            let colour = self.series_colour(i);
            let points: Vec<(f64, f64)> = s.points.iter().copied().filter(ok).collect();
            if s.ci_style == CiStyle::Whiskers {
                for (&(px, _), &(lo, hi)) in s.points.iter().zip(&s.ci) {
                    if Self::drawable(px, log_x) && lo.is_finite() && hi.is_finite() {
                        let from = chart.backend_coord(&(px, clamp(lo)));
                        let to = chart.backend_coord(&(px, clamp(hi)));
                        draw_whisker(root, from, to, colour)?;
                    }
                }
            }
            let anno = if s.line {
                chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))?
            } else {
                chart.draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            };
            if !s.label.is_empty() {
                if s.line {
                    anno.label(&s.label).legend(legend_line(colour));
                } else {
                    anno.label(&s.label).legend(move |(px, py)| {
                        Circle::new((px + 15, py), MARKER_PX, colour.filled())
                    });
                }
            }
            if s.markers {
                chart.draw_series(
                    points
                        .iter()
                        .map(|&p| Circle::new(p, MARKER_PX, colour.filled())),
                )?;
            }
        }

        for m in self.marks.iter().filter(|m| !m.label.is_empty()) {
            let ((dash, gap), style) = (m.dash.pattern(), m.style(self));
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
                .label(&m.label)
                .legend(move |(px, py)| {
                    DashedPathElement::new([(px, py), (px + 30, py)], dash, gap, style)
                });
        }

        // Labelled points last, their labels placed clear of each other, of the data and of
        // the legend.
        let labelled: Vec<&LabelledPoint> =
            self.points.iter().filter(|p| ok(&(p.x, p.y))).collect();
        let mut at = Vec::new();
        let mut sizes = Vec::new();
        let label_font = font(LEGEND_PX);
        for p in &labelled {
            let centre = chart.backend_coord(&(p.x, p.y));
            let colour = p.series.map_or(BLACK, |i| self.series_colour(i));
            root.draw(&Circle::new(centre, LABELLED_PX, colour.filled()))?;
            root.draw(&Circle::new(centre, LABELLED_PX, BLACK.stroke_width(2)))?;
            at.push(centre);
            sizes.push(root.estimate_text_size(&p.label, &label_font)?);
        }
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        // `place_labels` keeps labels off every point it is given: the data, the marks and
        // the legend box go in as points with empty labels, after the labelled ones.
        let to_px = |(u, v): (f64, f64)| {
            (
                xs.start + (u * f64::from(xs.end - xs.start)).round() as i32,
                ys.end - (v * f64::from(ys.end - ys.start)).round() as i32,
            )
        };
        let mark_lines = self
            .marks
            .iter()
            .filter(|m| Self::drawable(m.x, log_x))
            .flat_map(|m| {
                let x = to_px((fraction(m.x, &x_span, log_x), 0.0)).0;
                ys.clone().step_by(8).map(move |y| (x, y))
            });
        let obstacles: Vec<(i32, i32)> = self
            .samples(&x_span, &y_span)
            .into_iter()
            .map(to_px)
            .chain(mark_lines)
            .chain(legend.iter().flat_map(|l| l.area((xs.clone(), ys.clone()))))
            .collect();
        at.extend(&obstacles);
        sizes.resize(at.len(), (0, 0));
        let corners = place_labels(
            &at,
            &sizes,
            LABELLED_PX,
            (xs.start, ys.start, xs.end, ys.end),
        );
        // On a light background: where no free place exists a label may cross a line.
        for ((p, corner), (w, h)) in labelled.iter().zip(corners).zip(sizes) {
            let (w, h) = (w as i32, h as i32);
            root.draw(&Rectangle::new(
                [
                    (corner.0 - 3, corner.1 - 2),
                    (corner.0 + w + 3, corner.1 + h + 2),
                ],
                WHITE.mix(0.85).filled(),
            ))?;
            root.draw(&Text::new(p.label.clone(), corner, label_font.clone()))?;
        }

        if let Some(legend) = legend {
            draw_legend(&mut chart, legend.position)?;
        }
        Ok(())
    }
}

/// What [`XyChart::draw_on`] needs besides the axes.
struct Frame {
    /// The x range drawn.
    x_span: Range<f64>,
    /// The y range drawn (legend room included).
    y_span: Range<f64>,
    /// The legend; `None` for no legend.
    legend: Option<Legend>,
}

/// Where the legend goes and how big it is.
#[derive(Clone)]
struct Legend {
    position: SeriesLabelPosition,
    /// Width and height \[px\].
    size: (i32, i32),
}

impl Legend {
    /// Points every 8 px over the legend box in a plotting area of the given pixel ranges
    /// (corner positions as plotters lays them out, 5 px from the edges).
    fn area(&self, (xs, ys): (Range<i32>, Range<i32>)) -> Vec<(i32, i32)> {
        use SeriesLabelPosition::{LowerLeft, UpperLeft, UpperRight};
        let (w, h) = self.size;
        let left = match self.position {
            UpperLeft | LowerLeft => xs.start + 5,
            _ => xs.end - 5 - w,
        };
        let top = match self.position {
            UpperLeft | UpperRight => ys.start + 5,
            _ => ys.end - 5 - h,
        };
        (0..=w / 8)
            .flat_map(|i| (0..=h / 8).map(move |j| (left + 8 * i, top + 8 * j)))
            .collect()
    }
}

/// `v`'s position in `range` as a fraction of its length (of its logarithm for a log axis).
fn fraction(v: f64, range: &Range<f64>, log: bool) -> f64 {
    if log {
        (v.ln() - range.start.ln()) / (range.end.ln() - range.start.ln())
    } else {
        (v - range.start) / (range.end - range.start)
    }
}

/// A range around `values` with 5 % of its length free on each side (of its logarithm for a
/// log axis); a single value gets a range around it. `None` for no values.
fn padded(values: &[f64], log: bool) -> Option<Range<f64>> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    Some(if log {
        let ratio = (hi / lo).max(1.1);
        let pad = ratio.powf(0.05);
        lo / pad..hi * pad
    } else if hi > lo {
        let pad = (hi - lo) * 0.05;
        lo - pad..hi + pad
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo - pad..hi + pad
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_png_and_svg() {
        let dir = std::env::temp_dir().join(format!(
            "faultline-xy-chart-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let mut chart = XyChart::new("A test chart", "x [s]", "y [ms]");
        chart.log_x = true;
        let points: Vec<(f64, f64)> = (1..=10).map(|i| (f64::from(i), f64::from(i * i))).collect();
        let ci = points.iter().map(|&(_, y)| (y * 0.9, y * 1.1)).collect();
        chart
            .series
            .push(Series::new("squares", points).with_ci(ci, CiStyle::Band));
        chart.series.push(
            Series::new("line", vec![(1.0, 50.0), (10.0, 20.0)])
                .with_ci(vec![(45.0, 55.0), (15.0, 25.0)], CiStyle::Whiskers),
        );
        chart.marks.push(Mark {
            label: "reference".to_string(),
            x: 3.0,
            series: Some(0),
            dash: Dash::Long,
        });
        chart.points.push(LabelledPoint {
            label: "best".to_string(),
            x: 5.0,
            y: 25.0,
            series: Some(0),
        });
        let written = chart.write(&dir.join("test_chart")).unwrap();
        assert_eq!(
            written,
            [dir.join("test_chart.png"), dir.join("test_chart.svg")]
        );
        let png = std::fs::read(&written[0]).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
        let svg = std::fs::read_to_string(&written[1]).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("reference"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_legend_takes_a_free_corner_or_makes_room() {
        register_font();
        let mut buffer = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
        let root = BitMapBackend::with_buffer(&mut buffer, SIZE).into_drawing_area();
        let mut chart = XyChart::new("legend", "x [s]", "y [s]");
        // A rising line leaves the upper left and lower right corners free.
        chart
            .series
            .push(Series::new("rising", vec![(0.0, 0.0), (1.0, 1.0)]));
        let (x, y) = chart.ranges().unwrap();
        let (legend, room) = chart.legend_layout(&root, &x, y.clone()).unwrap();
        assert!(matches!(legend.position, SeriesLabelPosition::UpperLeft));
        assert_eq!(room, y);
        // Points in every corner: the legend goes upper right, above the data.
        chart.series[0].points = vec![(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)];
        chart.series[0].line = false;
        let (legend, room) = chart.legend_layout(&root, &x, y.clone()).unwrap();
        assert!(matches!(legend.position, SeriesLabelPosition::UpperRight));
        assert!(room.start == y.start && room.end > y.end);
        let samples = chart.samples(&x, &room);
        assert!(samples.iter().all(|&(_, v)| v < 0.95), "{samples:?}");
    }

    #[test]
    fn a_chart_without_points_is_an_error() {
        let chart = XyChart::new("empty", "x", "y");
        let path = std::env::temp_dir().join("faultline-xy-never-written");
        assert!(matches!(chart.write(&path), Err(PlotError::Draw { .. })));
        assert!(!path.with_extension("png").exists());
    }

    #[test]
    fn log_ranges_leave_room_around_the_values() {
        let r = padded(&[1.0, 100.0], true).unwrap();
        assert!(r.start < 1.0 && r.start > 0.7 && r.end > 100.0 && r.end < 130.0);
        assert_eq!(padded(&[], false), None);
        let single = padded(&[2.0, 2.0], false).unwrap();
        assert!((single.start - 1.8).abs() < 1e-12 && (single.end - 2.2).abs() < 1e-12);
    }
}
