//! `unknown-datastore`: a datastore name that the workspace does not declare.

use super::Context;
use crate::diagnostic::{Diagnostics, Rule, Severity};
use crate::ir::{DataLocation, Name};
use crate::suggest::did_you_mean;

/// A data reference, output or default names a datastore that the workspace does not declare.
pub const RULE: Rule = Rule {
    code: "unknown-datastore",
    severity: Severity::Error,
    summary: "A data reference, output or default names a datastore that the workspace does not declare.",
};

/// Checks datastore names against a workspace file.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    if !cx.workspace.strict {
        return;
    }
    let known: Vec<&str> = cx.workspace.datastores.iter().map(|d| d.name.as_str()).collect();
    let mut report = |name: &Name| {
        let bare = name.value.strip_prefix("azureml:").unwrap_or(&name.value);
        if cx.workspace.datastore(bare).is_none() {
            out.push(
                RULE.at(name.file, name.span, format!("unknown datastore `{bare}`"))
                    .with_help_opt(did_you_mean(bare, &known).or_else(|| {
                        Some(format!("declare it under `datastores` in {}", super::unknown_compute::workspace_path(cx)))
                    })),
            );
        }
    };
    if let Some(d) = &cx.pipeline.default_datastore {
        report(d);
    }
    let locations = cx
        .pipeline
        .data
        .iter()
        .map(|d| &d.location)
        .chain(cx.pipeline.inputs.iter().filter_map(|i| i.data.as_ref()));
    for location in locations {
        if let DataLocation::Datastore { datastore, .. } = location {
            report(datastore);
        }
    }
    for step in &cx.pipeline.steps {
        for output in &step.outputs {
            if let Some(d) = &output.datastore {
                report(d);
            }
        }
    }
}
