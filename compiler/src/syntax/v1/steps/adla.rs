//! `AdlaStep`: runs a U-SQL script on Azure Data Lake Analytics (retired 2024-02-29).

use schemars::JsonSchema;
use serde::Deserialize;

use super::Common;
use crate::syntax::v1::{AnyValue, Argument, SourceRef, StepInput, StepOutput, StepParameter};
use crate::yaml::{Map, Spanned};

/// Runs a U-SQL script on Azure Data Lake Analytics (retired 2024-02-29).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdlaStep {
    /// Display name (default: the script's name).
    pub name: Option<Spanned<String>>,
    /// sluice extension: what the step does.
    pub description: Option<Spanned<String>>,
    /// U-SQL script, relative to `source_directory`; required.
    pub script_name: Spanned<String>,
    /// Folder holding the script, relative to the pipeline file.
    pub source_directory: Option<Spanned<String>>,
    /// Data Lake Analytics compute (default: the pipeline's `default_compute`); required.
    pub compute: Option<Spanned<String>>,
    /// Data inputs by name.
    #[serde(default)]
    pub inputs: Map<StepInput>,
    /// Data outputs by name.
    #[serde(default)]
    pub outputs: Map<StepOutput>,
    /// Parameters of the U-SQL script: literals or `{source: P}`.
    #[serde(default)]
    pub parameters: Map<Spanned<StepParameter>>,
    /// Analytics units for the job.
    pub degree_of_parallelism: Option<Spanned<i64>>,
    /// Job priority (lower runs first).
    pub priority: Option<Spanned<i64>>,
    /// Data Lake Analytics runtime version.
    pub runtime_version: Option<Spanned<String>>,
    /// Reuse an earlier result when nothing the step depends on changed (default true).
    pub allow_reuse: Option<Spanned<bool>>,
    /// Version of the step's module.
    pub version: Option<Spanned<String>>,
    /// More files or folders whose content joins the fingerprint.
    #[serde(default)]
    pub hash_paths: Vec<Spanned<String>>,
    /// Ignored by the SDK for this step (Microsoft's reference shows it): the script's
    /// parameters are `parameters`.
    #[schemars(extend("deprecated" = true))]
    pub params: Option<Spanned<AnyValue>>,
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
    pub arguments: Vec<Argument>,
    /// sluice extension: steps that must finish first although no data flows from them.
    #[serde(default)]
    pub run_after: Vec<Spanned<String>>,
}

/// Keys the SDK reads for every step but an AdlaStep does not use.
pub const IGNORED: &[(&str, &str)] = &[
    ("params", "an AdlaStep's script parameters are its `parameters`"),
    ("runconfig", "an AdlaStep runs U-SQL and uses no run configuration"),
    ("runconfig_parameters", "an AdlaStep uses no run configuration"),
    ("arguments", "an AdlaStep passes no arguments; give the script `parameters`"),
];

impl AdlaStep {
    /// The common fields.
    pub fn common(&self) -> Common<'_> {
        Common {
            name: self.name.as_ref(),
            description: self.description.as_ref(),
            compute: self.compute.as_ref(),
            runconfig: self.runconfig.as_ref(),
            allow_reuse: self.allow_reuse.as_ref(),
            inputs: &self.inputs,
            outputs: &self.outputs,
            parameters: &self.parameters,
            source_directory: self.source_directory.as_ref(),
            hash_paths: &self.hash_paths,
            run_after: &self.run_after,
            version: self.version.as_ref(),
            ..Common::empty()
        }
    }
}
