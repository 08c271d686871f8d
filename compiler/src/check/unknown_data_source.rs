//! `unknown-data-source`: a v1 input's `source` names no PipelineData, data reference or
//! `datapath` parameter.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::RefKind;
use crate::suggest::did_you_mean;

/// An input's source names nothing that holds data.
pub const RULE: Rule = Rule {
    code: "unknown-data-source",
    severity: Severity::Error,
    summary: "An input's source names no step output (PipelineData), data reference or datapath parameter.",
};

/// Checks data sources.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for u in cx.unresolved().filter(|u| u.kind == RefKind::DataSource) {
        let help = did_you_mean(&u.name.value, &u.candidates).or_else(|| {
            Some("a source is a step output's `destination`, a data reference or a datapath parameter".to_string())
        });
        out.push(
            RULE.at(u.name.file, u.name.span, format!("unknown data source `{}`", u.name.value))
                .with_help_opt(help),
        );
    }
}
