//! Parameter paths: `faults[0].ttf_s.mean`, `fault_tolerance.checkpoint.interval_s`, ….
//!
//! A path names a number in a scenario file by its field names, with `[i]` for list items.
//! Enum variants are skipped (`faults[0]` is a `Crash(...)`; its `ttf_s` is reached directly,
//! and `ttf_s.mean` inside `Exp(mean: ...)`), so a path reads like the RON it edits. Paths
//! are applied to the parsed scenario through its JSON form, and the edited file is
//! validated again like any other.

use serde_json::Value;

use crate::scenario::{EXCERPT_CHARS, ScenarioFile, excerpt};

/// Longest parameter path accepted \[characters\]: the longest real one is a few dozen,
/// and suggestions compare a path with every numeric path of the scenario.
pub const MAX_PATH_CHARS: usize = 256;

/// Why `path` is too long to be a parameter path, if it is.
pub fn check_length(path: &str) -> Option<String> {
    let n = path.chars().count();
    (n > MAX_PATH_CHARS).then(|| {
        format!(
            "parameter path {} is {n} characters long; paths have at most {MAX_PATH_CHARS}",
            excerpt(path, EXCERPT_CHARS)
        )
    })
}

/// Why a path could not be applied.
#[derive(Debug, Clone, PartialEq)]
pub struct PathError {
    /// The path as written.
    pub path: String,
    /// What went wrong.
    pub reason: String,
    /// Valid numeric paths closest to it.
    pub suggestions: Vec<String>,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "parameter path {}: {}",
            excerpt(&self.path, EXCERPT_CHARS),
            self.reason
        )?;
        if !self.suggestions.is_empty() {
            write!(f, "; valid paths near it: {}", self.suggestions.join(", "))?;
        }
        Ok(())
    }
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
}

fn parse(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() && rest.is_empty() {
            return None;
        }
        if !name.is_empty() {
            steps.push(Step::Field(name.to_string()));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            steps.push(Step::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(steps)
}

/// The single-key object of an enum variant (`{"Exp": {...}}`): its content.
fn variant_content(v: &mut Value) -> Option<&mut Value> {
    match v {
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map.iter_mut().next()?;
            key.starts_with(|c: char| c.is_ascii_uppercase())
                .then_some(inner)
        }
        _ => None,
    }
}

fn step<'v>(v: &'v mut Value, s: &Step) -> Option<&'v mut Value> {
    let direct = match (&*v, s) {
        (Value::Object(map), Step::Field(name)) => map.contains_key(name),
        (Value::Array(items), Step::Index(i)) => *i < items.len(),
        _ => false,
    };
    if direct {
        return match (v, s) {
            (Value::Object(map), Step::Field(name)) => map.get_mut(name),
            (Value::Array(items), Step::Index(i)) => items.get_mut(*i),
            _ => None,
        };
    }
    step(variant_content(v)?, s)
}

/// Every numeric leaf's path, in file order (for suggestions).
fn numeric_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Number(_) => out.push(prefix.to_string()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                numeric_paths(item, &format!("{prefix}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            let is_variant = map.len() == 1
                && map
                    .keys()
                    .next()
                    .is_some_and(|k| k.starts_with(|c: char| c.is_ascii_uppercase()));
            for (k, item) in map {
                let p = if is_variant {
                    prefix.to_string()
                } else if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                numeric_paths(item, &p, out);
            }
        }
        _ => {}
    }
}

/// Edit distance, for suggestions. Both sides are cut to [`MAX_PATH_CHARS`], so a call
/// costs at most `MAX_PATH_CHARS²` steps whatever it is given.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().take(MAX_PATH_CHARS).collect();
    let a = a.chars().take(MAX_PATH_CHARS).collect::<String>();
    let a = a.as_str();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The numeric paths of `file` closest to `path`.
pub fn suggestions(file: &ScenarioFile, path: &str) -> Vec<String> {
    let value = serde_json::to_value(file).expect("scenario files serialise");
    let mut all = Vec::new();
    numeric_paths(&value, "", &mut all);
    let mut ranked: Vec<(usize, String)> =
        all.into_iter().map(|p| (distance(&p, path), p)).collect();
    ranked.sort();
    ranked.into_iter().take(5).map(|(_, p)| p).collect()
}

/// Sets the number at `path` in `file` to `value`.
pub fn set(file: &mut ScenarioFile, path: &str, value: f64) -> Result<(), PathError> {
    let error = |reason: &str, file: &ScenarioFile| PathError {
        path: path.to_string(),
        reason: reason.to_string(),
        suggestions: suggestions(file, path),
    };
    if let Some(reason) = check_length(path) {
        return Err(PathError {
            path: path.to_string(),
            reason,
            suggestions: Vec::new(),
        });
    }
    let steps = parse(path).ok_or_else(|| {
        error(
            "not a path (fields separated by `.`, list items as `[i]`)",
            file,
        )
    })?;
    let mut json = serde_json::to_value(&*file).expect("scenario files serialise");
    let mut at = &mut json;
    for s in &steps {
        at = match step(at, s) {
            Some(next) => next,
            None => return Err(error("no such field or list item", file)),
        };
    }
    // A variant holding a bare number (`latency_ms: Const(0.3)`) is named by its field,
    // as `numeric_paths` lists it: the path ends at `latency_ms`, not inside the variant.
    if variant_content(at).is_some_and(|inner| inner.is_number()) {
        at = variant_content(at).expect("checked just above");
    }
    if !at.is_number() {
        return Err(error("does not name a number", file));
    }
    let number = serde_json::Number::from_f64(value)
        .ok_or_else(|| error("the value is not a finite number", file))?;
    // Integer fields (replications, counts) keep an integer type.
    *at = if at.is_u64() && value.fract() == 0.0 && value >= 0.0 {
        Value::from(value as u64)
    } else {
        Value::Number(number)
    };
    *file = serde_json::from_value(json)
        .map_err(|e| error(&format!("the edited scenario does not parse: {e}"), file))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::DistSpec;

    fn sample() -> ScenarioFile {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/sensor-monitoring.ron"
        ))
        .expect("shipped scenario");
        crate::scenario::from_str(&text, "s.ron".as_ref(), ".".as_ref())
            .expect("valid")
            .resolved
    }

    #[test]
    fn paths_skip_enum_variants_and_index_lists() {
        let mut f = sample();
        set(&mut f, "faults[0].ttf_s.mean", 123.0).unwrap();
        set(&mut f, "fault_tolerance.checkpoint.interval_s", 0.5).unwrap();
        set(&mut f, "fault_tolerance.detector.timeout_ms", 900.0).unwrap();
        set(&mut f, "replications", 3.0).unwrap();
        let text = serde_json::to_string(&f).unwrap();
        assert!(text.contains("\"mean\":123.0"), "{text}");
        assert!(text.contains("\"interval_s\":0.5"), "{text}");
        assert!(text.contains("\"timeout_ms\":900.0"), "{text}");
        assert_eq!(f.replications, 3);
    }

    #[test]
    fn a_const_distribution_is_set_by_the_path_of_its_field() {
        let mut f = sample();
        set(&mut f, "fault_tolerance.restart_ms", 250.0).unwrap();
        assert_eq!(f.fault_tolerance.restart_ms, DistSpec::Const(250.0));
        set(&mut f, "cluster.network.latency_ms.mean", 0.3).unwrap();
        f.cluster.network.latency_ms = DistSpec::Const(0.3);
        set(&mut f, "cluster.network.latency_ms", 0.7).unwrap();
        assert_eq!(f.cluster.network.latency_ms, DistSpec::Const(0.7));
    }

    /// Every path a suggestion can list is one `set` accepts (the suggestions are the
    /// documented way to find a path).
    #[test]
    fn every_listed_numeric_path_can_be_set() {
        let mut f = sample();
        let mut all = Vec::new();
        numeric_paths(&serde_json::to_value(&f).unwrap(), "", &mut all);
        assert!(
            all.iter().any(|p| p == "fault_tolerance.restart_ms"),
            "{all:?}"
        );
        for p in &all {
            set(&mut f, p, 1.0).unwrap_or_else(|e| panic!("{p}: {e}"));
        }
    }

    #[test]
    fn a_misspelt_path_lists_the_valid_ones_near_it() {
        let mut f = sample();
        let e = set(&mut f, "faults[0].ttf.mean", 1.0).unwrap_err();
        assert!(
            e.suggestions.iter().any(|s| s == "faults[0].ttf_s.mean"),
            "{e}"
        );
        let e = set(&mut f, "fault_tolerance.coordinator", 1.0).unwrap_err();
        assert_eq!(e.reason, "does not name a number");
    }

    #[test]
    fn a_huge_path_is_refused_at_once_and_only_an_excerpt_is_echoed() {
        let mut f = sample();
        let huge = format!("faults[0].{}", "x".repeat(2 << 20));
        let started = std::time::Instant::now();
        let e = set(&mut f, &huge, 1.0).unwrap_err();
        assert!(
            started.elapsed().as_secs_f64() < 1.0,
            "{:?}",
            started.elapsed()
        );
        let shown = e.to_string();
        assert!(shown.len() < 400, "{} characters echoed", shown.len());
        assert!(shown.contains("at most 256"), "{shown}");
        // Just under the limit: suggestions are still computed, quickly.
        let long = "y".repeat(MAX_PATH_CHARS);
        let started = std::time::Instant::now();
        let e = set(&mut f, &long, 1.0).unwrap_err();
        assert!(
            started.elapsed().as_secs_f64() < 1.0,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(e.suggestions.len(), 5, "{e}");
    }
}
