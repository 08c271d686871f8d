//! The ParallelRunConfig file a ParallelRunStep names (`ParallelRunConfig.load_yaml`): a
//! top-level `parallel_run_config:` mapping. Its relative paths (`source_directory`, an
//! `environment` file) resolve from the pipeline file's folder, as the SDK resolves them from
//! the working folder.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{Deserializer, Visitor};

use crate::syntax::common::Scalar;
use crate::yaml::{Map, Spanned};

/// A ParallelRunConfig file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Azure ML SDK v1 ParallelRunConfig (sluice)")]
pub struct ParallelRunConfigFile {
    /// Editor schema reference; ignored.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// The configuration.
    pub parallel_run_config: Spanned<ParallelRunConfig>,
}

/// How a ParallelRunStep splits and runs its work.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelRunConfig {
    /// Script with `init()` and `run(mini_batch)`, relative to `source_directory`; required.
    pub entry_script: Option<Spanned<String>>,
    /// Folder holding the entry script.
    pub source_directory: Option<Spanned<String>>,
    /// The AmlCompute cluster the step runs on; required. sluice extension: `local`, or a
    /// workspace compute of type `local`, runs the step on this machine.
    pub compute_target_name: Spanned<String>,
    /// Nodes to run on (1 up to the cluster's maximum); required.
    pub node_count: Spanned<i64>,
    /// Worker processes per node (default: one per core).
    pub process_count_per_node: Option<Spanned<i64>>,
    /// Files per mini-batch (`10`), or bytes of tabular data (`1MB`); not with `partition_keys`.
    pub mini_batch_size: Option<Spanned<Scalar>>,
    /// Keys that partition the input datasets into mini-batches; not with `mini_batch_size`.
    pub partition_keys: Option<Vec<Spanned<String>>>,
    /// Failed items tolerated before the step fails (-1: no limit); required.
    pub error_threshold: Spanned<i64>,
    /// Failed mini-batches tolerated (-1: no limit).
    pub allowed_failed_count: Option<Spanned<i64>>,
    /// Percentage of failed mini-batches tolerated (0 to 100).
    pub allowed_failed_percent: Option<Spanned<f64>>,
    /// `append_row` (rows returned by `run()` go to one file) or `summary_only`; required.
    pub output_action: Spanned<OutputAction>,
    /// File that `append_row` writes (default `parallel_run_step.txt`).
    pub append_row_file_name: Option<Spanned<String>>,
    /// The environment in place (an Azure ML environment definition) or the path of its YAML or
    /// JSON file. One of `environment`, `environment_name`, `environment_dir_path` is required.
    pub environment: Option<Spanned<EnvironmentSpec>>,
    /// A registered environment, by name.
    pub environment_name: Option<Spanned<String>>,
    /// A folder holding `azureml_environment.json` (older form).
    pub environment_dir_path: Option<Spanned<String>>,
    /// Environment variables of the entry script's processes.
    #[serde(default)]
    pub environment_variables: Map<Scalar>,
    /// Seconds a `run()` call may take (default 60).
    pub run_invocation_timeout: Option<Spanned<i64>>,
    /// Tries of a failed mini-batch (default 3).
    pub run_max_try: Option<Spanned<i64>>,
    /// Python logging level (default `INFO`).
    pub logging_level: Option<Spanned<String>>,
    /// What the configuration is for.
    pub description: Option<Spanned<String>>,
}

/// What a ParallelRunStep does with `run()`'s results (matched without regard to case, as the
/// SDK does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputAction {
    /// Append every returned row to one file.
    AppendRow,
    /// Keep only a summary; the script writes its own outputs.
    SummaryOnly,
}

impl OutputAction {
    /// As written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputAction::AppendRow => "append_row",
            OutputAction::SummaryOnly => "summary_only",
        }
    }
}

impl<'de> Deserialize<'de> for OutputAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = OutputAction;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`append_row` or `summary_only`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OutputAction, E> {
                match v.to_ascii_lowercase().as_str() {
                    "append_row" => Ok(OutputAction::AppendRow),
                    "summary_only" => Ok(OutputAction::SummaryOnly),
                    _ => Err(E::unknown_variant(v, &["append_row", "summary_only"])),
                }
            }
        }
        d.deserialize_str(V)
    }
}

impl JsonSchema for OutputAction {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OutputAction".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        // The names for completion, and any case of them, as the SDK compares in lower case.
        schemars::json_schema!({
            "description": "`append_row` (rows returned by `run()` go to one file) or `summary_only`, in any case.",
            "anyOf": [
                {"enum": ["append_row", "summary_only"]},
                {"type": "string", "pattern": "^([Aa][Pp][Pp][Ee][Nn][Dd]_[Rr][Oo][Ww]|[Ss][Uu][Mm][Mm][Aa][Rr][Yy]_[Oo][Nn][Ll][Yy])$"}
            ]
        })
    }
}

/// An environment: the path of a file that defines it, or the definition in place.
#[derive(Debug, JsonSchema)]
#[schemars(untagged)]
pub enum EnvironmentSpec {
    /// Path of an environment YAML or JSON file, relative to the pipeline file.
    File(String),
    /// An Azure ML environment definition (`name`, `python`, `docker`, ...), read by the SDK.
    Inline(serde_json::Map<String, serde_json::Value>),
}

impl<'de> Deserialize<'de> for EnvironmentSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvironmentSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a file path or an environment mapping")
            }
            fn visit_str<E>(self, v: &str) -> Result<EnvironmentSpec, E> {
                Ok(EnvironmentSpec::File(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<EnvironmentSpec, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v: serde_json::Value = map.next_value()?;
                    out.insert(k, v);
                }
                Ok(EnvironmentSpec::Inline(out))
            }
        }
        d.deserialize_any(V)
    }
}
