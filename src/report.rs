//! Markdown pages of results (`report.md` of a run and of a sweep): the pieces both use —
//! the input file's own description, preformatted blocks, and the charts of a `plots/`
//! directory embedded with captions by relative path, so a page renders wherever the results
//! directory is copied.

use std::fmt::Write as _;
use std::path::Path;

/// The leading comment of the file at `path`, or nothing if it cannot be read.
pub fn header_of(path: &Path) -> String {
    crate::scenario::read_input(path, crate::scenario::MAX_RON_BYTES)
        .map(|text| crate::scenario::header_comment(&text))
        .unwrap_or_default()
}

/// A fenced block of preformatted text.
pub fn fenced(text: &str) -> String {
    format!("```text\n{}\n```\n", text.trim_end())
}

/// The PNG charts under `dir/plots/` as Markdown, one `###` section each: sorted by `rank`
/// (then by name), each with the caption `caption` gives it.
pub fn charts_section(
    dir: &Path,
    rank: &dyn Fn(&str) -> usize,
    caption: &dyn Fn(&str) -> String,
) -> String {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("plots"))
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".png").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort_by_key(|n| (rank(n), n.clone()));
    let mut out = String::new();
    for name in names {
        let _ = writeln!(
            out,
            "### {name}\n\n![{name}](plots/{name}.png)\n\n{}\n",
            caption(&name)
        );
    }
    if out.is_empty() {
        out.push_str("(no charts were drawn)\n");
    }
    out
}
