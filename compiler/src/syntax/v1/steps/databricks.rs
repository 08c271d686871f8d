//! `DatabricksStep`: runs a notebook, Python script or JAR on a Databricks cluster.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Common;
use crate::syntax::common::Scalar;
use crate::syntax::v1::{AnyValue, Argument, SourceRef, StepInput, StepOutput, StepParameter};
use crate::yaml::{Map, Spanned};

/// Runs a notebook, Python script or JAR on a Databricks cluster: exactly one of
/// `notebook_path`, `python_script_path`, `python_script_name`, `main_class_name`; on an existing
/// cluster, or on a new one of `num_workers` (or `min_workers` and `max_workers`) workers.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabricksStep {
    /// Display name; required by the SDK for this step.
    pub name: Spanned<String>,
    /// sluice extension: what the step does.
    pub description: Option<Spanned<String>>,
    /// Databricks compute (default: the pipeline's `default_compute`); required.
    pub compute: Option<Spanned<String>>,
    /// Data inputs by name.
    #[serde(default)]
    pub inputs: Map<StepInput>,
    /// Data outputs by name.
    #[serde(default)]
    pub outputs: Map<StepOutput>,
    /// RunConfiguration file; its `environment.databricks` section gives the cluster and the
    /// libraries (the only way to give libraries from YAML).
    pub runconfig: Option<Spanned<String>>,
    /// Local folder holding `python_script_name`, relative to the pipeline file.
    pub source_directory: Option<Spanned<String>>,
    /// More files or folders whose content joins the fingerprint.
    #[serde(default)]
    pub hash_paths: Vec<Spanned<String>>,
    /// Reuse an earlier result when nothing the step depends on changed (default true).
    pub allow_reuse: Option<Spanned<bool>>,
    /// Version of the step's module.
    pub version: Option<Spanned<String>>,
    /// Name of the Databricks run.
    pub run_name: Option<Spanned<String>>,
    /// Run time limit in seconds.
    pub timeout_seconds: Option<Spanned<u32>>,
    /// Run on this existing cluster instead of a new one.
    pub existing_cluster_id: Option<Spanned<String>>,
    /// With `existing_cluster_id`: let Databricks restart the cluster. The SDK's YAML reader
    /// takes it as text (`"true"`).
    pub permit_cluster_restart: Option<Spanned<Scalar>>,
    /// Spark version of a new cluster (default `10.4.x-scala2.12`).
    pub spark_version: Option<Spanned<String>>,
    /// Node type of a new cluster (default `Standard_D3_v2`); not with `instance_pool_id`.
    pub node_type: Option<Spanned<String>>,
    /// Instance pool of a new cluster; not with `node_type`.
    pub instance_pool_id: Option<Spanned<String>>,
    /// Fixed number of workers of a new cluster.
    pub num_workers: Option<Spanned<u32>>,
    /// Minimum workers of an autoscaling new cluster (with `max_workers`).
    pub min_workers: Option<Spanned<u32>>,
    /// Maximum workers of an autoscaling new cluster (with `min_workers`).
    pub max_workers: Option<Spanned<u32>>,
    /// Environment variables of a new cluster.
    #[serde(default)]
    pub spark_env_variables: Map<Scalar>,
    /// Spark configuration of a new cluster.
    #[serde(default)]
    pub spark_conf: Map<Scalar>,
    /// DBFS init scripts of a new cluster.
    #[serde(default)]
    pub init_scripts: Vec<Spanned<String>>,
    /// DBFS path for cluster logs.
    pub cluster_log_dbfs_path: Option<Spanned<String>>,
    /// Notebook path in the Databricks workspace.
    pub notebook_path: Option<Spanned<String>>,
    /// Notebook parameters.
    #[serde(default)]
    pub notebook_params: Map<Scalar>,
    /// Python script on DBFS.
    pub python_script_path: Option<Spanned<String>>,
    /// Python script in `source_directory`, uploaded with the step.
    pub python_script_name: Option<Spanned<String>>,
    /// Arguments of the Python script.
    #[serde(default)]
    pub python_script_params: Vec<Spanned<Scalar>>,
    /// Main class of a JAR.
    pub main_class_name: Option<Spanned<String>>,
    /// Arguments of the JAR's main class.
    #[serde(default)]
    pub jar_params: Vec<Spanned<Scalar>>,
    /// The SDK fails on this key ("Yaml support is not implemented"): list PyPI libraries in
    /// the runconfig's `environment.databricks.pypiLibraries`.
    #[schemars(extend("deprecated" = true))]
    pub pypi_libraries: Option<Spanned<AnyValue>>,
    /// The SDK fails on this key: use the runconfig's `environment.databricks.eggLibraries`.
    #[schemars(extend("deprecated" = true))]
    pub egg_libraries: Option<Spanned<AnyValue>>,
    /// The SDK fails on this key: use the runconfig's `environment.databricks.jarLibraries`.
    #[schemars(extend("deprecated" = true))]
    pub jar_libraries: Option<Spanned<AnyValue>>,
    /// The SDK's own spelling, on which it fails: use the runconfig's
    /// `environment.databricks.mavenLibraries`.
    #[schemars(extend("deprecated" = true))]
    pub maven_libabries: Option<Spanned<AnyValue>>,
    /// The SDK's own spelling, on which it fails: use the runconfig's
    /// `environment.databricks.rcranLibraries`.
    #[schemars(extend("deprecated" = true))]
    pub rcran_libabries: Option<Spanned<AnyValue>>,
    /// Not read by the SDK: use the runconfig's `environment.databricks.mavenLibraries`.
    #[schemars(extend("deprecated" = true))]
    pub maven_libraries: Option<Spanned<AnyValue>>,
    /// Not read by the SDK: use the runconfig's `environment.databricks.rcranLibraries`.
    #[schemars(extend("deprecated" = true))]
    pub rcran_libraries: Option<Spanned<AnyValue>>,
    /// Ignored by the SDK for this step.
    #[serde(default)]
    #[schemars(extend("deprecated" = true))]
    pub parameters: Map<Spanned<StepParameter>>,
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

/// The library keys, with the runconfig key that gives them instead; the SDK's YAML reader
/// fails on the first five and does not read the last two.
pub const LIBRARY_KEYS: [(&str, &str); 7] = [
    ("pypi_libraries", "pypiLibraries"),
    ("egg_libraries", "eggLibraries"),
    ("jar_libraries", "jarLibraries"),
    ("maven_libabries", "mavenLibraries"),
    ("rcran_libabries", "rcranLibraries"),
    ("maven_libraries", "mavenLibraries"),
    ("rcran_libraries", "rcranLibraries"),
];

/// Keys the SDK reads for every step but a DatabricksStep does not use.
pub const IGNORED: &[(&str, &str)] = &[
    (
        "parameters",
        "a DatabricksStep takes no step parameters; use `notebook_params` or `python_script_params`",
    ),
    ("runconfig_parameters", "a DatabricksStep takes no runconfig parameters"),
    ("arguments", "a DatabricksStep passes no `arguments`; use `python_script_params` or `jar_params`"),
];

impl DatabricksStep {
    /// The common fields.
    pub fn common(&self) -> Common<'_> {
        Common {
            name: Some(&self.name),
            description: self.description.as_ref(),
            compute: self.compute.as_ref(),
            runconfig: self.runconfig.as_ref(),
            allow_reuse: self.allow_reuse.as_ref(),
            inputs: &self.inputs,
            outputs: &self.outputs,
            source_directory: self.source_directory.as_ref(),
            hash_paths: &self.hash_paths,
            run_after: &self.run_after,
            version: self.version.as_ref(),
            ..Common::empty()
        }
    }

    /// The library keys given, with their spans.
    pub fn libraries(&self) -> Vec<(&'static str, &'static str, &Spanned<AnyValue>)> {
        let given = [
            &self.pypi_libraries,
            &self.egg_libraries,
            &self.jar_libraries,
            &self.maven_libabries,
            &self.rcran_libabries,
            &self.maven_libraries,
            &self.rcran_libraries,
        ];
        LIBRARY_KEYS.iter().zip(given).filter_map(|((k, rc), v)| v.as_ref().map(|v| (*k, *rc, v))).collect()
    }
}
