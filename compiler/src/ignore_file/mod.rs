//! The ignore file of a code folder, read as azure-ai-ml reads it (`_utils/_asset_utils.IgnoreFile`
//! over its vendored copy of pathspec's `GitWildMatchPattern`), rule for rule. It decides what
//! Azure uploads, so the fingerprint (and so the local snapshot, made of the files the fingerprint
//! saw) and the upload hash all use this one matcher.
//!
//! It is not git's matcher, so neither the `ignore` crate nor `globset` fits: only files are
//! tested (directories are never pruned), a `!pattern` re-includes a file even under an excluded
//! directory, lines lose all leading and trailing whitespace (Python's `str.strip`, escaped or
//! not), and `[...]` is handed to Python's `re`, with its own rules for `]`, `-` and `\`.

mod pattern;

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use pattern::Pattern;

/// The names of the ignore files, in the order they are looked for: the first that exists counts.
pub const NAMES: [&str; 2] = [".amlignore", ".gitignore"];

/// Why an ignore file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// The `.amlignore` or `.gitignore` exists but cannot be read, or is not UTF-8.
    #[error("cannot read the ignore file {path}: {source}")]
    Read {
        /// The ignore file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A line of the ignore file is a pattern azure-ai-ml rejects.
    #[error("{path}:{line}: azure-ai-ml rejects the ignore pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The ignore file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The line, right-trimmed.
        pattern: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The ignore rules of a code folder: its `.amlignore`, else its `.gitignore`.
#[derive(Debug)]
pub struct IgnoreFile {
    /// Directory that matched paths are made relative to: the resolved ignore file's parent.
    base: PathBuf,
    /// The compiled patterns, or the error the SDK raises on the first file it tests.
    patterns: Result<Vec<Pattern>, InvalidPattern>,
    /// The ignore file, for error messages.
    file: PathBuf,
}

/// A pattern the SDK refuses; the error surfaces only when a file is tested, as in the SDK.
#[derive(Debug, Clone)]
struct InvalidPattern {
    line: usize,
    pattern: String,
    reason: &'static str,
}

impl IgnoreFile {
    /// Finds the ignore file of the folder `dir` the way `get_ignore_file` does; `None` when
    /// neither file exists.
    pub fn for_folder(dir: &Path) -> Result<Option<Self>, IgnoreError> {
        for name in NAMES {
            let file = dir.join(name);
            if exists(&file)? {
                return Self::load(file).map(Some);
            }
        }
        Ok(None)
    }

    fn load(file: PathBuf) -> Result<Self, IgnoreError> {
        let read_error = |source| IgnoreError::Read { path: file.clone(), source };
        // `IgnoreFile` keeps `Path(file).resolve()`, so a symlinked ignore file anchors patterns
        // at its target's folder.
        let resolved = fs::canonicalize(&file).map_err(read_error)?;
        let base = resolved.parent().map(Path::to_path_buf).unwrap_or_default();
        let bytes = fs::read(&resolved).map_err(read_error)?;
        // Read with encoding "utf-8-sig": an optional BOM, then strict UTF-8.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let text = std::str::from_utf8(bytes)
            .map_err(|e| read_error(io::Error::new(io::ErrorKind::InvalidData, e)))?;
        Ok(Self { base, patterns: compile_lines(text), file })
    }

    /// The folder patterns are relative to (the resolved ignore file's parent).
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The error the SDK raises on the first file it tests, when a pattern is invalid.
    pub fn error(&self) -> Option<IgnoreError> {
        self.patterns.as_ref().err().map(|e| IgnoreError::InvalidPattern {
            path: self.file.clone(),
            line: e.line,
            pattern: e.pattern.clone(),
            reason: e.reason,
        })
    }

    /// `os.path.relpath(path, base)`, `/`-separated: the form a path is matched in. `None` when
    /// the path has no relative form (another drive), which the SDK excludes.
    pub fn relative(&self, path: &Path) -> Option<String> {
        relative_path(path, &self.base)
    }

    /// Whether the file at `path` (absolute, its folder resolved, its own name not) is
    /// excluded, as `IgnoreFile.is_file_excluded` decides: the last matching pattern wins.
    pub fn is_excluded(&self, path: &Path) -> Result<bool, IgnoreError> {
        if let Some(e) = self.error() {
            return Err(e);
        }
        match self.relative(path) {
            Some(rel) => Ok(self.is_excluded_rel(&rel)),
            // Paths on another drive have no relative form; the SDK excludes them.
            None => Ok(!self.patterns.as_ref().is_ok_and(Vec::is_empty)),
        }
    }

    /// [`IgnoreFile::is_excluded`] for a path already made relative by
    /// [`IgnoreFile::relative`]. With an invalid pattern nothing is excluded: callers that must
    /// fail as the SDK does ask [`IgnoreFile::error`] first.
    pub fn is_excluded_rel(&self, rel: &str) -> bool {
        match &self.patterns {
            Ok(patterns) if !patterns.is_empty() => excluded_by(patterns, rel),
            _ => false,
        }
    }

    /// Whether every file below the folder `dir_rel` (relative as [`IgnoreFile::relative`]
    /// makes it) is excluded whatever its name, so a walk need not read it: an excluding
    /// pattern covers all of it and no `!` pattern follows. The one name this cannot see is
    /// one with a newline in it, which no pattern's `.*` matches and the SDK would keep.
    pub fn excludes_all_below(&self, dir_rel: &str) -> bool {
        let Ok(patterns) = &self.patterns else {
            return false;
        };
        let dir: Vec<char> = dir_rel.chars().collect();
        for p in patterns.iter().rev() {
            if !p.exclude {
                return false;
            }
            if p.covers_all_below(&dir) {
                return true;
            }
        }
        false
    }
}

/// The verdict of the last pattern matching `rel`; kept when none does.
fn excluded_by(patterns: &[Pattern], rel: &str) -> bool {
    let chars: Vec<char> = rel.chars().collect();
    patterns.iter().rev().find(|p| p.matches(&chars)).is_some_and(|p| p.exclude)
}

/// `Path.exists()`: a missing file, a dangling link or a non-directory parent is "absent"; a
/// file that cannot be looked at is an error.
fn exists(path: &Path) -> Result<bool, IgnoreError> {
    match fs::metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            Err(IgnoreError::Read { path: path.to_path_buf(), source: e })
        }
        Err(_) => Ok(false),
    }
}

/// Lines as Python's text-mode iteration gives them (`\n`, `\r\n` and `\r` all end a line),
/// each `rstrip`ped and compiled; blank lines and comments compile to nothing.
fn compile_lines(text: &str) -> Result<Vec<Pattern>, InvalidPattern> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut patterns = Vec::new();
    for (index, line) in text.split('\n').enumerate() {
        let line = line.trim_end_matches(is_py_space);
        match Pattern::compile(line) {
            Ok(Some(p)) => patterns.push(p),
            Ok(None) => {}
            Err(reason) => {
                return Err(InvalidPattern { line: index + 1, pattern: line.to_owned(), reason });
            }
        }
    }
    Ok(patterns)
}

/// Python's `str.isspace`: Unicode White_Space plus the four information separators.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `os.path.relpath(path, base)` for two absolute, normalised paths, `/`-separated as
/// pathspec's `normalize_file` leaves it. `None` when they share no root (another drive).
fn relative_path(path: &Path, base: &Path) -> Option<String> {
    let path: Vec<Component<'_>> = path.components().collect();
    let base: Vec<Component<'_>> = base.components().collect();
    if path.first() != base.first() {
        return None;
    }
    let common = path.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_owned(), base.len() - common);
    // Names that are not UTF-8 only need to match, so a lossy form does.
    let downs = path[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned());
    let parts: Vec<String> = ups.chain(downs).collect();
    Some(if parts.is_empty() { ".".to_owned() } else { parts.join("/") })
}

/// `rel` joined with one more name, as [`IgnoreFile::relative`] would give the path below it.
pub fn join_relative(rel: &str, name: &str) -> String {
    if rel == "." { name.to_owned() } else { format!("{rel}/{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &str, path: &str) -> bool {
        excluded_by(&compile_lines(patterns).expect("patterns compile"), path)
    }

    #[test]
    fn last_match_wins_and_negation_reincludes_under_excluded_dir() {
        let rules = "build/\n!build/keep.txt\n*.log\n!important.log\n";
        assert!(excluded(rules, "build/a.txt"));
        assert!(!excluded(rules, "build/keep.txt"));
        assert!(excluded(rules, "x/y.log"));
        assert!(!excluded(rules, "x/important.log"));
        assert!(!excluded(rules, "src/main.py"));
    }

    #[test]
    fn lines_are_stripped_and_split_like_python_text_mode() {
        // `\r` alone ends a line; leading and trailing whitespace goes, U+001F included.
        assert!(excluded("  a.txt \t\r b.txt \u{1f}", "b.txt"));
        assert!(excluded("  a.txt \t\r b.txt \u{1f}", "a.txt"));
        assert!(excluded("x\r\ny", "y"));
        // Even an escaped trailing space is stripped, leaving a dangling `\` the SDK rejects.
        assert!(compile_lines("b.txt\\ ").is_err());
    }

    #[test]
    fn a_folder_is_skipped_only_when_nothing_below_can_be_kept() {
        let rules = |text: &str| IgnoreFile {
            base: PathBuf::from("/r"),
            patterns: compile_lines(text),
            file: PathBuf::from("/r/.amlignore"),
        };
        let venv = rules("*.pyc\n.venv/\n");
        assert!(venv.excludes_all_below(".venv"));
        assert!(venv.excludes_all_below("a/.venv"));
        assert!(!venv.excludes_all_below("src"));
        // A later `!` line may keep a file below: the folder must be read.
        let keep = rules("build/\n!build/keep.txt\n");
        assert!(!keep.excludes_all_below("build"));
        assert!(!keep.is_excluded_rel("build/keep.txt"));
        assert!(keep.is_excluded_rel("build/other.txt"));
        // A `!` line before the covering one does not matter.
        assert!(rules("!x\nbuild/\n").excludes_all_below("build"));
        // An invalid pattern skips nothing (the walk reports it).
        assert!(!rules("build/\n[z-a]\n").excludes_all_below("build"));
    }

    #[test]
    fn relative_paths_as_os_path_relpath() {
        let rel = |p: &str, b: &str| relative_path(Path::new(p), Path::new(b));
        assert_eq!(rel("/a/b/c.txt", "/a/b").as_deref(), Some("c.txt"));
        assert_eq!(rel("/a/b/c/d.txt", "/a/b").as_deref(), Some("c/d.txt"));
        assert_eq!(rel("/x/d.txt", "/a/b").as_deref(), Some("../../x/d.txt"));
        assert_eq!(rel("/a/b", "/a/b").as_deref(), Some("."));
    }
}
