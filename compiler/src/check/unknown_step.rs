//! `unknown-step`: a reference to a step key that does not exist.

use std::collections::HashSet;

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::RefKind;
use crate::suggest::did_you_mean;

/// A reference (`run_after`, a binding) names a step that does not exist.
pub const RULE: Rule = Rule {
    code: "unknown-step",
    severity: Severity::Error,
    summary: "A reference names a step that does not exist.",
};

/// Checks `run_after` entries and bindings.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let keys: Vec<&str> = cx.pipeline.steps.iter().map(|s| s.key.as_str()).collect();
    // A set, not a scan of `keys`: `run_after` lists of many steps would make this quadratic.
    let known: HashSet<&str> = keys.iter().copied().collect();
    for step in &cx.pipeline.steps {
        for name in &step.run_after {
            if !known.contains(name.as_str()) {
                out.push(
                    RULE.at(name.file, name.span, format!("`run_after` names unknown step `{}`", name.value))
                        .with_help_opt(did_you_mean(&name.value, &keys)),
                );
            } else if name.value == step.key.value {
                // A step waiting for itself is a one-step cycle; the cycle rule reports it.
            }
        }
    }
    for u in cx.unresolved().filter(|u| u.kind == RefKind::Step) {
        out.push(
            RULE.at(u.name.file, u.name.span, format!("unknown step `{}`", u.name.value))
                .with_help_opt(did_you_mean(&u.name.value, &u.candidates)),
        );
    }
}
