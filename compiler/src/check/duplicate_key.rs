//! `duplicate-key`: A mapping gives the same key twice.

use crate::diagnostic::{Rule, Severity};

/// A mapping gives the same key twice.
pub const RULE: Rule = Rule {
    code: "duplicate-key",
    severity: Severity::Error,
    summary: "A mapping gives the same key twice.",
};
