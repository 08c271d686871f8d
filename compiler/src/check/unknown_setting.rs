//! `unknown-setting`: a pipeline setting the service does not know (the Azure ML SDK passes it
//! on without a word, and the service ignores it), far from every known one; a near miss
//! (edit distance 2 or less) is a misspelling, reported as an `unknown-key` error.

use crate::diagnostic::{Rule, Severity};

/// A key under `settings` that the service ignores, far from every known setting.
pub const RULE: Rule = Rule {
    code: "unknown-setting",
    severity: Severity::Warning,
    summary: "A pipeline setting that the service does not know and ignores, far from every known one (a near miss is an `unknown-key` error).",
};
