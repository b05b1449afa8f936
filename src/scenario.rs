//! Scenario files: loading, versioning, validation, and the resolved form written with
//! results.
//!
//! Two layers: [`ScenarioFile`] is what serde reads (every default in `schema.rs`);
//! [`Scenario`] is the validated, runnable system built from it. Loading reads `version`
//! first, then parses the matching schema; `validate` checks everything serde cannot and
//! reports all problems at once.

mod convert;
mod error;
mod faults;
pub(crate) use faults::expected_fault_events;
mod input;
mod schema;
mod validate;

use std::path::{Path, PathBuf};

use ron::extensions::Extensions;
use serde::Deserialize;

pub(crate) use error::syntax_message;
pub use error::{Problem, ScenarioError};
pub(crate) use input::name_list;
pub use input::{
    EXCERPT_CHARS, InputError, MAX_CSV_BYTES, MAX_RON_BYTES, excerpt, read_input, read_optional,
    shorten_quoted,
};
pub use schema::*;
pub(crate) use validate::label_problem;

use crate::fault::FaultSetup;
use crate::ft::FaultTolerance;
use crate::metrics::MetricsConfig;
use crate::model::{Cluster, Graph};

/// A validated scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name, used for the results directory.
    pub name: String,
    /// Master seed from the file, if it set one.
    pub seed: Option<u64>,
    /// Replications to run.
    pub replications: u32,
    /// Confidence level of reported intervals.
    pub confidence: f64,
    /// Warm-up, end and bucket width.
    pub metrics: MetricsConfig,
    /// Nodes and network.
    pub cluster: Cluster,
    /// The dataflow graph with placement resolved.
    pub graph: Graph,
    /// Fault models, drawn into a plan per replication.
    pub faults: FaultSetup,
    /// Failure detection and recovery settings of the base configuration.
    pub fault_tolerance: FaultTolerance,
    /// The configurations to run and compare: the declared variants, or the base alone.
    pub variants: Vec<Variant>,
    /// The file with every default filled in and external data inlined.
    pub resolved: ScenarioFile,
    /// What is valid but probably a mistake (a keyed window fed without key partitioning):
    /// `check` and `run` print these, and nothing stops.
    pub warnings: Vec<Problem>,
    /// The file's leading `//` comment: its author's description, shown in `report.md` and
    /// kept at the head of the resolved text, so a rerun of the resolved file describes
    /// itself the same way.
    pub description: String,
}

/// The first line of the comment [`Scenario::resolved_text`] adds below the description.
const RESOLVED_MARK: &str = "Resolved scenario written by faultline";

/// The leading `//` comment of a scenario or sweep file, without the `//` (its author's
/// description), up to the note a resolved file adds.
pub fn header_comment(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("//") else {
            break;
        };
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        if rest.starts_with(RESOLVED_MARK) {
            break;
        }
        out.push_str(rest);
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// One configuration of a comparison: what differs from the base, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Label in results and charts.
    pub label: String,
    /// Failure detection and recovery settings.
    pub fault_tolerance: FaultTolerance,
}

#[derive(Deserialize)]
struct VersionProbe {
    version: u32,
}

fn ron_options() -> ron::Options {
    // `seed: 42` rather than `seed: Some(42)` for optional fields.
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

/// Loads and validates the scenario file at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = read_input(path, MAX_RON_BYTES).map_err(ScenarioError::from)?;
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    from_str(&text, path, &base_dir)
}

/// Parses and validates scenario text; `origin` names it in errors and `base_dir` anchors
/// relative paths inside it.
pub fn from_str(text: &str, origin: &Path, base_dir: &Path) -> Result<Scenario, ScenarioError> {
    let options = ron_options();
    let probe: VersionProbe = match options.from_str(text) {
        Ok(probe) => probe,
        // Report what the schema makes of the text: it is stricter than the probe, so it
        // stops at the first mistake (an unclosed `(` reads as a field of the wrong struct,
        // where the probe only notices at the end of the file) and names real types.
        Err(e) => {
            let e = options.from_str::<ScenarioFile>(text).err().unwrap_or(e);
            return Err(ScenarioError::syntax(origin, text, e));
        }
    };
    let file: ScenarioFile = match probe.version {
        CURRENT_VERSION => options
            .from_str(text)
            .map_err(|e| ScenarioError::syntax(origin, text, e))?,
        found => {
            return Err(ScenarioError::UnsupportedVersion {
                path: origin.to_path_buf(),
                found,
                supported: CURRENT_VERSION,
            });
        }
    };
    let mut scenario =
        validate::validate(file, base_dir).map_err(|problems| ScenarioError::Invalid {
            path: origin.to_path_buf(),
            problems: problems.0,
        })?;
    scenario.description = header_comment(text);
    Ok(scenario)
}

/// Validates a parsed scenario file, for callers that build or edit one in code (validation
/// runs, sweeps); `origin` names it in errors and `base_dir` anchors relative paths.
pub fn from_file(
    file: ScenarioFile,
    origin: &Path,
    base_dir: &Path,
) -> Result<Scenario, ScenarioError> {
    validate::validate(file, base_dir).map_err(|problems| ScenarioError::Invalid {
        path: origin.to_path_buf(),
        problems: problems.0,
    })
}

impl Scenario {
    /// Sets the master seed (recorded in the resolved scenario).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = Some(seed);
        self.resolved.seed = Some(seed);
    }

    /// Sets the number of replications (recorded in the resolved scenario); at least 2.
    pub fn set_replications(&mut self, replications: u32) {
        self.replications = replications;
        self.resolved.replications = replications;
    }

    /// The resolved scenario as RON text: every default spelled out, rerunnable as is.
    pub fn resolved_text(&self) -> String {
        let config = ron::ser::PrettyConfig::new()
            .struct_names(false)
            .extensions(Extensions::IMPLICIT_SOME)
            .indentor("  ".to_string());
        let body = ron_options()
            .to_string_pretty(&self.resolved, config)
            .expect("scenario types always serialise");
        let mut head = String::new();
        for line in self.description.lines() {
            head.push_str(if line.is_empty() { "//" } else { "// " });
            head.push_str(line);
            head.push('\n');
        }
        if !head.is_empty() {
            head.push_str("//\n");
        }
        format!(
            "{head}// {RESOLVED_MARK} {}: every default filled in.\n{body}\n",
            env!("CARGO_PKG_VERSION")
        )
    }
}
