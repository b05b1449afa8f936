//! Scenario errors: located syntax errors and lists of semantic problems.

use std::fmt;
use std::path::PathBuf;

use super::input::InputError;

/// One thing wrong with a scenario, located like `operators[1].inputs\[0\].from`.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Path of the offending field.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Collects problems so that all of them are reported at once.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub Vec<Problem>);

impl Problems {
    /// Records a problem at `path` unless `ok`.
    pub fn require(&mut self, ok: bool, path: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.push(path, message);
        }
    }

    /// Records a problem at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum ScenarioError {
    /// The file could not be read (missing, unreadable, not a regular file, too large):
    /// check the path. Invalid UTF-8 is a [`ScenarioError::Syntax`] error instead.
    Input(InputError),
    /// The file is not valid RON for the schema: fix the text at the given position.
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The file declares a schema version this build cannot read.
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The file parsed but describes an impossible system: every problem is listed.
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

impl ScenarioError {
    /// A parse error of `text`, located at the token the parser stopped on.
    pub(crate) fn syntax(
        path: impl Into<PathBuf>,
        text: &str,
        e: ron::error::SpannedError,
    ) -> Self {
        let ((line, column), message) = syntax_message(text, &e);
        Self::Syntax {
            path: path.into(),
            line,
            column,
            message,
        }
    }
}

/// Where a parse error of `text` is (the 1-based line and column of the token the parser
/// stopped on) and what it means in the file's own terms; for scenario and sweep files.
pub(crate) fn syntax_message(text: &str, e: &ron::error::SpannedError) -> ((usize, usize), String) {
    let (line, column) = next_token(text, e.span.start.line, e.span.start.col);
    let field = field_before(text, line, column);
    let token = text
        .split_inclusive('\n')
        .nth(line.saturating_sub(1))
        .and_then(|l| {
            l.char_indices()
                .nth(column.saturating_sub(1))
                .map(|(i, _)| &l[i..])
        })
        .unwrap_or("");
    (
        (line, column),
        super::input::shorten_quoted(&explain(&e.code, field, token)),
    )
}

/// The 1-based position of the first token at or after `line`:`column` in `text`.
///
/// ron reports some errors (a value of the wrong type, say) where the previous token ended,
/// which points at the blanks or comment in front of the culprit, or at the line before it.
/// Blanks and comments are skipped; when nothing but them follows, the position is kept, so
/// an early end of the text is reported right after its last token.
fn next_token(text: &str, line: usize, column: usize) -> (usize, usize) {
    let chars: Vec<char> = text.chars().collect();
    let (mut l, mut c) = (1, 1);
    let mut i = 0;
    while i < chars.len() && (l, c) < (line, column) {
        (l, c) = if chars[i] == '\n' {
            (l + 1, 1)
        } else {
            (l, c + 1)
        };
        i += 1;
    }
    let start = i;
    loop {
        match (chars.get(i), chars.get(i + 1)) {
            (Some(ch), _) if ch.is_whitespace() => i += 1,
            (Some('/'), Some('/')) => {
                while chars.get(i).is_some_and(|&ch| ch != '\n') {
                    i += 1;
                }
            }
            (Some('/'), Some('*')) => {
                // Block comments nest in RON.
                let mut depth = 0usize;
                loop {
                    match (chars.get(i), chars.get(i + 1)) {
                        (Some('/'), Some('*')) => (depth, i) = (depth + 1, i + 2),
                        (Some('*'), Some('/')) => {
                            (depth, i) = (depth - 1, i + 2);
                            if depth == 0 {
                                break;
                            }
                        }
                        (Some(_), _) => i += 1,
                        (None, _) => return (line, column),
                    }
                }
            }
            (Some(_), _) => break,
            (None, _) => return (line, column),
        }
    }
    for &ch in &chars[start..i] {
        (l, c) = if ch == '\n' { (l + 1, 1) } else { (l, c + 1) };
    }
    (l, c)
}

impl From<InputError> for ScenarioError {
    /// Invalid UTF-8 becomes a located syntax error; everything else stays an input error.
    fn from(e: InputError) -> Self {
        match e {
            InputError::InvalidUtf8 {
                ref path,
                line,
                column,
                ..
            } => Self::Syntax {
                path: path.clone(),
                line,
                column,
                message: e.reason(),
            },
            e => Self::Input(e),
        }
    }
}

/// The name of the field whose value starts at `line`:`column` of `text` (`latency_ms` in
/// `latency_ms: 0.3`), if a `name:` stands right before it.
fn field_before(text: &str, line: usize, column: usize) -> Option<&str> {
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let in_line = text[line_start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len() - line_start, |(i, _)| i);
    // ron may stop on the value or just after it; step back over a number to its field.
    let before = text[..line_start + in_line]
        .trim_end()
        .trim_end_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E' | '_')
        })
        .trim_end()
        .strip_suffix(':')?
        .trim_end();
    // Past the separator found, which may be a multi-byte character (a comment's `ρ`).
    let name_start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let name = &before[name_start..];
    (!name.is_empty()).then_some(name)
}

/// What the types of the scenario and sweep schemas (`schema.rs`, `sweep.rs`) are called in
/// the files' own terms. ron names the Rust type it was reading; a user never sees those.
const SCHEMA_TERMS: &[(&str, &str)] = &[
    ("ScenarioFile", "the scenario file"),
    ("VariantSpec", "a variant"),
    ("ClusterSpec", "the cluster"),
    ("NodeSpec", "a node"),
    ("LinkSpec", "a link's settings"),
    ("LinkOverrideSpec", "a link override"),
    ("DistSpec", "a distribution"),
    ("OperatorSpec", "an operator"),
    ("OperatorKindSpec", "an operator's kind"),
    ("ArrivalSpec", "the arrivals"),
    ("KeySpec", "the keys"),
    ("InputSpec", "an input"),
    ("PartitioningSpec", "a partitioning"),
    ("PlacementSpec", "a placement"),
    ("MetricsSpec", "the metrics settings"),
    ("GroupsSpec", "the groups"),
    ("NodeSelectorSpec", "a node selection"),
    ("FaultSpec", "a fault"),
    ("DetectorSpec", "a failure detector"),
    ("FaultToleranceSpec", "the fault tolerance settings"),
    ("ReplicationSpec", "a replication strategy"),
    ("StandbySyncSpec", "a standby's sync mode"),
    ("RollbackSpec", "a rollback mode"),
    ("CheckpointSpec", "the checkpoint settings"),
    ("SnapshotModeSpec", "a snapshot mode"),
    ("SweepFile", "the sweep file"),
    ("AxisSpec", "an axis"),
    ("RangeSpec", "a range"),
    ("SetSpec", "a fixed edit (`set`)"),
];

/// A schema type (or a primitive) in the file's terms; a struct variant (`Exp`, `Crash`) is
/// already a name the file uses and is quoted as written.
fn term(rust: &str) -> String {
    let rust = rust
        .trim_start_matches("struct ")
        .trim_start_matches("enum ")
        .trim_start_matches("variant ");
    if let Some((_, t)) = SCHEMA_TERMS.iter().find(|(r, _)| *r == rust) {
        return (*t).to_string();
    }
    match rust {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)".to_string(),
        "i8" | "i16" | "i32" | "i64" => "a whole number".to_string(),
        "f32" | "f64" => "a number".to_string(),
        "bool" => "`true` or `false`".to_string(),
        other if other.starts_with(|c: char| c.is_ascii_uppercase()) => format!("`{other}`"),
        other => other.to_string(),
    }
}

/// "`a`, `b` and `c`" (with `and`) or "`a`, `b` or `c`" (with `or`).
fn listed(names: &[&str], conjunction: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => "none".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// The parser's error in the file's terms (no Rust type names), with a hint where a common
/// mistake is likely. `field` names the field whose value the parser stopped on, if known.
fn explain(code: &ron::Error, field: Option<&str>, token: &str) -> String {
    use ron::Error as E;
    let within = |outer: &Option<String>| {
        outer
            .as_deref()
            .map_or(String::new(), |o| format!(" in {}", term(o)))
    };
    match code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => format!(
            "unknown field `{found}`{}; the fields are {} (check the spelling)",
            within(outer),
            listed(expected, "and")
        ),
        E::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => format!(
            "unknown variant `{found}`{}; use one of {}",
            outer
                .as_deref()
                .map_or(String::new(), |o| format!(" for {}", term(o))),
            listed(expected, "or")
        ),
        E::MissingStructField { field, outer } => format!(
            "missing field `{field}`{} (add the field; it has no default)",
            within(outer)
        ),
        E::DuplicateStructField { field, outer } => {
            format!("field `{field}` is given twice{}; keep one", within(outer))
        }
        E::ExpectedDifferentStructName { expected, found } => format!(
            "write {} as plain `(…)`, without the name `{found}`",
            term(expected)
        ),
        E::ExpectedNamedStructLike(name) if !name.is_empty() => {
            format!("Expected opening `(` for {}", term(name))
        }
        E::ExpectedNamedStructLike(_) => "Expected opening `(`".to_string(),
        E::ExpectedStructName(name) => format!("expected {}", term(name)),
        E::InvalidValueForType { expected, found } => {
            format!("expected {} but found {found}", term(expected))
        }
        // A bare number where a name must be: ron suggests a raw identifier (`r#0.3`),
        // which no scenario wants. After `field:` the name is a variant's, and a `_ms`/`_s`
        // field holding a variant holds a distribution; elsewhere (`Uniform(4)`) it is a
        // field's.
        E::SuggestRawIdentifier(word) if word.parse::<f64>().is_ok() => match field {
            Some(f) if f.ends_with("_ms") || f.ends_with("_s") => format!(
                "`{f}` is a distribution, not a number: write `Const({word})` for a fixed value \
                 (or a distribution such as `Exp(mean: {word})`)"
            ),
            Some(f) => format!(
                "`{f}` takes a variant (a name such as `Hash`, or a name with fields such as \
                 `Poisson(rate_per_s: {word})`), not the bare number {word}"
            ),
            None => format!(
                "found the number {word} where a field name is expected: fields are written \
                 `name: value`, like `mean: {word}` in `Exp(mean: {word})`"
            ),
        },
        E::SuggestRawIdentifier(word) => format!(
            "`{word}` cannot be used as a name here; expected a variant name{}",
            field.map_or(String::new(), |f| format!(" for `{f}`"))
        ),
        // `cores: 2.5` reads as the integer 2 followed by `.5`.
        E::ExpectedComma
            if token.starts_with('.') && token[1..].starts_with(|c: char| c.is_ascii_digit()) =>
        {
            "expected a whole number here, not a fraction".to_string()
        }
        E::Eof => format!("{code} (the text ends early: a `(`, `[` or `\"` is not closed)"),
        _ => code.to_string(),
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(e) => e.fmt(f),
            Self::Syntax {
                path,
                line,
                column,
                message,
            } => {
                write!(f, "{}:{line}:{column}: {message}", path.display())
            }
            Self::UnsupportedVersion {
                path,
                found,
                supported,
            } => write!(
                f,
                "{}: scenario version {found} is not supported by this faultline (it reads \
                 version {supported}); set `version: {supported}`",
                path.display()
            ),
            Self::Invalid { path, problems } => {
                let n = problems.len();
                write!(
                    f,
                    "{} is invalid ({n} problem{})",
                    path.display(),
                    if n == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ScenarioError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Input(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::field_before;

    /// Found by the mutation fuzzer: a value right after a multi-byte character (here a
    /// comment's `ρ` and a name made of `μ`) sliced the text inside that character.
    #[test]
    fn a_field_name_after_a_multibyte_character_is_found_without_panicking() {
        assert_eq!(field_before("// ρ\nρrate: 5", 2, 8), Some("rate"));
        assert_eq!(field_before("μ: 5", 1, 4), None);
        assert_eq!(field_before("a ρ: 5", 1, 6), None);
    }
}
