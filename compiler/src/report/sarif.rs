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

/// One diagnostic's SARIF result.
fn result(sources: &SourceMap, rules: &[crate::diagnostic::Rule], d: &Diagnostic) -> Value {
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
}

/// The results array, each result made just before it is written.
struct Results<'a> {
    diagnostics: &'a [Diagnostic],
    sources: &'a SourceMap,
    rules: &'a [crate::diagnostic::Rule],
}

impl serde::Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.diagnostics.iter().map(|d| result(self.sources, self.rules, d)))
    }
}

/// The tool object: sluice and every rule.
fn tool(rules: &[crate::diagnostic::Rule]) -> Value {
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
    json!({"driver": {
        "name": "sluice",
        "version": env!("CARGO_PKG_VERSION"),
        "informationUri": "https://github.com/sluice-ml/sluice",
        "rules": rule_json,
    }})
}

/// The log: one run whose results are streamed.
struct Log<'a>(Results<'a>);

/// The one run of the log.
struct Run<'a>(&'a Results<'a>);

impl serde::Serialize for Log<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("$schema", "https://json.schemastore.org/sarif-2.1.0.json")?;
        m.serialize_entry("version", "2.1.0")?;
        m.serialize_entry("runs", &[Run(&self.0)])?;
        m.end()
    }
}

impl serde::Serialize for Run<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("tool", &tool(self.0.rules))?;
        m.serialize_entry("columnKind", "unicodeCodePoints")?;
        m.serialize_entry("results", self.0)?;
        m.end()
    }
}

/// Writes the SARIF log as pretty JSON, one result at a time.
pub fn write_sarif(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let rules = all_rules();
    serde_json::to_writer_pretty(&mut *out, &Log(Results { diagnostics, sources, rules: &rules }))?;
    out.write_all(b"\n")
}

/// Renders the SARIF log as pretty JSON.
pub fn render_sarif(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = Vec::new();
    let _ = write_sarif(diagnostics, sources, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
