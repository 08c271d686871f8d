//! `ParallelRunStep`: runs an entry script over mini-batches of datasets, in parallel, as its
//! ParallelRunConfig file says.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Common;
use crate::syntax::v1::{Argument, SourceRef, StepInput, StepOutput, StepParameter};
use crate::yaml::{Map, Spanned};

/// Runs an entry script over mini-batches of its input datasets, in parallel.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelRunStep {
    /// Display name.
    pub name: Option<Spanned<String>>,
    /// sluice extension: what the step does.
    pub description: Option<Spanned<String>>,
    /// Path of the ParallelRunConfig YAML file (a top-level `parallel_run_config:` with the entry
    /// script, compute, environment and batching), relative to the pipeline file; required.
    /// Part of the fingerprint by content.
    pub parallel_run_config: Spanned<String>,
    /// Extra arguments of the entry script: keyword arguments only (`--name value`), not the
    /// names the step reserves (`--mini_batch_size`, `--output`, ...).
    #[serde(default)]
    pub arguments: Vec<Argument>,
    /// Input datasets by name: registered datasets, or outputs with `as_dataset: true`.
    #[serde(default)]
    pub inputs: Map<StepInput>,
    /// Outputs; the step writes the first (at least one is required).
    #[serde(default)]
    pub outputs: Map<StepOutput>,
    /// Data every mini-batch reads whole. The SDK fails on every side input it reads from YAML.
    #[serde(default)]
    pub side_inputs: Map<StepInput>,
    /// Reuse an earlier result when nothing the step depends on changed (default true).
    pub allow_reuse: Option<Spanned<bool>>,
    /// Registered models the step uses, by id (`name:version`).
    #[serde(default)]
    pub models_id: Vec<Spanned<String>>,
    /// Ignored by the SDK for this step: its compute is the configuration's `compute_target_name`.
    #[schemars(extend("deprecated" = true))]
    pub compute: Option<Spanned<String>>,
    /// Ignored by the SDK for this step (it loads the file, but the environment is the
    /// configuration's).
    #[schemars(extend("deprecated" = true))]
    pub runconfig: Option<Spanned<String>>,
    /// Ignored by the SDK for this step.
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    pub runconfig_parameters: Map<SourceRef>,
    /// Ignored by the SDK for this step: a ParallelRunStep gets no step parameters, so
    /// `parameter:X` arguments stay text.
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    pub parameters: Map<Spanned<StepParameter>>,
    /// sluice extension: more files or folders whose content joins the fingerprint.
    #[serde(default)]
    pub hash_paths: Vec<Spanned<String>>,
    /// sluice extension: steps that must finish first although no data flows from them.
    #[serde(default)]
    pub run_after: Vec<Spanned<String>>,
}

/// Keys the SDK reads for every step but a ParallelRunStep does not use.
pub const IGNORED: &[(&str, &str)] = &[
    ("compute", "a ParallelRunStep runs on its configuration's `compute_target_name`"),
    ("runconfig", "a ParallelRunStep's environment is its configuration's `environment`"),
    ("runconfig_parameters", "a ParallelRunStep takes no runconfig parameters"),
    ("parameters", "a ParallelRunStep takes no step parameters; pass values as literal arguments"),
];

impl ParallelRunStep {
    /// The common fields (the step's own `parameters` and `compute` are ignored, so left out).
    pub fn common(&self) -> Common<'_> {
        Common {
            name: self.name.as_ref(),
            description: self.description.as_ref(),
            runconfig: self.runconfig.as_ref(),
            allow_reuse: self.allow_reuse.as_ref(),
            arguments: &self.arguments,
            inputs: &self.inputs,
            outputs: &self.outputs,
            hash_paths: &self.hash_paths,
            run_after: &self.run_after,
            ..Common::empty()
        }
    }
}
