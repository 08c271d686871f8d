//! One line of an ignore file as azure-ai-ml's vendored pathspec compiles it
//! (`GitWildMatchPattern`): the regular expression it would build, as tokens, and a small
//! set-of-positions matcher that runs it with Python `re` semantics (`.` stops at `\n`, `$` may
//! match before a final `\n`).

use super::is_py_space;

/// One compiled line: the regular expression pathspec builds, as tokens.
#[derive(Debug, Clone)]
pub(super) struct Pattern {
    /// pathspec's `include`: true excludes the file, false (a `!` line) keeps it.
    pub(super) exclude: bool,
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
    pub(super) fn compile(line: &str) -> Result<Option<Self>, &'static str> {
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

    /// Whether this pattern matches every path `dir/x` (`x` without a newline): its tokens end
    /// in "`/` then anything" and what comes before matches `dir` exactly. A walk may then leave
    /// `dir` unread when the verdict cannot change below it.
    pub(super) fn covers_all_below(&self, dir: &[char]) -> bool {
        let prefix = match self.tokens.as_slice() {
            [Tok::DotPlus] => return !dir.is_empty(),
            [head @ .., Tok::Opt(tail)] if tail.as_slice() == [Tok::Lit('/'), Tok::DotStar] => head,
            [head @ .., Tok::Lit('/'), Tok::DotStar] => head,
            _ => return false,
        };
        let mut start = vec![false; dir.len() + 1];
        start[0] = true;
        run(prefix, dir, start)[dir.len()]
    }

    /// `regex.match(path)` against `^<tokens>$`.
    pub(super) fn matches(&self, s: &[char]) -> bool {
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
    fn covering_a_folder_means_matching_all_below_it() {
        let chars = |s: &str| s.chars().collect::<Vec<char>>();
        let cases: &[(&str, &str, bool)] = &[
            ("build/", "build", true),
            ("build/", "a/build", true),
            ("build", "build", true),
            ("/build", "a/build", false),
            ("*.txt", "d.txt", true),
            ("a/**", "a", true),
            ("**", "x", true),
            ("**/", "x", true),
            ("a/**/b", "a/x/b", true),
            ("a/*.py", "a", false),
            ("a/b", "a", false),
            ("foo*bar", "foo", false),
        ];
        for &(pattern, dir, expected) in cases {
            let p = Pattern::compile(pattern).expect("valid").expect("not a no-op");
            assert_eq!(p.covers_all_below(&chars(dir)), expected, "{pattern:?} over {dir:?}");
            if expected {
                for below in ["x", "x/y", ".hidden", "a b/c.d"] {
                    assert!(p.matches(&chars(&format!("{dir}/{below}"))), "{pattern:?} {dir}/{below}");
                }
            }
        }
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
}
