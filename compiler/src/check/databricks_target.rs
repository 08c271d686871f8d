//! `databricks-target`: a Databricks step must name exactly one thing to run.

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{Name, StepKind};

/// A DatabricksStep names none, or more than one, of notebook, Python script and JAR class.
pub const RULE: Rule = Rule {
    code: "databricks-target",
    severity: Severity::Error,
    summary: "A DatabricksStep must name exactly one of notebook_path, python_script_name, python_script_path and main_class_name.",
};

/// Checks Databricks steps.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    for step in &cx.pipeline.steps {
        let StepKind::Databricks(spec) = &step.kind else { continue };
        let given: Vec<(&str, &Name)> = [
            ("notebook_path", spec.notebook_path.as_ref()),
            ("python_script_name", spec.python_script_name.as_ref()),
            ("python_script_path", spec.python_script_path.as_ref()),
            ("main_class_name", spec.main_class_name.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        match given.as_slice() {
            [] => out.push(
                RULE.at(step.key.file, step.key.span, format!("Databricks step `{}` names nothing to run", step.key.value))
                    .with_help("give one of `notebook_path`, `python_script_name`, `python_script_path` or `main_class_name`"),
            ),
            [_] => {}
            [(first, first_at), (second, second_at), ..] => out.push(
                RULE.at(
                    second_at.file,
                    second_at.span,
                    format!("Databricks step `{}` gives both `{first}` and `{second}`", step.key.value),
                )
                .with_label(Label::with_message(first_at.file, first_at.span, format!("`{first}` given here")))
                .with_help("a Databricks step runs one notebook, script or JAR: keep one"),
            ),
        }
    }
}
