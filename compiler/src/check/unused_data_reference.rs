//! `unused-data-reference`: a data reference no step reads.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::{Source, StepKind};

/// A data reference that no step reads.
pub const RULE: Rule = Rule {
    code: "unused-data-reference",
    severity: Severity::Warning,
    summary: "A data reference is declared but no step reads it.",
};

/// Warns about data references nothing reads or writes.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let p = cx.pipeline;
    let mut used = vec![false; p.data.len()];
    for step in &p.steps {
        for input in &step.inputs {
            if let Source::Data { index, .. } = input.source {
                used[index] = true;
            }
        }
        if let StepKind::DataTransfer { destination, .. } = &step.kind
            && let Some(i) = p.data.iter().position(|d| d.name.value == destination.value)
        {
            used[i] = true;
        }
    }
    let meant = cx.likely_meant();
    for (d, used) in p.data.iter().zip(used) {
        if !used && !meant.contains(&d.name.as_str()) {
            out.push(
                RULE.at(d.name.file, d.name.span, format!("data reference `{}` is never used", d.name.value))
                    .with_help("bind it to a step input with `source:`, or remove it"),
            );
        }
    }
}
