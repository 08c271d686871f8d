//! `--format json`: versioned, one object with every diagnostic.

use serde_json::{Value, json};

use super::{display_path, positions};
use crate::diagnostic::{Diagnostic, Label};
use crate::source::SourceMap;

/// Version of the JSON output; bumped when a field changes meaning or goes away.
pub const JSON_VERSION: u32 = 1;

fn label(sources: &SourceMap, l: &Label) -> Value {
    let (start, end) = positions(sources, l.file, l.span);
    json!({
        "file": display_path(sources, l.file),
        "line": start.line,
        "column": start.column,
        "end_line": end.line,
        "end_column": end.column,
        "span": {"start": l.span.start, "end": l.span.end},
        "message": l.message,
    })
}

/// The JSON document for `diagnostics`.
pub fn to_value(diagnostics: &[Diagnostic], sources: &SourceMap) -> Value {
    let items: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut v = label(sources, &d.primary);
            if let Value::Object(m) = &mut v {
                m.remove("message");
                m.insert("code".into(), d.code.into());
                m.insert("severity".into(), d.severity.as_str().into());
                m.insert("message".into(), d.message.clone().into());
                m.insert("help".into(), d.help.clone().into());
                m.insert("labels".into(), d.secondary.iter().map(|l| label(sources, l)).collect());
            }
            v
        })
        .collect();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    json!({
        "version": JSON_VERSION,
        "summary": {"errors": errors, "warnings": diagnostics.len() - errors},
        "diagnostics": items,
    })
}

/// Renders pretty JSON with a trailing newline.
pub fn render_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(diagnostics, sources)).unwrap_or_default();
    s.push('\n');
    s
}
