//! `invalid-name`: a job name, or a pipeline job's input or output name, that Azure ML rejects.

use crate::diagnostic::{Rule, Severity};

/// A job name has characters other than lowercase letters, digits and `_`, or starts with a digit;
/// or a pipeline job's input or output name is not an identifier (inputs: dotted identifiers).
pub const RULE: Rule = Rule {
    code: "invalid-name",
    severity: Severity::Error,
    summary: "A job name is not a lowercase identifier, or a pipeline input or output name not an identifier, as Azure ML requires.",
};
