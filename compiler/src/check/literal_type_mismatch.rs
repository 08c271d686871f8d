//! `literal-type-mismatch`: a literal given for an input (or declared as its default) that is
//! not a value of the input's type: text for a number, a number for a boolean.

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{DataType, Literal, Source};
use crate::suggest::article;
use crate::yaml::Spanned;

/// A literal is not a value of its input's type.
pub const RULE: Rule = Rule {
    code: "literal-type-mismatch",
    severity: Severity::Error,
    summary: "A literal given for an input, or declared as its default, is not a value of the input's type.",
};

/// True when `value` is a valid value of the literal type `ty`, as the service reads it: text
/// that spells a number is a number, `true`/`false` in any case a boolean.
pub fn fits(value: &Literal, ty: DataType) -> bool {
    match (ty, value) {
        (DataType::String, _) => true,
        (DataType::Integer, Literal::Int(_)) => true,
        (DataType::Integer, Literal::Float(f)) => f.fract() == 0.0,
        (DataType::Integer, Literal::Str(s)) => s.trim().parse::<i64>().is_ok(),
        (DataType::Number, Literal::Int(_) | Literal::Float(_)) => true,
        (DataType::Number, Literal::Str(s)) => s.trim().parse::<f64>().is_ok(),
        (DataType::Boolean, Literal::Bool(_)) => true,
        (DataType::Boolean, Literal::Str(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "false"),
        (t, _) if !t.is_literal() => true,
        _ => false,
    }
}

/// The literal as a number, when it is one.
pub fn number(value: &Literal) -> Option<f64> {
    match value {
        Literal::Int(i) => Some(*i as f64),
        Literal::Float(f) => Some(*f),
        Literal::Str(s) => s.trim().parse().ok(),
        Literal::Bool(_) => None,
    }
}

fn describe(value: &Literal) -> String {
    match value {
        Literal::Str(s) => format!("the text `{s}`"),
        other => format!("{} {} `{other}`", article(other.data_type().as_str()), other.data_type()),
    }
}

/// Checks literals given to typed inputs and the defaults of declarations.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let component = step.component.as_deref().filter(|c| c.interface_known);
        for port in &step.inputs {
            let (Source::Literal(l), Some(ty)) = (&port.source, port.ty) else { continue };
            if !ty.is_literal() || fits(&l.value, ty) {
                continue;
            }
            let mut d = RULE
                .at(
                    port.name.file,
                    l.span,
                    format!("input `{}` of job `{}` is {ty}, but is given {}", port.name.value, step.key.value, describe(&l.value)),
                )
                .with_help(format!("give {} {ty} value", article(ty.as_str())));
            if let Some(decl) = component.and_then(|c| c.input(port.name.as_str())) {
                d = d.with_label(Label::with_message(decl.name.file, decl.name.span, "declared here"));
            }
            out.push(d);
        }
        // Defaults of a pipeline component are its nested pipeline's inputs, checked there.
        let Some(c) = component.filter(|c| c.kind != "pipeline") else { continue };
        for decl in &c.inputs {
            let (Some(Spanned { value: default, span }), Some(ty)) = (&decl.default, decl.ty.as_ref()) else { continue };
            if ty.value.is_literal() && !fits(default, ty.value) {
                out.push(
                    RULE.at(
                        decl.name.file,
                        *span,
                        format!("default of input `{}` is {}, but the input is {}", decl.name.value, describe(default), ty.value),
                    )
                    .with_help(format!("give {} {} default, or change the type", article(ty.value.as_str()), ty.value)),
                );
            }
        }
    }
}
