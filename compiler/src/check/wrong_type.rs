//! `wrong-type`: A value has the wrong type (a list where text belongs, a string where a boolean belongs, ...).

use crate::diagnostic::{Rule, Severity};

/// A value has the wrong type (a list where text belongs, a string where a boolean belongs, ...).
pub const RULE: Rule = Rule {
    code: "wrong-type",
    severity: Severity::Error,
    summary: "A value has the wrong type (a list where text belongs, a string where a boolean belongs, ...).",
};
