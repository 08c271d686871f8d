//! The v1 pipeline format (the YAML of the Azure ML SDK v1 pipeline documentation) plus sluice's
//! extensions `hash_paths` and `run_after`. See DESIGN section 2.1.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::common::Scalar;
use crate::yaml::{Map, Spanned};

/// A v1 pipeline file: its root holds one `pipeline` key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sluice v1 pipeline", rename = "PipelineFileV1")]
pub struct PipelineFile {
    /// Editor schema reference; ignored by sluice.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// The pipeline.
    pub pipeline: Pipeline,
}

/// A pipeline: parameters, data references and steps.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Pipeline name.
    pub name: Option<Spanned<String>>,
    /// What the pipeline does.
    pub description: Option<String>,
    /// Compute target for steps that name none.
    pub default_compute: Option<Spanned<String>>,
    /// Datastore for outputs that name none (default: the workspace's default datastore).
    pub default_datastore: Option<Spanned<String>>,
    /// Go on with independent steps after a step fails.
    pub continue_on_step_failure: Option<bool>,
    /// Pipeline parameters (`PipelineParameter`), settable per run.
    #[serde(default)]
    pub parameters: Map<Parameter>,
    /// Data references (`DataReference` or registered datasets) that steps read.
    #[serde(default)]
    pub data_references: Map<DataReference>,
    /// The steps, by key.
    #[serde(default)]
    pub steps: Map<Step>,
}

/// A pipeline parameter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Value type.
    #[serde(rename = "type")]
    pub ty: Option<Spanned<ParameterType>>,
    /// Value used when a run sets none; a `datapath` parameter takes `{datastore, path_on_datastore}`.
    pub default: Option<Spanned<ParameterDefault>>,
    /// What the parameter means.
    pub description: Option<String>,
}

/// Type of a pipeline parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParameterType {
    /// Text.
    String,
    /// Integer.
    Int,
    /// Floating-point number.
    Float,
    /// `true` or `false`.
    Bool,
    /// A path on a datastore (`DataPath`).
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
}

/// How a data input or output is made available to a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BindMode {
    /// Mounted read-only (outputs: read-write).
    Mount,
    /// Copied to the compute before the step.
    Download,
    /// Written locally and uploaded after the step (outputs).
    Upload,
    /// Passed as a reference; the step reads it itself.
    Direct,
}

/// A data reference: a datastore path, a registered dataset, or a SQL source.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataReference {
    /// Datastore holding the data.
    pub datastore: Option<Spanned<String>>,
    /// Path inside the datastore.
    pub path_on_datastore: Option<Spanned<String>>,
    /// Registered dataset name.
    pub dataset_name: Option<Spanned<String>>,
    /// Registered dataset version (default: latest).
    pub dataset_version: Option<Spanned<Scalar>>,
    /// Registered dataset id.
    pub dataset_id: Option<Spanned<String>>,
    /// SQL table (SQL datastores).
    pub sql_table: Option<Spanned<String>>,
    /// SQL query (SQL datastores).
    pub sql_query: Option<Spanned<String>>,
    /// SQL stored procedure (SQL datastores).
    pub sql_stored_procedure: Option<Spanned<String>>,
    /// Parameters of the stored procedure.
    #[serde(default)]
    pub sql_stored_procedure_params: Map<Scalar>,
    /// How steps get the data (default `mount`).
    pub bind_mode: Option<Spanned<BindMode>>,
    /// Where the data appears on the compute.
    pub path_on_compute: Option<Spanned<String>>,
    /// Overwrite existing data at `path_on_compute`.
    pub overwrite: Option<bool>,
}

/// A step input: where its data comes from.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// A PipelineData name (another step's output `destination`), a data reference, or a
    /// `datapath` parameter.
    pub source: Spanned<String>,
    /// How the step gets the data.
    pub bind_mode: Option<Spanned<BindMode>>,
    /// Where the data appears on the compute.
    pub path_on_compute: Option<Spanned<String>>,
    /// Overwrite existing data at `path_on_compute`.
    pub overwrite: Option<bool>,
    /// Pass the input as a dataset.
    pub as_dataset: Option<bool>,
}

/// A step output: a PipelineData that later steps may read.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepOutput {
    /// PipelineData name; other steps' inputs name it as their `source`.
    pub destination: Spanned<String>,
    /// Datastore the output is written to.
    pub datastore: Option<Spanned<String>>,
    /// How the step writes it (`mount` or `upload`).
    pub bind_mode: Option<Spanned<BindMode>>,
    /// Where the output appears on the compute.
    pub path_on_compute: Option<Spanned<String>>,
    /// Overwrite existing data at `path_on_compute`.
    pub overwrite: Option<bool>,
}

/// A step parameter: binds a pipeline parameter to a name the step's arguments use.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepParameter {
    /// The pipeline parameter.
    pub source: Spanned<String>,
}

/// One step, tagged by `type`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(tag = "type")]
pub enum Step {
    /// Runs a Python script (`PythonScriptStep`).
    PythonScriptStep(PythonScriptStep),
    /// Runs a notebook, Python script or JAR on Databricks (`DatabricksStep`).
    DatabricksStep(Box<DatabricksStep>),
    /// Copies data between storage with Azure Data Factory (`DataTransferStep`).
    DataTransferStep(DataTransferStep),
    /// Runs a U-SQL script on Azure Data Lake Analytics (`AdlaStep`; ADLA was retired 2024-02-29).
    AdlaStep(AdlaStep),
    /// Runs an executable on Azure Batch (`AzureBatchStep`).
    AzureBatchStep(AzureBatchStep),
    /// Runs a script over mini-batches of data in parallel (`ParallelRunStep`).
    ParallelRunStep(ParallelRunStep),
}

/// Fields every step type takes, then the type's own. Written once here because the syntax layer
/// uses no `flatten` (it loses spans).
macro_rules! step_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Display name (default: the step's key).
            pub name: Option<Spanned<String>>,
            /// What the step does.
            pub description: Option<String>,
            /// Compute target (default: the pipeline's `default_compute`).
            pub compute: Option<Spanned<String>>,
            /// Path of a RunConfiguration YAML (environment, conda dependencies, docker image),
            /// relative to the pipeline file. Part of the fingerprint by content.
            pub runconfig: Option<Spanned<String>>,
            /// Values overriding fields of the run configuration.
            #[serde(default)]
            pub runconfig_parameters: Map<Scalar>,
            /// Reuse an earlier result when nothing the step depends on changed (default true).
            pub allow_reuse: Option<Spanned<bool>>,
            /// Command-line arguments: literals or `input:X`, `output:X`, `parameter:X`,
            /// `side_input:X` placeholders.
            #[serde(default)]
            pub arguments: Vec<Spanned<Scalar>>,
            /// Data inputs by name.
            #[serde(default)]
            pub inputs: Map<StepInput>,
            /// Data outputs by name.
            #[serde(default)]
            pub outputs: Map<StepOutput>,
            /// Pipeline parameters the step uses, by the name its arguments give them.
            #[serde(default)]
            pub parameters: Map<StepParameter>,
            /// sluice extension: more files or folders whose content joins the fingerprint,
            /// relative to `source_directory` (they may lie outside it).
            #[serde(default)]
            pub hash_paths: Vec<Spanned<String>>,
            /// sluice extension: steps that must finish first although no data flows from them.
            #[serde(default)]
            pub run_after: Vec<Spanned<String>>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl StepCommon for $name {
            fn common(&self) -> Common<'_> {
                Common {
                    name: self.name.as_ref(),
                    description: self.description.as_deref(),
                    compute: self.compute.as_ref(),
                    runconfig: self.runconfig.as_ref(),
                    runconfig_parameters: &self.runconfig_parameters,
                    allow_reuse: self.allow_reuse.as_ref(),
                    arguments: &self.arguments,
                    inputs: &self.inputs,
                    outputs: &self.outputs,
                    parameters: &self.parameters,
                    hash_paths: &self.hash_paths,
                    run_after: &self.run_after,
                }
            }
        }
    };
}

/// The fields every step type has, borrowed.
#[derive(Clone, Copy, Debug)]
pub struct Common<'a> {
    /// Display name.
    pub name: Option<&'a Spanned<String>>,
    /// Description.
    pub description: Option<&'a str>,
    /// Compute target.
    pub compute: Option<&'a Spanned<String>>,
    /// RunConfiguration file.
    pub runconfig: Option<&'a Spanned<String>>,
    /// RunConfiguration overrides.
    pub runconfig_parameters: &'a Map<Scalar>,
    /// Reuse allowed.
    pub allow_reuse: Option<&'a Spanned<bool>>,
    /// Arguments.
    pub arguments: &'a [Spanned<Scalar>],
    /// Inputs.
    pub inputs: &'a Map<StepInput>,
    /// Outputs.
    pub outputs: &'a Map<StepOutput>,
    /// Parameters.
    pub parameters: &'a Map<StepParameter>,
    /// Extra fingerprint paths.
    pub hash_paths: &'a [Spanned<String>],
    /// Ordering-only dependencies.
    pub run_after: &'a [Spanned<String>],
}

/// Access to the fields every step type has.
pub trait StepCommon {
    /// The common fields.
    fn common(&self) -> Common<'_>;
}

impl Step {
    /// The common fields of whichever type this step is.
    pub fn common(&self) -> Common<'_> {
        match self {
            Step::PythonScriptStep(s) => s.common(),
            Step::DatabricksStep(s) => s.common(),
            Step::DataTransferStep(s) => s.common(),
            Step::AdlaStep(s) => s.common(),
            Step::AzureBatchStep(s) => s.common(),
            Step::ParallelRunStep(s) => s.common(),
        }
    }

    /// The step type's name as written in `type:`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Step::PythonScriptStep(_) => "PythonScriptStep",
            Step::DatabricksStep(_) => "DatabricksStep",
            Step::DataTransferStep(_) => "DataTransferStep",
            Step::AdlaStep(_) => "AdlaStep",
            Step::AzureBatchStep(_) => "AzureBatchStep",
            Step::ParallelRunStep(_) => "ParallelRunStep",
        }
    }
}

step_struct! {
    /// Runs a Python script from a source directory.
    PythonScriptStep {
        /// Script to run, relative to `source_directory`.
        script_name: Spanned<String>,
        /// Folder holding the script and what it imports, relative to the pipeline file.
        source_directory: Option<Spanned<String>>,
    }
}

step_struct! {
    /// Runs a notebook, Python script or JAR on a Databricks cluster.
    DatabricksStep {
        /// Local folder holding `python_script_name`, relative to the pipeline file.
        source_directory: Option<Spanned<String>>,
        /// Notebook path in the Databricks workspace.
        notebook_path: Option<Spanned<String>>,
        /// Notebook parameters.
        #[serde(default)]
        notebook_params: Map<Scalar>,
        /// Python script in `source_directory`, uploaded with the step.
        python_script_name: Option<Spanned<String>>,
        /// Python script already on DBFS.
        python_script_path: Option<Spanned<String>>,
        /// Arguments of the Python script.
        #[serde(default)]
        python_script_params: Vec<Spanned<Scalar>>,
        /// Main class of a JAR.
        main_class_name: Option<Spanned<String>>,
        /// Arguments of the JAR's main class.
        #[serde(default)]
        jar_params: Vec<Spanned<Scalar>>,
        /// Name of the Databricks run.
        run_name: Option<String>,
        /// Run on this existing cluster instead of a new one.
        existing_cluster_id: Option<Spanned<String>>,
        /// Spark version of a new cluster.
        spark_version: Option<String>,
        /// Node type of a new cluster.
        node_type: Option<String>,
        /// Instance pool of a new cluster.
        instance_pool_id: Option<String>,
        /// Fixed number of workers of a new cluster.
        num_workers: Option<Spanned<u32>>,
        /// Minimum workers of an autoscaling cluster.
        min_workers: Option<Spanned<u32>>,
        /// Maximum workers of an autoscaling cluster.
        max_workers: Option<Spanned<u32>>,
        /// DBFS path for cluster logs.
        cluster_log_dbfs_path: Option<String>,
        /// Run time limit in seconds.
        timeout_seconds: Option<u64>,
        /// Allow Databricks to restart the cluster.
        permit_cluster_restart: Option<bool>,
        /// Spark configuration of a new cluster.
        #[serde(default)]
        spark_conf: Map<Scalar>,
        /// Environment variables of a new cluster.
        #[serde(default)]
        spark_env_variables: Map<Scalar>,
        /// Init scripts of a new cluster.
        #[serde(default)]
        init_scripts: Vec<String>,
        /// PyPI libraries to install.
        #[serde(default)]
        pypi_libraries: Vec<Spanned<String>>,
        /// Egg libraries to install.
        #[serde(default)]
        egg_libraries: Vec<Spanned<String>>,
        /// JAR libraries to install.
        #[serde(default)]
        jar_libraries: Vec<Spanned<String>>,
        /// Maven libraries to install.
        #[serde(default)]
        maven_libraries: Vec<Spanned<String>>,
        /// The SDK's misspelling of `maven_libraries`; accepted with a warning.
        #[serde(default)]
        maven_libabries: Option<Spanned<Vec<Spanned<String>>>>,
        /// CRAN libraries to install.
        #[serde(default)]
        rcran_libraries: Vec<Spanned<String>>,
        /// The SDK's misspelling of `rcran_libraries`; accepted with a warning.
        #[serde(default)]
        rcran_libabries: Option<Spanned<Vec<Spanned<String>>>>,
    }
}

step_struct! {
    /// Copies data between storage with Azure Data Factory.
    DataTransferStep {
        /// Data reference (or PipelineData) to copy from.
        source_data_reference: Spanned<String>,
        /// Data reference (or output) to copy to.
        destination_data_reference: Spanned<String>,
        /// `file` or `directory`.
        source_reference_type: Option<String>,
        /// `file` or `directory`.
        destination_reference_type: Option<String>,
    }
}

step_struct! {
    /// Runs a U-SQL script on Azure Data Lake Analytics (retired 2024-02-29).
    AdlaStep {
        /// U-SQL script, relative to `source_directory`.
        script_name: Spanned<String>,
        /// Folder holding the script, relative to the pipeline file.
        source_directory: Option<Spanned<String>>,
        /// Script parameters.
        #[serde(default)]
        params: Map<Scalar>,
        /// Analytics units for the job.
        degree_of_parallelism: Option<Spanned<u32>>,
        /// Job priority (lower runs first).
        priority: Option<u32>,
        /// ADLA runtime version.
        runtime_version: Option<String>,
    }
}

step_struct! {
    /// Runs an executable on an Azure Batch pool.
    AzureBatchStep {
        /// Folder holding the executable and its files, relative to the pipeline file.
        source_directory: Option<Spanned<String>>,
        /// Program to run, relative to `source_directory`.
        executable: Spanned<String>,
        /// VM size of a new pool.
        vm_size: Option<String>,
        /// VM image URN of a new pool.
        vm_image_urn: Option<String>,
        /// Existing pool to run on.
        pool_id: Option<String>,
        /// Create the pool if it does not exist.
        create_pool: Option<bool>,
        /// Delete the Batch job when it finishes.
        delete_batch_job_after_finish: Option<bool>,
        /// Delete the pool when the job finishes.
        delete_batch_pool_after_finish: Option<bool>,
        /// Treat a positive exit code as failure.
        is_positive_exit_code_failure: Option<bool>,
        /// Run the task with administrator rights.
        run_task_as_admin: Option<bool>,
        /// Number of compute nodes of a new pool.
        target_compute_nodes: Option<u32>,
    }
}

step_struct! {
    /// Runs an entry script over mini-batches of its inputs, in parallel.
    ParallelRunStep {
        /// How the work is split and run.
        parallel_run_config: ParallelRunConfig,
        /// Data every mini-batch may read whole (names of data references or PipelineData).
        #[serde(default)]
        side_inputs: Vec<Spanned<String>>,
    }
}

/// The parallel run configuration of a ParallelRunStep.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParallelRunConfig {
    /// Script with `init()` and `run(mini_batch)`, relative to `source_directory`.
    pub entry_script: Spanned<String>,
    /// Folder holding the entry script, relative to the pipeline file.
    pub source_directory: Option<Spanned<String>>,
    /// Files (e.g. `10`) or bytes (e.g. `1MB`) per mini-batch.
    pub mini_batch_size: Option<Spanned<Scalar>>,
    /// Failed items tolerated before the step fails (-1: no limit).
    pub error_threshold: Option<i64>,
    /// `append_row` or `summary_only`.
    pub output_action: Option<Spanned<OutputAction>>,
    /// File that `append_row` writes.
    pub append_row_file_name: Option<String>,
    /// Nodes to run on.
    pub node_count: Option<Spanned<u32>>,
    /// Worker processes per node.
    pub process_count_per_node: Option<Spanned<u32>>,
    /// Seconds a `run()` call may take.
    pub run_invocation_timeout: Option<u64>,
    /// Retries of a failed mini-batch.
    pub run_max_try: Option<u32>,
    /// Python logging level.
    pub logging_level: Option<String>,
}

/// What a ParallelRunStep does with `run()`'s results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutputAction {
    /// Append every returned row to one file.
    AppendRow,
    /// Keep only a summary; the script writes its own outputs.
    SummaryOnly,
}

impl Step {
    /// Source directory of the step, when its type has one.
    pub fn source_directory(&self) -> Option<&Spanned<String>> {
        match self {
            Step::PythonScriptStep(s) => s.source_directory.as_ref(),
            Step::DatabricksStep(s) => s.source_directory.as_ref(),
            Step::AdlaStep(s) => s.source_directory.as_ref(),
            Step::AzureBatchStep(s) => s.source_directory.as_ref(),
            Step::ParallelRunStep(s) => s.parallel_run_config.source_directory.as_ref(),
            Step::DataTransferStep(_) => None,
        }
    }
}
