//! `literal-not-in-enum`: a value given for an input (or its default, or the default of the
//! pipeline input bound to it) that is not one of the input's `enum` values.

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{Literal, PortDecl, Source};
use crate::source::{FileId, Span};
use crate::suggest::{did_you_mean, list_names};

/// A value is not one of its input's allowed values.
pub const RULE: Rule = Rule {
    code: "literal-not-in-enum",
    severity: Severity::Error,
    summary: "A value given for an input, or its default, is not one of the input's `enum` values.",
};

fn report(out: &mut Diagnostics, file: FileId, span: Span, value: &Literal, what: String, decl: &PortDecl) {
    let allowed: Vec<&str> = decl.allowed.iter().map(|a| a.value.as_str()).collect();
    if allowed.contains(&value.to_text().as_str()) {
        return;
    }
    out.push(
        RULE.at(file, span, what)
            .with_label(Label::with_message(decl.name.file, decl.name.span, "allowed values declared here"))
            .with_help_opt(
                did_you_mean(&value.to_text(), &allowed).or_else(|| Some(format!("expected {}", list_names(&allowed, 8)))),
            ),
    );
}

/// Checks values against declared enums.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let p = cx.pipeline;
    for step in &p.steps {
        let Some(c) = step.component.as_deref().filter(|c| c.interface_known) else { continue };
        for port in &step.inputs {
            let Some(decl) = c.input(port.name.as_str()).filter(|d| !d.allowed.is_empty()) else { continue };
            match &port.source {
                Source::Literal(l) => {
                    let what = format!("`{}` is not an allowed value of input `{}` of job `{}`", l.value, port.name.value, step.key.value);
                    report(out, port.name.file, l.span, &l.value, what, decl);
                }
                Source::PipelineInput { index, .. } => {
                    let Some(input) = p.inputs.get(*index) else { continue };
                    let Some(default) = &input.default else { continue };
                    let what = format!(
                        "pipeline input `{}` is `{}`, not an allowed value of input `{}` of job `{}`",
                        input.name.value, default.value, port.name.value, step.key.value
                    );
                    report(out, input.name.file, default.span, &default.value, what, decl);
                }
                _ => {}
            }
        }
        for decl in c.inputs.iter().filter(|d| !d.allowed.is_empty()) {
            if let Some(default) = &decl.default {
                let what = format!("default `{}` of input `{}` is not one of its `enum` values", default.value, decl.name.value);
                report(out, decl.name.file, default.span, &default.value, what, decl);
            }
        }
    }
}
