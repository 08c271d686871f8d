//! `undeclared-port`: a job gives an input (or binds an output) that its component does not
//! declare.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::suggest::{did_you_mean, list_names};

/// A job gives an input or output that its component does not declare.
pub const RULE: Rule = Rule {
    code: "undeclared-port",
    severity: Severity::Error,
    summary: "A job gives an input or output that its component does not declare.",
};

/// Checks each job's inputs and outputs against its component's declarations.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let Some(c) = step.component.as_deref().filter(|c| c.interface_known) else { continue };
        let inputs: Vec<&str> = c.inputs.iter().map(|p| p.name.as_str()).collect();
        let outputs: Vec<&str> = c.outputs.iter().map(|p| p.name.as_str()).collect();
        for (ports, known, what, other) in [
            (step.inputs.iter().map(|p| &p.name).collect::<Vec<_>>(), &inputs, "input", &outputs),
            (step.outputs.iter().map(|p| &p.name).collect::<Vec<_>>(), &outputs, "output", &inputs),
        ] {
            for name in ports {
                if known.contains(&name.as_str()) {
                    continue;
                }
                let help = if other.contains(&name.as_str()) {
                    Some(format!("`{}` is {} of {}", name.value, if what == "input" { "an output" } else { "an input" }, c.describe()))
                } else {
                    did_you_mean(&name.value, known).or_else(|| {
                        Some(format!("{} declares {}", c.describe(), if known.is_empty() { "none".to_string() } else { list_names(known, 8) }))
                    })
                };
                out.push(
                    RULE.at(
                        name.file,
                        name.span,
                        format!("job `{}` gives {what} `{}`, which {} does not declare", step.key.value, name.value, c.describe()),
                    )
                    .with_help_opt(help),
                );
            }
        }
    }
}
