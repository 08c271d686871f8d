//! `missing-key`: A required key is absent.

use crate::diagnostic::{Rule, Severity};

/// A required key is absent.
pub const RULE: Rule = Rule {
    code: "missing-key",
    severity: Severity::Error,
    summary: "A required key is absent.",
};
