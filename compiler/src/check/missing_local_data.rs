//! `missing-local-data`: local data given by path that does not exist (yet); it is uploaded when the
//! job is submitted, so it must exist by then.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::{DataLocation, Source};
use crate::suggest::did_you_mean;

/// A local data path does not exist.
pub const RULE: Rule = Rule {
    code: "missing-local-data",
    severity: Severity::Warning,
    summary: "Local data given by path does not exist; it must exist when the job is submitted.",
};

/// Checks local data paths of pipeline inputs and job inputs.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let p = cx.pipeline;
    let locations = p
        .inputs
        .iter()
        .filter_map(|i| i.data.as_ref())
        .chain(p.steps.iter().flat_map(|s| &s.inputs).filter_map(|i| match &i.source {
            Source::Location(l) => Some(l),
            _ => None,
        }));
    for location in locations {
        let DataLocation::Local(path) = location else { continue };
        let raw = &path.raw;
        if raw.value.is_empty() || raw.value.contains(['*', '?']) || path.resolved().exists() {
            continue;
        }
        let full = path.resolved();
        let siblings: Vec<String> = full
            .parent()
            .and_then(|d| std::fs::read_dir(d).ok())
            .map(|es| es.filter_map(|e| e.ok()).filter_map(|e| e.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        let name = full.file_name().and_then(|n| n.to_str()).unwrap_or("");
        out.push(
            RULE.at(raw.file, raw.span, format!("local data `{}` does not exist", raw.value))
                .with_help_opt(did_you_mean(name, &siblings).or_else(|| {
                    Some(format!(
                        "it is uploaded when the job is submitted; looked for `{}`",
                        crate::source::shown_path(&super::path_escapes_root::normalize(&full)).display()
                    ))
                })),
        );
    }
}
