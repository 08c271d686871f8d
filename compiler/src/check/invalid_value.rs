//! `invalid-value`: A value is not one of those allowed (a step type, a mode, ...).

use crate::diagnostic::{Rule, Severity};

/// A value is not one of those allowed (a step type, a mode, ...).
pub const RULE: Rule = Rule {
    code: "invalid-value",
    severity: Severity::Error,
    summary: "A value is not one of those allowed (a step type, a mode, ...).",
};
