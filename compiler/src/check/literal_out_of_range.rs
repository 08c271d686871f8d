//! `literal-out-of-range`: a number given for an input (or its default, or the default of the
//! pipeline input bound to it) outside the input's `min`/`max`; also a `min` above its `max`.

use super::Context;
use super::literal_type_mismatch::number;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{Literal, PortDecl, Source};
use crate::source::{FileId, Span};

/// A number is outside its input's `min`/`max`.
pub const RULE: Rule = Rule {
    code: "literal-out-of-range",
    severity: Severity::Error,
    summary: "A number given for an input, or its default, is outside the input's `min`/`max`.",
};

fn bounds(decl: &PortDecl) -> (Option<f64>, Option<f64>) {
    (decl.min.as_ref().and_then(|m| number(&m.value)), decl.max.as_ref().and_then(|m| number(&m.value)))
}

/// What is wrong with `value` against the bounds, if anything.
fn outside(value: &Literal, decl: &PortDecl) -> Option<String> {
    let v = number(value)?;
    let (min, max) = bounds(decl);
    match (min, max) {
        (Some(lo), _) if v < lo => Some(format!("below the minimum {}", decl.min.as_ref().map(|m| m.value.to_string()).unwrap_or_default())),
        (_, Some(hi)) if v > hi => Some(format!("above the maximum {}", decl.max.as_ref().map(|m| m.value.to_string()).unwrap_or_default())),
        _ => None,
    }
}

fn report(out: &mut Diagnostics, file: FileId, span: Span, what: String, decl: &PortDecl) {
    let (min, max) = (
        decl.min.as_ref().map(|m| m.value.to_string()).unwrap_or_else(|| "-inf".into()),
        decl.max.as_ref().map(|m| m.value.to_string()).unwrap_or_else(|| "inf".into()),
    );
    out.push(
        RULE.at(file, span, what)
            .with_label(Label::with_message(decl.name.file, decl.name.span, format!("`{}` takes {min} to {max}", decl.name.value)))
            .with_help(format!("give a value from {min} to {max}")),
    );
}

/// Checks numbers against declared bounds.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let p = cx.pipeline;
    for step in &p.steps {
        let Some(c) = step.component.as_deref().filter(|c| c.interface_known) else { continue };
        for port in &step.inputs {
            let Some(decl) = c.input(port.name.as_str()) else { continue };
            match &port.source {
                Source::Literal(l) => {
                    if let Some(why) = outside(&l.value, decl) {
                        let what = format!("`{}` for input `{}` of job `{}` is {why}", l.value, port.name.value, step.key.value);
                        report(out, port.name.file, l.span, what, decl);
                    }
                }
                Source::PipelineInput { index, .. } => {
                    let Some(input) = p.inputs.get(*index) else { continue };
                    let Some(default) = &input.default else { continue };
                    if let Some(why) = outside(&default.value, decl) {
                        let what = format!(
                            "pipeline input `{}` is {}, {why} of input `{}` of job `{}`",
                            input.name.value, default.value, port.name.value, step.key.value
                        );
                        report(out, input.name.file, default.span, what, decl);
                    }
                }
                _ => {}
            }
        }
        for decl in &c.inputs {
            let (min, max) = bounds(decl);
            if let (Some(lo), Some(hi), Some(m)) = (min, max, decl.min.as_ref())
                && lo > hi
            {
                out.push(
                    super::invalid_range::RULE
                        .at(decl.name.file, m.span, format!("input `{}` has `min` {} above `max` {}", decl.name.value, m.value, decl.max.as_ref().map(|x| x.value.to_string()).unwrap_or_default()))
                        .with_help("swap them"),
                );
            }
            if let Some(default) = &decl.default
                && let Some(why) = outside(&default.value, decl)
            {
                let what = format!("default `{}` of input `{}` is {why}", default.value, decl.name.value);
                report(out, decl.name.file, default.span, what, decl);
            }
        }
    }
}
