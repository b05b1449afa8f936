//! The failure timeline of a traced run, drawn from `trace.csv` alone: one lane per node and
//! per logical instance, coloured by state, with faults, detections, checkpoints and the
//! rollback marked and partitions and link spikes shaded — the picture of *why* a recovery
//! took as long as it did.
//!
//! Lanes come from the `trace_start` rows (every node and instance, in scenario order) and
//! change colour at each state change. An instance replicated actively (`name#copy`) shares
//! its logical lane with its copies, one strip per copy, so a lane that stays green while a
//! strip turns red shows a failure that replication hid. One chart per traced run and
//! variant: `timeline_<variant>` for run 0, `timeline_<variant>_run<r>` for other runs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::PlotError;
use super::frame::{DrawError, FAULT_COLOUR, LEGEND_PX, TICK_PX, builder, font};

/// Width of a timeline \[px\]; its height grows with the lanes.
const WIDTH: u32 = 1400;
/// Height of one lane \[px\]: 30 lanes (8 nodes, 20 instances, two bands) fit in 1000 px.
const LANE_PX: u32 = 26;
/// Room for the lane names left of the plot \[px\].
const NAMES_PX: u32 = 190;
/// Lines of `trace.csv` read at most: the caps keep a trace below this.
const MAX_LINES: usize = 50_000_000;

const RUNNING: RGBColor = RGBColor(199, 233, 192);
const DOWN: RGBColor = RGBColor(214, 39, 40);
const DOWN_DETECTED: RGBColor = RGBColor(140, 20, 24);
const SUSPECTED: RGBColor = RGBColor(255, 127, 14);
const SLOW: RGBColor = RGBColor(255, 221, 87);
const RESTARTING: RGBColor = RGBColor(148, 103, 189);
const CATCHING_UP: RGBColor = RGBColor(31, 119, 180);
const INCOMPLETE: RGBColor = RGBColor(158, 202, 225);
const HUNG: RGBColor = RGBColor(140, 86, 75);
const SNAPSHOTTING: RGBColor = RGBColor(150, 150, 150);
const COMPLETED: RGBColor = RGBColor(44, 160, 44);
const PARTITION: RGBColor = RGBColor(31, 119, 180);
const SPIKE: RGBColor = RGBColor(255, 187, 120);

/// The colour of a node or instance state as `trace.csv` names it, and its legend text.
fn state_colour(kind: &str, state: &str) -> (RGBColor, &'static str) {
    let has = |flag: &str| state.split('+').any(|f| f == flag);
    if kind == "node" {
        return match (state.starts_with("up"), has("suspected")) {
            (false, false) => (DOWN, "down, not yet detected"),
            (false, true) => (DOWN_DETECTED, "down, detected"),
            (true, true) => (SUSPECTED, "suspected while up"),
            (true, false) if has("slow") => (SLOW, "slowed (straggler)"),
            (true, false) => (RUNNING, "up / running"),
        };
    }
    if state.starts_with("down") {
        (DOWN, "down, not yet detected")
    } else if state.starts_with("restarting") {
        (RESTARTING, "restarting / restoring")
    } else if has("hung") {
        (HUNG, "hung")
    } else if has("catching-up") {
        (CATCHING_UP, "catching up")
    } else if has("incomplete") {
        (INCOMPLETE, "rebuilt copy, incomplete")
    } else if has("snapshotting") {
        (SNAPSHOTTING, "writing a snapshot")
    } else {
        (RUNNING, "up / running")
    }
}

/// One lane's states: (from time \[s\], state), in time order.
#[derive(Debug, Default)]
struct Lane {
    name: String,
    kind: &'static str,
    /// One strip per copy (a single strip unless the instance is actively replicated).
    strips: Vec<Vec<(f64, String)>>,
}

/// Everything one traced run's timeline shows.
#[derive(Debug, Default)]
struct Timeline {
    variant: String,
    run: u32,
    end_s: f64,
    lanes: Vec<Lane>,
    /// Subject name → (lane, strip).
    index: BTreeMap<String, (usize, usize)>,
    faults: Vec<(f64, Option<usize>, String)>,
    /// When a node became suspected, and its lane.
    detections: Vec<(f64, usize)>,
    /// Checkpoint id → (started, ended, completed).
    checkpoints: BTreeMap<u32, (f64, Option<f64>, bool)>,
    rollbacks: Vec<(f64, Option<f64>)>,
    partitions: Vec<(f64, Option<f64>, String)>,
    spikes: Vec<(f64, Option<f64>, String)>,
    /// An instance moved to another node: (time, lane, strip, new node).
    moves: Vec<(f64, usize, usize, String)>,
}

impl Timeline {
    fn declare(&mut self, kind: &str, name: &str, state: &str) {
        let kind = if kind == "node" { "node" } else { "instance" };
        let (logical, copy) = match name.split_once('#') {
            Some((l, c)) => (l, c.parse::<usize>().unwrap_or(0)),
            None => (name, 0),
        };
        let key = format!("{kind} {logical}");
        let lane = match self
            .lanes
            .iter()
            .position(|l| l.kind == kind && l.name == logical)
        {
            Some(k) => k,
            None => {
                self.lanes.push(Lane {
                    name: logical.to_string(),
                    kind,
                    strips: Vec::new(),
                });
                self.lanes.len() - 1
            }
        };
        let strips = &mut self.lanes[lane].strips;
        while strips.len() <= copy {
            strips.push(Vec::new());
        }
        strips[copy].push((0.0, state.to_string()));
        let _ = key;
        self.index.insert(format!("{kind} {name}"), (lane, copy));
    }

    fn change(&mut self, t: f64, kind: &str, subject: &str, from: &str, to: &str) {
        match kind {
            "node" | "instance" => {
                if let Some(&(lane, strip)) = self.index.get(&format!("{kind} {subject}")) {
                    self.lanes[lane].strips[strip].push((t, to.to_string()));
                    let suspected = |s: &str| s.split('+').any(|f| f == "suspected");
                    if kind == "node" && suspected(to) && !suspected(from) {
                        self.detections.push((t, lane));
                    }
                }
            }
            "placement" => {
                if let Some(&(lane, strip)) = self.index.get(&format!("instance {subject}")) {
                    self.moves.push((t, lane, strip, to.to_string()));
                }
            }
            "checkpoint" => {
                let Ok(id) = subject.parse::<u32>() else {
                    return;
                };
                let entry = self.checkpoints.entry(id).or_insert((t, None, false));
                match to {
                    "started" => entry.0 = t,
                    "completed" => *entry = (entry.0, Some(t), true),
                    "aborted" => *entry = (entry.0, Some(t), false),
                    _ => {}
                }
            }
            "rollback" => {
                if to == "rolling-back" {
                    self.rollbacks.push((t, None));
                } else if let Some(last) = self.rollbacks.last_mut() {
                    last.1 = Some(t);
                }
            }
            "partition" | "spike" => {
                let list = if kind == "partition" {
                    &mut self.partitions
                } else {
                    &mut self.spikes
                };
                if to == "active" {
                    list.push((t, None, subject.to_string()));
                } else if let Some(open) = list
                    .iter_mut()
                    .rev()
                    .find(|(_, end, s)| end.is_none() && s == subject)
                {
                    open.1 = Some(t);
                }
            }
            _ => {}
        }
    }

    fn node_lane(&self, node: &str) -> Option<usize> {
        self.index.get(&format!("node {node}")).map(|&(l, _)| l)
    }

    /// The chart's file name (without extension).
    fn file_name(&self) -> String {
        let safe: String = self
            .variant
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if self.run == 0 {
            format!("timeline_{safe}")
        } else {
            format!("timeline_{safe}_run{}", self.run)
        }
    }
}

/// Reads every traced run of `dir/trace.csv` (none if the file is missing).
fn read(dir: &Path) -> Result<Vec<Timeline>, PlotError> {
    let path = dir.join("trace.csv");
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(PlotError::Read { path, source }),
    };
    let parse_error = |line: usize, message: String| PlotError::Parse {
        path: path.clone(),
        line,
        message,
    };
    let mut runs: Vec<Timeline> = Vec::new();
    let header = crate::world::TRACE_HEADER;
    let width = header.split(',').count();
    for (k, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| PlotError::Read {
            path: path.clone(),
            source,
        })?;
        if k == 0 {
            if line != header {
                return Err(parse_error(1, format!("expected the header {header}")));
            }
            continue;
        }
        if k > MAX_LINES {
            return Err(parse_error(
                k + 1,
                format!("more than {MAX_LINES} lines; a trace written by faultline has fewer"),
            ));
        }
        let c: Vec<&str> = line.split(',').collect();
        if c.len() != width {
            return Err(parse_error(
                k + 1,
                format!("expected {width} columns, found {}", c.len()),
            ));
        }
        let run: u32 = c[1]
            .parse()
            .map_err(|_| parse_error(k + 1, format!("run '{}' is not a number", c[1])))?;
        let t: f64 = c[3]
            .parse()
            .map_err(|_| parse_error(k + 1, format!("time '{}' is not a number", c[3])))?;
        let current = match runs.last() {
            Some(tl) if tl.variant == c[0] && tl.run == run => runs.len() - 1,
            _ => {
                runs.push(Timeline {
                    variant: c[0].to_string(),
                    run,
                    ..Timeline::default()
                });
                runs.len() - 1
            }
        };
        let tl = &mut runs[current];
        tl.end_s = tl.end_s.max(t);
        let (event, subject_kind, subject, from, to) = (c[5], c[11], c[12], c[13], c[14]);
        if event == "trace_start" {
            if subject_kind == "node" || subject_kind == "instance" {
                tl.declare(subject_kind, subject, to);
            }
            continue;
        }
        if c[4] == "faults" && (c[13].is_empty() || !tl.faults.iter().any(|f| f.0 == t)) {
            let lane = tl.node_lane(c[6]);
            tl.faults.push((t, lane, c[10].to_string()));
        }
        if !subject_kind.is_empty() {
            tl.change(t, subject_kind, subject, from, to);
        }
    }
    Ok(runs)
}

/// Draws a timeline per traced run of `dir` into `out`; returns the files written.
pub(crate) fn draw_timelines(dir: &Path, out: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let mut written = Vec::new();
    for tl in read(dir)? {
        if tl.lanes.is_empty() || tl.end_s <= 0.0 {
            continue;
        }
        let size = (WIDTH, height(&tl));
        let name = tl.file_name();
        let png = out.join(format!("{name}.png"));
        draw(&BitMapBackend::new(&png, size).into_drawing_area(), &tl).map_err(
            |DrawError(message)| PlotError::Draw {
                path: png.clone(),
                message,
            },
        )?;
        let svg = out.join(format!("{name}.svg"));
        draw(&SVGBackend::new(&svg, size).into_drawing_area(), &tl).map_err(
            |DrawError(message)| PlotError::Draw {
                path: svg.clone(),
                message,
            },
        )?;
        written.extend([png, svg]);
    }
    Ok(written)
}

/// Bands above the lanes: faults, checkpoints, and the rollback when there is one.
fn bands(tl: &Timeline) -> usize {
    2 + usize::from(!tl.rollbacks.is_empty())
}

/// Legend rows below the chart.
const LEGEND_ROWS: u32 = 3;

fn height(tl: &Timeline) -> u32 {
    let rows = (tl.lanes.len() + bands(tl)) as u32;
    (150 + rows * LANE_PX + LEGEND_ROWS * 34).max(600)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, tl: &Timeline) -> Result<(), DrawError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (w, h) = root.dim_in_pixel();
    let legend_h = LEGEND_ROWS * 34 + 10;
    let (top, legend) = root.split_vertically(h - legend_h);
    let bands = bands(tl);
    let rows = (tl.lanes.len() + bands) as f64;
    let title = format!("Failure timeline: {}, run {}", tl.variant, tl.run);
    let mut chart = builder(&top, &title)
        .y_label_area_size(NAMES_PX)
        .x_label_area_size(60)
        .build_cartesian_2d(0.0..tl.end_s, rows..0.0)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("simulated time [s]")
        .x_labels(12)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style(font(TICK_PX))
        .axis_desc_style(font(TICK_PX + 2))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let area = chart.plotting_area();
    // Partitions and spikes first: shaded behind everything, across all lanes.
    for (list, colour, alpha) in [(&tl.partitions, PARTITION, 0.16), (&tl.spikes, SPIKE, 0.35)] {
        for (start, end, _) in list {
            let end = end.unwrap_or(tl.end_s);
            area.draw(&Rectangle::new(
                [(*start, 0.0), (end, rows)],
                colour.mix(alpha).filled(),
            ))?;
        }
    }
    // Lanes.
    for (k, lane) in tl.lanes.iter().enumerate() {
        let y0 = (bands + k) as f64 + 0.12;
        let y1 = (bands + k) as f64 + 0.88;
        let strips = lane.strips.len().max(1) as f64;
        for (s, states) in lane.strips.iter().enumerate() {
            let a = y0 + (y1 - y0) * s as f64 / strips;
            let b = y0 + (y1 - y0) * (s + 1) as f64 / strips;
            for (j, (t, state)) in states.iter().enumerate() {
                let until = states.get(j + 1).map_or(tl.end_s, |x| x.0);
                if until <= *t && j + 1 < states.len() {
                    continue;
                }
                let (colour, _) = state_colour(lane.kind, state);
                area.draw(&Rectangle::new([(*t, a), (until, b)], colour.filled()))?;
            }
            if s > 0 {
                area.draw(&PathElement::new(
                    vec![(0.0, a), (tl.end_s, a)],
                    WHITE.stroke_width(1),
                ))?;
            }
        }
    }
    // Where a failover moved an instance: its new node, next to the change.
    let move_style = font(15).pos(Pos::new(HPos::Left, VPos::Center));
    for (t, lane, strip, node) in &tl.moves {
        let strips = tl.lanes[*lane].strips.len().max(1) as f64;
        let y = (bands + lane) as f64 + 0.12 + 0.76 * (*strip as f64 + 0.5) / strips;
        let (px, py) = chart.backend_coord(&(*t, y));
        top.draw(&Text::new(
            format!("→ {node}"),
            (px + 6, py),
            move_style.clone(),
        ))?;
    }
    // The faults band: a red triangle per fault, and a thin line down to its node's lane.
    for (t, lane, _) in &tl.faults {
        area.draw(&TriangleMarker::new((*t, 0.5), 8, FAULT_COLOUR.filled()))?;
        if let Some(lane) = lane {
            let y = (bands + lane) as f64;
            area.draw(&PathElement::new(
                vec![(*t, 0.8), (*t, y + 0.12)],
                FAULT_COLOUR.mix(0.6).stroke_width(1),
            ))?;
        }
    }
    // Detections: an orange dot on the suspected node's lane.
    for (t, lane) in &tl.detections {
        let y = (bands + lane) as f64 + 0.5;
        area.draw(&Circle::new((*t, y), 6, SUSPECTED.filled()))?;
        area.draw(&Circle::new((*t, y), 6, BLACK.stroke_width(1)))?;
    }
    // Checkpoints: a bar from start to end, green if it completed, red if aborted, grey
    // while still open at the end.
    for (start, end, completed) in tl.checkpoints.values() {
        let (end, colour) = match end {
            Some(e) if *completed => (*e, COMPLETED),
            Some(e) => (*e, DOWN),
            None => (tl.end_s, SNAPSHOTTING),
        };
        // At least two pixels wide, so a 5 ms checkpoint in a 60 s run is still seen.
        let min = tl.end_s / f64::from(w) * 2.0;
        area.draw(&Rectangle::new(
            [(*start, 1.25), (end.max(start + min), 1.75)],
            colour.filled(),
        ))?;
    }
    for (start, end) in &tl.rollbacks {
        let end = end.unwrap_or(tl.end_s);
        area.draw(&Rectangle::new(
            [(*start, 2.2), (end, 2.8)],
            RESTARTING.filled(),
        ))?;
    }
    // Lane names, right-aligned against the plot.
    let name_style = font(TICK_PX - 4).pos(Pos::new(HPos::Right, VPos::Center));
    let band_names = ["faults", "checkpoints", "rollback"];
    let mut names: Vec<(String, f64)> = band_names[..bands]
        .iter()
        .enumerate()
        .map(|(k, n)| (n.to_string(), k as f64 + 0.5))
        .collect();
    for (k, lane) in tl.lanes.iter().enumerate() {
        let label = if lane.strips.len() > 1 {
            format!("{} ×{}", lane.name, lane.strips.len())
        } else if lane.kind == "node" {
            format!("node {}", lane.name)
        } else {
            lane.name.clone()
        };
        names.push((label, (bands + k) as f64 + 0.5));
    }
    for (label, y) in names {
        let (px, py) = chart.backend_coord(&(0.0, y));
        top.draw(&Text::new(label, (px - 8, py), name_style.clone()))?;
    }
    draw_legend(&legend, tl, w)?;
    root.present()?;
    Ok(())
}

/// The legend: the state colours that appear, then the marks and shadings.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    tl: &Timeline,
    width: u32,
) -> Result<(), DrawError>
where
    DB::ErrorType: 'static,
{
    let mut entries: Vec<(RGBColor, String)> = Vec::new();
    let seen = |colour: RGBColor, text: &str, entries: &mut Vec<(RGBColor, String)>| {
        if !entries.iter().any(|(_, t)| t == text) {
            entries.push((colour, text.to_string()));
        }
    };
    for lane in &tl.lanes {
        for strip in &lane.strips {
            for (_, state) in strip {
                let (c, text) = state_colour(lane.kind, state);
                seen(c, text, &mut entries);
            }
        }
    }
    // States in a fixed order, whatever order they first appeared in.
    let order = [
        RUNNING,
        DOWN,
        DOWN_DETECTED,
        SUSPECTED,
        RESTARTING,
        CATCHING_UP,
        INCOMPLETE,
        HUNG,
        SNAPSHOTTING,
        SLOW,
    ];
    entries.sort_by_key(|(c, _)| order.iter().position(|o| o == c).unwrap_or(order.len()));
    let style = font(LEGEND_PX - 2).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = 20i32;
    let mut y = 20i32;
    let place = |text_w: i32, x: &mut i32, y: &mut i32| {
        if *x + text_w + 40 > width as i32 - 20 {
            *x = 20;
            *y += 32;
        }
        let at = (*x, *y);
        *x += text_w + 52;
        at
    };
    let text_w = |text: &str| {
        area.estimate_text_size(text, &style)
            .map_or(8 * text.len() as i32, |(w, _)| w as i32)
    };
    for (colour, text) in &entries {
        let (ax, ay) = place(text_w(text), &mut x, &mut y);
        area.draw(&Rectangle::new(
            [(ax, ay - 9), (ax + 26, ay + 9)],
            colour.filled(),
        ))?;
        area.draw(&Text::new(text.clone(), (ax + 34, ay), style.clone()))?;
    }
    let marks: [(&str, bool); 6] = [
        ("fault", !tl.faults.is_empty()),
        ("detection (suspected)", !tl.detections.is_empty()),
        ("checkpoint completed", tl.checkpoints.values().any(|c| c.2)),
        (
            "checkpoint aborted",
            tl.checkpoints.values().any(|c| !c.2 && c.1.is_some()),
        ),
        ("partition", !tl.partitions.is_empty()),
        ("link spike", !tl.spikes.is_empty()),
    ];
    for (text, present) in marks {
        if !present {
            continue;
        }
        let (ax, ay) = place(text_w(text), &mut x, &mut y);
        match text {
            "fault" => {
                area.draw(&TriangleMarker::new(
                    (ax + 13, ay),
                    8,
                    FAULT_COLOUR.filled(),
                ))?;
            }
            "detection (suspected)" => {
                area.draw(&Circle::new((ax + 13, ay), 6, SUSPECTED.filled()))?;
                area.draw(&Circle::new((ax + 13, ay), 6, BLACK.stroke_width(1)))?;
            }
            "checkpoint completed" | "checkpoint aborted" => {
                let c = if text.ends_with("completed") {
                    COMPLETED
                } else {
                    DOWN
                };
                area.draw(&Rectangle::new(
                    [(ax, ay - 5), (ax + 26, ay + 5)],
                    c.filled(),
                ))?;
            }
            _ => {
                let (c, a) = if text == "partition" {
                    (PARTITION, 0.16)
                } else {
                    (SPIKE, 0.35)
                };
                area.draw(&Rectangle::new(
                    [(ax, ay - 11), (ax + 26, ay + 11)],
                    c.mix(a).filled(),
                ))?;
            }
        }
        area.draw(&Text::new(text.to_string(), (ax + 34, ay), style.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_to_the_colour_their_worst_flag_says() {
        assert_eq!(state_colour("node", "up").0, RUNNING);
        assert_eq!(state_colour("node", "down").0, DOWN);
        assert_eq!(state_colour("node", "down+suspected").0, DOWN_DETECTED);
        assert_eq!(state_colour("node", "up+suspected").0, SUSPECTED);
        assert_eq!(
            state_colour("instance", "running+catching-up").0,
            CATCHING_UP
        );
        assert_eq!(state_colour("instance", "down+hung").0, DOWN);
        assert_eq!(state_colour("instance", "running+hung").0, HUNG);
        assert_eq!(state_colour("instance", "restarting").0, RESTARTING);
    }

    #[test]
    fn file_names_are_safe_and_name_the_run() {
        let tl = Timeline {
            variant: "checkpoint only/../x".into(),
            run: 3,
            ..Timeline::default()
        };
        assert_eq!(tl.file_name(), "timeline_checkpoint_only____x_run3");
    }
}
