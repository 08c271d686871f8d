//! `unknown-output`: a binding names an output the producing step does not have.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::RefKind;
use crate::suggest::{did_you_mean, list_names};

/// A binding names an output that its step does not declare.
pub const RULE: Rule = Rule {
    code: "unknown-output",
    severity: Severity::Error,
    summary: "A binding names an output that the step does not declare.",
};

/// Checks bindings to step outputs.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for u in cx.unresolved().filter(|u| matches!(u.kind, RefKind::StepOutput | RefKind::PipelineOutput)) {
        let owner = match (u.kind, u.step) {
            (RefKind::PipelineOutput, _) => "the pipeline".to_string(),
            (_, Some(step)) => format!("step `{}`", cx.pipeline.step(step).key.value),
            (_, None) => "the step".to_string(),
        };
        let help = did_you_mean(&u.name.value, &u.candidates).or_else(|| {
            Some(format!("{owner} declares {}", list_names(&u.candidates, 8)))
        });
        out.push(
            RULE.at(u.name.file, u.name.span, format!("{owner} has no output `{}`", u.name.value))
                .with_help_opt(help),
        );
    }
}
