//! `unknown-parameter`: a reference to a pipeline parameter (or v2 pipeline input) that does
//! not exist.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::RefKind;
use crate::suggest::did_you_mean;

/// A reference names a pipeline parameter or input that does not exist.
pub const RULE: Rule = Rule {
    code: "unknown-parameter",
    severity: Severity::Error,
    summary: "A reference names a pipeline parameter or pipeline input that does not exist.",
};

/// Checks references to pipeline parameters and inputs.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for u in cx.unresolved().filter(|u| u.kind == RefKind::PipelineInput) {
        let help = did_you_mean(&u.name.value, &u.candidates).or_else(|| {
            (u.candidates.is_empty()).then(|| "the pipeline declares no parameters".to_string())
        });
        out.push(
            RULE.at(u.name.file, u.name.span, format!("unknown pipeline parameter `{}`", u.name.value))
                .with_help_opt(help),
        );
    }
}
