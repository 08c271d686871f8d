//! The step types of a v1 pipeline, one module each. A step is a mapping tagged by `type`; each
//! type takes the keys the SDK's reader passes to its constructor, the keys the reader checks
//! for every step but this type does not use (accepted, with an `ignored-key` warning naming
//! them in [`ignored`]), and sluice's extensions (`run_after`, `description`, `hash_paths` where
//! the SDK has none).

mod adla;
mod azure_batch;
mod data_transfer;
mod databricks;
mod module;
mod parallel_run;
mod python_script;

pub use adla::AdlaStep;
pub use azure_batch::AzureBatchStep;
pub use data_transfer::DataTransferStep;
pub use databricks::{DatabricksStep, LIBRARY_KEYS};
pub use module::ModuleStep;
pub use parallel_run::ParallelRunStep;
pub use python_script::PythonScriptStep;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Argument, SourceRef, StepInput, StepOutput, StepParameter};
use crate::yaml::{Map, Spanned};

/// One step, tagged by `type`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
pub enum Step {
    /// Runs a Python script (`PythonScriptStep`).
    PythonScriptStep(Box<PythonScriptStep>),
    /// Runs an entry script over mini-batches of datasets (`ParallelRunStep`).
    ParallelRunStep(Box<ParallelRunStep>),
    /// Runs a U-SQL script on Azure Data Lake Analytics (`AdlaStep`; ADLA was retired 2024-02-29).
    AdlaStep(Box<AdlaStep>),
    /// Runs an executable on Azure Batch (`AzureBatchStep`).
    AzureBatchStep(Box<AzureBatchStep>),
    /// Runs a notebook, Python script or JAR on Databricks (`DatabricksStep`).
    DatabricksStep(Box<DatabricksStep>),
    /// Copies data between storage with Azure Data Factory (`DataTransferStep`).
    DataTransferStep(Box<DataTransferStep>),
    /// Runs a module registered in the workspace (`ModuleStep`).
    ModuleStep(Box<ModuleStep>),
}

/// Every step type name, as written in `type:`.
pub const STEP_TYPES: [&str; 7] = [
    "PythonScriptStep",
    "ParallelRunStep",
    "AdlaStep",
    "AzureBatchStep",
    "DatabricksStep",
    "DataTransferStep",
    "ModuleStep",
];

/// The fields every step type may have, borrowed (empty where a type has none).
#[derive(Clone, Copy, Debug)]
pub struct Common<'a> {
    /// Display name (ModuleStep: the module's name, so `None` here).
    pub name: Option<&'a Spanned<String>>,
    /// sluice extension: what the step does.
    pub description: Option<&'a Spanned<String>>,
    /// Compute target (else the pipeline's `default_compute`).
    pub compute: Option<&'a Spanned<String>>,
    /// RunConfiguration file.
    pub runconfig: Option<&'a Spanned<String>>,
    /// Run configuration properties set by pipeline parameters.
    pub runconfig_parameters: &'a Map<SourceRef>,
    /// Reuse allowed.
    pub allow_reuse: Option<&'a Spanned<bool>>,
    /// Arguments.
    pub arguments: &'a [Argument],
    /// Data inputs.
    pub inputs: &'a Map<StepInput>,
    /// Data outputs.
    pub outputs: &'a Map<StepOutput>,
    /// Step parameters.
    pub parameters: &'a Map<Spanned<StepParameter>>,
    /// Folder of the step's files.
    pub source_directory: Option<&'a Spanned<String>>,
    /// More files whose content joins the fingerprint.
    pub hash_paths: &'a [Spanned<String>],
    /// sluice extension: steps that must finish first.
    pub run_after: &'a [Spanned<String>],
    /// Step version.
    pub version: Option<&'a Spanned<String>>,
}

static NO_INPUTS: Map<StepInput> = Map { entries: Vec::new() };
static NO_OUTPUTS: Map<StepOutput> = Map { entries: Vec::new() };
static NO_PARAMETERS: Map<Spanned<StepParameter>> = Map { entries: Vec::new() };
static NO_RUNCONFIG_PARAMETERS: Map<SourceRef> = Map { entries: Vec::new() };

impl Common<'_> {
    /// A view with nothing in it, for types to fill.
    pub fn empty() -> Common<'static> {
        Common {
            name: None,
            description: None,
            compute: None,
            runconfig: None,
            runconfig_parameters: &NO_RUNCONFIG_PARAMETERS,
            allow_reuse: None,
            arguments: &[],
            inputs: &NO_INPUTS,
            outputs: &NO_OUTPUTS,
            parameters: &NO_PARAMETERS,
            source_directory: None,
            hash_paths: &[],
            run_after: &[],
            version: None,
        }
    }
}

impl Step {
    /// The common fields of whichever type this step is.
    pub fn common(&self) -> Common<'_> {
        match self {
            Step::PythonScriptStep(s) => s.common(),
            Step::ParallelRunStep(s) => s.common(),
            Step::AdlaStep(s) => s.common(),
            Step::AzureBatchStep(s) => s.common(),
            Step::DatabricksStep(s) => s.common(),
            Step::DataTransferStep(s) => s.common(),
            Step::ModuleStep(s) => s.common(),
        }
    }

    /// The step type's name as written in `type:`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Step::PythonScriptStep(_) => "PythonScriptStep",
            Step::ParallelRunStep(_) => "ParallelRunStep",
            Step::AdlaStep(_) => "AdlaStep",
            Step::AzureBatchStep(_) => "AzureBatchStep",
            Step::DatabricksStep(_) => "DatabricksStep",
            Step::DataTransferStep(_) => "DataTransferStep",
            Step::ModuleStep(_) => "ModuleStep",
        }
    }
}

/// Keys a step type accepts although the SDK does not use them for that type (it still reads
/// and checks them for every step), with what to do instead: `(key, help)`. Each gives
/// an `ignored-key` warning.
pub fn ignored(type_name: &str) -> &'static [(&'static str, &'static str)] {
    match type_name {
        "ParallelRunStep" => parallel_run::IGNORED,
        "AdlaStep" => adla::IGNORED,
        "AzureBatchStep" => azure_batch::IGNORED,
        "DatabricksStep" => databricks::IGNORED,
        "DataTransferStep" => data_transfer::IGNORED,
        _ => &[],
    }
}
