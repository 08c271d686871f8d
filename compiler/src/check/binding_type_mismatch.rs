//! `binding-type-mismatch`: an input bound to a value of a type it cannot take.

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{DataType, Pipeline, PortRole, Source};

/// An input is bound to a value of an incompatible type (a uri_folder output into a uri_file
/// input, a parameter into a data input, ...).
pub const RULE: Rule = Rule {
    code: "binding-type-mismatch",
    severity: Severity::Error,
    summary: "An input is bound to a value of an incompatible type (uri_folder into uri_file, data into a parameter, ...).",
};

/// What a bound value is.
enum Bound {
    /// Data (files or folders), with its type when known.
    Data(Option<DataType>),
    /// A literal value, with its type when known.
    Value(Option<DataType>),
}

fn bound(p: &Pipeline, source: &Source) -> Option<(Bound, String)> {
    Some(match source {
        Source::StepOutput { step, output, .. } => {
            let port = p.step(*step).output(output)?;
            (Bound::Data(port.ty), format!("output `{output}` of step `{}`", p.step(*step).key.value))
        }
        Source::PipelineInput { index, .. } => {
            let input = p.inputs.get(*index)?;
            let what = format!("pipeline input `{}`", input.name.value);
            match input.effective_type() {
                // A datastore path typed as a literal: parameter-default-type reports it.
                Some(t) if t.is_literal() && input.data.is_some() => return None,
                Some(t) if t.is_literal() => (Bound::Value(Some(t)), what),
                Some(t) => (Bound::Data(Some(t)), what),
                None if input.data.is_some() => (Bound::Data(None), what),
                None => (Bound::Value(None), what),
            }
        }
        Source::Data { index, .. } => {
            (Bound::Data(None), format!("data reference `{}`", p.data.get(*index)?.name.value))
        }
        Source::Literal(l) => (Bound::Value(Some(l.value.data_type())), format!("the literal `{}`", l.value)),
        Source::Location(_) => (Bound::Data(None), "a data path".to_string()),
        Source::None | Source::Unresolved(_) => return None,
    })
}

/// Checks each bound input.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let p = cx.pipeline;
    for step in &p.steps {
        for port in &step.inputs {
            // Literals for literal-typed inputs are the literal-type-mismatch rule's.
            if matches!(port.source, Source::Literal(_)) && port.ty.is_none_or(DataType::is_literal) {
                continue;
            }
            let Some((value, what)) = bound(p, &port.source) else { continue };
            let Some(at) = binding_site(&port.source) else { continue };
            let message = match (&value, port.role, port.ty) {
                (_, _, Some(want)) => match &value {
                    Bound::Data(Some(got)) | Bound::Value(Some(got)) if !want.accepts(*got) => format!(
                        "input `{}` of step `{}` takes {want}, but {what} is {got}",
                        port.name.value, step.key.value
                    ),
                    Bound::Value(_) if !want.is_literal() => format!(
                        "input `{}` of step `{}` takes {want} data, but {what} is a value",
                        port.name.value, step.key.value
                    ),
                    _ => continue,
                },
                (Bound::Data(_), PortRole::Parameter, None) => format!(
                    "parameter `{}` of step `{}` takes a value, but {what} is data",
                    port.name.value, step.key.value
                ),
                (Bound::Value(t), PortRole::Data | PortRole::SideInput, None) => format!(
                    "input `{}` of step `{}` reads data, but {what} is {}",
                    port.name.value,
                    step.key.value,
                    t.map(|t| format!("{} {t} value", crate::suggest::article(t.as_str()))).unwrap_or_else(|| "a value".to_string())
                ),
                _ => continue,
            };
            let mut d = RULE.at(at.file, at.span, message);
            // A DataTransferStep's `source` port is the binding itself: no second label there.
            if port.name.span != at.span {
                d = d.with_label(Label::with_message(port.name.file, port.name.span, "input declared here"));
            }
            out.push(d);
        }
    }
}

fn binding_site(source: &Source) -> Option<crate::ir::Name> {
    match source {
        Source::StepOutput { at, .. } | Source::PipelineInput { at, .. } | Source::Data { at, .. } => Some(at.clone()),
        Source::Literal(_) | Source::Location(_) | Source::None | Source::Unresolved(_) => None,
    }
}
