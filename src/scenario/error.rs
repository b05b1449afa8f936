//! Scenario errors: located syntax errors and lists of semantic problems.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// One thing wrong with a scenario, located like `operators[1].inputs[0].from`.
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
    /// The file could not be read: check the path and permissions.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
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
    pub(crate) fn syntax(path: impl Into<PathBuf>, e: ron::error::SpannedError) -> Self {
        Self::Syntax {
            path: path.into(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: explain(&e.code),
        }
    }
}

/// The parser's message, with a hint where a common mistake is likely.
fn explain(code: &ron::Error) -> String {
    let message = code.to_string();
    let hint = match code {
        ron::Error::NoSuchStructField { .. } => {
            Some("check the spelling; the fields this struct accepts are listed above")
        }
        ron::Error::NoSuchEnumVariant { .. } => Some("use one of the variants listed above"),
        ron::Error::MissingStructField { .. } => Some("add the field; it has no default"),
        ron::Error::ExpectedDifferentStructName { .. } => {
            Some("drop the struct name or use the expected one")
        }
        _ => None,
    };
    match hint {
        Some(h) => format!("{message} ({h})"),
        None => message,
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
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
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
