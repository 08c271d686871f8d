//! `unknown-setting`: a pipeline setting the service does not know (the Azure ML SDK passes it
//! on without a word, and the service ignores it).

use crate::diagnostic::{Rule, Severity};

/// A key under `settings` that the service ignores, likely a typo.
pub const RULE: Rule = Rule {
    code: "unknown-setting",
    severity: Severity::Warning,
    summary: "A pipeline setting that the service does not know and ignores (often a typo of a known one).",
};
