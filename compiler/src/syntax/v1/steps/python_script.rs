//! `PythonScriptStep`: runs a Python script from a source directory.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Common;
use crate::syntax::v1::{Argument, SourceRef, StepInput, StepOutput, StepParameter};
use crate::yaml::{Map, Spanned};

/// Runs a Python script from a source directory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PythonScriptStep {
    /// Display name (default: the script's name).
    pub name: Option<Spanned<String>>,
    /// sluice extension: what the step does.
    pub description: Option<Spanned<String>>,
    /// Script to run, relative to `source_directory`; required.
    pub script_name: Spanned<String>,
    /// Folder holding the script and what it imports, relative to the pipeline file (default:
    /// the pipeline file's folder).
    pub source_directory: Option<Spanned<String>>,
    /// Command-line arguments: text, or `input:X`, `output:X`, `parameter:X`.
    #[serde(default)]
    pub arguments: Vec<Argument>,
    /// Compute target (default: the pipeline's `default_compute`). sluice extension: `local`, or a
    /// workspace compute of type `local`, runs the step on this machine.
    pub compute: Option<Spanned<String>>,
    /// Path of a RunConfiguration YAML file (environment, conda, docker), relative to the
    /// pipeline file. Part of the fingerprint by content.
    pub runconfig: Option<Spanned<String>>,
    /// Run configuration properties set by pipeline parameters: `NodeCount`,
    /// `MpiProcessCountPerNode`, `TensorflowWorkerCount`, `TensorflowParameterServerCount`,
    /// each `{source: P}`.
    #[serde(default)]
    pub runconfig_parameters: Map<SourceRef>,
    /// Data inputs by name.
    #[serde(default)]
    pub inputs: Map<StepInput>,
    /// Data outputs by name.
    #[serde(default)]
    pub outputs: Map<StepOutput>,
    /// Step parameters by name: literals or `{source: P}`; `parameter:X` arguments read them.
    #[serde(default)]
    pub parameters: Map<Spanned<StepParameter>>,
    /// Reuse an earlier result when nothing the step depends on changed (default true).
    pub allow_reuse: Option<Spanned<bool>>,
    /// Version of the step's module.
    pub version: Option<Spanned<String>>,
    /// More files or folders whose content joins the fingerprint, relative to
    /// `source_directory` (deprecated in the SDK). sluice extension: they may lie outside it.
    #[serde(default)]
    pub hash_paths: Vec<Spanned<String>>,
    /// sluice extension: steps that must finish first although no data flows from them.
    #[serde(default)]
    pub run_after: Vec<Spanned<String>>,
}

impl PythonScriptStep {
    /// The common fields.
    pub fn common(&self) -> Common<'_> {
        Common {
            name: self.name.as_ref(),
            description: self.description.as_ref(),
            compute: self.compute.as_ref(),
            runconfig: self.runconfig.as_ref(),
            runconfig_parameters: &self.runconfig_parameters,
            allow_reuse: self.allow_reuse.as_ref(),
            arguments: &self.arguments,
            inputs: &self.inputs,
            outputs: &self.outputs,
            parameters: &self.parameters,
            source_directory: self.source_directory.as_ref(),
            hash_paths: &self.hash_paths,
            run_after: &self.run_after,
            version: self.version.as_ref(),
        }
    }
}
