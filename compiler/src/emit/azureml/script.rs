//! Steps lowered without a written v2 job (v1 steps), spelled as the v2 jobs they map to
//! (DESIGN section 7):
//!
//! - PythonScriptStep -> a command job running an anonymous component (its own file):
//!   `code` = the source directory, `command` = `python <script> <arguments>` with `input:x`,
//!   `output:y`, `parameter:p` as `${{inputs.x}}`, `${{outputs.y}}`, `${{inputs.p}}`,
//!   environment from the runconfig, else [`DEFAULT_ENVIRONMENT`];
//! - ParallelRunStep -> a parallel job (`task: run_function`, mini-batch and retry settings);
//! - data references and `datapath` parameters -> pipeline inputs at
//!   `azureml://datastores/<ds>/paths/<path>` (registered datasets as `azureml:<name>:<version>`);
//! - PipelineData -> job outputs, bound by the consuming jobs as
//!   `${{parent.jobs.<step>.outputs.<output>}}`;
//! - pipeline parameters -> literal pipeline inputs, typed in the components that use them;
//! - `allow_reuse` -> `is_deterministic`;
//! - DataTransferStep -> a `data_transfer` job with `task: copy_data` (`merge_with_overwrite`)
//!   on serverless compute, from its source to its destination path;
//! - DatabricksStep, AdlaStep, AzureBatchStep, ModuleStep -> an error naming the step: the v2
//!   service has no job that runs them.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::doc::{ComponentDoc, JobDoc, Origin, PipelineDoc};
use super::error::{At, Errors, NO_EQUIVALENT, NOT_KEPT, UNREADABLE};
use crate::ir::{
    Arg, DataLocation, DataType, Environment, InputPort, Literal, Mode, Pipeline, PortRole, Source, Step,
    StepKind, Workspace,
};
use crate::source::{SourceMap, Span};

/// The environment of a step that names none (a curated scikit-learn image with Python 3.10,
/// the one the azureml-examples pipelines use).
pub const DEFAULT_ENVIRONMENT: &str = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest";

/// The image of a runconfig environment that gives conda dependencies but no docker image.
pub const DEFAULT_IMAGE: &str = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest";

const COMMAND_SCHEMA: &str = "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json";
const TRANSFER_SCHEMA: &str = "https://azuremlschemas.azureedge.net/latest/dataTransferComponent.schema.json";
const PARALLEL_SCHEMA: &str = "https://azuremlschemas.azureedge.net/latest/parallelComponent.schema.json";

/// A pipeline with no written v2 form.
pub fn pipeline(
    p: &Pipeline,
    workspace: &Workspace,
    sources: &SourceMap,
    dir: PathBuf,
    errors: &mut Errors,
) -> PipelineDoc {
    let at = At::new(p.file, Span::point(0));
    let mut fields = Map::new();
    if let Some(d) = &p.display_name {
        fields.insert("display_name".into(), d.clone().into());
    }
    if let Some(d) = &p.description {
        fields.insert("description".into(), d.clone().into());
    }
    if let Some(e) = &p.experiment_name {
        fields.insert("experiment_name".into(), e.clone().into());
    }
    let mut inputs = Map::new();
    for input in &p.inputs {
        let name = input.name.value.clone();
        let value = match (&input.data, &input.default) {
            (Some(loc), _) => data_input(loc, None, workspace, at, errors),
            (None, Some(d)) => Some(literal_value(&d.value, input.effective_type())),
            (None, None) => {
                errors.push(At::new(input.name.file, input.name.span).error(
                    NO_EQUIVALENT,
                    format!("parameter `{name}` has no default; a v2 pipeline job input needs a value"),
                ));
                None
            }
        };
        if let Some(v) = value {
            inputs.insert(name, v);
        }
    }
    for d in &p.data {
        let used = p.steps.iter().any(|s| {
            s.inputs
                .iter()
                .any(|i| matches!(&i.source, Source::Data { index, .. } if p.data[*index].name == d.name))
        });
        if !used {
            continue;
        }
        let at = At::new(d.name.file, d.name.span);
        if let Some(v) = data_input(&d.location, d.mode, workspace, at, errors) {
            inputs.insert(d.name.value.clone(), v);
        }
    }
    if !inputs.is_empty() {
        fields.insert("inputs".into(), inputs.into());
    }
    let mut settings = Map::new();
    if let Some(c) = &p.default_compute {
        settings.insert("default_compute".into(), format!("azureml:{}", c.value).into());
    }
    if let Some(d) = &p.default_datastore {
        settings.insert("default_datastore".into(), format!("azureml:{}", d.value).into());
    }
    if p.continue_on_step_failure {
        settings.insert("continue_on_step_failure".into(), true.into());
    }
    if p.force_rerun {
        settings.insert("force_rerun".into(), true.into());
    }
    if !settings.is_empty() {
        fields.insert("settings".into(), settings.into());
    }
    let jobs = p.steps.iter().map(|s| job(s, p, workspace, sources, errors)).collect();
    PipelineDoc { dir, fields, jobs, at, scope: None, ports: super::doc::ports(p) }
}

/// One step with no written v2 form, as the v2 job it maps to.
pub fn job(
    step: &Step,
    p: &Pipeline,
    workspace: &Workspace,
    sources: &SourceMap,
    errors: &mut Errors,
) -> JobDoc {
    let at = At::new(step.key.file, step.key.span);
    let dir = super::doc::folder_of(sources, step.key.file);
    let mut fields = Map::new();
    let mut component = None;
    let why = match &step.kind {
        StepKind::Command if step.script.is_some() => None,
        StepKind::Parallel(_) => None,
        StepKind::Databricks(_) => Some(
            "runs on Azure Databricks; Azure ML v2 pipelines have no Databricks job (port it to a `spark` job, or run it from Databricks Workflows)",
        ),
        StepKind::Adla => Some(
            "runs U-SQL on Azure Data Lake Analytics, which was retired on 2024-02-29 and has no v2 job (port the script to a `spark` job)",
        ),
        StepKind::AzureBatch => Some(
            "runs an executable on Azure Batch; Azure ML v2 pipelines have no Azure Batch job (run it as a `command` job on a compute cluster)",
        ),
        StepKind::Module(_) => Some(
            "runs a module registered in an Azure ML v1 workspace; v2 has no modules (register its code as a component and run it as a `command` job)",
        ),
        StepKind::DataTransfer { .. } => return transfer_job(step, p, workspace, dir, at, errors),
        other => Some(match other {
            StepKind::Command => "has no script to run",
            _ => "has no Azure ML v2 equivalent",
        }),
    };
    if let Some(why) = why {
        errors.push(at.error(NO_EQUIVALENT, format!("step `{}` {why}", step.key.value)));
        return JobDoc { name: step.key.value.clone(), fields, dir, component, at };
    }
    not_kept(step, at, errors);
    let parallel = matches!(step.kind, StepKind::Parallel(_));
    fields.insert("type".into(), if parallel { "parallel" } else { "command" }.into());
    if let Some(d) = &step.display_name {
        fields.insert("display_name".into(), d.clone().into());
    }
    if let Some(c) = &step.compute {
        fields.insert("compute".into(), format!("azureml:{}", c.value.trim_start_matches("azureml:")).into());
    }

    // Inputs of the job and the declarations of its component.
    let mut inputs = Map::new();
    let mut decls = Map::new();
    for port in &step.inputs {
        let name = port.name.value.clone();
        let Some((value, decl)) = input(port, p, workspace, errors) else { continue };
        inputs.insert(name.clone(), value);
        decls.insert(name, decl);
    }
    if !inputs.is_empty() {
        fields.insert("inputs".into(), inputs.into());
    }
    let mut outputs = Map::new();
    let mut out_decls = Map::new();
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
        outputs.insert(o.name.value.clone(), Value::Object(spec));
        out_decls.insert(o.name.value.clone(), json!({"type": "uri_folder"}));
    }
    if !outputs.is_empty() {
        fields.insert("outputs".into(), outputs.into());
    }

    // The component.
    let code = step.code.as_ref().map(|c| c.raw.value.clone()).unwrap_or_else(|| ".".into());
    let code_dir = step.code.as_ref().map(|c| c.resolved()).unwrap_or_else(|| dir.clone());
    let script = step.script.as_ref().map(|s| s.raw.value.clone()).unwrap_or_default();
    let args = arguments(&step.arguments);
    let env = environment(step, &dir, at, errors);
    let mut c = Map::new();
    c.insert("$schema".into(), if parallel { PARALLEL_SCHEMA } else { COMMAND_SCHEMA }.into());
    c.insert("type".into(), if parallel { "parallel" } else { "command" }.into());
    c.insert(
        "name".into(),
        component_name(&p.name.as_ref().map(|n| n.value.clone()), &step.key.value).into(),
    );
    if let Some(d) = &step.display_name {
        c.insert("display_name".into(), d.clone().into());
    }
    if let Some(d) = &step.description {
        c.insert("description".into(), d.clone().into());
    }
    c.insert("is_deterministic".into(), step.allow_reuse.into());
    if !decls.is_empty() {
        c.insert("inputs".into(), decls.clone().into());
    }
    if !out_decls.is_empty() {
        c.insert("outputs".into(), out_decls.into());
    }
    if let StepKind::Parallel(spec) = &step.kind {
        let first_data = step.inputs.iter().find(|i| i.role == PortRole::Data).map(|i| i.name.value.clone());
        if let Some(first) = first_data {
            c.insert("input_data".into(), format!("${{{{inputs.{first}}}}}").into());
        }
        if let Some(m) = &spec.mini_batch_size {
            c.insert("mini_batch_size".into(), mini_batch(m).into());
        }
        if let Some(n) = spec.node_count {
            c.insert("resources".into(), json!({"instance_count": n}));
        }
        if let Some(n) = spec.process_count_per_node {
            c.insert("max_concurrency_per_instance".into(), n.into());
        }
        if let Some(n) = spec.error_threshold {
            c.insert("error_threshold".into(), n.into());
        }
        let mut retry = Map::new();
        if let Some(v) = step.settings.get("run_max_try") {
            retry.insert("max_retries".into(), v.clone());
        }
        if let Some(v) = step.settings.get("run_invocation_timeout") {
            retry.insert("timeout".into(), v.clone());
        }
        if !retry.is_empty() {
            c.insert("retry_settings".into(), retry.into());
        }
        let mut task = Map::new();
        task.insert("type".into(), "run_function".into());
        task.insert("code".into(), code.clone().into());
        task.insert("entry_script".into(), script.clone().into());
        task.insert("environment".into(), env);
        if !args.is_empty() {
            task.insert("program_arguments".into(), args.into());
        }
        if spec.output_action.as_deref() == Some("append_row")
            && let Some(o) = step.outputs.first()
        {
            task.insert("append_row_to".into(), format!("${{{{outputs.{}}}}}", o.name.value).into());
        }
        c.insert("task".into(), task.into());
    } else {
        c.insert("code".into(), code.into());
        c.insert("environment".into(), env);
        let script_arg = shell_word(&script);
        let command = if args.is_empty() {
            format!("python {script_arg}")
        } else {
            format!("python {script_arg} {args}")
        };
        c.insert("command".into(), command.into());
    }
    if !code_dir.exists() {
        errors.push(
            at.error(UNREADABLE, format!("the source directory of step `{}` does not exist", step.key.value)),
        );
    }
    component = Some(ComponentDoc {
        fields: c,
        dir: dir.clone(),
        origin: Origin::File,
        jobs: Vec::new(),
        at,
        flow: None,
    });
    JobDoc { name: step.key.value.clone(), fields, dir, component, at }
}

/// A DataTransferStep as a `data_transfer` job copying its source to its destination on
/// serverless compute (v2 data transfers do not run on a Data Factory compute).
fn transfer_job(
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
    let kind = |key: &str| match step.settings.get(key).and_then(Value::as_str) {
        Some("file") => Some("uri_file"),
        Some("directory") => Some("uri_folder"),
        _ => None,
    };
    let mut inputs = Map::new();
    let mut decls = Map::new();
    for port in &step.inputs {
        let Some((value, mut decl)) = input(port, p, workspace, errors) else { continue };
        if port.name.value == "source"
            && let Some(t) = kind("source_reference_type")
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
        let ty = kind("destination_reference_type")
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
    if !inputs.is_empty() {
        fields.insert("inputs".into(), inputs.into());
    }
    if !outputs.is_empty() {
        fields.insert("outputs".into(), outputs.into());
    }
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
    let component = Some(ComponentDoc {
        fields: c,
        dir: dir.clone(),
        origin: Origin::File,
        jobs: Vec::new(),
        at,
        flow: None,
    });
    JobDoc { name: step.key.value.clone(), fields, dir, component, at }
}

/// Warns about the settings of a step that its v2 job cannot carry.
fn not_kept(step: &Step, at: At, errors: &mut Errors) {
    if let Some(first) = step.run_after.first() {
        errors.push(
            At::new(first.file, first.span)
                .error(
                    NOT_KEPT,
                    format!(
                        "`run_after` of step `{}` is left out: v2 jobs are ordered by their data only",
                        step.key.value
                    ),
                )
                .with_help("bind an output of the earlier step to an input of this one to keep the order"),
        );
    }
    if let Some(first) = step.hash_paths.first() {
        errors.push(
            At::new(first.raw.file, first.raw.span)
                .error(NOT_KEPT, format!("`hash_paths` of step `{}` is left out: Azure ML reuses a step by its code folder's content only", step.key.value))
                .with_help("move the files into the step's source directory to make them part of its reuse hash"),
        );
    }
    if step.settings.contains_key("runconfig_parameters") {
        errors.push(at.error(
            NOT_KEPT,
            format!(
                "`runconfig_parameters` of step `{}` are left out: v2 jobs have no RunConfiguration",
                step.key.value
            ),
        ));
    }
}

/// A component name from the pipeline and step names: lowercase letters, digits and `_`.
fn component_name(pipeline: &Option<String>, step: &str) -> String {
    let raw = match pipeline {
        Some(p) => format!("{p}_{step}"),
        None => step.to_string(),
    };
    let mut name: String =
        raw.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert(0, 'c');
    }
    name
}

/// A step input as the job gives it and as its component declares it.
fn input(
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
fn literal_value(l: &Literal, ty: Option<DataType>) -> Value {
    match (l, ty) {
        (Literal::Int(i), Some(DataType::Number)) => super::py::PyFloat(*i as f64).into(),
        (Literal::Str(s), _) => s.clone().into(),
        (Literal::Int(i), _) => (*i).into(),
        (Literal::Float(f), _) => super::py::PyFloat(*f).into(),
        (Literal::Bool(b), _) => (*b).into(),
    }
}

/// A data location as a pipeline input.
fn data_input(
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
fn data_type(loc: &DataLocation, workspace: &Workspace) -> &'static str {
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

fn looks_like_file(path: &str) -> &'static str {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if !path.ends_with('/') && last.contains('.') && !last.starts_with('.') {
        "uri_file"
    } else {
        "uri_folder"
    }
}

/// The arguments as command-line text with placeholders.
fn arguments(args: &[Arg]) -> String {
    args.iter()
        .map(|a| match a {
            Arg::Literal(s) => shell_word(&s.value),
            Arg::Input(n) | Arg::Parameter(n) | Arg::SideInput(n) => format!("${{{{inputs.{}}}}}", n.value),
            Arg::Output(n) => format!("${{{{outputs.{}}}}}", n.value),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A word for a POSIX shell: as is when safe, else single-quoted.
fn shell_word(s: &str) -> String {
    let safe = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if safe { s.to_string() } else { format!("'{}'", s.replace('\'', "'\\''")) }
}

/// A v1 `mini_batch_size` as v2 writes it (`1MB` -> `1mb`, `10` -> `10`).
fn mini_batch(m: &str) -> String {
    m.trim().to_ascii_lowercase()
}

/// The environment of a step: from its runconfig (a registered environment, or a docker image
/// with a conda file), else [`DEFAULT_ENVIRONMENT`].
fn environment(step: &Step, dir: &Path, at: At, errors: &mut Errors) -> Value {
    let rc = match &step.environment {
        Environment::RunConfig(rc) => rc,
        // A registered environment by name (a ParallelRunStep's `environment_name`).
        Environment::Reference(name) if name.value.starts_with("azureml:") => {
            return name.value.clone().into();
        }
        Environment::Reference(name) => return format!("azureml:{}@latest", name.value).into(),
        _ => return DEFAULT_ENVIRONMENT.into(),
    };
    let path = rc.resolved();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            errors.push(at.error(UNREADABLE, format!("cannot read runconfig `{}`: {e}", rc.raw.value)));
            return DEFAULT_ENVIRONMENT.into();
        }
    };
    let (node, _) = crate::yaml::parse(&text, &crate::yaml::Limits::default());
    let json = node.map(|n| crate::yaml::yaml11::to_json(&n, &text)).unwrap_or(Value::Null);
    let env = json.get("environment").cloned().unwrap_or(Value::Null);
    let get = |v: &Value, keys: &[&str]| keys.iter().find_map(|k| v.get(*k)).cloned();
    let docker = get(&env, &["docker"]).unwrap_or(Value::Null);
    let python = get(&env, &["python"]).unwrap_or(Value::Null);
    let image = get(&docker, &["baseImage", "base_image"]).and_then(|v| v.as_str().map(str::to_string));
    let conda_file = get(&python, &["condaDependenciesFile", "conda_dependencies_file"])
        .and_then(|v| v.as_str().map(str::to_string));
    let conda_inline = get(&python, &["condaDependencies", "conda_dependencies"]).filter(Value::is_object);
    let rc_dir = path.parent().unwrap_or(dir);
    match (image, conda_file, conda_inline) {
        (image, file, inline) if image.is_some() || file.is_some() || inline.is_some() => {
            let mut e = Map::new();
            e.insert("image".into(), image.unwrap_or_else(|| DEFAULT_IMAGE.to_string()).into());
            if let Some(f) = file {
                // Relative to the step's source directory (the v1 project folder), else to the
                // runconfig; written relative to the pipeline's folder.
                let in_source = step.code.as_ref().map(|c| c.resolved().join(&f)).filter(|p| p.is_file());
                let abs = in_source.unwrap_or_else(|| rc_dir.join(&f));
                match super::env::read_conda(&abs) {
                    Ok(Value::Object(_)) => {}
                    Ok(_) => errors.push(at.error(
                        NO_EQUIVALENT,
                        format!(
                            "`{f}` of runconfig `{}` is not a conda environment file (a YAML mapping)",
                            rc.raw.value
                        ),
                    )),
                    Err(e) => errors.push(at.error(UNREADABLE, e.to_string())),
                }
                e.insert("conda_file".into(), super::yaml_out::relative(dir, &abs).into());
            } else if let Some(i) = inline {
                e.insert("conda_file".into(), i);
            }
            Value::Object(e)
        }
        _ => match get(&env, &["name"]).and_then(|v| v.as_str().map(str::to_string)) {
            Some(name) if !name.starts_with("Experiment ") => match get(&env, &["version"]) {
                Some(v) if !v.is_null() => format!("azureml:{name}:{}", super::py::str_of(&v)).into(),
                _ => format!("azureml:{name}@latest").into(),
            },
            _ => {
                errors.push(at.error(
                    NO_EQUIVALENT,
                    format!(
                        "runconfig `{}` names neither a docker base image nor a registered environment; a v2 job needs one",
                        rc.raw.value
                    ),
                ));
                DEFAULT_ENVIRONMENT.into()
            }
        },
    }
}
