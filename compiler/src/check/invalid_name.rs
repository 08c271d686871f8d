//! `invalid-name`: a job name, or a pipeline job's input or output name, that Azure ML rejects.

use crate::diagnostic::{Rule, Severity};

/// A job name has characters other than lowercase letters, digits and `_`, or starts with a digit;
/// or a pipeline job's input or output name is not an identifier (inputs: dotted identifiers).
pub const RULE: Rule = Rule {
    code: "invalid-name",
    severity: Severity::Error,
    summary: "A job name is not a lowercase identifier, or a pipeline input or output name not an identifier, as Azure ML requires.",
};

/// azure-ai-ml's `is_valid_node_name`: `[a-z_][a-z0-9_]*`.
pub fn is_node_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `[A-Za-z_][A-Za-z0-9_]*`: a pipeline output name (and each dotted part of an input name).
pub fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A pipeline input name: identifiers, optionally joined by dots.
pub fn is_input_name(name: &str) -> bool {
    name.split('.').all(is_identifier)
}

/// The node name to suggest for `name`: snake_case (`trainModel` -> `train_model`), other
/// characters as `_`, never starting with a digit.
pub fn suggested_node_name(name: &str) -> String {
    let mut fixed = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            fixed.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        fixed.push(if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' });
    }
    not_digit_first(fixed)
}

/// The identifier to suggest for `name` (keeping dots for input names), other characters as `_`.
pub fn suggested_identifier(name: &str, keep_dots: bool) -> String {
    not_digit_first(
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() || (keep_dots && c == '.') { c } else { '_' })
            .collect(),
    )
}

fn not_digit_first(name: String) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) { format!("_{name}") } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_suggestions() {
        assert!(is_node_name("train_2") && !is_node_name("trainModel") && !is_node_name("2a"));
        assert!(is_input_name("a.b_c") && !is_input_name("learning-rate") && !is_identifier("a.b"));
        assert_eq!(suggested_node_name("trainModel"), "train_model");
        assert_eq!(suggested_node_name("train-model"), "train_model");
        assert_eq!(suggested_node_name("2nd"), "_2nd");
        assert_eq!(suggested_identifier("learning-rate.x", true), "learning_rate.x");
        assert_eq!(suggested_identifier("trained-model", false), "trained_model");
    }
}
