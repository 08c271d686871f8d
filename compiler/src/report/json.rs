//! `--format json`: versioned, one object with every diagnostic, written as it is made (no
//! document is built in memory first).

use serde::Serialize;
use serde::ser::SerializeMap;
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

/// One diagnostic's JSON object.
fn item(sources: &SourceMap, d: &Diagnostic) -> Value {
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
}

/// The whole document, serialized one diagnostic at a time.
struct Document<'a> {
    diagnostics: &'a [Diagnostic],
    sources: &'a SourceMap,
}

/// The diagnostics array, each item made just before it is written.
struct Items<'a>(&'a Document<'a>);

impl Serialize for Items<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.diagnostics.iter().map(|d| item(self.0.sources, d)))
    }
}

impl Serialize for Document<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("version", &JSON_VERSION)?;
        m.serialize_entry(
            "summary",
            &json!({"errors": errors, "warnings": self.diagnostics.len() - errors}),
        )?;
        m.serialize_entry("diagnostics", &Items(self))?;
        m.end()
    }
}

/// The JSON document for `diagnostics`, as one value (tests compare it with the streamed one).
#[cfg(test)]
fn to_value(diagnostics: &[Diagnostic], sources: &SourceMap) -> Value {
    serde_json::to_value(Document { diagnostics, sources }).unwrap_or(Value::Null)
}

/// Writes pretty JSON with a trailing newline, one diagnostic at a time.
pub fn write_json(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Document { diagnostics, sources })?;
    out.write_all(b"\n")
}

/// Renders pretty JSON with a trailing newline.
pub fn render_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = Vec::new();
    let _ = write_json(diagnostics, sources, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;
    use crate::source::{SourceFile, Span};

    /// A writer that records how much was written by the time each write came.
    struct Probe {
        written: usize,
        chunks: usize,
    }

    impl std::io::Write for Probe {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.written += buf.len();
            self.chunks += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn streams_the_same_document_as_the_value() {
        let mut sources = SourceMap::new();
        let id = sources.add(SourceFile::new("p.yml", "a: 1\nb: 2\n"));
        let ds: Vec<Diagnostic> =
            (0..3).map(|i| check::unknown_key::RULE.at(id, Span::new(i, i + 1), format!("m{i}"))).collect();
        let streamed = render_json(&ds, &sources);
        let whole = format!("{}\n", serde_json::to_string_pretty(&to_value(&ds, &sources)).unwrap());
        assert_eq!(streamed, whole);
        let v: Value = serde_json::from_str(&streamed).unwrap();
        assert_eq!(v["summary"]["errors"], 3);
        assert_eq!(v["diagnostics"][2]["message"], "m2");
        assert_eq!(v["diagnostics"][0]["labels"], json!([]));
    }

    #[test]
    fn items_are_written_as_they_are_made() {
        // Written straight to the writer in small pieces: many writes, none holding the whole.
        let mut sources = SourceMap::new();
        let id = sources.add(SourceFile::new("p.yml", "a: 1\n"));
        let ds: Vec<Diagnostic> =
            (0..2_000).map(|_| check::unknown_key::RULE.at(id, Span::new(0, 1), "m")).collect();
        let mut probe = Probe { written: 0, chunks: 0 };
        write_json(&ds, &sources, &mut probe).unwrap();
        assert!(probe.chunks > 2_000, "{} writes", probe.chunks);
        assert_eq!(probe.written, render_json(&ds, &sources).len());
    }
}
