//! `sluice dataset profile`: what a dataset version holds. A delimited (tabular) one: rows,
//! and per column its inferred type, nulls, and min/max/mean of numbers (min/max of other
//! values); a file one: files, bytes and extensions.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

/// A column's inferred type: the narrowest that every non-null value parses as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Only nulls.
    Empty,
    /// `true`/`false` (any case).
    Boolean,
    /// Whole numbers (64-bit).
    Integer,
    /// Numbers.
    Float,
    /// `YYYY-MM-DD`, optionally followed by a time.
    Datetime,
    /// Anything else.
    String,
}

/// One column of a delimited file.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnProfile {
    /// Header.
    pub name: String,
    /// Inferred type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Empty values (and `NA`, `null`, `NaN` as pandas reads them).
    pub nulls: u64,
    /// Smallest value (numerically for numbers).
    pub min: Option<String>,
    /// Largest value.
    pub max: Option<String>,
    /// Mean, for numbers.
    pub mean: Option<f64>,
}

/// What a delimited file holds.
#[derive(Debug, Clone, Serialize)]
pub struct TableProfile {
    /// Data rows (the header not counted).
    pub rows: u64,
    /// Columns, in file order.
    pub columns: Vec<ColumnProfile>,
}

#[derive(Default)]
struct Acc {
    nulls: u64,
    ints: bool,
    floats: bool,
    bools: bool,
    dates: bool,
    seen: u64,
    sum: f64,
    min_n: Option<f64>,
    max_n: Option<f64>,
    min_s: Option<String>,
    max_s: Option<String>,
}

fn is_null(v: &str) -> bool {
    matches!(v.trim(), "" | "NA" | "N/A" | "null" | "NULL" | "NaN" | "nan")
}

fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || matches!(b[10], b'T' | b' '))
}

impl Acc {
    fn new() -> Self {
        Acc { ints: true, floats: true, bools: true, dates: true, ..Acc::default() }
    }

    fn add(&mut self, raw: &str) {
        if is_null(raw) {
            self.nulls += 1;
            return;
        }
        let v = raw.trim();
        self.seen += 1;
        self.ints &= v.parse::<i64>().is_ok();
        let num = v.parse::<f64>().ok().filter(|f| f.is_finite());
        self.floats &= num.is_some();
        self.bools &= v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false");
        self.dates &= is_date(v);
        if let Some(n) = num {
            self.sum += n;
            self.min_n = Some(self.min_n.map_or(n, |m| m.min(n)));
            self.max_n = Some(self.max_n.map_or(n, |m| m.max(n)));
        }
        if self.min_s.as_deref().is_none_or(|m| v < m) {
            self.min_s = Some(v.to_string());
        }
        if self.max_s.as_deref().is_none_or(|m| v > m) {
            self.max_s = Some(v.to_string());
        }
    }

    fn finish(self, name: String) -> ColumnProfile {
        let ty = if self.seen == 0 {
            ColumnType::Empty
        } else if self.bools {
            ColumnType::Boolean
        } else if self.ints {
            ColumnType::Integer
        } else if self.floats {
            ColumnType::Float
        } else if self.dates {
            ColumnType::Datetime
        } else {
            ColumnType::String
        };
        let numeric = matches!(ty, ColumnType::Integer | ColumnType::Float);
        let show = |f: f64| if ty == ColumnType::Integer { format!("{}", f as i64) } else { format!("{f}") };
        ColumnProfile {
            name,
            ty,
            nulls: self.nulls,
            min: if numeric { self.min_n.map(show) } else { self.min_s },
            max: if numeric { self.max_n.map(show) } else { self.max_s },
            mean: numeric.then(|| self.sum / self.seen as f64),
        }
    }
}

/// Profiles a delimited file (the delimiter guessed from the header: `,`, `;`, tab or `|`).
pub fn profile_delimited(path: &Path) -> Result<TableProfile, String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot read {} as a delimited file: {e}", path.display());
    let head = {
        use std::io::BufRead;
        let f = std::fs::File::open(path).map_err(|e| err(&e))?;
        let mut line = String::new();
        std::io::BufReader::new(f).read_line(&mut line).map_err(|e| err(&e))?;
        line
    };
    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| head.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_path(path).map_err(|e| err(&e))?;
    let headers: Vec<String> = reader.headers().map_err(|e| err(&e))?.iter().map(str::to_string).collect();
    let mut accs: Vec<Acc> = headers.iter().map(|_| Acc::new()).collect();
    let mut rows = 0u64;
    for record in reader.records() {
        let record = record.map_err(|e| err(&e))?;
        rows += 1;
        for (i, acc) in accs.iter_mut().enumerate() {
            acc.add(record.get(i).unwrap_or(""));
        }
    }
    let columns = accs.into_iter().zip(headers).map(|(a, h)| a.finish(h)).collect();
    Ok(TableProfile { rows, columns })
}

/// What a file dataset holds.
#[derive(Debug, Clone, Serialize)]
pub struct FilesProfile {
    /// Files.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Files by extension (`""`: none).
    pub extensions: BTreeMap<String, u64>,
}

/// Profiles the files under `path` (a file or folder).
pub fn profile_files(path: &Path) -> Result<FilesProfile, String> {
    let mut p = FilesProfile { files: 0, bytes: 0, extensions: BTreeMap::new() };
    let mut stack = vec![path.to_path_buf()];
    while let Some(f) = stack.pop() {
        let m = std::fs::metadata(&f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        if m.is_dir() {
            for e in std::fs::read_dir(&f).map_err(|e| format!("cannot read {}: {e}", f.display()))? {
                stack.push(e.map_err(|e| format!("cannot read {}: {e}", f.display()))?.path());
            }
            continue;
        }
        p.files += 1;
        p.bytes += m.len();
        let ext = f.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
        *p.extensions.entry(ext).or_default() += 1;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_get_types_nulls_and_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.csv");
        std::fs::write(&f, "id;price;ok;day;name;empty\n1;2.5;true;2024-01-02;b;\n2;;FALSE;2024-01-03;a;\n3;4;true;2024-02-01;c;NA\n").unwrap();
        let p = profile_delimited(&f).unwrap();
        assert_eq!(p.rows, 3);
        let c = |n: &str| p.columns.iter().find(|c| c.name == n).unwrap().clone();
        assert_eq!(c("id").ty, ColumnType::Integer);
        assert_eq!(
            (c("id").min.unwrap(), c("id").max.unwrap(), c("id").mean),
            ("1".into(), "3".into(), Some(2.0))
        );
        assert_eq!((c("price").ty, c("price").nulls, c("price").mean), (ColumnType::Float, 1, Some(3.25)));
        assert_eq!(c("ok").ty, ColumnType::Boolean);
        assert_eq!(c("day").ty, ColumnType::Datetime);
        assert_eq!((c("name").ty, c("name").min.unwrap()), (ColumnType::String, "a".to_string()));
        assert_eq!((c("empty").ty, c("empty").nulls), (ColumnType::Empty, 3));
    }
}
