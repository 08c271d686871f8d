//! `--format human`: miette's graphical reports (colour only when asked, i.e. on a terminal).
//! Each report sees only a [`Window`] of its file, so rendering is linear in what is printed;
//! past a number of diagnostics of one code in one file, the rest are counted in one line.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::window::Window;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, SourceMap, Span};

/// One diagnostic adapted to miette: labels in the primary file render in place; labels in other
/// files become related reports.
struct Report<'a> {
    d: &'a Diagnostic,
    source: Window<'a>,
    labels: Vec<LabeledSpan>,
    related: Vec<Related<'a>>,
}

/// A secondary place in another file.
struct Related<'a> {
    message: String,
    source: Window<'a>,
    label: LabeledSpan,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.d.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.d.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
    }
}

impl fmt::Debug for Related<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Related<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Related<'_> {}
impl miette::Diagnostic for Related<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}

/// How `--format human` renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HumanOptions {
    /// Colour (on a terminal).
    pub color: bool,
    /// Most diagnostics shown of one code in one file; the rest are counted in one line (0: all).
    pub max_per_code: usize,
}

/// Diagnostics shown of one code in one file unless asked otherwise (`--max-diagnostics`).
pub const DEFAULT_MAX_PER_CODE: usize = 200;

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions { color: false, max_per_code: DEFAULT_MAX_PER_CODE }
    }
}

/// A word of a message, help or label longer than this many characters is shortened.
const MAX_WORD_CHARS: usize = 100;

/// Each file's text as shown: secrets replaced by `*` (same byte length, so spans still point
/// where they should), made once per file.
struct Texts<'s> {
    sources: &'s SourceMap,
    concealed: HashMap<FileId, Vec<Span>>,
    masked: HashMap<FileId, Arc<str>>,
}

impl<'s> Texts<'s> {
    fn new(sources: &'s SourceMap, diagnostics: &[Diagnostic]) -> Self {
        let mut concealed: HashMap<FileId, Vec<Span>> = HashMap::new();
        for d in diagnostics.iter().filter(|d| d.conceal) {
            concealed.entry(d.primary.file).or_default().push(d.primary.span);
        }
        Texts { sources, concealed, masked: HashMap::new() }
    }

    fn get(&mut self, file: FileId) -> Arc<str> {
        if let Some(t) = self.masked.get(&file) {
            return t.clone();
        }
        let f = self.sources.get(file);
        // Hide every secret of the file in every snippet: those diagnostics found, and literal
        // values of secret keys (also in files too broken to check).
        let ranges: Vec<std::ops::Range<usize>> = self
            .concealed
            .get(&file)
            .into_iter()
            .flatten()
            .map(|s| s.start as usize..s.end as usize)
            .chain(crate::syntax::common::literal_secret_ranges(&f.text))
            .collect();
        let text = if ranges.is_empty() {
            f.text.clone()
        } else {
            let mut text = f.text.to_string();
            for r in ranges {
                let (start, end) = (r.start, r.end.min(text.len()));
                if start <= end && text.is_char_boundary(start) && text.is_char_boundary(end) {
                    text.replace_range(start..end, &"*".repeat(end - start));
                }
            }
            Arc::from(text)
        };
        self.masked.insert(file, text.clone());
        text
    }
}

/// `text` with every word longer than [`MAX_WORD_CHARS`] cut in its middle.
fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    if text.split_whitespace().all(|w| w.len() <= MAX_WORD_CHARS) {
        return text.into();
    }
    let mut out = String::with_capacity(MAX_WORD_CHARS * 4);
    let mut rest = text;
    while !rest.is_empty() {
        let space = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(space);
        if word.chars().count() > MAX_WORD_CHARS {
            let head: String = word.chars().take(MAX_WORD_CHARS * 2 / 3).collect();
            let chars = word.chars().count();
            let end: String = word.chars().skip(chars - MAX_WORD_CHARS / 4).collect();
            out.push_str(&head);
            out.push('…');
            out.push_str(&end);
        } else {
            out.push_str(word);
        }
        let next = tail.find(|c: char| !c.is_whitespace()).unwrap_or(tail.len());
        out.push_str(&tail[..next]);
        rest = &tail[next..];
    }
    out.into()
}

fn window<'a>(sources: &'a SourceMap, file: FileId, text: &str, spans: &[Span]) -> Window<'a> {
    Window::new(super::display_path(sources, file), sources.get(file), text, spans)
}

/// Renders one diagnostic into `out`.
fn render_one(handler: &GraphicalReportHandler, d: &Diagnostic, texts: &mut Texts<'_>, out: &mut String) {
    let sources = texts.sources;
    let message = shorten(&d.message);
    let help = d.help.as_deref().map(shorten);
    let same_file: Vec<Span> = std::iter::once(&d.primary)
        .chain(d.secondary.iter().filter(|l| l.file == d.primary.file))
        .map(|l| l.span)
        .collect();
    let primary_text = texts.get(d.primary.file);
    let other_texts: Vec<Arc<str>> =
        d.secondary.iter().filter(|l| l.file != d.primary.file).map(|l| texts.get(l.file)).collect();
    let source = window(sources, d.primary.file, &primary_text, &same_file);
    let label = |m: &Option<String>| m.as_deref().map(|m| shorten(m).into_owned());
    let mut labels =
        vec![LabeledSpan::new_primary_with_span(label(&d.primary.message), source.span(d.primary.span))];
    let mut related = Vec::new();
    let mut others = other_texts.iter();
    for l in &d.secondary {
        if l.file == d.primary.file {
            labels.push(LabeledSpan::new_with_span(label(&l.message), source.span(l.span)));
        } else if let Some(text) = others.next() {
            let source = window(sources, l.file, text, &[l.span]);
            let span = source.span(l.span);
            related.push(Related {
                message: label(&l.message).unwrap_or_else(|| "related".to_string()),
                source,
                label: LabeledSpan::new_with_span(None, span),
            });
        }
    }
    let shown =
        Diagnostic { message: message.into_owned(), help: help.map(|h| h.into_owned()), ..shallow(d) };
    let report = Report { d: &shown, source, labels, related };
    if handler.render_report(out, &report).is_err() {
        out.push_str(&format!("{}: {}\n", d.code, shown.message));
    }
    out.push('\n');
}

/// The fields of a diagnostic a report shows besides its labels.
fn shallow(d: &Diagnostic) -> Diagnostic {
    Diagnostic {
        code: d.code,
        severity: d.severity,
        message: String::new(),
        primary: d.primary.clone(),
        secondary: Vec::new(),
        help: None,
        conceal: d.conceal,
    }
}

/// `n` with a comma between thousands, as people read counts.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{} {word}s", thousands(n)) }
}

/// Writes every diagnostic (up to `max_per_code` of each code in each file, then one line
/// counting the rest) and a summary line.
pub fn write_human(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    options: &HumanOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let theme = if options.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut texts = Texts::new(sources, diagnostics);
    let mut buf = String::new();
    // Diagnostics come sorted by file: count per code within the current file.
    let mut file = None;
    let mut counts: HashMap<&'static str, (usize, Severity)> = HashMap::new();
    let mut order: Vec<&'static str> = Vec::new();
    let flush = |file: Option<FileId>,
                 counts: &mut HashMap<&'static str, (usize, Severity)>,
                 order: &mut Vec<&'static str>,
                 out: &mut dyn std::io::Write|
     -> std::io::Result<()> {
        for code in order.drain(..) {
            let (n, severity) = counts[code];
            if options.max_per_code > 0
                && n > options.max_per_code
                && let Some(file) = file
            {
                let word = if severity == Severity::Error { "error" } else { "warning" };
                writeln!(
                    out,
                    "… and {} more `{code}` {word}{} in {} (--max-diagnostics 0 shows all)\n",
                    thousands(n - options.max_per_code),
                    if n - options.max_per_code == 1 { "" } else { "s" },
                    super::display_path(sources, file),
                )?;
            }
        }
        counts.clear();
        Ok(())
    };
    for d in diagnostics {
        if file != Some(d.primary.file) {
            flush(file, &mut counts, &mut order, out)?;
            file = Some(d.primary.file);
        }
        let entry = counts.entry(d.code).or_insert_with(|| {
            order.push(d.code);
            (0, d.severity)
        });
        entry.0 += 1;
        if options.max_per_code > 0 && entry.0 > options.max_per_code {
            continue;
        }
        buf.clear();
        render_one(&handler, d, &mut texts, &mut buf);
        out.write_all(buf.as_bytes())?;
    }
    flush(file, &mut counts, &mut order, out)?;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        writeln!(out, "no problems found")
    } else {
        writeln!(out, "{}, {}", plural(errors, "error"), plural(warnings, "warning"))
    }
}

/// Renders every diagnostic and a summary line (at most [`DEFAULT_MAX_PER_CODE`] of a code in a
/// file).
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = Vec::new();
    let options = HumanOptions { color, ..HumanOptions::default() };
    // Writing into memory cannot fail.
    let _ = write_human(diagnostics, sources, &options, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;
    use crate::source::SourceFile;

    fn many(n: usize, code_b: usize) -> (SourceMap, Vec<Diagnostic>) {
        let text: String = (0..n + code_b).map(|i| format!("k{i}: 1\n")).collect();
        let mut sources = SourceMap::new();
        let f = SourceFile::new("p.yml", text.as_str());
        let starts: Vec<u32> = (1..=n + code_b).map(|l| f.line_start(l)).collect();
        let id = sources.add(f);
        let mut ds: Vec<Diagnostic> = starts[..n]
            .iter()
            .map(|&s| check::unknown_key::RULE.at(id, Span::new(s, s + 2), "unknown key"))
            .collect();
        ds.extend(
            starts[n..].iter().map(|&s| check::unused_parameter::RULE.at(id, Span::new(s, s + 2), "unused")),
        );
        (sources, ds)
    }

    #[test]
    fn past_the_limit_the_rest_of_a_code_is_one_line() {
        let (sources, ds) = many(1_205, 3);
        let out = render_human(&ds, &sources, false);
        assert_eq!(out.matches("unknown key").count(), DEFAULT_MAX_PER_CODE, "{out}");
        assert!(
            out.contains("… and 1,005 more `unknown-key` errors in p.yml (--max-diagnostics 0 shows all)")
        );
        assert_eq!(out.matches("  ⚠ unused").count(), 3);
        assert!(!out.contains("more `unused-parameter`"));
        assert!(out.ends_with("1,205 errors, 3 warnings\n"), "{}", &out[out.len() - 200..]);
        let mut all = Vec::new();
        write_human(&ds, &sources, &HumanOptions { color: false, max_per_code: 0 }, &mut all).unwrap();
        let all = String::from_utf8(all).unwrap();
        assert_eq!(all.matches("unknown key").count(), 1_205);
        assert!(!all.contains("more `"));
    }

    #[test]
    fn a_long_line_is_shown_cut() {
        let value = "v".repeat(1_000_000);
        let text = format!("a: 1\nkey: {value}\nb: 2\n");
        let mut sources = SourceMap::new();
        let id = sources.add(SourceFile::new("p.yml", text.as_str()));
        let d = check::wrong_type::RULE.at(
            id,
            Span::new(5, 5 + 3 + 2 + value.len() as u32),
            format!("bad `{value}`"),
        );
        let out = render_human(&[d], &sources, false);
        assert!(out.len() < 2_000, "{} bytes:\n{}", out.len(), &out[..2_000.min(out.len())]);
        assert!(out.contains("[p.yml:2:1]"), "{out}");
        assert!(out.contains("2 │ key: vvv"), "{out}");
        assert!(out.contains('…'), "{out}");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(9_800), "9,800");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
