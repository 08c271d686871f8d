//! `yaml-limit`: The file exceeds an input limit (size, nesting depth, node count or alias expansion).

use crate::diagnostic::{Rule, Severity};

/// The file exceeds an input limit (size, nesting depth, node count or alias expansion).
pub const RULE: Rule = Rule {
    code: "yaml-limit",
    severity: Severity::Error,
    summary: "The file exceeds an input limit (size, nesting depth, node count or alias expansion).",
};
