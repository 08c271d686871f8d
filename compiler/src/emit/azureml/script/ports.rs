//! The inputs and outputs of a v1 step as a v2 job binds them and its component declares them,
//! and data locations as pipeline inputs.

use serde_json::{Map, Value, json};

use super::super::error::{At, Errors, NO_EQUIVALENT};
use crate::ir::{
    DataLocation, DataType, InputPort, Literal, Mode, Pipeline, PortRole, Source, Step, Workspace,
};

/// A step's job inputs and outputs, and its component's declarations of them.
pub(super) struct JobPorts {
    /// The job's inputs.
    pub inputs: Map<String, Value>,
    /// The component's input declarations.
    pub decls: Map<String, Value>,
    /// The job's outputs.
    pub outputs: Map<String, Value>,
    /// The component's output declarations.
    pub out_decls: Map<String, Value>,
}

/// The ports of a command or parallel step.
pub(super) fn job_ports(step: &Step, p: &Pipeline, workspace: &Workspace, errors: &mut Errors) -> JobPorts {
    let mut ports =
        JobPorts { inputs: Map::new(), decls: Map::new(), outputs: Map::new(), out_decls: Map::new() };
    for port in &step.inputs {
        let name = port.name.value.clone();
        let Some((value, decl)) = input(port, p, workspace, errors) else { continue };
        ports.inputs.insert(name.clone(), value);
        ports.decls.insert(name, decl);
    }
    for o in &step.outputs {
        let mut spec = Map::new();
        spec.insert("type".into(), "uri_folder".into());
        if let Some(m) = o.mode {
            spec.insert("mode".into(), m.as_str().into());
        }
        if let Some(ds) = &o.datastore {
            let dest =
                o.destination.as_ref().map(|d| d.value.clone()).unwrap_or_else(|| o.name.value.clone());
            spec.insert(
                "path".into(),
                format!("azureml://datastores/{}/paths/azureml/${{{{name}}}}/{dest}/", ds.value).into(),
            );
        }
        ports.outputs.insert(o.name.value.clone(), Value::Object(spec));
        ports.out_decls.insert(o.name.value.clone(), json!({"type": "uri_folder"}));
    }
    ports
}

/// A step input as the job gives it and as its component declares it.
pub(super) fn input(
    port: &InputPort,
    p: &Pipeline,
    workspace: &Workspace,
    errors: &mut Errors,
) -> Option<(Value, Value)> {
    let mode = port.mode.map(Mode::as_str);
    let data = port.role != PortRole::Parameter;
    let (binding, ty) = match &port.source {
        Source::StepOutput { step, output, .. } => (
            format!("${{{{parent.jobs.{}.outputs.{output}}}}}", p.step(*step).key.value),
            "uri_folder".to_string(),
        ),
        Source::Data { index, .. } => {
            let d = &p.data[*index];
            let ty = data_type(&d.location, workspace);
            (format!("${{{{parent.inputs.{}}}}}", d.name.value), ty.to_string())
        }
        Source::PipelineInput { index, .. } => {
            let i = &p.inputs[*index];
            let ty = match &i.data {
                Some(loc) => data_type(loc, workspace).to_string(),
                None => i.effective_type().unwrap_or(DataType::String).as_str().to_string(),
            };
            (format!("${{{{parent.inputs.{}}}}}", i.name.value), ty)
        }
        Source::Literal(l) => {
            let ty = port.ty.unwrap_or(l.value.data_type());
            return Some((literal_value(&l.value, Some(ty)), json!({"type": ty.as_str()})));
        }
        Source::None | Source::Location(_) | Source::Unresolved(_) => {
            errors.push(At::new(port.name.file, port.name.span).error(
                NO_EQUIVALENT,
                format!("input `{}` has no source a v2 job can bind", port.name.value),
            ));
            return None;
        }
    };
    let decl = json!({"type": ty});
    let value = match mode.filter(|_| data) {
        Some(m) => json!({"type": ty, "path": binding, "mode": m}),
        None => Value::String(binding),
    };
    Some((value, decl))
}

/// A literal as a YAML value of its declared type (a whole-number default of a float
/// parameter stays a float).
pub(super) fn literal_value(l: &Literal, ty: Option<DataType>) -> Value {
    match (l, ty) {
        (Literal::Int(i), Some(DataType::Number)) => super::super::py::PyFloat(*i as f64).into(),
        (Literal::Str(s), _) => s.clone().into(),
        (Literal::Int(i), _) => (*i).into(),
        (Literal::Float(f), _) => super::super::py::PyFloat(*f).into(),
        (Literal::Bool(b), _) => (*b).into(),
    }
}

/// A data location as a pipeline input.
pub(super) fn data_input(
    loc: &DataLocation,
    mode: Option<Mode>,
    workspace: &Workspace,
    at: At,
    errors: &mut Errors,
) -> Option<Value> {
    let path = match loc {
        DataLocation::Datastore { datastore, path } => {
            format!("azureml://datastores/{}/paths/{}", datastore.value, path.value.trim_start_matches('/'))
        }
        DataLocation::Dataset { name, version } => match version {
            Some(v) => format!("azureml:{}:{v}", name.value),
            None => format!("azureml:{}@latest", name.value),
        },
        DataLocation::Uri(u) | DataLocation::Asset(u) => u.value.clone(),
        DataLocation::Local(p) => p.raw.value.clone(),
        DataLocation::DatasetId(id) => {
            errors.push(at.error(
                NO_EQUIVALENT,
                format!(
                    "dataset id `{}` has no v2 form; name the dataset (`dataset_name`, `dataset_version`)",
                    id.value
                ),
            ));
            return None;
        }
        DataLocation::Sql { .. } => {
            errors.push(at.error(
                NO_EQUIVALENT,
                "SQL data references have no v2 input; import the table with a `data_transfer` job first",
            ));
            return None;
        }
        DataLocation::Invalid => return None,
    };
    let mut m = Map::new();
    m.insert("type".into(), data_type(loc, workspace).into());
    m.insert("path".into(), path.into());
    if let Some(mode) = mode {
        m.insert("mode".into(), mode.as_str().into());
    }
    Some(Value::Object(m))
}

/// `uri_file` for a path that is a file, else `uri_folder`: a local datastore is looked at;
/// elsewhere a last path segment with an extension is taken for a file.
pub(super) fn data_type(loc: &DataLocation, workspace: &Workspace) -> &'static str {
    match loc {
        DataLocation::Datastore { datastore, path } => {
            if let Some(local) = workspace.datastore(&datastore.value).and_then(|d| d.local_path.as_ref()) {
                let full = if local.is_absolute() {
                    local.join(&path.value)
                } else {
                    workspace.root.join(local).join(&path.value)
                };
                if full.is_file() {
                    return "uri_file";
                }
                if full.is_dir() {
                    return "uri_folder";
                }
            }
            looks_like_file(&path.value)
        }
        DataLocation::Local(p) if p.resolved().is_file() => "uri_file",
        DataLocation::Local(_) => "uri_folder",
        DataLocation::Uri(u) => looks_like_file(&u.value),
        _ => "uri_folder",
    }
}

/// `uri_file` for a path whose last segment has an extension, else `uri_folder`.
fn looks_like_file(path: &str) -> &'static str {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if !path.ends_with('/') && last.contains('.') && !last.starts_with('.') {
        "uri_file"
    } else {
        "uri_folder"
    }
}
