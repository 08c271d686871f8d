//! Source files held in memory, with byte-offset to line/column conversion.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A byte range inside one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end` (clamped so that `end >= start`).
    pub fn new(start: u32, end: u32) -> Self {
        Span { start, end: end.max(start) }
    }

    /// An empty span at `offset`.
    pub fn point(offset: u32) -> Self {
        Span { start: offset, end: offset }
    }

    /// Length in bytes.
    pub fn len(self) -> u32 {
        self.end - self.start
    }

    /// True when the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// A sub-span at `offset..offset+len` relative to this span's start.
    pub fn sub(self, offset: usize, len: usize) -> Span {
        let start = self.start.saturating_add(offset as u32);
        Span::new(start, start.saturating_add(len as u32))
    }
}

/// A path as shown to users: relative to the working folder when it lies inside it (paths found
/// by walking up or joined to absolute folders are absolute), else as given.
pub fn shown_path(path: &Path) -> PathBuf {
    if path.is_absolute()
        && let Ok(cwd) = std::env::current_dir()
        && let Ok(rel) = path.strip_prefix(&cwd)
        && !rel.as_os_str().is_empty()
    {
        return rel.to_path_buf();
    }
    path.to_path_buf()
}

/// What a path is when it is neither a regular file nor a folder ("a FIFO", "a socket", ...), for
/// messages. sluice never opens such a path: reading a FIFO or a device can block or never end.
pub fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if meta.is_dir() { "a folder" } else { "not a regular file" }
}

/// What [`read_bounded`] read.
#[derive(Debug)]
pub enum Bounded {
    /// The whole content.
    Bytes(Vec<u8>),
    /// More than the limit: reading stopped past it.
    TooLarge {
        /// Bytes known to be there (the size on disk, or what was read before stopping).
        at_least: u64,
    },
}

/// Why [`read_bounded`] read nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The path is a FIFO, socket or device (or a folder): never opened.
    #[error("`{}` is {kind}, not a file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is, in words.
        kind: &'static str,
    },
    /// Reading failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Reads a regular file of at most `limit` bytes: other kinds of path are refused before they are
/// opened, and at most `limit + 1` bytes are read (a file may grow, or report no size as
/// `/proc` files do).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Bounded, ReadError> {
    let io = |source| ReadError::Io { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile { path: path.to_path_buf(), kind: special_kind(&meta) });
    }
    if meta.len() > limit {
        return Ok(Bounded::TooLarge { at_least: meta.len() });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // The path may have been replaced between the two looks: trust only the open file.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile { path: path.to_path_buf(), kind: special_kind(&meta) });
    }
    // Sized as the file says (one byte more to see that it ends), so reading copies nothing.
    read_bounded_into(file, limit, meta.len().saturating_add(1)).map_err(io)
}

/// Reads at most `limit` bytes of a stream (standard input): more is [`Bounded::TooLarge`].
pub fn read_stream_bounded(stream: impl std::io::Read, limit: u64) -> std::io::Result<Bounded> {
    read_bounded_into(stream, limit, 0)
}

fn read_bounded_into(stream: impl std::io::Read, limit: u64, capacity: u64) -> std::io::Result<Bounded> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(usize::try_from(capacity.min(limit.saturating_add(1))).unwrap_or(0));
    stream.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Bounded::TooLarge { at_least: bytes.len() as u64 });
    }
    Ok(Bounded::Bytes(bytes))
}

/// Identifies a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A 1-based line and column; the column counts Unicode characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

/// One loaded file: its path (as shown to users) and text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown in diagnostics (relative when the user gave a relative path).
    pub path: PathBuf,
    /// The file's text.
    pub text: Arc<str>,
    line_starts: Vec<u32>,
    /// Every byte is ASCII, so a column is a byte difference.
    ascii: bool,
    /// Characters before each multiple of [`MARK_BYTES`] (text that is not ASCII only), so a
    /// column on a line megabytes long costs a short count, not a scan of the line.
    char_marks: Vec<u32>,
}

/// Distance between two [`SourceFile::char_marks`].
const MARK_BYTES: usize = 4096;

/// Characters that start in `bytes` (its bytes that are not UTF-8 continuation bytes).
fn chars_starting_in(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count() as u32
}

impl SourceFile {
    /// Makes a source file and indexes its line starts.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0u32];
        line_starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i as u32 + 1));
        let ascii = text.is_ascii();
        let mut char_marks = Vec::new();
        if !ascii {
            let mut before = 0;
            for block in text.as_bytes().chunks(MARK_BYTES) {
                char_marks.push(before);
                before += chars_starting_in(block);
            }
        }
        SourceFile { path: path.into(), text, line_starts, ascii, char_marks }
    }

    /// Characters before byte `at` (a character boundary).
    fn chars_before(&self, at: usize) -> usize {
        let block = at / MARK_BYTES;
        let mark = self.char_marks.get(block).copied().unwrap_or(0);
        (mark + chars_starting_in(&self.text.as_bytes()[block * MARK_BYTES..at])) as usize
    }

    /// The 0-based line holding a byte offset (offsets past the end are on the last line).
    pub fn line_of(&self, offset: u32) -> usize {
        let offset = offset.min(self.text.len() as u32);
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Number of lines (a final line break starts one more, empty line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Line and column (1-based, column in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        if self.ascii {
            return LineCol { line: line + 1, column: offset as usize - start + 1 };
        }
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let mut column = self.chars_before(end) - self.chars_before(start) + 1;
        // Editors hide a byte order mark: do not count it as a column.
        if line == 0 && end > 0 && self.text.starts_with('\u{feff}') {
            column -= 1;
        }
        LineCol { line: line + 1, column }
    }

    /// Byte offset of the start of a 1-based line (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> u32 {
        self.line_starts.get(line.saturating_sub(1)).copied().unwrap_or(self.text.len() as u32)
    }

    /// The text covered by a span (empty when the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start as usize..span.end as usize).unwrap_or("")
    }

    /// The folder holding this file, against which its relative paths resolve.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }
}

/// Every file loaded during one compiler session.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The id of an already loaded file with this path, if any.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }

    /// All files with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let f = SourceFile::new("a.yml", "a: héllo\nb: x\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        // 'x' on line 2
        let x = f.text.find('x').unwrap() as u32;
        assert_eq!(f.line_col(x), LineCol { line: 2, column: 4 });
        // the 'l' after 'é' is byte 6 but character 5 on line 1
        assert_eq!(f.line_col(6), LineCol { line: 1, column: 6 });
    }

    #[test]
    fn columns_on_a_long_line_that_is_not_ascii() {
        let line = format!("é{}ü{}x", "a".repeat(10_000), "ö".repeat(5_000));
        let text = format!("b: 1\n{line}\nc: ü\n");
        let f = SourceFile::new("a.yml", text.as_str());
        for (i, (at, _)) in line.char_indices().enumerate().step_by(997) {
            assert_eq!(f.line_col(5 + at as u32), LineCol { line: 2, column: i + 1 });
        }
        let x = text.find('x').unwrap() as u32;
        assert_eq!(f.line_col(x), LineCol { line: 2, column: 15_003 });
        assert_eq!(f.line_col(text.rfind('ü').unwrap() as u32), LineCol { line: 3, column: 4 });
    }

    #[test]
    fn a_byte_order_mark_is_no_column() {
        let f = SourceFile::new("a.yml", "\u{feff}ab: x\n");
        assert_eq!(f.line_col(3), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(4), LineCol { line: 1, column: 2 });
    }

    #[test]
    fn bounded_reads_stop_past_the_limit() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.yml");
        std::fs::write(&p, "abcdef").unwrap();
        assert!(matches!(read_bounded(&p, 6), Ok(Bounded::Bytes(b)) if b == b"abcdef"));
        assert!(matches!(read_bounded(&p, 5), Ok(Bounded::TooLarge { at_least: 6 })));
        assert!(matches!(read_bounded(d.path(), 5), Err(ReadError::NotAFile { kind: "a folder", .. })));
        // A stream that never ends is read up to the limit and one byte more.
        assert!(matches!(
            read_stream_bounded(std::io::repeat(0), 1000),
            Ok(Bounded::TooLarge { at_least: 1001 })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_unopened() {
        let e = read_bounded(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(matches!(e, ReadError::NotAFile { kind: "a character device", .. }), "{e}");
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let f = SourceFile::new("a.yml", "ab");
        assert_eq!(f.line_col(99), LineCol { line: 1, column: 3 });
    }
}
