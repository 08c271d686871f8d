//! `unknown-compute`: a compute name that the workspace does not declare.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::Name;
use crate::suggest::did_you_mean;

/// A step or pipeline names a compute the workspace file does not declare.
pub const RULE: Rule = Rule {
    code: "unknown-compute",
    severity: Severity::Error,
    summary: "A step or pipeline names a compute that the workspace file does not declare.",
};

/// Names that are not workspace computes: serverless compute needs no declaration.
pub fn is_builtin(name: &str) -> bool {
    // A `${{parent.inputs.x}}` binding names a compute only at run time.
    matches!(name.strip_prefix("azureml:").unwrap_or(name), "serverless" | "local") || name.contains("${{")
}

/// Checks compute names against a workspace file (not against the built-in workspace).
pub fn check(cx: &Context, out: &mut Diagnostics) {
    if !cx.workspace.strict {
        return;
    }
    let known: Vec<&str> = cx.workspace.computes.iter().map(|c| c.name.as_str()).collect();
    let mut report = |name: &Name| {
        if is_builtin(&name.value) || cx.workspace.compute(&name.value).is_some() {
            return;
        }
        let bare = name.value.strip_prefix("azureml:").unwrap_or(&name.value);
        out.push(
            RULE.at(name.file, name.span, format!("unknown compute `{bare}`"))
                .with_help_opt(did_you_mean(bare, &known).or_else(|| {
                    Some(format!("declare it under `computes` in {}", workspace_path(cx)))
                })),
        );
    };
    if let Some(d) = &cx.pipeline.default_compute {
        report(d);
    }
    for step in &cx.pipeline.steps {
        if let Some(c) = &step.compute {
            report(c);
        }
    }
}

/// The workspace file's path for help lines.
pub(crate) fn workspace_path(cx: &Context) -> String {
    cx.workspace
        .file
        .map(|f| format!("`{}`", cx.sources.get(f).path.display()))
        .unwrap_or_else(|| "the workspace file".to_string())
}
