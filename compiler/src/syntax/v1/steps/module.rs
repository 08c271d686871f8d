//! `ModuleStep`: runs a module registered in the workspace, by name or id.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Common;
use crate::syntax::v1::{Argument, SourceRef, StepInput, StepOutput, StepParameter};
use crate::yaml::{Map, Spanned};

/// Runs a module registered in the workspace. Its interface is not visible offline: inputs,
/// outputs and parameters are taken as given.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleStep {
    /// Name of the registered module (one of `name` and `id` is required).
    pub name: Option<Spanned<String>>,
    /// Id of the registered module.
    pub id: Option<Spanned<String>>,
    /// Version of the module (default: its default version).
    pub version: Option<Spanned<String>>,
    /// sluice extension: what the step does.
    pub description: Option<Spanned<String>>,
    /// Compute target (default: the pipeline's `default_compute`). sluice extension: `local`, or a
    /// workspace compute of type `local`, runs the step on this machine.
    pub compute: Option<Spanned<String>>,
    /// RunConfiguration file, relative to the pipeline file.
    pub runconfig: Option<Spanned<String>>,
    /// Run configuration properties set by pipeline parameters.
    #[serde(default)]
    pub runconfig_parameters: Map<SourceRef>,
    /// Command-line arguments: text, or `input:X`, `output:X`, `parameter:X`.
    #[serde(default)]
    pub arguments: Vec<Argument>,
    /// The module's inputs, bound by name.
    #[serde(default)]
    pub inputs: Map<StepInput>,
    /// The module's outputs, bound by name.
    #[serde(default)]
    pub outputs: Map<StepOutput>,
    /// The module's parameters: literals or `{source: P}`.
    #[serde(default)]
    pub parameters: Map<Spanned<StepParameter>>,
    /// sluice extension: steps that must finish first although no data flows from them.
    #[serde(default)]
    pub run_after: Vec<Spanned<String>>,
}

impl ModuleStep {
    /// The common fields (`name` is the module's, not a display name).
    pub fn common(&self) -> Common<'_> {
        Common {
            description: self.description.as_ref(),
            compute: self.compute.as_ref(),
            runconfig: self.runconfig.as_ref(),
            runconfig_parameters: &self.runconfig_parameters,
            arguments: &self.arguments,
            inputs: &self.inputs,
            outputs: &self.outputs,
            parameters: &self.parameters,
            run_after: &self.run_after,
            version: self.version.as_ref(),
            ..Common::empty()
        }
    }
}
