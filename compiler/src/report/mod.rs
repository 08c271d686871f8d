//! Renders diagnostics: human (miette), versioned JSON, SARIF 2.1.0 and GitHub workflow
//! commands.

mod github;
mod human;
mod json;
mod sarif;
mod window;

pub use github::{render_github, write_github};
pub use human::{DEFAULT_MAX_PER_CODE, HumanOptions, render_human, write_human};
pub use json::{render_json, write_json};
pub use sarif::{render_sarif, write_sarif};

use crate::diagnostic::Diagnostic;
use crate::source::{LineCol, SourceMap, Span};

/// Output formats of `sluice check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Rendered for people (colour on a terminal).
    Human,
    /// Versioned JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands.
    Github,
}

/// Renders `diagnostics` in `format`. `color` applies to `Human` only.
pub fn render(format: Format, diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    match format {
        Format::Human => render_human(diagnostics, sources, color),
        Format::Json => render_json(diagnostics, sources),
        Format::Sarif => render_sarif(diagnostics, sources),
        Format::Github => render_github(diagnostics, sources),
    }
}

/// Writes `diagnostics` in `format` as they are rendered; `human` applies to `Human` only.
pub fn write(
    format: Format,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    human: &HumanOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => write_human(diagnostics, sources, human, out),
        Format::Json => write_json(diagnostics, sources, out),
        Format::Sarif => write_sarif(diagnostics, sources, out),
        Format::Github => write_github(diagnostics, sources, out),
    }
}

/// Start and end positions of a span.
pub(crate) fn positions(sources: &SourceMap, file: crate::source::FileId, span: Span) -> (LineCol, LineCol) {
    let f = sources.get(file);
    (f.line_col(span.start), f.line_col(span.end))
}

/// A path as shown in reports: forward slashes, no leading `./`.
pub(crate) fn display_path(sources: &SourceMap, file: crate::source::FileId) -> String {
    let p = sources.get(file).path.to_string_lossy().replace('\\', "/");
    p.strip_prefix("./").map(str::to_string).unwrap_or(p)
}
