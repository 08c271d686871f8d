//! `missing-compute`: a step names no compute and the pipeline has no default compute (a Spark
//! job: no compute and no serverless `resources`, whatever the default).

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
    if cx.pipeline.reusable {
        return;
    }
    for step in &cx.pipeline.steps {
        let spark = matches!(step.kind, StepKind::Spark { .. });
        let serverless_spark = matches!(step.kind, StepKind::Spark { serverless: true });
        // azure-ai-ml refuses a Spark job with neither its own compute (a Spark pool) nor
        // `resources`: the pipeline's default compute is not one.
        if spark && !serverless_spark && step.compute.is_none() && cx.pipeline.default_compute.is_some() {
            out.push(
                RULE.at(
                    step.key.file,
                    step.key.span,
                    format!(
                        "spark job `{}` names neither a Spark pool (`compute`) nor serverless Spark \
                         (`resources`); azure-ai-ml does not run Spark on the pipeline's default compute",
                        step.key.value
                    ),
                )
                .with_help(
                    "add `resources: {instance_type: standard_e4s_v3, runtime_version: \"3.4\"}`, or \
                     `compute: <an attached Spark pool>`",
                ),
            );
            continue;
        }
        if cx.pipeline.default_compute.is_some() {
            continue;
        }
        // A nested pipeline's steps carry their own compute; control flow runs its body's.
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
