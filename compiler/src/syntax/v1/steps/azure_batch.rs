//! `AzureBatchStep`: runs an executable on an Azure Batch pool.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Common;
use crate::syntax::common::Scalar;
use crate::syntax::v1::{AnyValue, Argument, SourceRef, StepInput, StepOutput, StepParameter};
use crate::yaml::{Map, Spanned};

/// Runs an executable on an Azure Batch pool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureBatchStep {
    /// Display name; required by the SDK for this step.
    pub name: Spanned<String>,
    /// sluice extension: what the step does.
    pub description: Option<Spanned<String>>,
    /// Program to run, relative to `source_directory`; required.
    pub executable: Spanned<String>,
    /// Folder holding the executable and its files, relative to the pipeline file.
    pub source_directory: Option<Spanned<String>>,
    /// Azure Batch compute (default: the pipeline's `default_compute`); required.
    pub compute: Option<Spanned<String>>,
    /// Command-line arguments: text, or `input:X`, `output:X` placeholders.
    #[serde(default)]
    pub arguments: Vec<Argument>,
    /// Data inputs by name.
    #[serde(default)]
    pub inputs: Map<StepInput>,
    /// Data outputs by name.
    #[serde(default)]
    pub outputs: Map<StepOutput>,
    /// Pool to run on.
    pub pool_id: Option<Spanned<String>>,
    /// Create the pool before the job (default false).
    pub create_pool: Option<Spanned<bool>>,
    /// Delete the Batch job when it finishes (default true).
    pub delete_batch_job_after_finish: Option<Spanned<bool>>,
    /// Delete the pool when the job finishes (default false).
    pub delete_batch_pool_after_finish: Option<Spanned<bool>>,
    /// Fail the step when the task exits with a positive code (default true).
    pub is_positive_exit_code_failure: Option<Spanned<bool>>,
    /// Run the task with administrator rights (default false).
    pub run_task_as_admin: Option<Spanned<bool>>,
    /// Nodes of a new pool. The SDK's YAML reader takes a boolean here (`true` is one node) and
    /// refuses any other number than 0.
    pub target_compute_nodes: Option<Spanned<Scalar>>,
    /// VM size of a new pool (default `standard_d1_v2`).
    pub vm_size: Option<Spanned<String>>,
    /// Reuse an earlier result when nothing the step depends on changed (default true).
    pub allow_reuse: Option<Spanned<bool>>,
    /// Ignored by the SDK's YAML reader (Microsoft's reference lists it): a new pool gets the
    /// SDK's default image.
    #[schemars(extend("deprecated" = true))]
    pub vm_image_urn: Option<Spanned<AnyValue>>,
    /// Ignored by the SDK for this step (it loads the file but does not use it).
    #[schemars(extend("deprecated" = true))]
    pub runconfig: Option<Spanned<String>>,
    /// Ignored by the SDK for this step.
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    pub runconfig_parameters: Map<SourceRef>,
    /// Ignored by the SDK for this step.
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    pub parameters: Map<Spanned<StepParameter>>,
    /// Ignored by the SDK for this step.
    #[schemars(extend("deprecated" = true))]
    pub version: Option<Spanned<String>>,
    /// sluice extension: more files or folders whose content joins the fingerprint.
    #[serde(default)]
    pub hash_paths: Vec<Spanned<String>>,
    /// sluice extension: steps that must finish first although no data flows from them.
    #[serde(default)]
    pub run_after: Vec<Spanned<String>>,
}

/// Keys the SDK reads for every step but an AzureBatchStep does not use.
pub const IGNORED: &[(&str, &str)] = &[
    ("vm_image_urn", "the SDK's YAML reader does not pass it on: a new pool gets the SDK's default image"),
    ("runconfig", "an AzureBatchStep uses no run configuration"),
    ("runconfig_parameters", "an AzureBatchStep uses no run configuration"),
    ("parameters", "an AzureBatchStep takes no step parameters; pass values as `arguments`"),
    ("version", "the SDK does not version an AzureBatchStep"),
];

impl AzureBatchStep {
    /// The common fields.
    pub fn common(&self) -> Common<'_> {
        Common {
            name: Some(&self.name),
            description: self.description.as_ref(),
            compute: self.compute.as_ref(),
            runconfig: self.runconfig.as_ref(),
            allow_reuse: self.allow_reuse.as_ref(),
            arguments: &self.arguments,
            inputs: &self.inputs,
            outputs: &self.outputs,
            source_directory: self.source_directory.as_ref(),
            hash_paths: &self.hash_paths,
            run_after: &self.run_after,
            ..Common::empty()
        }
    }
}
