//! `cycle`: steps that depend on each other in a circle.

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::EdgeKind;

/// Steps depend on each other in a circle; the whole cycle is shown.
pub const RULE: Rule = Rule {
    code: "cycle",
    severity: Severity::Error,
    summary: "Steps depend on each other in a circle, through data or run_after.",
};

/// Reports each cycle once, with every edge of it.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for cycle in cx.pipeline.dag.cycles() {
        let keys: Vec<&str> = cycle.iter().map(|(s, _)| cx.pipeline.step(*s).key.as_str()).collect();
        let mut path = keys.join(" -> ");
        if let Some(first) = keys.first() {
            path.push_str(" -> ");
            path.push_str(first);
        }
        let n = cycle.len();
        // Each edge is written at the consumer: start at the edge into the first step.
        let Some((_, closing)) = cycle.last() else { continue };
        let at = closing.at();
        let mut d = RULE
            .at(at.file, at.span, format!("steps form a cycle: {path}"))
            .with_help(if n == 1 {
                "a step cannot read its own output or wait for itself".to_string()
            } else {
                "remove one of these dependencies".to_string()
            });
        for (i, (from, edge)) in cycle.iter().enumerate() {
            let to = &cycle[(i + 1) % n].0;
            let (from_key, to_key) = (&cx.pipeline.step(*from).key.value, &cx.pipeline.step(*to).key.value);
            let what = match edge {
                EdgeKind::Data { output, .. } => format!("`{to_key}` reads `{from_key}`'s output `{output}`"),
                EdgeKind::Order { .. } => format!("`{to_key}` runs after `{from_key}`"),
            };
            if i + 1 == n {
                d = d.with_primary_message(what);
            } else {
                d = d.with_label(Label::with_message(edge.at().file, edge.at().span, what));
            }
        }
        out.push(d);
    }
}
