//! `invalid-range`: a minimum above its maximum (Databricks workers, compute instances).

use serde_json::Value as Json;

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::StepKind;

/// A minimum is above its maximum (`min_workers` > `max_workers`, `min_instances` >
/// `max_instances`).
pub const RULE: Rule = Rule {
    code: "invalid-range",
    severity: Severity::Error,
    summary: "A minimum is above its maximum (min_workers > max_workers, min_instances > max_instances).",
};

/// Checks Databricks autoscaling ranges.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let StepKind::Databricks(spec) = &step.kind else { continue };
        let get = |k: &str| spec.settings.get(k).and_then(Json::as_u64);
        if let (Some(min), Some(max)) = (get("min_workers"), get("max_workers"))
            && min > max
        {
            out.push(
                RULE.at(
                    step.key.file,
                    step.key.span,
                    format!("Databricks step `{}` has min_workers {min} above max_workers {max}", step.key.value),
                )
                .with_help("swap them, or set `num_workers` for a fixed size"),
            );
        }
        if get("num_workers").is_some() && (get("min_workers").is_some() || get("max_workers").is_some()) {
            out.push(
                RULE.at(
                    step.key.file,
                    step.key.span,
                    format!("Databricks step `{}` gives both `num_workers` and autoscaling bounds", step.key.value),
                )
                .with_help("keep `num_workers` for a fixed size, or `min_workers`/`max_workers` to autoscale"),
            );
        }
    }
}
