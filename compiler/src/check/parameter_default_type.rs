//! `parameter-default-type`: a parameter's default does not fit its declared type.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::suggest::article;

/// A parameter's default value does not fit its declared type (a string default for an int).
pub const RULE: Rule = Rule {
    code: "parameter-default-type",
    severity: Severity::Error,
    summary: "A parameter's default value does not fit its declared type.",
};

/// Checks pipeline parameter defaults.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for input in &cx.pipeline.inputs {
        let Some(ty) = &input.ty else { continue };
        if let Some(default) = &input.default
            && ty.value.is_literal()
            && !default.value.fits(ty.value)
        {
            out.push(
                RULE.at(
                    input.name.file,
                    default.span,
                    format!(
                        "default `{}` of parameter `{}` is {} {}, but the parameter is {}",
                        default.value,
                        input.name.value,
                        article(default.value.data_type().as_str()),
                        default.value.data_type(),
                        ty.value
                    ),
                )
                .with_help(format!("give {} {} default, or change the type", article(ty.value.as_str()), ty.value)),
            );
        }
        if input.data.is_some() && ty.value.is_literal() {
            out.push(
                RULE.at(
                    input.name.file,
                    ty.span,
                    format!("parameter `{}` is {}, but its default is a datastore path", input.name.value, ty.value),
                )
                .with_help("declare it `type: datapath`"),
            );
        }
    }
}
