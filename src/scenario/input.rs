//! Reading files named by the user or by a scenario (scenario and sweep files, fault traces,
//! empirical CSV files) as hostile input: only regular files, never more than a stated
//! number of bytes, and UTF-8 errors located at their line and column. Also [`excerpt`], the
//! one way the loader echoes user text back in a message, so that no error repeats a
//! megabyte of input.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest scenario or sweep file read \[bytes\] (8 MiB): hand-written RON is kilobytes;
/// anything this large is a mistake (or `/dev/zero` behind a symlink).
pub const MAX_RON_BYTES: u64 = 8 << 20;

/// Largest fault trace or empirical CSV file read \[bytes\] (64 MiB): room for the 10⁷
/// values an empirical distribution may hold.
pub const MAX_CSV_BYTES: u64 = 64 << 20;

/// Why an input file could not be read.
#[derive(Debug)]
pub enum InputError {
    /// Opening or reading failed: check the path and permissions.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The path names a directory, FIFO, device or socket: only regular files are read,
    /// since the others may block forever or never end.
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead ("a directory", "a FIFO", …).
        kind: &'static str,
    },
    /// The file is larger than the cap for its kind.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size as far as read or stated \[bytes\].
        size: u64,
        /// The cap \[bytes\].
        cap: u64,
    },
    /// The file is not UTF-8 text: the first invalid byte is at `line`:`column`.
    InvalidUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
        /// The byte.
        byte: u8,
    },
}

impl InputError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. }
            | Self::NotAFile { path, .. }
            | Self::TooLarge { path, .. }
            | Self::InvalidUtf8 { path, .. } => path,
        }
    }

    /// The message without the file name, for callers that print the file themselves.
    pub fn reason(&self) -> String {
        match self {
            Self::Io { source, .. } => format!("cannot read it: {source}"),
            Self::NotAFile { kind, .. } => {
                format!("is {kind}, not a regular file; give the path of a file")
            }
            Self::TooLarge { size, cap, .. } => format!(
                "is {size} bytes, more than the {cap} bytes ({} MiB) read from a file of this kind",
                cap >> 20
            ),
            Self::InvalidUtf8 { byte, .. } => format!(
                "byte 0x{byte:02X} is not valid UTF-8; the file must be UTF-8 text (re-save it \
                 as UTF-8)"
            ),
        }
    }
}

/// The longest path an error shows in full.
const PATH_CHARS: usize = 240;

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Paths come from input files too (a sweep's `base`, a trace's `path`): shown in full
        // up to PATH_CHARS, excerpted beyond.
        let shown = |p: &Path| {
            let text = p.display().to_string();
            match text.char_indices().nth(PATH_CHARS) {
                None => text,
                Some((cut, _)) => {
                    format!("{}… ({} characters)", &text[..cut], text.chars().count())
                }
            }
        };
        match self {
            Self::InvalidUtf8 {
                path, line, column, ..
            } => write!(f, "{}:{line}:{column}: {}", shown(path), self.reason()),
            Self::Io { path, source } => write!(f, "cannot read {}: {source}", shown(path)),
            _ => write!(f, "{}: {}", shown(self.path()), self.reason()),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Reads the regular file at `path` (a final symlink is followed) as UTF-8 text of at most
/// `cap` bytes.
///
/// The type is checked before opening, since opening a FIFO blocks until a writer appears;
/// the read itself is bounded by `cap + 1` bytes, so a file that grows meanwhile is still
/// refused rather than read without end.
pub fn read_input(path: &Path, cap: u64) -> Result<String, InputError> {
    read_bounded(path, cap)
}

/// [`read_input`], or `None` when `path` does not exist (for files a command may create).
pub fn read_optional(path: &Path, cap: u64) -> Result<Option<String>, InputError> {
    match read_bounded(path, cap) {
        Ok(text) => Ok(Some(text)),
        Err(InputError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn read_bounded(path: &Path, cap: u64) -> Result<String, InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    check_kind(path, &meta)?;
    if meta.len() > cap {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            cap,
        });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // The path may have been swapped between the check and the open.
    check_kind(path, &file.metadata().map_err(io)?)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            cap,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let (line, column) = position(&bytes[..at]);
        InputError::InvalidUtf8 {
            path: path.to_path_buf(),
            line,
            column,
            byte: bytes[at],
        }
    })
}

fn check_kind(path: &Path, meta: &std::fs::Metadata) -> Result<(), InputError> {
    if meta.is_file() {
        return Ok(());
    }
    let kind = file_kind(meta);
    Err(InputError::NotAFile {
        path: path.to_path_buf(),
        kind,
    })
}

#[cfg(unix)]
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The 1-based line and column just after `valid` (valid UTF-8): where the next byte sits.
fn position(valid: &[u8]) -> (usize, usize) {
    let text = std::str::from_utf8(valid).unwrap_or_default();
    let line = 1 + text.matches('\n').count();
    let last = text.rfind('\n').map_or(text, |i| &text[i + 1..]);
    (line, last.chars().count() + 1)
}

/// At most `max_chars` characters of `text`, quoted like `{:?}`; when it is longer, the
/// first ones, an ellipsis and the total length: `"aaaa…" (2097152 characters)`. Control
/// characters are escaped, so an excerpt is always one printable line.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let mut chars = text.char_indices();
    match chars.nth(max_chars) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} characters)", &text[..cut], text.chars().count()),
    }
}

/// `message` (a parser's, which quotes what it found in full) with every quoted part —
/// between backquotes or double quotes — longer than [`EXCERPT_CHARS`] cut to an excerpt,
/// and the whole cut to a few lines' worth.
pub fn shorten_quoted(message: &str) -> String {
    const MAX_MESSAGE_CHARS: usize = 2000;
    let mut out = String::new();
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('`');
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            rest = after;
            continue;
        };
        let inner = &after[..close];
        let n = inner.chars().count();
        if n > EXCERPT_CHARS {
            let cut: String = inner.chars().take(EXCERPT_CHARS).collect();
            out.push_str(&format!("{cut}…{quote} ({n} characters)"));
        } else {
            out.push_str(inner);
            out.push(quote);
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if out.chars().count() > MAX_MESSAGE_CHARS {
        let cut: String = out.chars().take(MAX_MESSAGE_CHARS).collect();
        return format!("{cut}… (message cut at {MAX_MESSAGE_CHARS} characters)");
    }
    out
}

/// How many characters of a name or path [`excerpt`] shows in messages.
pub const EXCERPT_CHARS: usize = 60;

/// Most bad rows of a CSV file listed one by one before "… and N more".
pub const MAX_LISTED_ROWS: usize = 20;

/// The bad rows of a CSV file, each as `file:line: what`, the first [`MAX_LISTED_ROWS`]
/// in full and the rest counted.
#[derive(Debug, Default)]
pub(crate) struct BadRows {
    listed: Vec<String>,
    more: usize,
}

impl BadRows {
    /// Records that line `line` (1-based) of `path` is wrong.
    pub fn push(&mut self, path: &Path, line: usize, what: impl fmt::Display) {
        if self.listed.len() < MAX_LISTED_ROWS {
            self.listed
                .push(format!("{}:{line}: {what}", path.display()));
        } else {
            self.more += 1;
        }
    }

    /// Whether no row was wrong.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// The listed rows, then `… and N more bad rows` if some were not listed.
    pub fn into_lines(self) -> Vec<String> {
        let mut lines = self.listed;
        if self.more > 0 {
            lines.push(format!(
                "… and {} more bad rows (only the first {MAX_LISTED_ROWS} are listed)",
                self.more
            ));
        }
        lines
    }
}

/// Most valid names listed when a name is not found.
pub const MAX_LISTED_NAMES: usize = 20;

/// `names` as `"a", "b", "c"`, at most [`MAX_LISTED_NAMES`] of them (each excerpted), then
/// `… and N more`; `none` when there are no names at all.
pub(crate) fn name_list<'a>(names: impl IntoIterator<Item = &'a str>, none: &str) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        return none.to_string();
    }
    let mut out: Vec<String> = names
        .iter()
        .take(MAX_LISTED_NAMES)
        .map(|n| excerpt(n, EXCERPT_CHARS))
        .collect();
    if names.len() > MAX_LISTED_NAMES {
        out.push(format!("… and {} more", names.len() - MAX_LISTED_NAMES));
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("faultline-input-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_directory_is_not_read() {
        let dir = scratch("dir");
        let e = read_input(&dir, MAX_RON_BYTES).unwrap_err();
        assert!(
            matches!(
                e,
                InputError::NotAFile {
                    kind: "a directory",
                    ..
                }
            ),
            "{e}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = scratch("fifo");
        let fifo = dir.join("pipe.ron");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED: mkfifo is not available");
            return;
        }
        let e = read_input(&fifo, MAX_RON_BYTES).unwrap_err();
        assert!(matches!(e, InputError::NotAFile { .. }), "{e}");
        assert!(e.to_string().contains("FIFO"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_is_refused() {
        let e = read_input(Path::new("/dev/zero"), MAX_CSV_BYTES).unwrap_err();
        assert!(
            matches!(
                e,
                InputError::NotAFile {
                    kind: "a device",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn a_file_over_the_cap_is_refused_with_the_cap_stated() {
        let dir = scratch("large");
        let big = dir.join("big.csv");
        // Sparse: no disk space is used.
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_CSV_BYTES + 1)
            .unwrap();
        let e = read_input(&big, MAX_CSV_BYTES).unwrap_err();
        assert!(matches!(e, InputError::TooLarge { .. }), "{e}");
        assert!(e.to_string().contains("64 MiB"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn invalid_utf8_is_located_at_its_line_and_column() {
        let dir = scratch("utf8");
        let f = dir.join("bad.ron");
        std::fs::write(&f, b"(\n  name: \"\xC3\xA9t\xFFe\",\n)").unwrap();
        match read_input(&f, MAX_RON_BYTES).unwrap_err() {
            InputError::InvalidUtf8 {
                line, column, byte, ..
            } => assert_eq!((line, column, byte), (2, 12, 0xFF)),
            e => panic!("{e}"),
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_regular_file_is_read() {
        let dir = scratch("ok");
        let f = dir.join("ok.ron");
        std::fs::write(&f, "(version: 1)").unwrap();
        assert_eq!(read_input(&f, 12).unwrap(), "(version: 1)");
        assert!(matches!(
            read_input(&f, 11),
            Err(InputError::TooLarge {
                size: 12,
                cap: 11,
                ..
            })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn name_lists_are_capped_and_never_empty() {
        assert_eq!(name_list(["a", "b"], "none"), "\"a\", \"b\"");
        assert_eq!(name_list([], "there are none"), "there are none");
        let many: Vec<String> = (0..25).map(|k| format!("n{k}")).collect();
        let listed = name_list(many.iter().map(String::as_str), "none");
        assert!(listed.ends_with("\"n19\", … and 5 more"), "{listed}");
    }

    #[test]
    fn bad_rows_beyond_the_cap_are_counted() {
        let mut rows = BadRows::default();
        for line in 1..=25 {
            rows.push(Path::new("t.csv"), line, "bad");
        }
        let lines = rows.into_lines();
        assert_eq!(lines.len(), MAX_LISTED_ROWS + 1);
        assert_eq!(lines[0], "t.csv:1: bad");
        assert!(
            lines[MAX_LISTED_ROWS].contains("5 more bad rows"),
            "{lines:?}"
        );
    }

    #[test]
    fn parser_messages_quote_only_excerpts() {
        let long = "x".repeat(1000);
        let m = shorten_quoted(&format!(
            "Unexpected field `{long}`, expected `name` or \"a\""
        ));
        assert!(m.starts_with("Unexpected field `xxx"), "{m}");
        assert!(
            m.contains("…` (1000 characters), expected `name` or \"a\""),
            "{m}"
        );
        assert_eq!(shorten_quoted("no quotes"), "no quotes");
        assert_eq!(shorten_quoted("odd ` quote"), "odd ` quote");
    }

    /// Found by a 56 000-mutant fuzzing run: a sweep whose `base` was stretched to half a
    /// million characters echoed the whole path in "cannot read …".
    #[test]
    fn a_huge_path_is_shown_as_an_excerpt() {
        let path = PathBuf::from("x".repeat(100_000));
        let e = read_input(&path, MAX_RON_BYTES).unwrap_err();
        let text = e.to_string();
        assert!(text.len() < 400, "{} characters", text.len());
        assert!(text.contains("(100000 characters)"), "{text}");
        let short = read_input(Path::new("/no/such/file.ron"), MAX_RON_BYTES).unwrap_err();
        assert!(
            short
                .to_string()
                .starts_with("cannot read /no/such/file.ron: "),
            "{short}"
        );
    }

    #[test]
    fn excerpts_are_short_and_say_how_long_the_text_was() {
        assert_eq!(excerpt("abc", 5), "\"abc\"");
        assert_eq!(excerpt("abcdef", 5), "\"abcde\"… (6 characters)");
        assert_eq!(excerpt("a\nb", 5), "\"a\\nb\"");
        let long = "é".repeat(1 << 20);
        assert!(excerpt(&long, 60).len() < 200);
    }
}
