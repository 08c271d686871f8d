//! `unknown-input`: a binding names an input that the job does not have
//! (`${{parent.jobs.j.inputs.x}}`, a `do_while` mapping, `parallel_for` items).

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::RefKind;
use crate::suggest::{did_you_mean, list_names};

/// A binding names an input that its job does not have.
pub const RULE: Rule = Rule {
    code: "unknown-input",
    severity: Severity::Error,
    summary: "A binding names an input that the job does not have.",
};

/// Checks references to step inputs.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for u in cx.unresolved().filter(|u| u.kind == RefKind::StepInput) {
        let owner = u.step.map(|s| format!("job `{}`", cx.pipeline.step(s).key.value)).unwrap_or_else(|| "the job".into());
        let help = did_you_mean(&u.name.value, &u.candidates)
            .or_else(|| Some(format!("{owner} has {}", list_names(&u.candidates, 8))));
        out.push(RULE.at(u.name.file, u.name.span, format!("{owner} has no input `{}`", u.name.value)).with_help_opt(help));
    }
}
