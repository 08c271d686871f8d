//! `deprecated-form`: a form the Azure ML SDK v1 still reads but has deprecated.

use crate::diagnostic::{Rule, Severity};

/// A deprecated form the SDK v1 still reads, with a warning of its own: a step written as
/// `python_script_step: {...}` (or `module:`, ...) instead of with `type:`, an input's or
/// output's `type` instead of `bind_mode`. Reported by v1 lowering.
pub const RULE: Rule = Rule {
    code: "deprecated-form",
    severity: Severity::Warning,
    summary: "A form the Azure ML SDK v1 reads but has deprecated (`python_script_step:` instead of `type:`, `type` instead of `bind_mode`).",
};
