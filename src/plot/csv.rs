//! A small reader for the result CSVs: one header row, comma-separated fields, no quoting.
//!
//! The results writer restricts labels and metric names to `[a-z0-9_-]` and writes numbers in
//! Rust's float syntax (`NaN` for undefined values), so a field never contains a comma or a
//! quote and splitting on commas is exact. Columns are looked up by header name, so added or
//! reordered columns do not break the charts.

use std::path::{Path, PathBuf};

use super::PlotError;

/// A parsed CSV file: the header and every data row, with the line number of each row.
#[derive(Debug)]
pub(crate) struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<Row>,
}

/// One data row and the 1-based line it came from (for error messages).
#[derive(Debug)]
pub(crate) struct Row {
    line: usize,
    fields: Vec<String>,
}

impl Table {
    /// Reads `path`, or returns `None` if the file does not exist.
    pub(crate) fn read_optional(path: &Path) -> Result<Option<Self>, PlotError> {
        // Regular files only, at most the largest output a run writes: `plot DIR` on a
        // directory holding a FIFO is refused, not blocked on.
        match crate::scenario::read_optional(path, crate::experiment::budget::MAX_OUTPUT_BYTES) {
            Ok(Some(text)) => Self::parse(path, &text).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(PlotError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            }),
        }
    }

    /// Parses the text of `path`. Blank lines are skipped; every other line must have as many
    /// fields as the header.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self, PlotError> {
        let mut lines = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header_line)) = lines.next() else {
            return Err(parse_error(path, 1, "empty file: expected a header line"));
        };
        let header: Vec<String> = header_line
            .split(',')
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for (line, text) in lines {
            let fields: Vec<String> = text.split(',').map(|f| f.trim().to_string()).collect();
            if fields.len() != header.len() {
                return Err(parse_error(
                    path,
                    line,
                    format!(
                        "expected {} fields as in the header, found {}",
                        header.len(),
                        fields.len()
                    ),
                ));
            }
            rows.push(Row { line, fields });
        }
        Ok(Self {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// The data rows in file order.
    pub(crate) fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The index of the column named `name`; an error (at the header line) if there is none.
    pub(crate) fn column(&self, name: &str) -> Result<usize, PlotError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            parse_error(
                &self.path,
                1,
                format!(
                    "missing column `{name}` (columns: {})",
                    self.header.join(", ")
                ),
            )
        })
    }

    /// The text of a field.
    pub(crate) fn text<'r>(&self, row: &'r Row, column: usize) -> &'r str {
        &row.fields[column]
    }

    /// A field as a float; `NaN` and `inf` are accepted, an empty field is an error.
    pub(crate) fn number(&self, row: &Row, column: usize) -> Result<f64, PlotError> {
        self.optional_number(row, column)?.ok_or_else(|| {
            parse_error(
                &self.path,
                row.line,
                format!("column `{}` is empty", self.header[column]),
            )
        })
    }

    /// A field as a float, or `None` if it is empty.
    pub(crate) fn optional_number(
        &self,
        row: &Row,
        column: usize,
    ) -> Result<Option<f64>, PlotError> {
        let field = &row.fields[column];
        if field.is_empty() {
            return Ok(None);
        }
        field.parse().map(Some).map_err(|_| {
            parse_error(
                &self.path,
                row.line,
                format!(
                    "column `{}`: `{field}` is not a number",
                    self.header[column]
                ),
            )
        })
    }

    /// A field as a non-negative integer (a replication index).
    pub(crate) fn index(&self, row: &Row, column: usize) -> Result<u32, PlotError> {
        let field = &row.fields[column];
        field.parse().map_err(|_| {
            parse_error(
                &self.path,
                row.line,
                format!(
                    "column `{}`: `{field}` is not a non-negative integer",
                    self.header[column]
                ),
            )
        })
    }
}

fn parse_error(path: &Path, line: usize, message: impl Into<String>) -> PlotError {
    PlotError::Parse {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<Table, PlotError> {
        Table::parse(Path::new("t.csv"), text)
    }

    #[test]
    fn columns_are_found_by_header_name() {
        let t = table("variant,replication,delay_ms\r\nbase,0,1.5\nactive,1,NaN\n\n").unwrap();
        assert_eq!(t.rows().len(), 2);
        let (v, r, d) = (
            t.column("variant").unwrap(),
            t.column("replication").unwrap(),
            t.column("delay_ms").unwrap(),
        );
        assert_eq!(t.text(&t.rows()[1], v), "active");
        assert_eq!(t.index(&t.rows()[1], r).unwrap(), 1);
        assert_eq!(t.number(&t.rows()[0], d).unwrap(), 1.5);
        assert!(t.number(&t.rows()[1], d).unwrap().is_nan());
    }

    #[test]
    fn empty_fields_are_none_only_when_optional() {
        let t = table("a,b\n1,\n").unwrap();
        let b = t.column("b").unwrap();
        assert_eq!(t.optional_number(&t.rows()[0], b).unwrap(), None);
        let e = t.number(&t.rows()[0], b).unwrap_err().to_string();
        assert_eq!(e, "t.csv:2: column `b` is empty");
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = table("a,b\n1,2\n\n3\n").unwrap_err().to_string();
        assert_eq!(e, "t.csv:4: expected 2 fields as in the header, found 1");
        let t = table("a,b\n1,x\n").unwrap();
        let e = t.number(&t.rows()[0], 1).unwrap_err().to_string();
        assert_eq!(e, "t.csv:2: column `b`: `x` is not a number");
        let e = t.column("c").unwrap_err().to_string();
        assert_eq!(e, "t.csv:1: missing column `c` (columns: a, b)");
        let e = table("\n\n").unwrap_err().to_string();
        assert_eq!(e, "t.csv:1: empty file: expected a header line");
        let t = table("r\n-1\n").unwrap();
        assert!(t.index(&t.rows()[0], 0).is_err());
    }

    #[test]
    fn a_missing_file_is_none() {
        let path = std::env::temp_dir().join("faultline-plot-csv-test-does-not-exist.csv");
        assert!(Table::read_optional(&path).unwrap().is_none());
    }
}
