//! `unclosed-expression`: `${{` without `}}`, or `$[[` without `]]`.

use crate::diagnostic::{Rule, Severity};

/// An expression or optional fragment is never closed.
pub const RULE: Rule = Rule {
    code: "unclosed-expression",
    severity: Severity::Error,
    summary: "A `${{` has no closing `}}`, or a `$[[` no closing `]]`.",
};
