//! `invalid-binding`: a `${{...}}` expression that is malformed, or of a kind that does not work
//! where it is written (`${{inputs.x}}` as a job's input, `${{parent.inputs.x}}` in a command).

use crate::diagnostic::{Rule, Severity};

/// An expression is malformed or used where it cannot work.
pub const RULE: Rule = Rule {
    code: "invalid-binding",
    severity: Severity::Error,
    summary: "A `${{...}}` expression is malformed, or of a kind that does not work where it is written.",
};
