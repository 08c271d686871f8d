//! A DataTransferStep as a v2 `data_transfer` job.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::super::doc::JobDoc;
use super::super::error::{At, Errors};
use super::ports::{data_input, data_type, input};
use super::{TRANSFER_SCHEMA, anonymous_job, component_name};
use crate::ir::{EndpointShape, Pipeline, Step, StepKind, Workspace};

/// A DataTransferStep as a `data_transfer` job copying its source to its destination on
/// serverless compute (v2 data transfers do not run on a Data Factory compute).
pub(super) fn job(
    step: &Step,
    p: &Pipeline,
    workspace: &Workspace,
    dir: PathBuf,
    at: At,
    errors: &mut Errors,
) -> JobDoc {
    let mut fields = Map::new();
    fields.insert("type".into(), "data_transfer".into());
    fields.insert("task".into(), "copy_data".into());
    if let Some(d) = &step.display_name {
        fields.insert("display_name".into(), d.clone().into());
    }
    fields.insert("compute".into(), "serverless".into());
    let (source_shape, destination_shape) = match &step.kind {
        StepKind::DataTransfer { source_shape, destination_shape, .. } => (*source_shape, *destination_shape),
        _ => (None, None),
    };
    let kind = |shape: Option<EndpointShape>| {
        shape.map(|s| match s {
            EndpointShape::File => "uri_file",
            EndpointShape::Directory => "uri_folder",
        })
    };
    let mut inputs = Map::new();
    let mut decls = Map::new();
    for port in &step.inputs {
        let Some((value, mut decl)) = input(port, p, workspace, errors) else { continue };
        if port.name.value == "source"
            && let Some(t) = kind(source_shape)
        {
            decl = json!({"type": t});
        }
        inputs.insert(port.name.value.clone(), value);
        decls.insert(port.name.value.clone(), decl);
    }
    let mut outputs = Map::new();
    let mut out_decls = Map::new();
    for o in &step.outputs {
        let data_ref = p.data.iter().find(|d| o.destination.is_none() && o.name.value == "destination" && matches!(&step.kind, StepKind::DataTransfer { destination, .. } if destination.value == d.name.value));
        let ty = kind(destination_shape)
            .unwrap_or_else(|| data_ref.map(|d| data_type(&d.location, workspace)).unwrap_or("uri_folder"));
        let mut spec = Map::new();
        spec.insert("type".into(), ty.into());
        if let Some(d) = data_ref
            && let Some(Value::Object(m)) = data_input(&d.location, None, workspace, at, errors)
            && let Some(path) = m.get("path")
        {
            spec.insert("path".into(), path.clone());
        }
        outputs.insert(o.name.value.clone(), Value::Object(spec));
        out_decls.insert(o.name.value.clone(), json!({"type": ty}));
    }
    anonymous_job(step, fields, (inputs, outputs), component(step, p, decls, out_decls), dir, at)
}

/// The `copy_data` component of a DataTransferStep, given its port declarations.
fn component(
    step: &Step,
    p: &Pipeline,
    decls: Map<String, Value>,
    out_decls: Map<String, Value>,
) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("$schema".into(), TRANSFER_SCHEMA.into());
    c.insert("type".into(), "data_transfer".into());
    c.insert("task".into(), "copy_data".into());
    c.insert(
        "name".into(),
        component_name(&p.name.as_ref().map(|n| n.value.clone()), &step.key.value).into(),
    );
    if let Some(d) = &step.display_name {
        c.insert("display_name".into(), d.clone().into());
    }
    c.insert("is_deterministic".into(), step.allow_reuse.into());
    c.insert("inputs".into(), decls.into());
    c.insert("outputs".into(), out_decls.into());
    c.insert("data_copy_mode".into(), "merge_with_overwrite".into());
    c
}
