//! `undeclared-placeholder`: a command placeholder (`${{inputs.x}}`, `${{outputs.y}}`) names
//! an input or output its component does not declare.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::{Command, CommandPart, Component, Name};
use crate::suggest::{did_you_mean, list_names};

/// A command placeholder names an input or output that is not declared.
pub const RULE: Rule = Rule {
    code: "undeclared-placeholder",
    severity: Severity::Error,
    summary: "A command placeholder (`${{inputs.x}}`, `${{outputs.y}}`) names an input or output that is not declared.",
};

/// Checks the placeholders of every step's command and other templates.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let Some(c) = step.component.as_deref().filter(|c| c.interface_known) else { continue };
        for command in step.invocation.template().into_iter().chain(&step.templates) {
            check_command(c, command, out);
        }
    }
}

fn check_command(c: &Component, command: &Command, out: &mut Diagnostics) {
    let inputs: Vec<&str> = c.inputs.iter().map(|p| p.name.as_str()).collect();
    let outputs: Vec<&str> = c.outputs.iter().map(|p| p.name.as_str()).collect();
    let mut report = |name: &Name, what: &str, key: &str, known: &[&str], other: (&str, &[&str])| {
        if known.contains(&name.as_str()) {
            return;
        }
        let help = if other.1.contains(&name.as_str()) {
            Some(format!("`{0}` is an {1}: write `${{{{{1}s.{0}}}}}`", name.value, other.0))
        } else {
            did_you_mean(&name.value, known).or_else(|| {
                Some(if known.is_empty() {
                    format!("declare it under `{key}`")
                } else {
                    format!("{} declares {}", c.describe(), list_names(known, 8))
                })
            })
        };
        out.push(
            RULE.at(name.file, name.span, format!("{} declares no {what} `{}`", c.describe(), name.value))
                .with_help_opt(help),
        );
    };
    fn walk<'a>(parts: &'a [CommandPart], acc: &mut Vec<&'a CommandPart>) {
        for p in parts {
            match p {
                CommandPart::Optional(inner) => walk(inner, acc),
                other => acc.push(other),
            }
        }
    }
    let mut parts = Vec::new();
    walk(&command.parts, &mut parts);
    for p in parts {
        match p {
            CommandPart::Input(n) => report(n, "input", "inputs", &inputs, ("output", &outputs)),
            CommandPart::Output(n) => report(n, "output", "outputs", &outputs, ("input", &inputs)),
            _ => {}
        }
    }
}
