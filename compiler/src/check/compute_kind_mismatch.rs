//! `compute-kind-mismatch`: a step runs on a compute of a kind it cannot use.

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::suggest::{article, list_names};

/// A step's compute is of a kind the step cannot run on (a DatabricksStep on an amlcompute).
pub const RULE: Rule = Rule {
    code: "compute-kind-mismatch",
    severity: Severity::Error,
    summary: "A step runs on a compute of a kind it cannot use (e.g. a DatabricksStep on an amlcompute cluster).",
};

/// Checks each step's compute kind.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let Some(kinds) = step.kind.compute_kinds() else { continue };
        let Some(name) = step.compute.as_ref().or(cx.pipeline.default_compute.as_ref()) else { continue };
        let Some(compute) = cx.workspace.compute(&name.value) else { continue };
        if kinds.contains(&compute.kind) {
            continue;
        }
        let wanted: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let fitting: Vec<&str> = cx
            .workspace
            .computes
            .iter()
            .filter(|c| kinds.contains(&c.kind))
            .map(|c| c.name.as_str())
            .collect();
        let help = if fitting.is_empty() {
            let kinds = wanted.join(" or ");
            format!("declare {} {kinds} compute in the workspace file", article(&kinds))
        } else {
            format!("use {}", list_names(&fitting, 5))
        };
        // Point at the compute's name where the step gets it: its own `compute`, or the default
        // (with the step shown), which is what to change.
        let at = name;
        let mut d = RULE
            .at(
                at.file,
                at.span,
                format!(
                    "{} step `{}` cannot run on `{}`, {} {} compute; it needs {}",
                    step.kind.name(),
                    step.key.value,
                    compute.name,
                    article(compute.kind.as_str()),
                    compute.kind.as_str(),
                    wanted.join(" or ")
                ),
            )
            .with_help(help);
        if step.compute.is_none() {
            d = d.with_label(Label::with_message(step.key.file, step.key.span, "this step runs on the default compute"));
        }
        if let Some((file, span)) = compute.defined_at {
            d = d.with_label(Label::with_message(file, span, "compute declared here"));
        }
        out.push(d);
    }
}
