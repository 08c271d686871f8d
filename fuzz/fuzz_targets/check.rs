//! Feeds arbitrary bytes through the entry point `sluice check FILE` uses, as the content of a
//! pipeline file beside the compare-models example (so workspace discovery, the workspace file
//! and the file checks run too), then renders every report format.
//!
//! Fails on a panic, on a diagnostic whose span leaves its file or splits a character, on a
//! rendering that panics, and where the YAML fast path gives a tree that differs from what the
//! serde-saphyr path gives (or accepts what that path rejects).

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sluice_compiler::report::{self, Format};
use sluice_compiler::session::{Session, WorkspaceChoice};
use sluice_compiler::source::{FileId, SourceMap, Span};
use sluice_compiler::yaml::{self, Limits};

fn pipeline_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/compare-models/pipeline.yml")
    })
}

fn assert_inside(sources: &SourceMap, file: FileId, span: Span, what: &str) {
    let text = &sources.get(file).text;
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(
        start <= end && end <= text.len(),
        "{what}: span {start}..{end} outside a file of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what}: span {start}..{end} splits a character"
    );
}

fuzz_target!(|data: &[u8]| {
    let mut s = Session::new(WorkspaceChoice::default());
    s.check_source(pipeline_path(), data.to_vec());
    for d in s.diagnostics.as_slice() {
        assert_inside(&s.sources, d.primary.file, d.primary.span, d.code);
        for l in &d.secondary {
            assert_inside(&s.sources, l.file, l.span, d.code);
        }
    }
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let _ = report::render(format, s.diagnostics.as_slice(), &s.sources, false);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let limits = Limits::default();
        if let Some(fast) = yaml::parse_fast(text, &limits) {
            let (general, errors) = yaml::parse_general(text, &limits);
            assert!(errors.is_empty(), "the fast path accepted what the general path rejects: {errors:?}");
            // Debug text, so that NaN equals NaN.
            assert_eq!(format!("{:?}", Some(fast)), format!("{general:?}"), "the YAML paths disagree");
        }
        if let Some(split) = yaml::parse_split(text, &limits, 2) {
            let (general, errors) = yaml::parse_general(text, &limits);
            assert!(errors.is_empty(), "the split reading accepted what the general path rejects: {errors:?}");
            assert_eq!(format!("{:?}", Some(split)), format!("{general:?}"), "the split reading disagrees");
        }
    }
});
