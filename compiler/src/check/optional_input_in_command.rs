//! `optional-input-in-command`: an optional input used in a command outside `$[[ ... ]]`; when
//! it is not given, the command is left with an empty placeholder.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::CommandPart;

/// An optional input is used in a command outside an optional fragment.
pub const RULE: Rule = Rule {
    code: "optional-input-in-command",
    severity: Severity::Warning,
    summary: "An optional input is used in a command outside `$[[ ... ]]`, so the command breaks when it is not given.",
};

/// Warns about optional inputs in the unconditional part of commands.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let Some(c) = step.component.as_deref().filter(|c| c.interface_known) else { continue };
        for command in step.invocation.template().into_iter().chain(&step.templates) {
            for (i, part) in command.parts.iter().enumerate() {
                let CommandPart::Input(n) = part else { continue };
                if c.input(n.as_str()).is_some_and(|d| d.optional) {
                    // The flag written just before the placeholder goes into the fragment too.
                    let flag = match i.checked_sub(1).map(|j| &command.parts[j]) {
                        // `--opt ${{inputs.opt}}` or `--opt=${{inputs.opt}}`.
                        Some(CommandPart::Text(t)) => {
                            let (rest, joiner) =
                                if t.ends_with('=') { (t.as_str(), "") } else { (t.trim_end(), " ") };
                            let token = rest.rsplit(char::is_whitespace).next().unwrap_or("");
                            (token.starts_with('-') && (joiner.is_empty() || rest.len() < t.len()))
                                .then(|| format!("{token}{joiner}"))
                        }
                        _ => None,
                    };
                    out.push(
                        RULE.at(n.file, n.span, format!("optional input `{}` is used outside `$[[ ... ]]`", n.value))
                            .with_help(format!(
                                "when `{0}` is not given the command keeps an empty placeholder; wrap the argument: `$[[{1}${{{{inputs.{0}}}}}]]`",
                                n.value,
                                flag.unwrap_or_default()
                            )),
                    );
                }
            }
        }
    }
}
