//! `suspicious-value`: a value that is valid but almost certainly not what was meant.

use crate::diagnostic::{Rule, Severity};

/// A value the reader accepts that almost certainly means something else than written:
/// `None` (text in YAML) where a boolean or nothing belongs.
pub const RULE: Rule = Rule {
    code: "suspicious-value",
    severity: Severity::Warning,
    summary: "A value that is valid but almost certainly not what was meant (`None`, which YAML reads as text, where a boolean belongs).",
};
