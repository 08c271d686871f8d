//! `transfer-endpoint`: a DataTransferStep copies from or to something Azure Data Factory
//! cannot copy.

use super::Context;
use crate::diagnostic::{Diagnostics, Label, Rule, Severity};
use crate::ir::{DataLocation, DatastoreKind, Name, Pipeline, PortRole, Source, Step, StepKind};

/// A DataTransferStep endpoint that Data Factory cannot copy.
pub const RULE: Rule = Rule {
    code: "transfer-endpoint",
    severity: Severity::Error,
    summary: "A DataTransferStep copies from or into something Data Factory cannot (a local folder, an Azure Files share; into a registered dataset or PipelineData), or onto itself.",
};

/// Checks the source and destination of each DataTransferStep.
pub fn check(cx: &Context, out: &mut Diagnostics) {
    let p = cx.pipeline;
    for step in &p.steps {
        let StepKind::DataTransfer { source, destination, .. } = &step.kind else { continue };
        // An endpoint that is not given was reported while reading.
        if source.value.is_empty() || destination.value.is_empty() {
            continue;
        }
        if source.value == destination.value {
            out.push(
                RULE.at(
                    destination.file,
                    destination.span,
                    format!("DataTransferStep `{}` copies `{}` onto itself", step.key.value, source.value),
                )
                .with_label(Label::with_message(source.file, source.span, "source"))
                .with_help("name a different `destination_data_reference`"),
            );
            continue;
        }
        if let Some(location) = source_location(p, step) {
            check_endpoint(cx, step, "copy from", source, location, out);
        }
        if let Some(d) = p.data.iter().find(|d| d.name.value == destination.value) {
            check_endpoint(cx, step, "copy into", destination, &d.location, out);
        }
    }
}

/// Where the step's `source` data lives, when it is a data reference or datapath parameter.
/// (A parameter holding a value is a binding-type-mismatch; PipelineData is always fine.)
fn source_location<'a>(p: &'a Pipeline, step: &Step) -> Option<&'a DataLocation> {
    let port = step.inputs.iter().rev().find(|i| i.role == PortRole::Data && i.name.value == "source")?;
    match &port.source {
        Source::Data { index, .. } => p.data.get(*index).map(|d| &d.location),
        Source::PipelineInput { index, .. } => p.inputs.get(*index)?.data.as_ref(),
        _ => None,
    }
}

fn check_endpoint(
    cx: &Context,
    step: &Step,
    verb: &str,
    at: &Name,
    location: &DataLocation,
    out: &mut Diagnostics,
) {
    let problem = match location {
        // A registered dataset is a source Data Factory copies (the SDK takes one), not a place.
        DataLocation::Dataset { .. } | DataLocation::DatasetId(_) if verb == "copy into" => {
            Some(("a registered dataset".to_string(), None, "Data Factory copies datastore paths: reference the dataset's datastore and path instead"))
        }
        DataLocation::Datastore { datastore, .. } => cx.workspace.datastore(&datastore.value).and_then(|store| {
            let kind = match store.kind {
                // The built-in workspace's stores stand for the real workspace's blob and file stores.
                DatastoreKind::Local if cx.workspace.file.is_none() => return None,
                DatastoreKind::Local => "a local folder",
                DatastoreKind::AzureFile => "an Azure Files share",
                DatastoreKind::AzureBlob | DatastoreKind::AdlsGen2 => return None,
            };
            Some((
                format!("on datastore `{}`, {kind}", store.name),
                store.defined_at,
                "Data Factory copies between Azure Blob Storage, Data Lake Storage Gen2 and SQL datastores",
            ))
        }),
        _ => None,
    };
    let Some((what, defined_at, help)) = problem else { return };
    // sluice copies a local folder itself (`sluice run`); only Azure ML cannot: a warning.
    let local = matches!(location, DataLocation::Datastore { datastore, .. }
        if cx.workspace.datastore(&datastore.value).is_some_and(|s| s.kind == DatastoreKind::Local));
    let mut d = RULE
        .at(
            at.file,
            at.span,
            format!("DataTransferStep `{}` cannot {verb} `{}`: it is {what}", step.key.value, at.value),
        )
        .with_help(help);
    if local {
        d.severity = crate::diagnostic::Severity::Warning;
        d = d.with_help(format!("{help}; `sluice run` copies it on this machine, Azure ML cannot"));
    }
    if let Some((file, span)) = defined_at {
        d = d.with_label(Label::with_message(file, span, "datastore declared here"));
    }
    out.push(d);
}
