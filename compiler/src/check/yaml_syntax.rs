//! `yaml-syntax`: The file is not well-formed YAML.

use crate::diagnostic::{Rule, Severity};

/// The file is not well-formed YAML.
pub const RULE: Rule = Rule {
    code: "yaml-syntax",
    severity: Severity::Error,
    summary: "The file is not well-formed YAML.",
};
