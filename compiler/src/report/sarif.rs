//! `--format sarif`: SARIF 2.1.0, for code scanning.

use serde_json::{Value, json};

use super::{display_path, positions};
use crate::check::all_rules;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::source::SourceMap;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn location(sources: &SourceMap, l: &Label) -> Value {
    let (start, end) = positions(sources, l.file, l.span);
    let mut loc = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": display_path(sources, l.file)},
            "region": {
                "startLine": start.line,
                "startColumn": start.column,
                "endLine": end.line,
                "endColumn": end.column,
                "byteOffset": l.span.start,
                "byteLength": l.span.len(),
            }
        }
    });
    if let (Some(m), Value::Object(o)) = (&l.message, &mut loc) {
        o.insert("message".into(), json!({"text": m}));
    }
    loc
}

/// The SARIF log for `diagnostics`.
pub fn to_value(diagnostics: &[Diagnostic], sources: &SourceMap) -> Value {
    let rules = all_rules();
    let rule_json: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.code,
                "shortDescription": {"text": r.summary},
                "defaultConfiguration": {"level": level(r.severity)},
            })
        })
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let mut result = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": {"text": text},
                "locations": [location(sources, &d.primary)],
            });
            if let Value::Object(o) = &mut result {
                if let Some(i) = rules.iter().position(|r| r.code == d.code) {
                    o.insert("ruleIndex".into(), i.into());
                }
                if !d.secondary.is_empty() {
                    let related: Vec<Value> = d
                        .secondary
                        .iter()
                        .enumerate()
                        .map(|(i, l)| {
                            let mut v = location(sources, l);
                            if let Value::Object(o) = &mut v {
                                o.insert("id".into(), i.into());
                            }
                            v
                        })
                        .collect();
                    o.insert("relatedLocations".into(), related.into());
                }
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sluice",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/sluice-ml/sluice",
                "rules": rule_json,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// Renders the SARIF log as pretty JSON.
pub fn render_sarif(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(diagnostics, sources)).unwrap_or_default();
    s.push('\n');
    s
}
