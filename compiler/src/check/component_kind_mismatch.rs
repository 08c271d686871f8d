//! `component-kind-mismatch`: a job runs a component of another kind (a command job naming a
//! parallel component).

use crate::diagnostic::{Rule, Severity};

/// A job's `type` and its component's `type` differ.
pub const RULE: Rule = Rule {
    code: "component-kind-mismatch",
    severity: Severity::Error,
    summary: "A job runs a component of another kind (e.g. a command job with a parallel component).",
};
