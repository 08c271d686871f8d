//! `invalid-name`: a job name that is not a valid identifier, which the service rejects.

use crate::diagnostic::{Rule, Severity};

/// A job name has characters other than lowercase letters, digits and `_`, or starts with a digit.
pub const RULE: Rule = Rule {
    code: "invalid-name",
    severity: Severity::Error,
    summary: "A job name is not a lowercase identifier (lowercase letters, digits and `_`, not starting with a digit), as Azure ML requires.",
};
