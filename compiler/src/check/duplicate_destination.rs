//! `duplicate-destination`: two step outputs write the same PipelineData.

use std::collections::HashMap;

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::Name;

/// Two outputs write the same PipelineData `destination`.
pub const RULE: Rule = Rule {
    code: "duplicate-destination",
    severity: Severity::Error,
    summary: "Two step outputs write the same PipelineData destination.",
};

/// Checks that each destination is written once.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let mut seen: HashMap<&str, (&Name, &str)> = HashMap::new();
    for step in &cx.pipeline.steps {
        for output in &step.outputs {
            let Some(dest) = &output.destination else { continue };
            if let Some((first, first_step)) = seen.get(dest.as_str()) {
                out.push(
                    RULE.at(
                        dest.file,
                        dest.span,
                        format!(
                            "`{}` is written by step `{first_step}` and again by step `{}`",
                            dest.value, step.key.value
                        ),
                    )
                    .with_label(Label::with_message(first.file, first.span, "first written here"))
                    .with_help("give each output its own destination name"),
                );
            } else {
                seen.insert(dest.as_str(), (dest, step.key.as_str()));
            }
        }
    }
}
