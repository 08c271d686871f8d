//! `control-flow-in-yaml`: a `do_while`, `parallel_for` or `if_else` node in a YAML pipeline.
//! Azure ML builds these only from its Python SDK: azure-ai-ml and `az ml job create` refuse
//! them in a YAML file ("Value 'do_while' passed is not in set ['command', ...]").

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::StepKind;

/// A control-flow node in a YAML pipeline, which Azure ML loads only from the Python SDK.
pub const RULE: Rule = Rule {
    code: "control-flow-in-yaml",
    severity: Severity::Warning,
    summary: "A do_while, parallel_for or if_else node in a YAML pipeline: azure-ai-ml and `az ml` accept them only from the Python SDK.",
};

/// Warns about each control-flow node.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        if let StepKind::ControlFlow(kind) = &step.kind {
            out.push(
                RULE.at(
                    step.key.file,
                    step.key.span,
                    format!(
                        "`{}` is a control-flow node (`{kind}`), which azure-ai-ml and `az ml job create` refuse in a YAML file",
                        step.key.value
                    ),
                )
                .with_help(
                    "sluice checks it; to submit it, build the pipeline with the azure-ai-ml Python SDK (`azure.ai.ml.dsl`)",
                ),
            );
        }
    }
}
