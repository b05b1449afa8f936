//! Decimation of long line series to what a chart can show: at most four points per pixel
//! column, chosen so the drawn line looks the same as the full-resolution one.
//!
//! A polyline drawn into a column of pixels covers, in that column, every height between its
//! lowest and highest point there, and enters and leaves it where its first and last points
//! in the column are. Keeping those four points per column (in their original order) therefore
//! draws the same envelope, and the segment from one column's last point to the next column's
//! first is the original segment. Without this a series of 10⁶ buckets wrote 10⁶ points into
//! the SVG (gigabytes for long runs) and spent as long drawing the PNG, for no visible gain.
//!
//! plotters' bitmap rasterizer draws a line wider than 1 px as one polygon whose inner corner
//! at a turn sharper than 90° lies arbitrarily far from the line, so the vertical zig-zags of
//! a decimated series would grow spikes in the PNG; [`split_at_sharp_turns`] cuts the line
//! there into pieces that share their end points. SVG viewers join lines correctly and get the
//! single line.
//!
//! Points are taken in the order given, which for a line over x is x order. Points outside the
//! x range keep their own first/min/max/last on each side (plotters clips them), so segments
//! that cross the chart's edge are unchanged.

use std::ops::Range;

/// The points of a line series to draw across `columns` pixel columns spanning `x_range`:
/// the first, lowest, highest and last point of each column, in their original order.
///
/// Points with a non-finite coordinate cannot be drawn and are left out. A series of finite
/// points no longer than `columns` comes back unchanged, and so does every finite point when
/// `columns` is 0 or `x_range` is empty or not finite. For points in x order the result has
/// at most 4 × `columns` points inside the range, plus at most 4 on each side outside it.
pub fn decimate(points: &[(f64, f64)], x_range: Range<f64>, columns: usize) -> Vec<(f64, f64)> {
    let finite = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let width = x_range.end - x_range.start;
    if points.len() <= columns || columns == 0 || !(width > 0.0 && width.is_finite()) {
        return finite.collect();
    }
    let scale = columns as f64 / width;
    // -1 left of the range, `columns` right of it: each side is one more column.
    let column_of = |x: f64| -> i64 {
        let c = ((x - x_range.start) * scale).floor();
        if c < 0.0 {
            -1
        } else if c >= columns as f64 {
            columns as i64
        } else {
            c as i64
        }
    };
    let mut out = Vec::with_capacity(4 * columns + 8);
    let mut run: Option<Run> = None;
    for p in finite {
        let column = column_of(p.0);
        match &mut run {
            Some(r) if r.column == column => r.add(p),
            _ => {
                if let Some(r) = run.take() {
                    r.emit(&mut out);
                }
                run = Some(Run::new(column, p));
            }
        }
    }
    if let Some(r) = run {
        r.emit(&mut out);
    }
    out
}

/// `points` cut into pieces at every turn sharper than 90° in pixel space (`to_px`), each
/// piece ending where the next begins; one piece when there is no such turn.
pub(crate) fn split_at_sharp_turns(
    points: &[(f64, f64)],
    to_px: impl Fn(&(f64, f64)) -> (i32, i32),
) -> Vec<Vec<(f64, f64)>> {
    let px: Vec<(i64, i64)> = points
        .iter()
        .map(|p| {
            let (x, y) = to_px(p);
            (i64::from(x), i64::from(y))
        })
        .collect();
    let mut pieces = Vec::new();
    let mut piece: Vec<(f64, f64)> = Vec::new();
    // The pixel of the last point kept in the piece and the direction into it, skipping
    // points on the same pixel (the rasterizer skips them too).
    let mut last: Option<(i64, i64)> = None;
    let mut heading: Option<(i64, i64)> = None;
    for (p, q) in points.iter().zip(&px) {
        if let Some(l) = last {
            let d = (q.0 - l.0, q.1 - l.1);
            if d == (0, 0) {
                piece.push(*p);
                continue;
            }
            if heading.is_some_and(|h| h.0 * d.0 + h.1 * d.1 < 0) {
                let end = *piece.last().unwrap_or(p);
                pieces.push(std::mem::replace(&mut piece, vec![end]));
            }
            heading = Some(d);
        }
        last = Some(*q);
        piece.push(*p);
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    pieces
}

/// Consecutive points in one pixel column: the first, lowest, highest and last, each with its
/// position in the run so they can be written back in order.
struct Run {
    column: i64,
    first: (f64, f64),
    min: (usize, (f64, f64)),
    max: (usize, (f64, f64)),
    last: (usize, (f64, f64)),
}

impl Run {
    fn new(column: i64, p: (f64, f64)) -> Self {
        Self {
            column,
            first: p,
            min: (0, p),
            max: (0, p),
            last: (0, p),
        }
    }

    fn add(&mut self, p: (f64, f64)) {
        let i = self.last.0 + 1;
        // Strict comparisons keep the earliest of equal extremes: deterministic, and the
        // first point wins ties so a flat run stays two points.
        if p.1 < self.min.1.1 {
            self.min = (i, p);
        }
        if p.1 > self.max.1.1 {
            self.max = (i, p);
        }
        self.last = (i, p);
    }

    fn emit(self, out: &mut Vec<(f64, f64)>) {
        let mut kept = [(0, self.first), self.min, self.max, self.last];
        kept.sort_by_key(|(i, _)| *i);
        let mut previous = None;
        for (i, p) in kept {
            if previous != Some(i) {
                out.push(p);
                previous = Some(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic jagged series: x in [0, 100), y a sine with a sawtooth on top.
    fn jagged(n: usize) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let x = i as f64 * 100.0 / n as f64;
                let y = (x / 7.0).sin() * 50.0 + ((i * 7919) % 101) as f64;
                (x, y)
            })
            .collect()
    }

    /// The column of `x` in [0, 100) as `decimate` computes it.
    fn column(x: f64, columns: usize) -> usize {
        ((x * (columns as f64 / 100.0)).floor() as usize).min(columns - 1)
    }

    #[test]
    fn at_most_four_points_per_column() {
        for (n, columns) in [
            (1_000, 999),
            (10_000, 1_000),
            (1_000_000, 1_050),
            (5_000, 7),
        ] {
            let out = decimate(&jagged(n), 0.0..100.0, columns);
            assert!(
                out.len() <= 4 * columns,
                "{n} points in {columns} columns: {}",
                out.len()
            );
            assert!(
                out.len() >= columns.min(n),
                "{n} in {columns}: {}",
                out.len()
            );
        }
    }

    #[test]
    fn each_columns_first_min_max_and_last_are_kept() {
        let columns = 300;
        let points = jagged(50_000);
        let out = decimate(&points, 0.0..100.0, columns);
        let summarise = |pts: &[(f64, f64)]| {
            let mut per: Vec<Option<[f64; 4]>> = vec![None; columns];
            for &(x, y) in pts {
                let c = &mut per[column(x, columns)];
                *c = Some(match *c {
                    None => [y, y, y, y],
                    Some([first, lo, hi, _]) => [first, lo.min(y), hi.max(y), y],
                });
            }
            per
        };
        assert_eq!(summarise(&out), summarise(&points));
        // Every kept point is an original one, in the original order.
        let mut rest = points.iter();
        for p in &out {
            assert!(
                rest.any(|q| q == p),
                "{p:?} is not an original point in order"
            );
        }
    }

    #[test]
    fn a_series_no_longer_than_the_width_is_unchanged() {
        let points = jagged(800);
        assert_eq!(decimate(&points, 0.0..100.0, 800), points);
        assert_eq!(decimate(&points, 0.0..100.0, 1_200), points);
        assert_eq!(decimate(&[], 0.0..1.0, 10), Vec::new());
    }

    #[test]
    fn non_finite_points_are_left_out() {
        let mut points = jagged(10_000);
        points[17].1 = f64::NAN;
        points[4_000].0 = f64::NAN;
        points[9_999].1 = f64::INFINITY;
        let out = decimate(&points, 0.0..100.0, 100);
        assert!(out.iter().all(|(x, y)| x.is_finite() && y.is_finite()));
        assert!(out.len() <= 400);
        let short = [(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0)];
        assert_eq!(decimate(&short, 0.0..2.0, 10), [(0.0, 1.0), (2.0, 3.0)]);
        let nan_range = decimate(&points, f64::NAN..100.0, 100);
        assert_eq!(nan_range.len(), points.len() - 3);
    }

    #[test]
    fn points_outside_the_range_keep_their_edge_segments() {
        let points: Vec<(f64, f64)> = (-500..1_500)
            .map(|i| (i as f64 / 10.0, (i % 13) as f64))
            .collect();
        let out = decimate(&points, 0.0..100.0, 10);
        assert_eq!(out.first(), points.first());
        assert_eq!(out.last(), points.last());
        // The last point left of the range and the first inside it are both kept.
        assert!(out.contains(&(-0.1, -1.0)));
        assert!(out.contains(&(0.0, 0.0)));
        assert!(out.len() <= 4 * 10 + 8, "{}", out.len());
    }

    #[test]
    fn lines_are_cut_at_turns_sharper_than_a_right_angle() {
        let to_px = |p: &(f64, f64)| (p.0 as i32, p.1 as i32);
        // Up, a right angle (kept), then back down (cut), then on.
        let points = [
            (0.0, 0.0),
            (0.0, 10.0),
            (10.0, 10.0),
            (10.0, 0.0),
            (9.0, 20.0),
        ];
        let pieces = split_at_sharp_turns(&points, to_px);
        assert_eq!(
            pieces,
            [
                vec![(0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0)],
                vec![(10.0, 0.0), (9.0, 20.0)],
            ]
        );
        let smooth = [(0.0, 0.0), (1.0, 1.0), (2.0, 1.5), (3.0, 1.5)];
        assert_eq!(split_at_sharp_turns(&smooth, to_px), [smooth.to_vec()]);
        assert!(split_at_sharp_turns(&[], to_px).is_empty());
    }

    #[test]
    fn flat_runs_shrink_to_their_ends() {
        let points: Vec<(f64, f64)> = (0..1_000).map(|i| (i as f64 / 10.0, 5.0)).collect();
        let out = decimate(&points, 0.0..100.0, 10);
        assert_eq!(out.len(), 20);
        assert!(out.iter().all(|p| p.1 == 5.0));
    }
}
