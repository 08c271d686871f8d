//! `missing-compute`: a step names no compute and the pipeline has no default compute.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::StepKind;

/// A step has no compute and the pipeline no `default_compute`.
pub const RULE: Rule = Rule {
    code: "missing-compute",
    severity: Severity::Error,
    summary: "A step names no compute and the pipeline has no default compute.",
};

/// Checks that every step has somewhere to run.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    // A component checked on its own runs on whatever compute the pipeline using it gives.
    if cx.pipeline.default_compute.is_some() || cx.pipeline.reusable {
        return;
    }
    for step in &cx.pipeline.steps {
        // A nested pipeline's steps carry their own compute; control flow runs its body's;
        // Spark with its own `resources` runs on serverless Spark.
        let serverless_spark = matches!(step.kind, StepKind::Spark) && step.settings.contains_key("resources");
        if step.compute.is_none()
            && !serverless_spark
            && !matches!(step.kind, StepKind::Pipeline(_) | StepKind::ControlFlow(_))
        {
            out.push(
                RULE.at(
                    step.key.file,
                    step.key.span,
                    format!("step `{}` has no compute and the pipeline has no default compute", step.key.value),
                )
                .with_help("add `compute: <name>` to the step, or a default compute to the pipeline"),
            );
        }
    }
}
