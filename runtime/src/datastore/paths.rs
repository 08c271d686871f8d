//! Paths on a datastore (`raw/2026/sales.csv`: `/`-separated, relative to the container or
//! folder) and the patterns that select them (`raw/**/*.csv`), on both sides of a transfer.
//!
//! A pattern is a path whose segments may hold `*` (within a segment), `**` (any depth), `?`,
//! `[abc]` and `{a,b}`. Its leading segments without any of these are its *base*: what matched
//! is placed relative to the base, so `data/**/*.csv` uploads `data/x/a.csv` as `x/a.csv`.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use super::DatastoreError;

/// Longest blob name Azure accepts.
const MAX_PATH: usize = 1024;

/// Whether `text` holds glob syntax.
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// A datastore path, checked: no empty, `.` or `..` segment, no backslash, no control
/// character; leading and trailing `/` removed. `""` is the datastore's root.
pub fn clean(path: &str, what: &str) -> Result<String, DatastoreError> {
    let trimmed = path.trim_matches('/');
    if trimmed.contains('\\') {
        return Err(DatastoreError::Usage(format!(
            "{what} `{path}` holds a backslash: datastore paths use `/` (write `{}`)",
            trimmed.replace('\\', "/")
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DatastoreError::Usage(format!(
            "{what} `{}` holds a control character",
            path.escape_debug()
        )));
    }
    if trimmed.len() > MAX_PATH {
        return Err(DatastoreError::Usage(format!(
            "{what} is {} bytes long; a datastore path has at most {MAX_PATH}",
            trimmed.len()
        )));
    }
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let mut segments = Vec::new();
    for seg in trimmed.split('/') {
        match seg {
            "" => continue, // `a//b` is `a/b`, as on a file system
            "." => continue,
            ".." => {
                return Err(DatastoreError::Usage(format!(
                    "{what} `{path}` must stay inside the datastore (it holds `..`)"
                )));
            }
            s => segments.push(s),
        }
    }
    Ok(segments.join("/"))
}

/// `a/b` joined with `c/d`; either may be the root `""`.
pub fn join(base: &str, rest: &str) -> String {
    match (base.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}/{rest}"),
    }
}

/// The last segment of a path.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A pattern split into its literal base and a matcher for the rest.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as given (cleaned).
    pub text: String,
    /// The leading segments without glob syntax (`""`: the root).
    pub base: String,
    rest: GlobMatcher,
}

impl Pattern {
    /// Reads a datastore pattern (`what` names it in errors).
    pub fn parse(text: &str, what: &str) -> Result<Self, DatastoreError> {
        let cleaned = clean(text, what)?;
        let (base, rest) = split_pattern(&cleaned);
        Ok(Pattern { base: base.join("/"), rest: matcher(&rest, text, what)?, text: cleaned })
    }

    /// Whether `path` (relative to the datastore's root) matches.
    pub fn matches(&self, path: &str) -> bool {
        let rel = if self.base.is_empty() {
            path
        } else {
            match path.strip_prefix(&self.base).and_then(|r| r.strip_prefix('/')) {
                Some(r) => r,
                None => return false,
            }
        };
        self.rest.is_match(rel)
    }

    /// `path` relative to the base.
    pub fn relative<'a>(&self, path: &'a str) -> &'a str {
        if self.base.is_empty() {
            return path;
        }
        path.strip_prefix(&self.base).map(|r| r.trim_start_matches('/')).unwrap_or(path)
    }
}

/// The leading segments without glob syntax, and the rest joined again.
fn split_pattern(text: &str) -> (Vec<&str>, String) {
    let segments: Vec<&str> = text.split('/').collect();
    let n = segments.iter().take_while(|s| !is_pattern(s)).count();
    (segments[..n].to_vec(), segments[n..].join("/"))
}

/// A glob over `/`-separated relative paths: `*` stays within a segment, `**` crosses them.
fn matcher(rest: &str, text: &str, what: &str) -> Result<GlobMatcher, DatastoreError> {
    GlobBuilder::new(rest)
        .literal_separator(true)
        .backslash_escape(false)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| DatastoreError::Usage(format!("{what} `{text}` is not a valid pattern: {}", e.kind())))
}

/// One local file to upload and where it goes, relative to the target folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSource {
    /// The file.
    pub file: PathBuf,
    /// Its path under the target, `/`-separated.
    pub relative: String,
    /// Its size when listed.
    pub size: u64,
}

/// The files named by the arguments of an upload: a file goes under its own name, a folder
/// under its own name with everything in it, a pattern (`data/**/*.csv`, quoted so the shell
/// leaves it) relative to its base. An argument that names nothing is an error.
pub fn local_sources(args: &[PathBuf]) -> Result<Vec<LocalSource>, DatastoreError> {
    let mut out = Vec::new();
    for arg in args {
        let text = arg.to_str().ok_or_else(|| {
            DatastoreError::Usage(format!("`{}` is not valid UTF-8: a datastore path must be", arg.display()))
        })?;
        // A file whose name looks like a pattern is still that file.
        if is_pattern(text) && std::fs::symlink_metadata(arg).is_err() {
            expand_local(text, &mut out)?;
            continue;
        }
        let meta = std::fs::metadata(arg).map_err(|e| DatastoreError::local(arg, e))?;
        let name = arg
            .components()
            .next_back()
            .and_then(|c| match c {
                Component::Normal(n) => n.to_str(),
                _ => None,
            })
            .map(str::to_string)
            .or_else(|| {
                // `.` or `..`: the folder's own name.
                arg.canonicalize()
                    .ok()
                    .and_then(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
            })
            .ok_or_else(|| DatastoreError::Usage(format!("`{}` names no file or folder", arg.display())))?;
        if meta.is_dir() {
            walk(arg, &name, &mut out)?;
        } else {
            regular(arg, &meta)?;
            out.push(LocalSource { file: arg.clone(), relative: name, size: meta.len() });
        }
    }
    Ok(out)
}

/// A FIFO, socket or device is refused before anything is copied (reading one could block or
/// never end).
fn regular(path: &Path, meta: &std::fs::Metadata) -> Result<(), DatastoreError> {
    if meta.is_file() {
        return Ok(());
    }
    Err(DatastoreError::Usage(format!(
        "`{}` is {}, not a file: only files and folders are uploaded",
        path.display(),
        sluice_compiler::source::special_kind(meta)
    )))
}

/// Every file under `dir`, named `prefix/...`, sorted. Links are followed; a link back to a
/// folder being walked is an error, not an endless walk.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<LocalSource>) -> Result<(), DatastoreError> {
    walk_within(dir, prefix, out, &mut Vec::new())
}

fn walk_within(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<LocalSource>,
    open: &mut Vec<PathBuf>,
) -> Result<(), DatastoreError> {
    let real = dir.canonicalize().map_err(|e| DatastoreError::local(dir, e))?;
    if open.contains(&real) {
        return Err(DatastoreError::Usage(format!(
            "`{}` leads back into a folder it is in (a link loop)",
            dir.display()
        )));
    }
    open.push(real);
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| DatastoreError::local(dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| DatastoreError::local(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().into_string().map_err(|n| {
            DatastoreError::Usage(format!(
                "`{}` is not valid UTF-8: a datastore path must be",
                Path::new(&n).display()
            ))
        })?;
        let meta = std::fs::metadata(&path).map_err(|err| DatastoreError::local(&path, err))?;
        let relative = join(prefix, &name);
        if meta.is_dir() {
            walk_within(&path, &relative, out, open)?;
        } else {
            regular(&path, &meta)?;
            out.push(LocalSource { file: path, relative, size: meta.len() });
        }
    }
    open.pop();
    Ok(())
}

/// The files matching a local pattern, relative to its base folder (which may be absolute or
/// hold `..`: the pattern is on this machine).
fn expand_local(text: &str, out: &mut Vec<LocalSource>) -> Result<(), DatastoreError> {
    let (base, rest) = split_pattern(text);
    let rest = matcher(&rest, text, "the pattern")?;
    let base_dir = match base.join("/") {
        b if b.is_empty() && text.starts_with('/') => PathBuf::from("/"),
        b if b.is_empty() => PathBuf::from("."),
        b => PathBuf::from(b),
    };
    let mut found = Vec::new();
    if base_dir.is_dir() {
        walk(&base_dir, "", &mut found)?;
    }
    let before = out.len();
    out.extend(found.into_iter().filter(|f| rest.is_match(&f.relative)));
    if out.len() == before {
        return Err(DatastoreError::Usage(format!("`{text}` matches no file")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_paths() {
        assert_eq!(clean("/raw//2026/", "p").unwrap(), "raw/2026");
        assert_eq!(clean("./a/./b", "p").unwrap(), "a/b");
        assert_eq!(clean("", "p").unwrap(), "");
        assert!(clean("a/../../b", "p").unwrap_err().to_string().contains("must stay inside"));
        assert!(clean("a\\b", "p").unwrap_err().to_string().contains("write `a/b`"));
        assert!(clean("a\u{7}", "p").is_err());
    }

    #[test]
    fn patterns_have_a_base() {
        let p = Pattern::parse("raw/2026/**/*.csv", "p").unwrap();
        assert_eq!(p.base, "raw/2026");
        assert!(p.matches("raw/2026/a.csv"));
        assert!(p.matches("raw/2026/x/y/a.csv"));
        assert!(!p.matches("raw/2026/a.txt"));
        assert!(!p.matches("raw/2025/a.csv"));
        assert_eq!(p.relative("raw/2026/x/a.csv"), "x/a.csv");
        let star = Pattern::parse("raw/*.csv", "p").unwrap();
        assert!(star.matches("raw/a.csv") && !star.matches("raw/x/a.csv"));
        let root = Pattern::parse("*.csv", "p").unwrap();
        assert_eq!(root.base, "");
        assert_eq!(root.relative("a.csv"), "a.csv");
        assert!(Pattern::parse("a/[", "p").is_err());
    }

    #[test]
    fn local_sources_keep_folder_names_and_pattern_bases() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("data/x")).unwrap();
        std::fs::write(d.join("data/a.csv"), "1").unwrap();
        std::fs::write(d.join("data/x/b.csv"), "22").unwrap();
        std::fs::write(d.join("data/x/c.txt"), "3").unwrap();
        let names = |args: &[PathBuf]| -> Vec<String> {
            local_sources(args).unwrap().into_iter().map(|s| s.relative).collect()
        };
        assert_eq!(names(&[d.join("data")]), ["data/a.csv", "data/x/b.csv", "data/x/c.txt"]);
        assert_eq!(names(&[d.join("data/x/b.csv")]), ["b.csv"]);
        let glob = format!("{}/data/**/*.csv", d.display());
        assert_eq!(names(&[PathBuf::from(glob)]), ["a.csv", "x/b.csv"]);
        let up = format!("{}/data/x/../*.csv", d.display());
        assert_eq!(names(&[PathBuf::from(up)]), ["a.csv"]);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("data"), d.join("data/x/loop")).unwrap();
            let e = local_sources(&[d.join("data")]).unwrap_err();
            assert!(e.to_string().contains("link loop"), "{e}");
            std::fs::remove_file(d.join("data/x/loop")).unwrap();
        }
        let none = format!("{}/data/*.parquet", d.display());
        assert!(local_sources(&[PathBuf::from(none)]).unwrap_err().to_string().contains("matches no file"));
        assert!(local_sources(&[d.join("missing.csv")]).unwrap_err().is_usage());
    }
}
