//! `invalid-range`: a minimum above its maximum (Databricks workers, compute instances).

use serde_json::Value as Json;

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::StepKind;
use crate::source::{FileId, SourceMap, Span};

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
        let at = |k: &str| value_after(cx.sources, step.key.file, step.key.span, k).unwrap_or(step.key.span);
        if let (Some(min), Some(max)) = (get("min_workers"), get("max_workers"))
            && min > max
        {
            out.push(
                RULE.at(
                    step.key.file,
                    at("min_workers"),
                    format!("Databricks step `{}` has min_workers {min} above max_workers {max}", step.key.value),
                )
                .with_label(Label::with_message(step.key.file, at("max_workers"), "max_workers given here"))
                .with_help("swap them, or set `num_workers` for a fixed size"),
            );
        }
        if get("num_workers").is_some() && (get("min_workers").is_some() || get("max_workers").is_some()) {
            let bound = if get("min_workers").is_some() { "min_workers" } else { "max_workers" };
            out.push(
                RULE.at(
                    step.key.file,
                    at("num_workers"),
                    format!("Databricks step `{}` gives both `num_workers` and autoscaling bounds", step.key.value),
                )
                .with_label(Label::with_message(step.key.file, at(bound), format!("`{bound}` given here")))
                .with_help("keep `num_workers` for a fixed size, or `min_workers`/`max_workers` to autoscale"),
            );
        }
    }
}

/// The span of the scalar value of the first `key:` written after `after` in a file. Checks see
/// settings without spans; the value follows its owner's key in the text, and keys are unique
/// within a mapping, so the first match after the owner is the owner's.
pub fn value_after(sources: &SourceMap, file: FileId, after: Span, key: &str) -> Option<Span> {
    let text = &sources.get(file).text;
    let mut from = (after.end as usize).min(text.len());
    while let Some(i) = text.get(from..)?.find(key).map(|i| i + from) {
        from = i + key.len();
        let bytes = text.as_bytes();
        let word_before = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let mut j = from + usize::from(matches!(bytes.get(from), Some(b'"' | b'\'')));
        if word_before || bytes.get(j) != Some(&b':') {
            continue;
        }
        j += 1;
        while matches!(bytes.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        let end = j + text[j..].find([',', '}', ']', '\n', '\r', ' ', '#']).unwrap_or(text.len() - j);
        return Some(Span::new(j as u32, end as u32));
    }
    None
}
