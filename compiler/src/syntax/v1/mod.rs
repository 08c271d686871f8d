//! The v1 pipeline format as the Azure ML SDK v1 reads it (`Pipeline.load_yaml` of
//! azureml-pipeline-core 1.62.0; docs/v1-format.md is the reference), plus sluice's extensions,
//! each marked so in its description. See DESIGN section 2.1.
//!
//! Files of the format: the pipeline (this module), the ParallelRunStep configuration a step
//! names ([`parallel_run_config`]), the RunConfiguration a step names ([`runconfig`]) and
//! `Schedule:` files ([`schedule`]). Steps are in [`steps`], one module per step type; the forms
//! without `type` that the SDK still reads are rewritten into typed steps by [`deprecated`].

pub mod deprecated;
pub mod parallel_run_config;
pub mod runconfig;
pub mod schedule;
pub mod steps;

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};

pub use steps::{
    AdlaStep, AzureBatchStep, Common, DataTransferStep, DatabricksStep, ModuleStep, ParallelRunStep,
    PythonScriptStep, Step,
};

use super::common::Scalar;
use crate::yaml::{Map, Spanned};

/// Marks a key as a sluice extension in its description (the SDK does not read it).
pub const EXTENSION: &str = "sluice extension";

/// A v1 pipeline file: its root holds one `pipeline` key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Azure ML SDK v1 pipeline (sluice)", rename = "PipelineFileV1")]
pub struct PipelineFile {
    /// Editor schema reference; ignored.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// The pipeline.
    pub pipeline: Pipeline,
}

/// A pipeline: parameters, data references and steps.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// The pipeline's name. The SDK takes it as the description (and warns that `name` is
    /// deprecated); sluice also shows it as the pipeline's name.
    pub name: Option<Spanned<String>>,
    /// What the pipeline does (the SDK's `Pipeline` description; wins over `name`).
    pub description: Option<Spanned<String>>,
    /// Compute target of the steps that name none. sluice extension: `local`, or a workspace
    /// compute of type `local`, runs the steps on this machine.
    pub default_compute: Option<Spanned<String>>,
    /// Pipeline parameters (`PipelineParameter`), settable per run.
    #[serde(default)]
    pub parameters: Map<Parameter>,
    /// Data references (`DataReference`, `SqlDataReference`, registered datasets).
    #[serde(default)]
    pub data_references: Map<DataReference>,
    /// The steps, by key; the SDK requires the key.
    pub steps: Spanned<Map<Step>>,
    /// sluice extension: datastore of the outputs that name none (default: the workspace's
    /// default datastore). The SDK ignores it.
    pub default_datastore: Option<Spanned<String>>,
    /// sluice extension: go on with independent steps after a step fails, in `sluice run`. The
    /// SDK ignores it (it is set when a run is submitted).
    pub continue_on_step_failure: Option<Spanned<bool>>,
}

/// A pipeline parameter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Value type; required by the SDK.
    #[serde(rename = "type")]
    pub ty: Spanned<ParameterType>,
    /// Value used when a run sets none; a `datapath` parameter needs one, a
    /// `{datastore, path_on_datastore}` mapping. The SDK converts it to the type (`int("5")`).
    pub default: Option<Spanned<ParameterDefault>>,
    /// sluice extension: what the parameter means. The SDK ignores it.
    pub description: Option<String>,
}

/// Type of a pipeline parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParameterType {
    /// Text.
    String,
    /// Integer (default 0).
    Int,
    /// Floating-point number (default 0.0).
    Float,
    /// `true` or `false` (default false).
    Bool,
    /// A path on a datastore (`DataPath`); its default is required.
    Datapath,
}

/// A parameter default: a literal, or a datastore path for `datapath` parameters.
#[derive(Debug, JsonSchema)]
#[schemars(untagged)]
pub enum ParameterDefault {
    /// A datastore path.
    DataPath(DataPathDefault),
    /// A literal.
    Literal(Scalar),
}

// By hand rather than `untagged`, which would lose the spans inside the datastore path.
impl<'de> Deserialize<'de> for ParameterDefault {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ParameterDefault;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a literal, or a mapping with `datastore` and `path_on_datastore`")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ParameterDefault, A::Error> {
                DataPathDefault::deserialize(MapAccessDeserializer::new(map)).map(ParameterDefault::DataPath)
            }
            fn visit_bool<E>(self, v: bool) -> Result<ParameterDefault, E> {
                Ok(ParameterDefault::Literal(Scalar::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<ParameterDefault, E> {
                Ok(ParameterDefault::Literal(Scalar::Int(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<ParameterDefault, E> {
                Ok(ParameterDefault::Literal(Scalar::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<ParameterDefault, E> {
                Ok(ParameterDefault::Literal(Scalar::Str(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// The default of a `datapath` parameter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataPathDefault {
    /// Datastore name.
    pub datastore: Spanned<String>,
    /// Path inside the datastore.
    pub path_on_datastore: Spanned<String>,
    /// Name of the `DataPath`.
    pub name: Option<Spanned<String>>,
}

/// A data reference: a datastore path, a SQL source, or a registered dataset. The SDK picks by
/// the keys given: `datastore` with `path_on_datastore`, `datastore` with a `sql_*` key, then
/// `dataset_name` or `dataset_id`; sluice requires exactly one of these.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataReference {
    /// Datastore holding the data.
    pub datastore: Option<Spanned<String>>,
    /// Path inside the datastore (`DataReference`).
    pub path_on_datastore: Option<Spanned<String>>,
    /// SQL table (`SqlDataReference`; the datastore is a SQL database).
    pub sql_table: Option<Spanned<String>>,
    /// SQL query.
    pub sql_query: Option<Spanned<String>>,
    /// SQL stored procedure.
    pub sql_stored_procedure: Option<Spanned<String>>,
    /// Parameters of the stored procedure, by name.
    #[serde(default)]
    pub sql_stored_procedure_params: Map<SqlParameter>,
    /// Registered dataset, by name (its latest version in the SDK).
    pub dataset_name: Option<Spanned<String>>,
    /// Registered dataset, by id.
    pub dataset_id: Option<Spanned<String>>,
    /// sluice extension: the version of `dataset_name` (the SDK always takes the latest).
    pub dataset_version: Option<Spanned<Scalar>>,
    /// Ignored by the SDK (shown in Microsoft's examples): give `bind_mode` on the step input.
    #[schemars(extend("deprecated" = true))]
    pub bind_mode: Option<Spanned<AnyValue>>,
    /// Ignored by the SDK: give `path_on_compute` on the step input.
    #[schemars(extend("deprecated" = true))]
    pub path_on_compute: Option<Spanned<AnyValue>>,
    /// Ignored by the SDK: give `overwrite` on the step input.
    #[schemars(extend("deprecated" = true))]
    pub overwrite: Option<Spanned<AnyValue>>,
}

/// A parameter of a SQL stored procedure.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlParameter {
    /// The value; required.
    pub value: Spanned<Scalar>,
    /// The value's type.
    #[serde(rename = "type")]
    pub ty: Option<Spanned<SqlParameterType>>,
}

/// Type of a SQL stored procedure parameter (`StoredProcedureParameterType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum SqlParameterType {
    /// Text.
    String,
    /// Integer.
    Int,
    /// Decimal number.
    Decimal,
    /// GUID.
    Guid,
    /// Boolean.
    Boolean,
    /// Date.
    Date,
}

/// How a step input is made available: the SDK takes `mount` (default) or `download`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputMode {
    /// Mounted read-only.
    Mount,
    /// Copied to the compute before the step.
    Download,
}

/// How a step output is written: the SDK takes `mount` (default) or `upload`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutputMode {
    /// Mounted read-write.
    Mount,
    /// Written locally and uploaded after the step.
    Upload,
}

/// A step input: where its data comes from (also the entries of a DataTransferStep's
/// `source_data_reference` and `destination_data_reference`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// A data reference, a `datapath` parameter, or a PipelineData name (another step's output
    /// `destination`); required.
    pub source: Spanned<String>,
    /// How the step gets the data (default `mount`).
    pub bind_mode: Option<Spanned<InputMode>>,
    /// Deprecated spelling of `bind_mode` (the SDK warns).
    #[serde(rename = "type")]
    #[schemars(extend("deprecated" = true))]
    pub ty: Option<Spanned<InputMode>>,
    /// Where the data appears on the compute.
    pub path_on_compute: Option<Spanned<String>>,
    /// Overwrite existing data at `path_on_compute`.
    pub overwrite: Option<Spanned<bool>>,
    /// Ignored by the SDK on inputs (it reads `as_dataset` on outputs).
    #[schemars(extend("deprecated" = true))]
    pub as_dataset: Option<Spanned<AnyValue>>,
}

impl StepInput {
    /// The bind mode, from `bind_mode` or the deprecated `type` (`bind_mode` wins, as in the SDK).
    pub fn mode(&self) -> Option<&Spanned<InputMode>> {
        self.bind_mode.as_ref().or(self.ty.as_ref())
    }
}

/// A step output: a PipelineData that later steps may read.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepOutput {
    /// PipelineData name; other steps' inputs name it as their `source`. Required.
    pub destination: Spanned<String>,
    /// Datastore the output is written to.
    pub datastore: Option<Spanned<String>>,
    /// How the step writes it (default `mount`).
    pub bind_mode: Option<Spanned<OutputMode>>,
    /// Deprecated spelling of `bind_mode` (the SDK warns).
    #[serde(rename = "type")]
    #[schemars(extend("deprecated" = true))]
    pub ty: Option<Spanned<OutputMode>>,
    /// Where the output appears on the compute.
    pub path_on_compute: Option<Spanned<String>>,
    /// Overwrite existing data at `path_on_compute`.
    pub overwrite: Option<Spanned<bool>>,
    /// Make the output a file dataset (`PipelineData.as_dataset()`), as a ParallelRunStep input needs.
    pub as_dataset: Option<Spanned<bool>>,
}

impl StepOutput {
    /// The bind mode, from `bind_mode` or the deprecated `type`.
    pub fn mode(&self) -> Option<&Spanned<OutputMode>> {
        self.bind_mode.as_ref().or(self.ty.as_ref())
    }
}

/// A step parameter: a literal, or `{source: P}` binding pipeline parameter `P`.
#[derive(Debug, Clone, PartialEq)]
pub enum StepParameter {
    /// A literal value (`NUM_ITERATIONS_1: 7`).
    Literal(Scalar),
    /// `{source: P}`.
    Source(Spanned<String>),
}

impl<'de> Deserialize<'de> for StepParameter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StepParameter;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a literal, or a mapping `{source: <pipeline parameter>}`")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StepParameter, A::Error> {
                SourceRef::deserialize(MapAccessDeserializer::new(map))
                    .map(|s| StepParameter::Source(s.source))
            }
            fn visit_bool<E>(self, v: bool) -> Result<StepParameter, E> {
                Ok(StepParameter::Literal(Scalar::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<StepParameter, E> {
                Ok(StepParameter::Literal(Scalar::Int(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<StepParameter, E> {
                Ok(StepParameter::Literal(Scalar::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<StepParameter, E> {
                Ok(StepParameter::Literal(Scalar::Str(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for StepParameter {
    fn schema_name() -> Cow<'static, str> {
        "StepParameter".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let source = generator.subschema_for::<SourceRef>();
        json_schema!({
            "description": "A literal value, or `{source: P}` binding pipeline parameter P.",
            "anyOf": [{"type": ["string", "number", "integer", "boolean"]}, source]
        })
    }
}

/// `{source: P}`: a pipeline parameter by name.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// The pipeline parameter.
    pub source: Spanned<String>,
}

/// The run configuration properties a pipeline parameter may set
/// (`runconfig_parameters`; the SDK knows these four).
pub const RUNCONFIG_PARAMETERS: [&str; 4] =
    ["NodeCount", "MpiProcessCountPerNode", "TensorflowWorkerCount", "TensorflowParameterServerCount"];

/// Any YAML value, for keys sluice reads past (the SDK ignores them; sluice warns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnyValue;

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| AnyValue)
    }
}

impl JsonSchema for AnyValue {
    fn schema_name() -> Cow<'static, str> {
        "AnyValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"description": "Any value; the Azure ML SDK v1 ignores the key."})
    }
}

/// A command-line argument: text, or a placeholder (`input:X`, `output:X`, `parameter:X`,
/// `side_input:X`). The SDK refuses numbers and booleans here (quote them).
pub type Argument = Spanned<Scalar>;
