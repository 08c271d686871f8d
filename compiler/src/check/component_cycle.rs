//! `component-cycle`: a pipeline component that contains itself through file references.

use crate::diagnostic::{Rule, Severity};

/// Pipeline component files refer to each other in a circle.
pub const RULE: Rule = Rule {
    code: "component-cycle",
    severity: Severity::Error,
    summary: "A pipeline component contains itself, directly or through other component files.",
};
