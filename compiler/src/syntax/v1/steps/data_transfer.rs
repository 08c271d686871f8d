//! `DataTransferStep`: copies data between storage with Azure Data Factory.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Common;
use crate::syntax::v1::{AnyValue, Argument, SourceRef, StepInput, StepOutput, StepParameter};
use crate::yaml::{Map, Spanned};

/// Copies data between storage with Azure Data Factory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataTransferStep {
    /// Display name; required by the SDK for this step.
    pub name: Spanned<String>,
    /// sluice extension: what the step does.
    pub description: Option<Spanned<String>>,
    /// Data Factory compute (default: the pipeline's `default_compute`); required.
    pub compute: Option<Spanned<String>>,
    /// What to copy: one entry `name: {source: X}` naming a data reference, a `datapath`
    /// parameter or a PipelineData; required.
    pub source_data_reference: Spanned<Map<StepInput>>,
    /// Where to copy it: one entry `name: {source: X}` naming a data reference; required.
    pub destination_data_reference: Spanned<Map<StepInput>>,
    /// `file` or `directory`.
    pub source_reference_type: Option<Spanned<String>>,
    /// `file` or `directory`.
    pub destination_reference_type: Option<Spanned<String>>,
    /// Reuse an earlier result when nothing the step depends on changed (default true).
    pub allow_reuse: Option<Spanned<bool>>,
    /// Ignored by the SDK (Microsoft's reference shows it): the Data Factory is `compute`.
    #[schemars(extend("deprecated" = true))]
    pub adla_compute_name: Option<Spanned<AnyValue>>,
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
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    pub inputs: Map<StepInput>,
    /// Ignored by the SDK for this step.
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    pub outputs: Map<StepOutput>,
    /// Ignored by the SDK for this step.
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    pub arguments: Vec<Argument>,
    /// sluice extension: steps that must finish first although no data flows from them.
    #[serde(default)]
    pub run_after: Vec<Spanned<String>>,
}

/// Keys the SDK reads for every step but a DataTransferStep does not use.
pub const IGNORED: &[(&str, &str)] = &[
    ("adla_compute_name", "the Data Factory that copies is the step's `compute` (or `default_compute`)"),
    ("runconfig", "a DataTransferStep uses no run configuration"),
    ("runconfig_parameters", "a DataTransferStep uses no run configuration"),
    ("parameters", "a DataTransferStep takes no step parameters"),
    ("inputs", "a DataTransferStep copies its `source_data_reference`"),
    ("outputs", "a DataTransferStep writes its `destination_data_reference`"),
    ("arguments", "a DataTransferStep runs no script"),
];

impl DataTransferStep {
    /// The common fields.
    pub fn common(&self) -> Common<'_> {
        Common {
            name: Some(&self.name),
            description: self.description.as_ref(),
            compute: self.compute.as_ref(),
            runconfig: self.runconfig.as_ref(),
            allow_reuse: self.allow_reuse.as_ref(),
            run_after: &self.run_after,
            ..Common::empty()
        }
    }
}
