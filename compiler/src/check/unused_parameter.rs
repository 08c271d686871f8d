//! `unused-parameter`: a pipeline parameter no step uses.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::Source;

/// A pipeline parameter (or v2 pipeline input) that nothing uses.
pub const RULE: Rule = Rule {
    code: "unused-parameter",
    severity: Severity::Warning,
    summary: "A pipeline parameter or input is declared but nothing uses it.",
};

/// Warns about pipeline inputs nothing binds.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let p = cx.pipeline;
    // A component's inputs are used by the pipelines that give them.
    if p.reusable {
        return;
    }
    let mut used = vec![false; p.inputs.len()];
    for &index in &p.bound_inputs {
        if let Some(u) = used.get_mut(index) {
            *u = true;
        }
    }
    for step in &p.steps {
        for input in &step.inputs {
            if let Source::PipelineInput { index, .. } = input.source
                && let Some(u) = used.get_mut(index)
            {
                *u = true;
            }
        }
    }
    let mut meant = cx.likely_meant();
    // A `parameter:X` argument naming it is a use that lacks its binding: `unknown-placeholder`
    // says so, and calling the parameter unused would only mislead.
    meant.extend(cx.pipeline.steps.iter().flat_map(|s| s.invocation.arguments()).filter_map(|a| match a {
        crate::ir::Arg::Parameter(n) => Some(n.value.as_str()),
        _ => None,
    }));
    for (input, used) in p.inputs.iter().zip(used) {
        if !used && !meant.contains(&input.name.as_str()) {
            out.push(
                RULE.at(
                    input.name.file,
                    input.name.span,
                    format!("pipeline parameter `{}` is never used", input.name.value),
                )
                .with_help("bind it in a step, or remove it"),
            );
        }
    }
}
