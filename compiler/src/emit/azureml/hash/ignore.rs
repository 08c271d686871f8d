//! azure-ai-ml's ignore-file matching (`_utils/_asset_utils.IgnoreFile` over its vendored copy of
//! pathspec's `GitWildMatchPattern`), reproduced rule for rule.
//!
//! It is not git's matcher, so neither the `ignore` crate nor `globset` fits: only files are
//! tested (directories are never pruned), a `!pattern` re-includes a file even under an excluded
//! directory, lines lose all leading and trailing whitespace (Python's `str.strip`, escaped or
//! not), and `[...]` is handed to Python's `re`, with its own rules for `]`, `-` and `\`. Each
//! pattern becomes the token list of the regular expression pathspec would build, and a small
//! set-of-positions matcher runs it with Python `re` semantics (`.` stops at `\n`, `$` may match
//! before a final `\n`).

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::HashError;

/// The ignore rules of a code folder: its `.amlignore`, else its `.gitignore`, else none.
#[derive(Debug)]
pub(super) struct IgnoreRules {
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

impl IgnoreRules {
    /// Finds the ignore file of `dir` (an absolute, resolved directory) the way
    /// `get_ignore_file` does; `None` when neither file exists.
    pub(super) fn for_folder(dir: &Path) -> Result<Option<Self>, HashError> {
        for name in [".amlignore", ".gitignore"] {
            let file = dir.join(name);
            if exists(&file)? {
                return Self::load(file).map(Some);
            }
        }
        Ok(None)
    }

    fn load(file: PathBuf) -> Result<Self, HashError> {
        let read_error = |source| HashError::IgnoreFile { path: file.clone(), source };
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

    /// Whether the file at `path` (its folder resolved, its own name not) is excluded, as
    /// `IgnoreFile.is_file_excluded` decides: the last matching pattern wins.
    pub(super) fn is_excluded(&self, path: &Path) -> Result<bool, HashError> {
        let patterns = self.patterns.as_ref().map_err(|e| HashError::InvalidPattern {
            path: self.file.clone(),
            line: e.line,
            pattern: e.pattern.clone(),
            reason: e.reason,
        })?;
        if patterns.is_empty() {
            return Ok(false);
        }
        // Paths on another drive have no relative form; the SDK excludes them.
        let Some(rel) = relative_path(path, &self.base) else {
            return Ok(true);
        };
        Ok(excluded_by(patterns, &rel))
    }
}

/// The verdict of the last pattern matching `rel`; kept when none does.
fn excluded_by(patterns: &[Pattern], rel: &str) -> bool {
    let chars: Vec<char> = rel.chars().collect();
    patterns.iter().rev().find(|p| p.matches(&chars)).is_some_and(|p| p.exclude)
}

/// `Path.exists()`: a missing file, a dangling link or a non-directory parent is "absent"; a
/// file that cannot be looked at is an error.
fn exists(path: &Path) -> Result<bool, HashError> {
    match fs::metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            Err(HashError::IgnoreFile { path: path.to_path_buf(), source: e })
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

/// One compiled line: the regular expression pathspec builds, as tokens.
#[derive(Debug, Clone)]
struct Pattern {
    /// pathspec's `include`: true excludes the file, false (a `!` line) keeps it.
    exclude: bool,
    tokens: Vec<Tok>,
}

/// The pieces pathspec's regular expressions are made of.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A literal character (`re.escape(c)`, or the `/` between segments).
    Lit(char),
    /// `.+`: one or more characters other than `\n`.
    DotPlus,
    /// `.*`: any characters other than `\n`.
    DotStar,
    /// `[^/]+`
    SegPlus,
    /// `[^/]*`, a glob `*`.
    SegStar,
    /// `[^/]`, a glob `?`.
    SegOne,
    /// A bracket expression, `[...]` or `[^...]`.
    Class { negated: bool, items: Vec<(char, char)> },
    /// `(?:...)?`
    Opt(Vec<Tok>),
}

impl Pattern {
    /// `GitWildMatchPattern.pattern_to_regex`: `Ok(None)` for a null operation (blank, comment,
    /// lone `/`), `Err` with the reason for a pattern the SDK rejects.
    fn compile(line: &str) -> Result<Option<Self>, &'static str> {
        let pattern = line.trim_matches(is_py_space);
        if pattern.is_empty() || pattern.starts_with('#') || pattern == "/" {
            return Ok(None);
        }
        let (exclude, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (false, rest),
            None => (true, pattern),
        };
        let mut segs: Vec<&str> = pattern.split('/').collect();
        // Collapse runs of `**` segments, walking backwards as pathspec does.
        for i in (1..segs.len()).rev() {
            if segs[i - 1] == "**" && segs[i] == "**" {
                segs.remove(i);
            }
        }
        // `**/` matches everything below the root but no file in it: pathspec's override.
        let override_all_below = segs.len() == 2 && segs[0] == "**" && segs[1].is_empty();
        if segs[0].is_empty() {
            // A leading `/` anchors the pattern at the root.
            segs.remove(0);
        } else if (segs.len() == 1 || (segs.len() == 2 && segs[1].is_empty())) && segs[0] != "**" {
            // A single name (or `name/`) matches at any depth.
            segs.insert(0, "**");
        }
        if segs.is_empty() {
            return Err("the pattern is empty after its leading `!` and `/`");
        }
        let last = segs.len() - 1;
        if last > 0 && segs[last].is_empty() {
            // A trailing `/` matches everything below.
            segs[last] = "**";
        }
        if override_all_below {
            let tokens = vec![Tok::DotPlus, Tok::Lit('/'), Tok::DotStar];
            return Ok(Some(Self { exclude, tokens }));
        }
        let slash_rest = || vec![Tok::Lit('/'), Tok::DotStar];
        let mut tokens = Vec::new();
        let mut need_slash = false;
        for (i, seg) in segs.iter().enumerate() {
            if *seg == "**" {
                if i == 0 && i == last {
                    tokens.push(Tok::DotPlus);
                } else if i == 0 {
                    tokens.push(Tok::Opt(vec![Tok::DotPlus, Tok::Lit('/')]));
                    need_slash = false;
                } else if i == last {
                    tokens.extend(slash_rest());
                } else {
                    tokens.push(Tok::Opt(vec![Tok::Lit('/'), Tok::DotPlus]));
                    need_slash = true;
                }
                continue;
            }
            if need_slash {
                tokens.push(Tok::Lit('/'));
            }
            if *seg == "*" {
                tokens.push(Tok::SegPlus);
            } else {
                translate_segment_glob(seg, &mut tokens)?;
            }
            if i == last {
                // Without a trailing slash, a name also matches everything below it.
                tokens.push(Tok::Opt(slash_rest()));
            }
            need_slash = true;
        }
        Ok(Some(Self { exclude, tokens }))
    }

    /// `regex.match(path)` against `^<tokens>$`.
    fn matches(&self, s: &[char]) -> bool {
        let mut start = vec![false; s.len() + 1];
        start[0] = true;
        let end = run(&self.tokens, s, start);
        // Python's `$` also matches just before a final newline.
        end[s.len()] || (s.last() == Some(&'\n') && end[s.len() - 1])
    }
}

/// `GitWildMatchPattern._translate_segment_glob`, appending tokens.
fn translate_segment_glob(seg: &str, out: &mut Vec<Tok>) -> Result<(), &'static str> {
    let chars: Vec<char> = seg.chars().collect();
    let end = chars.len();
    let mut i = 0;
    let mut escape = false;
    while i < end {
        let c = chars[i];
        i += 1;
        if escape {
            escape = false;
            out.push(Tok::Lit(c));
        } else if c == '\\' {
            escape = true;
        } else if c == '*' {
            out.push(Tok::SegStar);
        } else if c == '?' {
            out.push(Tok::SegOne);
        } else if c == '[' {
            // Find the closing bracket; a `]` right after `[` or `[!` belongs to the set.
            let mut j = i;
            if j < end && chars[j] == '!' {
                j += 1;
            }
            if j < end && chars[j] == ']' {
                j += 1;
            }
            while j < end && chars[j] != ']' {
                j += 1;
            }
            if j < end {
                j += 1;
                let mut negated = false;
                let mut set = Vec::new();
                if chars[i] == '!' {
                    negated = true;
                    i += 1;
                } else if chars[i] == '^' {
                    // pathspec escapes a leading `^`: a literal, first member of the set.
                    set.push('^');
                    i += 1;
                }
                set.extend_from_slice(&chars[i..j]);
                out.push(Tok::Class { negated, items: parse_class(&set)? });
                i = j;
            } else {
                out.push(Tok::Lit('['));
            }
        } else {
            out.push(Tok::Lit(c));
        }
    }
    if escape {
        return Err("it ends with a `\\` that escapes nothing");
    }
    Ok(())
}

/// Members of a bracket expression as Python's `re` reads `set` (the text after `[` or `[^`,
/// through the closing `]`; pathspec has doubled every backslash, so each is a literal): a `]`
/// closes only a non-empty set, `a-z` is a range, a `-` before the `]` is literal.
fn parse_class(set: &[char]) -> Result<Vec<(char, char)>, &'static str> {
    let mut items: Vec<(char, char)> = Vec::new();
    let mut rest = set.iter().copied();
    loop {
        let Some(this) = rest.next() else {
            return Err("a bracket expression is not closed");
        };
        if this == ']' && !items.is_empty() {
            return Ok(items);
        }
        let mut ahead = rest.clone();
        if ahead.next() == Some('-') {
            let Some(that) = ahead.next() else {
                return Err("a bracket expression is not closed");
            };
            rest = ahead;
            if that == ']' {
                items.push((this, this));
                items.push(('-', '-'));
                return Ok(items);
            }
            if that < this {
                return Err("a bracket expression has a range whose end is below its start");
            }
            items.push((this, that));
        } else {
            items.push((this, this));
        }
    }
}

/// Runs `tokens` from every start position marked in `from`; returns the end positions.
fn run(tokens: &[Tok], s: &[char], mut from: Vec<bool>) -> Vec<bool> {
    for tok in tokens {
        from = step(tok, s, &from);
    }
    from
}

/// One token from a set of positions to the set of positions it can end at.
fn step(tok: &Tok, s: &[char], from: &[bool]) -> Vec<bool> {
    let n = s.len();
    let mut to = vec![false; n + 1];
    let one = |to: &mut Vec<bool>, pred: &dyn Fn(char) -> bool| {
        for p in 0..n {
            if from[p] && pred(s[p]) {
                to[p + 1] = true;
            }
        }
    };
    // A run of characters other than `stop`: `min` is 1 for `+`, 0 for `*`.
    let repeat = |to: &mut Vec<bool>, stop: char, min: usize| {
        let mut live = false;
        for q in 0..=n {
            if min == 0 {
                live |= from[q];
                to[q] = live;
            } else {
                to[q] = live;
                live |= from[q];
            }
            live &= q < n && s[q] != stop;
        }
    };
    match tok {
        Tok::Lit(c) => one(&mut to, &|x| x == *c),
        Tok::SegOne => one(&mut to, &|x| x != '/'),
        Tok::Class { negated, items } => {
            one(&mut to, &|x| items.iter().any(|&(lo, hi)| lo <= x && x <= hi) != *negated)
        }
        Tok::DotPlus => repeat(&mut to, '\n', 1),
        Tok::DotStar => repeat(&mut to, '\n', 0),
        Tok::SegPlus => repeat(&mut to, '/', 1),
        Tok::SegStar => repeat(&mut to, '/', 0),
        Tok::Opt(inner) => {
            to = run(inner, s, from.to_vec());
            for (t, f) in to.iter_mut().zip(from) {
                *t |= *f;
            }
        }
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &str, path: &str) -> bool {
        excluded_by(&compile_lines(patterns).expect("patterns compile"), path)
    }

    /// (pattern, path, whether the SDK's pattern matches) computed with
    /// `python -c 'import sys; from azure.ai.ml._utils._pathspec import GitWildMatchPattern as G;
    /// print(G(sys.argv[1]).match_file(sys.argv[2]) is not None)' PATTERN PATH` (venv of
    /// shared/oracle/setup.sh).
    const MATCHES: &[(&str, &str, bool)] = &[
        ("*.txt", "a.txt", true),
        ("*.txt", "d/a.txt", true),
        ("*.txt", "a.txt/b", true),
        ("*.txt", "a.txtx", false),
        ("*.txt", ".txt", true),
        ("*.txt", "d/.txt", true),
        ("/a.txt", "a.txt", true),
        ("/a.txt", "d/a.txt", false),
        ("/a.txt", "a.txt/x", true),
        ("build/", "build", false),
        ("build/", "build/x", true),
        ("build/", "a/build/x", true),
        ("build/", "builds/x", false),
        ("a/b", "a/b", true),
        ("a/b", "x/a/b", false),
        ("a/b", "a/b/c", true),
        ("a/b", "a/bc", false),
        ("**", "a", true),
        ("**", "a/b", true),
        ("**/", "a", false),
        ("**/", "a/b", true),
        ("**/", "a/b/c", true),
        ("**/foo", "foo", true),
        ("**/foo", "a/foo", true),
        ("**/foo", "a/b/foo/c", true),
        ("**/foo", "xfoo", false),
        ("a/**", "a", false),
        ("a/**", "a/", true),
        ("a/**", "a/b", true),
        ("a/**", "a/b/c", true),
        ("a/**/b", "a/b", true),
        ("a/**/b", "a/x/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a/**/b", "a/xb", false),
        ("a/**/b", "ab", false),
        ("a/**/**/b", "a/b", true),
        ("a/**/**/b", "a/x/y/b", true),
        ("*", "a", true),
        ("*", "a/b", true),
        ("*", ".x", true),
        ("a/*", "a/b", true),
        ("a/*", "a/b/c", true),
        ("a/*", "a", false),
        ("a/*", "x/a/b", false),
        ("a/*/c", "a/b/c", true),
        ("a/*/c", "a/c", false),
        ("a/*/c", "a/b/d/c", false),
        ("?.py", "a.py", true),
        ("?.py", "ab.py", false),
        ("?.py", "d/a.py", true),
        ("?.py", "/.py", false),
        ("[abc].txt", "a.txt", true),
        ("[abc].txt", "d.txt", false),
        ("[abc].txt", "c.txt", true),
        ("[!abc].txt", "a.txt", false),
        ("[!abc].txt", "d.txt", true),
        ("[!abc].txt", "/.txt", true),
        ("x[!a]y", "x/y", true),
        ("x[!a]y", "xby", true),
        ("x[!a]y", "xay", false),
        ("[]a].txt", "].txt", true),
        ("[]a].txt", "a.txt", true),
        ("[]a].txt", "b.txt", false),
        ("[!]a].txt", "].txt", false),
        ("[!]a].txt", "b.txt", true),
        ("[^a].txt", "^.txt", true),
        ("[^a].txt", "a.txt", true),
        ("[^a].txt", "b.txt", false),
        ("[^]x", "^x", true),
        ("[^]x", "]x", false),
        ("[^]x", "^]x", false),
        ("[a-c]z", "bz", true),
        ("[a-c]z", "dz", false),
        ("[a-c]z", "-z", false),
        ("[a-]z", "az", true),
        ("[a-]z", "-z", true),
        ("[a-]z", "bz", false),
        ("[^-a]z", "_z", true),
        ("[^-a]z", "`z", true),
        ("[^-a]z", "-z", false),
        ("[^-a]z", "bz", false),
        ("[\\]]z", "\\]z", true),
        ("[\\]]z", "]z", false),
        ("[\\]]z", "\\z", false),
        ("[[:digit:]]", "1", false),
        ("[[:digit:]]", ":]", true),
        ("[[:digit:]]", "d]", true),
        ("[[:digit:]]", "[]", true),
        ("[[:digit:]]", "1]", false),
        ("[", "[", true),
        ("[", "a", false),
        ("a[", "a[", true),
        ("a[", "a", false),
        ("\\#x", "#x", true),
        ("\\#x", "x", false),
        ("\\!x", "!x", true),
        ("\\!x", "x", false),
        ("a\\*b", "a*b", true),
        ("a\\*b", "axb", false),
        ("foo*bar", "foobar", true),
        ("foo*bar", "fooxbar", true),
        ("foo*bar", "foo/bar", false),
        ("foo*bar", "d/fooxxbar", true),
        ("a//b", "a//b", true),
        ("a//b", "a/b", false),
        ("!/", "", true),
        ("!/", "/x", true),
        ("!/", "x", false),
        ("a**b", "ab", true),
        ("a**b", "axxb", true),
        ("a**b", "a/b", false),
        ("d/", "d/x\n", true),
        ("d/", "d\n", false),
        ("x", "x\n", true),
        ("x", "y/x\n", true),
        ("x", "x\ny", false),
        ("*.log", "a\nb.log", true),
        ("*.log", "../x.log", true),
        ("*.log", "../../a/b.log", true),
        ("/../x.log", "../x.log", true),
        ("  spaced  ", "spaced", true),
        ("  spaced  ", "  spaced  ", false),
        ("ÄÖ*.txt", "ÄÖü.txt", true),
        ("ÄÖ*.txt", "äö.txt", false),
    ];

    #[test]
    fn single_patterns_match_as_the_sdk() {
        let mut wrong = Vec::new();
        for &(pattern, path, expected) in MATCHES {
            let compiled = Pattern::compile(pattern).expect("valid").expect("not a no-op");
            let chars: Vec<char> = path.chars().collect();
            if compiled.matches(&chars) != expected {
                wrong.push((pattern, path, expected));
            }
        }
        assert!(wrong.is_empty(), "(pattern, path, SDK) disagreeing: {wrong:?}");
    }

    #[test]
    fn null_patterns() {
        for line in ["", "   ", "# comment", "  # indented comment", "/"] {
            assert!(Pattern::compile(line).expect("valid").is_none(), "{line:?}");
        }
    }

    #[test]
    fn invalid_patterns_as_the_sdk() {
        // Each raises in `GitWildMatchPattern(line)` (GitWildMatchPatternError or re.error).
        for line in ["!", "foo\\", "[z-a]", "a/[b-a]c"] {
            assert!(Pattern::compile(line).is_err(), "{line:?}");
        }
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
    fn relative_paths_as_os_path_relpath() {
        let rel = |p: &str, b: &str| relative_path(Path::new(p), Path::new(b));
        assert_eq!(rel("/a/b/c.txt", "/a/b").as_deref(), Some("c.txt"));
        assert_eq!(rel("/a/b/c/d.txt", "/a/b").as_deref(), Some("c/d.txt"));
        assert_eq!(rel("/x/d.txt", "/a/b").as_deref(), Some("../../x/d.txt"));
        assert_eq!(rel("/a/b", "/a/b").as_deref(), Some("."));
    }
}
