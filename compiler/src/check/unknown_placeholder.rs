//! `unknown-placeholder`: an argument placeholder (`input:X`, `output:X`, `parameter:X`,
//! `side_input:X`) names no port of its step.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::{Arg, PortRole, StepKind};
use crate::suggest::did_you_mean;

/// An argument placeholder names no input, output, parameter or side input of its step.
pub const RULE: Rule = Rule {
    code: "unknown-placeholder",
    severity: Severity::Error,
    summary: "An argument placeholder names no input, output, parameter or side input of its step.",
};

/// Checks argument placeholders.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let names = |role: PortRole| -> Vec<&str> {
            step.inputs.iter().filter(|p| p.role == role).map(|p| p.name.as_str()).collect()
        };
        let outputs: Vec<&str> = step.outputs.iter().map(|p| p.name.as_str()).collect();
        for arg in step.invocation.arguments() {
            let (name, what, key, known) = match arg {
                Arg::Input(n) => (n, "input", "inputs", names(PortRole::Data)),
                Arg::Output(n) => (n, "output", "outputs", outputs.clone()),
                Arg::Parameter(n) => (n, "parameter", "parameters", names(PortRole::Parameter)),
                Arg::SideInput(n) => {
                    if !matches!(step.kind, StepKind::Parallel(_)) {
                        out.push(
                            RULE.at(n.file, n.span, format!("step `{}` has no side inputs", step.key.value))
                                .with_help("`side_input:` placeholders work only in a ParallelRunStep with `side_inputs`"),
                        );
                        continue;
                    }
                    if names(PortRole::SideInput).is_empty() {
                        out.push(
                            RULE.at(n.file, n.span, format!("step `{}` declares no `side_inputs`", step.key.value))
                                .with_help(format!(
                                    "list the data under the step's `side_inputs: [{}]`, or read it as an input with `input:`",
                                    n.value
                                )),
                        );
                        continue;
                    }
                    (n, "side input", "side_inputs", names(PortRole::SideInput))
                }
                Arg::Literal(_) => continue,
            };
            if known.contains(&name.as_str()) {
                continue;
            }
            // A name of the wrong kind is the likeliest mistake: say so.
            let other_kind = [("input", names(PortRole::Data)), ("output", outputs.clone()), ("parameter", names(PortRole::Parameter))]
                .into_iter()
                .find(|(k, list)| *k != what && list.contains(&name.as_str()))
                .map(|(k, _)| format!("`{}` is an {k} of this step: write `{k}:{}`", name.value, name.value));
            // `parameter:X` naming a pipeline parameter the step does not declare: the step
            // must bind it first.
            let pipeline_parameter = (what == "parameter"
                && cx.pipeline.inputs.iter().any(|i| i.name.value == name.value))
            .then(|| {
                format!(
                    "`{0}` is a pipeline parameter: bind it to the step under `parameters:` as `{0}: {{source: {0}}}`",
                    name.value
                )
            });
            let help = other_kind
                .or(pipeline_parameter)
                .or_else(|| did_you_mean(&name.value, &known))
                .or_else(|| Some(format!("declare it under the step's `{key}`")));
            out.push(
                RULE.at(
                    name.file,
                    name.span,
                    format!("step `{}` has no {what} `{}`", step.key.value, name.value),
                )
                .with_help_opt(help),
            );
        }
    }
}
