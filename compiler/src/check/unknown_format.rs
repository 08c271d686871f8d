//! `unknown-format`: A file given to sluice is not a pipeline, component or workspace file.

use crate::diagnostic::{Rule, Severity};

/// A file given to sluice is not a pipeline, component or workspace file.
pub const RULE: Rule = Rule {
    code: "unknown-format",
    severity: Severity::Error,
    summary: "A file given to sluice is not a pipeline, component or workspace file.",
};
