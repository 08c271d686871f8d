//! `unknown-key`: A mapping has a key its format does not define.

use crate::diagnostic::{Rule, Severity};

/// A mapping has a key its format does not define.
pub const RULE: Rule = Rule {
    code: "unknown-key",
    severity: Severity::Error,
    summary: "A mapping has a key its format does not define.",
};
