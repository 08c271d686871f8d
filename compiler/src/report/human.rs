//! `--format human`: miette's graphical reports (colour only when asked, i.e. on a terminal).

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, NamedSource,
    SourceCode, SourceSpan, SpanContents,
};

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::source::{FileId, SourceMap, Span};

/// One diagnostic adapted to miette: labels in the primary file render in place; labels in other
/// files become related reports.
struct Report<'a> {
    d: &'a Diagnostic,
    source: NamedSource<Text>,
    labels: Vec<LabeledSpan>,
    related: Vec<Related>,
}

/// A secondary place in another file.
struct Related {
    message: String,
    source: NamedSource<Text>,
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

impl fmt::Debug for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Related {}
impl miette::Diagnostic for Related {
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

/// Source text whose reported columns count characters, as every other output does (miette's own
/// count bytes).
struct Text(String);

impl SourceCode for Text {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.0.read_span(span, before, after)?;
        let mut start = span.offset().min(self.0.len());
        while !self.0.is_char_boundary(start) {
            start -= 1;
        }
        let line_start = self.0[..start].rfind('\n').map_or(0, |i| i + 1);
        let mut column = self.0[line_start..start].chars().count();
        // Editors hide a byte order mark: it is no column.
        if line_start == 0 && column > 0 && self.0.starts_with('\u{feff}') {
            column -= 1;
        }
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

fn named_source(sources: &SourceMap, file: FileId, concealed: &[(FileId, Span)]) -> NamedSource<Text> {
    let f = sources.get(file);
    let mut text = f.text.to_string();
    // Hide every secret of the file in every snippet: those diagnostics found, and literal values
    // of secret keys (also in files too broken to check).
    let ranges = concealed
        .iter()
        .filter(|(id, _)| *id == file)
        .map(|(_, s)| s.start as usize..s.end as usize)
        .chain(crate::syntax::common::literal_secret_ranges(&f.text));
    for r in ranges {
        // Same byte length, so every other span still points where it should.
        let (start, end) = (r.start, r.end.min(text.len()));
        if start <= end && text.is_char_boundary(start) && text.is_char_boundary(end) {
            text.replace_range(start..end, &"*".repeat(end - start));
        }
    }
    NamedSource::new(super::display_path(sources, file), Text(text)).with_language("yaml")
}

fn span(l: &Label) -> SourceSpan {
    SourceSpan::new((l.span.start as usize).into(), l.span.len() as usize)
}

/// Renders every diagnostic and a summary line.
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    let concealed: Vec<(FileId, Span)> =
        diagnostics.iter().filter(|d| d.conceal).map(|d| (d.primary.file, d.primary.span)).collect();
    for d in diagnostics {
        let mut labels =
            vec![LabeledSpan::new_primary_with_span(d.primary.message.clone(), span(&d.primary))];
        let mut related = Vec::new();
        for l in &d.secondary {
            if l.file == d.primary.file {
                labels.push(LabeledSpan::new_with_span(l.message.clone(), span(l)));
            } else {
                related.push(Related {
                    message: l.message.clone().unwrap_or_else(|| "related".to_string()),
                    source: named_source(sources, l.file, &concealed),
                    label: LabeledSpan::new_with_span(None, span(l)),
                });
            }
        }
        let report = Report { d, source: named_source(sources, d.primary.file, &concealed), labels, related };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("{}: {}\n", d.code, d.message));
        }
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, w: &str| {
        if n == 1 { format!("1 {w}") } else { format!("{n} {w}s") }
    };
    if diagnostics.is_empty() {
        out.push_str("no problems found\n");
    } else {
        out.push_str(&format!("{}, {}\n", plural(errors, "error"), plural(warnings, "warning")));
    }
    out
}
