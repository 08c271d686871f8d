//! `invalid-data-reference`: A data reference names no source, or more than one.

use crate::diagnostic::{Rule, Severity};

/// A data reference names no source, or more than one.
pub const RULE: Rule = Rule {
    code: "invalid-data-reference",
    severity: Severity::Error,
    summary: "A data reference names no source, or more than one.",
};
