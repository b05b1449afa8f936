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
        let (line, column) = next_token(text, e.span.start.line, e.span.start.col);
        Self::Syntax {
            path: path.into(),
            line,
            column,
            message: super::input::shorten_quoted(&explain(&e.code)),
        }
    }
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

/// The parser's message, with a hint where a common mistake is likely.
fn explain(code: &ron::Error) -> String {
    let message = code.to_string();
    let hint = match code {
        ron::Error::NoSuchStructField { .. } => {
            Some("check the spelling; the fields this struct accepts are listed above")
        }
        ron::Error::NoSuchEnumVariant { .. } => Some("use one of the variants listed above"),
        ron::Error::MissingStructField { .. } => Some("add the field; it has no default"),
        ron::Error::Eof => Some("the text ends early: a `(`, `[` or `\"` is not closed"),
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
