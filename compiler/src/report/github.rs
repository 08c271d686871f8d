//! `--format github`: GitHub Actions workflow commands, one line per diagnostic:
//! `::error file=PATH,line=L,col=C::MESSAGE` (L and C 1-based, C in characters).

use super::{display_path, positions};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;

/// Escapes a message as GitHub's toolkit does.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Writes one line per diagnostic.
pub fn write_github(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let (start, _) = positions(sources, d.primary.file, d.primary.span);
        let mut message = format!("{} [{}]", d.message, d.code);
        if let Some(help) = &d.help {
            message.push_str(" help: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{level} file={},line={},col={}::{}",
            escape_property(&display_path(sources, d.primary.file)),
            start.line,
            start.column,
            escape_data(&message)
        )?;
    }
    Ok(())
}

/// Renders one line per diagnostic.
pub fn render_github(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = Vec::new();
    let _ = write_github(diagnostics, sources, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_toolkit() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
