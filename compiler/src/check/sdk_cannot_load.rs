//! `sdk-cannot-load`: a shape Microsoft documents that the Azure ML SDK v1's YAML reader fails on.

use crate::diagnostic::{Rule, Severity};

/// A documented shape on which the SDK v1's `Pipeline.load_yaml` fails (ParallelRunStep
/// `side_inputs`, Databricks library lists): sluice says so rather than inventing a meaning.
/// Reported by v1 lowering.
pub const RULE: Rule = Rule {
    code: "sdk-cannot-load",
    severity: Severity::Error,
    summary: "A shape written as documented that the Azure ML SDK v1's YAML reader fails on (ParallelRunStep side_inputs and input: arguments, Databricks library lists).",
};
