//! `missing-input`: a job does not give an input its component requires (not optional, no
//! default).

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};

/// A required input of a job's component is not given.
pub const RULE: Rule = Rule {
    code: "missing-input",
    severity: Severity::Error,
    summary: "A job does not give an input that its component requires (not optional, no default).",
};

/// Checks that every required input is given.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let Some(c) = step.component.as_deref().filter(|c| c.interface_known) else { continue };
        let swept = step.swept_inputs();
        for decl in c.inputs.iter().filter(|d| d.required()) {
            if step.input(decl.name.as_str()).is_some() || swept.contains(&decl.name.as_str()) {
                continue;
            }
            out.push(
                RULE.at(
                    step.key.file,
                    step.key.span,
                    format!("job `{}` does not give input `{}`, which {} requires", step.key.value, decl.name.value, c.describe()),
                )
                .with_label(Label::with_message(decl.name.file, decl.name.span, "declared here, not optional and without a default"))
                .with_help(format!("add `{}:` under the job's `inputs`, or make it `optional: true`", decl.name.value)),
            );
        }
    }
}
