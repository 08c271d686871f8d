//! `retired-service`: a step on a service Azure has retired.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::StepKind;

/// A step uses a retired Azure service (AdlaStep: Data Lake Analytics, retired 2024-02-29).
pub const RULE: Rule = Rule {
    code: "retired-service",
    severity: Severity::Warning,
    summary: "A step uses a retired Azure service (AdlaStep: Azure Data Lake Analytics was retired on 2024-02-29).",
};

/// Warns about steps on retired services.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        if matches!(step.kind, StepKind::Adla) {
            out.push(
                RULE.at(
                    step.key.file,
                    step.key.span,
                    format!("step `{}` uses Azure Data Lake Analytics, retired on 2024-02-29", step.key.value),
                )
                .with_help("port the U-SQL script to Spark (a DatabricksStep or a v2 spark job)"),
            );
        }
    }
}
