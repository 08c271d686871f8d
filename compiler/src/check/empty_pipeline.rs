//! `empty-pipeline`: a pipeline with no steps.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::source::Span;

/// A pipeline has no steps (v2: no jobs).
pub const RULE: Rule = Rule {
    code: "empty-pipeline",
    severity: Severity::Error,
    summary: "A pipeline has no steps (v2: no jobs).",
};

/// Checks that the pipeline does something.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    // A pipeline known only by reference has steps sluice cannot see.
    if !cx.pipeline.steps.is_empty() || cx.pipeline.opaque {
        return;
    }
    let (file, span) = cx
        .pipeline
        .steps_at
        .as_ref()
        .or(cx.pipeline.name.as_ref())
        .map(|n| (n.file, n.span))
        .unwrap_or((cx.pipeline.file, Span::point(0)));
    out.push(RULE.at(file, span, "the pipeline has no steps").with_help("add at least one step"));
}
