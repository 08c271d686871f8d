//! Jobs spelled from the model, for steps lowering did not write as a job for the service
//! ([`crate::ir::ServiceJob`]: `Script`, `Copy`, `None`) and for the pipeline keys a pipeline
//! does not write (DESIGN section 7). A v1 pipeline reaches Azure ML v2 this way:
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

mod command;
mod environment;
mod ports;
mod transfer;

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::doc::{ComponentDoc, JobDoc, Origin};
use super::error::{At, Errors, NO_EQUIVALENT, NOT_KEPT};
use crate::ir::{Pipeline, ServiceJob, Source, Step, StepKind, Workspace};
use crate::source::{SourceMap, Span};
use ports::{data_input, literal_value};

/// The environment of a step that names none (a curated scikit-learn image with Python 3.10,
/// the one the azureml-examples pipelines use).
pub const DEFAULT_ENVIRONMENT: &str = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest";

/// The image of a runconfig environment that gives conda dependencies but no docker image.
pub const DEFAULT_IMAGE: &str = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest";

const COMMAND_SCHEMA: &str = "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json";
const TRANSFER_SCHEMA: &str = "https://azuremlschemas.azureedge.net/latest/dataTransferComponent.schema.json";
const PARALLEL_SCHEMA: &str = "https://azuremlschemas.azureedge.net/latest/parallelComponent.schema.json";

/// Adds to a pipeline job the keys it does not write, spelled from the model: its names, its
/// inputs (parameters, and the data references its steps read) and its settings. A key the
/// pipeline writes for the service is sent as written, as azure-ai-ml sends it.
pub fn pipeline_fields(
    p: &Pipeline,
    workspace: &Workspace,
    fields: &mut Map<String, Value>,
    errors: &mut Errors,
) {
    let at = At::new(p.file, Span::point(0));
    let names = [
        ("display_name", &p.display_name),
        ("description", &p.description),
        ("experiment_name", &p.experiment_name),
    ];
    for (key, value) in names {
        if let Some(v) = value
            && !fields.contains_key(key)
        {
            fields.insert(key.into(), v.clone().into());
        }
    }
    if !fields.contains_key("inputs") {
        let inputs = pipeline_inputs(p, workspace, at, errors);
        if !inputs.is_empty() {
            fields.insert("inputs".into(), inputs.into());
        }
    }
    if !fields.contains_key("settings") {
        // A default compute written as the pipeline's `compute` is sent there, as written.
        let settings = pipeline_settings(p, !fields.contains_key("compute"));
        if !settings.is_empty() {
            fields.insert("settings".into(), settings.into());
        }
    }
}

/// A pipeline's parameters as literal inputs, and the data references its steps read.
fn pipeline_inputs(p: &Pipeline, workspace: &Workspace, at: At, errors: &mut Errors) -> Map<String, Value> {
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
    inputs
}

/// A pipeline's default compute (when `with_compute`) and datastore and its failure and rerun
/// settings.
fn pipeline_settings(p: &Pipeline, with_compute: bool) -> Map<String, Value> {
    let mut settings = Map::new();
    if let Some(c) = p.default_compute.as_ref().filter(|_| with_compute) {
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
    settings
}

/// A step that has no job written for the service, as the job lowering says it maps to: a job
/// running an anonymous component made from its script, a copy, or an error naming the step.
pub fn job(
    step: &Step,
    p: &Pipeline,
    workspace: &Workspace,
    sources: &SourceMap,
    errors: &mut Errors,
) -> JobDoc {
    let at = At::new(step.key.file, step.key.span);
    let dir = super::doc::folder_of(sources, step.key.file);
    let runs_script = match step.kind {
        StepKind::Parallel(_) => true,
        StepKind::Command => step.invocation.script().is_some(),
        _ => false,
    };
    match step.service {
        ServiceJob::Copy => return transfer::job(step, p, workspace, dir, at, errors),
        ServiceJob::Script if runs_script => {}
        _ => {
            let why = no_equivalent(step);
            errors.push(at.error(NO_EQUIVALENT, format!("step `{}` {why}", step.key.value)));
            return JobDoc { name: step.key.value.clone(), fields: Map::new(), dir, component: None, at };
        }
    }
    not_kept(step, at, errors);
    let parallel = matches!(step.kind, StepKind::Parallel(_));
    let mut fields = Map::new();
    fields.insert("type".into(), if parallel { "parallel" } else { "command" }.into());
    if let Some(d) = &step.display_name {
        fields.insert("display_name".into(), d.clone().into());
    }
    if let Some(c) = &step.compute {
        fields.insert("compute".into(), format!("azureml:{}", c.value.trim_start_matches("azureml:")).into());
    }
    let ports = ports::job_ports(step, p, workspace, errors);
    let component = command::component(step, p, ports.decls, ports.out_decls, &dir, at, errors);
    let ports = (ports.inputs, ports.outputs);
    anonymous_job(step, fields, ports, component, dir, at)
}

/// A job running an anonymous component that gets its own file: the job's fields with its
/// `inputs` and `outputs` (when it has any), and the component's fields.
fn anonymous_job(
    step: &Step,
    mut fields: Map<String, Value>,
    (inputs, outputs): (Map<String, Value>, Map<String, Value>),
    component: Map<String, Value>,
    dir: PathBuf,
    at: At,
) -> JobDoc {
    if !inputs.is_empty() {
        fields.insert("inputs".into(), inputs.into());
    }
    if !outputs.is_empty() {
        fields.insert("outputs".into(), outputs.into());
    }
    let component = Some(ComponentDoc {
        fields: component,
        dir: dir.clone(),
        origin: Origin::File,
        jobs: Vec::new(),
        at,
        flow: None,
    });
    JobDoc { name: step.key.value.clone(), fields, dir, component, at }
}

/// Why a step that reaches the service as no job has none, by its kind.
fn no_equivalent(step: &Step) -> &'static str {
    match &step.kind {
        StepKind::Databricks(_) => {
            "runs on Azure Databricks; Azure ML v2 pipelines have no Databricks job (port it to a `spark` job, or run it from Databricks Workflows)"
        }
        StepKind::Adla => {
            "runs U-SQL on Azure Data Lake Analytics, which was retired on 2024-02-29 and has no v2 job (port the script to a `spark` job)"
        }
        StepKind::AzureBatch => {
            "runs an executable on Azure Batch; Azure ML v2 pipelines have no Azure Batch job (run it as a `command` job on a compute cluster)"
        }
        StepKind::Module(_) => {
            "runs a module registered in an Azure ML v1 workspace; v2 has no modules (register its code as a component and run it as a `command` job)"
        }
        StepKind::Command | StepKind::Parallel(_) => "has no script to run",
        _ => "has no Azure ML v2 equivalent",
    }
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
