//! The IR: one typed DAG of steps with typed ports, whatever format it came from. Lowering
//! ([`crate::lower`]) builds it; checks, fingerprints and emitters read it and nothing after
//! lowering knows the source format.
//!
//! Lowering never fails: a name it cannot resolve stays in the IR as [`Source::Unresolved`] and a
//! check reports it, so every mistake of a file is found in one pass.

mod component;
mod graph;
mod types;
mod workspace;

use std::path::PathBuf;

pub use component::{Component, ComponentOrigin, PortDecl};
pub use graph::{Dag, EdgeKind};
pub use types::{DataType, Literal};
pub use workspace::{Compute, ComputeKind, Datastore, DatastoreKind, SecretField, Workspace};

use crate::source::{FileId, Span};
use crate::yaml::Spanned;

/// Index of a step in [`Pipeline::steps`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(pub usize);

/// A name with the file and span it was written at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    /// The name.
    pub value: String,
    /// File it was written in.
    pub file: FileId,
    /// Where.
    pub span: Span,
}

impl Name {
    /// A name from a spanned string in `file`.
    pub fn new(file: FileId, s: &Spanned<String>) -> Self {
        Name { value: s.value.clone(), file, span: s.span }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// A path written in a file, with what it is relative to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRef {
    /// The path as written.
    pub raw: Name,
    /// Folder the path is relative to.
    pub base: PathBuf,
    /// Folder the path must stay inside (`None`: it may lie anywhere, as `hash_paths` may).
    pub root: Option<PathBuf>,
}

impl PathRef {
    /// The path joined to its base (not canonicalised).
    pub fn resolved(&self) -> PathBuf {
        self.base.join(&self.raw.value)
    }
}

/// A pipeline: parameters, data, steps and the DAG between them.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// File the pipeline was read from.
    pub file: FileId,
    /// Pipeline name.
    pub name: Option<Name>,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Experiment name.
    pub experiment_name: Option<String>,
    /// Compute for steps that name none.
    pub default_compute: Option<Name>,
    /// Datastore for outputs that name none.
    pub default_datastore: Option<Name>,
    /// Go on with independent steps after a failure.
    pub continue_on_step_failure: bool,
    /// Never reuse (v1 `regenerate_outputs`, v2 `force_rerun`).
    pub force_rerun: bool,
    /// Inputs the pipeline takes: parameters and data (v1 parameters, v2 pipeline inputs).
    pub inputs: Vec<PipelineInput>,
    /// Outputs the pipeline exposes (v2 pipeline outputs).
    pub outputs: Vec<PipelineOutput>,
    /// Data the steps read that is not a pipeline input (v1 data references).
    pub data: Vec<DataRef>,
    /// The steps, in file order.
    pub steps: Vec<Step>,
    /// Edges between steps, built from the steps' sources and `run_after`.
    pub dag: Dag,
    /// The pipeline job's fields as written except `jobs` (v2: `inputs`, `settings`, `tags`,
    /// `identity`, ...), scalars as YAML 1.1 types them, for emitters; empty for v1.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// References outside step inputs that do not resolve (v2 bindings in outputs, compute,
    /// conditions); the same checks as for inputs report them.
    pub unresolved: Vec<Unresolved>,
    /// A reusable definition checked on its own (a v2 component file): compute and the use of
    /// its inputs are left to the pipelines that use it.
    pub reusable: bool,
    /// Known only by reference (a registered v2 pipeline component): its steps are not visible.
    pub opaque: bool,
    /// Where the steps are declared as a whole (v2 `jobs`), for diagnostics about all of them.
    pub steps_at: Option<Name>,
    /// Pipeline inputs bound outside step inputs (v2 `compute` and settings), by index.
    pub bound_inputs: Vec<usize>,
}

impl Pipeline {
    /// The step with this id.
    pub fn step(&self, id: StepId) -> &Step {
        &self.steps[id.0]
    }

    /// The id of the step with this key.
    pub fn step_id(&self, key: &str) -> Option<StepId> {
        self.steps.iter().position(|s| s.key.value == key).map(StepId)
    }

    /// Steps with their ids.
    pub fn steps(&self) -> impl Iterator<Item = (StepId, &Step)> {
        self.steps.iter().enumerate().map(|(i, s)| (StepId(i), s))
    }

    /// The pipeline input with this name.
    pub fn input(&self, name: &str) -> Option<&PipelineInput> {
        self.inputs.iter().find(|i| i.name.value == name)
    }
}

/// A pipeline input: a typed parameter or a data input.
#[derive(Debug, Clone)]
pub struct PipelineInput {
    /// Name.
    pub name: Name,
    /// Declared type (`None`: not declared, inferred from the default where possible).
    pub ty: Option<Spanned<DataType>>,
    /// Value when a run sets none.
    pub default: Option<Spanned<Literal>>,
    /// Where a data input's data is (a `datapath` default, a v2 `path:`).
    pub data: Option<DataLocation>,
    /// May be left unset.
    pub optional: bool,
    /// What it means.
    pub description: Option<String>,
    /// How a data input is made available.
    pub mode: Option<Mode>,
    /// Other keys as written (v2 `path_on_compute`, `datastore`, `min`, `max`, `enum`).
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl PipelineInput {
    /// The declared type, or the default's type.
    pub fn effective_type(&self) -> Option<DataType> {
        self.ty.as_ref().map(|t| t.value).or_else(|| self.default.as_ref().map(|d| d.value.data_type()))
    }
}

/// A pipeline output.
#[derive(Debug, Clone)]
pub struct PipelineOutput {
    /// Name.
    pub name: Name,
    /// Declared type.
    pub ty: Option<DataType>,
    /// Datastore it is written to.
    pub datastore: Option<Name>,
    /// How it is written.
    pub mode: Option<Mode>,
    /// Where it is written (v2 `path`), as given.
    pub path: Option<Name>,
    /// Other keys as written (v2 `name`, `version`, `description`).
    pub settings: serde_json::Map<String, serde_json::Value>,
}

/// A named piece of data that steps read (v1 data reference).
#[derive(Debug, Clone)]
pub struct DataRef {
    /// Name.
    pub name: Name,
    /// Where the data is.
    pub location: DataLocation,
    /// How steps get it.
    pub mode: Option<Mode>,
    /// Where it appears on the compute.
    pub path_on_compute: Option<String>,
}

/// Where data lives.
#[derive(Debug, Clone, PartialEq)]
pub enum DataLocation {
    /// A path on a datastore.
    Datastore {
        /// Datastore name.
        datastore: Name,
        /// Path inside it.
        path: Name,
    },
    /// A registered dataset by name and optional version.
    Dataset {
        /// Dataset name.
        name: Name,
        /// Version (latest when absent).
        version: Option<String>,
    },
    /// A registered dataset by id.
    DatasetId(Name),
    /// A SQL table, query or stored procedure.
    Sql {
        /// Table, query or procedure, as written.
        query: Name,
    },
    /// A local file or folder (v2 `path: ./data`).
    Local(PathRef),
    /// A URI sluice does not read (https, wasbs, azureml://, ...).
    Uri(Name),
    /// A registered data asset reference (`azureml:name:version`).
    Asset(Name),
    /// The data reference is malformed (already reported); nothing to read.
    Invalid,
}

/// How data is made available to a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Mounted read-only.
    RoMount,
    /// Mounted read-write (outputs).
    RwMount,
    /// Copied before the step.
    Download,
    /// Written locally, uploaded after the step.
    Upload,
    /// Passed as a reference.
    Direct,
    /// Evaluated by the service (e.g. mltable).
    EvalMount,
    /// Evaluated and downloaded.
    EvalDownload,
}

impl Mode {
    /// Lower-case name as in v2 YAML (`ro_mount`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::RoMount => "ro_mount",
            Mode::RwMount => "rw_mount",
            Mode::Download => "download",
            Mode::Upload => "upload",
            Mode::Direct => "direct",
            Mode::EvalMount => "eval_mount",
            Mode::EvalDownload => "eval_download",
        }
    }
}

/// The Spark instance types azure-ai-ml accepts, in any case (`SparkResourceConfiguration`).
pub const SPARK_INSTANCE_TYPES: [&str; 5] =
    ["standard_e4s_v3", "standard_e8s_v3", "standard_e16s_v3", "standard_e32s_v3", "standard_e64s_v3"];

/// What kind of work a step does, with what only that kind has.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Runs a command or script (v1 PythonScriptStep, v2 command job).
    Command,
    /// Runs a script over mini-batches (v1 ParallelRunStep, v2 parallel job).
    Parallel(ParallelSpec),
    /// Runs a notebook, script or JAR on Databricks.
    Databricks(DatabricksSpec),
    /// Copies data with Data Factory.
    DataTransfer {
        /// Where from.
        source: Name,
        /// Where to.
        destination: Name,
    },
    /// Runs a U-SQL script on Data Lake Analytics.
    Adla,
    /// Runs an executable on Azure Batch.
    AzureBatch,
    /// Hyperparameter sweep over a trial command (v2).
    Sweep,
    /// Spark job (v2).
    Spark,
    /// AutoML job (v2); sluice checks its bindings only.
    AutoMl,
    /// A nested pipeline (v2 pipeline component).
    Pipeline(Box<Pipeline>),
    /// Control flow (v2 do_while, parallel_for, if_else).
    ControlFlow(String),
}

impl StepKind {
    /// Short name for messages and plans: `command`, `databricks`, ...
    pub fn name(&self) -> &str {
        match self {
            StepKind::Command => "command",
            StepKind::Parallel(_) => "parallel",
            StepKind::Databricks(_) => "databricks",
            StepKind::DataTransfer { .. } => "data_transfer",
            StepKind::Adla => "adla",
            StepKind::AzureBatch => "azure_batch",
            StepKind::Sweep => "sweep",
            StepKind::Spark => "spark",
            StepKind::AutoMl => "automl",
            StepKind::Pipeline(_) => "pipeline",
            StepKind::ControlFlow(kind) => kind,
        }
    }

    /// Compute kinds this step can run on (`None`: any).
    pub fn compute_kinds(&self) -> Option<&'static [ComputeKind]> {
        match self {
            StepKind::Databricks(_) => Some(&[ComputeKind::Databricks]),
            StepKind::DataTransfer { .. } => Some(&[ComputeKind::DataFactory]),
            StepKind::Adla => Some(&[ComputeKind::Adla]),
            StepKind::AzureBatch => Some(&[ComputeKind::AzureBatch]),
            StepKind::Command | StepKind::Parallel(_) | StepKind::Sweep => {
                Some(&[ComputeKind::Local, ComputeKind::AmlCompute, ComputeKind::Serverless])
            }
            StepKind::Spark | StepKind::AutoMl | StepKind::Pipeline(_) | StepKind::ControlFlow(_) => None,
        }
    }
}

/// The parallel settings of a parallel step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParallelSpec {
    /// Entry script, relative to the code folder.
    pub entry_script: Option<PathRef>,
    /// Mini-batch size as written.
    pub mini_batch_size: Option<String>,
    /// Nodes.
    pub node_count: Option<u32>,
    /// Processes per node.
    pub process_count_per_node: Option<u32>,
    /// Failures tolerated.
    pub error_threshold: Option<i64>,
    /// `append_row` or `summary_only`.
    pub output_action: Option<String>,
}

/// The Databricks settings of a Databricks step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatabricksSpec {
    /// Notebook in the Databricks workspace.
    pub notebook_path: Option<Name>,
    /// Script on DBFS.
    pub python_script_path: Option<Name>,
    /// JAR main class.
    pub main_class_name: Option<Name>,
    /// Existing cluster.
    pub existing_cluster_id: Option<String>,
    /// Every other setting, as given (cluster shape, libraries, parameters).
    pub settings: serde_json::Map<String, serde_json::Value>,
}

/// One step of a pipeline.
#[derive(Debug, Clone)]
pub struct Step {
    /// The step's key in its pipeline (renaming it changes no fingerprint).
    pub key: Name,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// What kind of work it does.
    pub kind: StepKind,
    /// Compute named by the step (else the pipeline's default).
    pub compute: Option<Name>,
    /// Source folder (v1 `source_directory`, v2 `code`).
    pub code: Option<PathRef>,
    /// Script the step runs, relative to `code` (v1 `script_name`, ...).
    pub script: Option<PathRef>,
    /// Command template (v2 `command`), with its bindings.
    pub command: Option<Command>,
    /// Arguments (v1), literals and placeholders.
    pub arguments: Vec<Arg>,
    /// Inputs by name.
    pub inputs: Vec<InputPort>,
    /// Outputs by name.
    pub outputs: Vec<OutputPort>,
    /// Reuse allowed (v1 `allow_reuse`, v2 `is_deterministic`).
    pub allow_reuse: bool,
    /// Extra paths whose content joins the fingerprint.
    pub hash_paths: Vec<PathRef>,
    /// Steps that must finish first, by key as written.
    pub run_after: Vec<Name>,
    /// Environment the step runs in.
    pub environment: Environment,
    /// Settings that decide the result and that sluice passes on without reading (v1
    /// `runconfig_parameters`, Databricks parameters, ...), canonical JSON.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// The component the step runs, with its declared interface (v2; `None` for v1 steps).
    pub component: Option<Box<Component>>,
    /// Other templates whose placeholders name the step's ports (v2 parallel `input_data`,
    /// `append_row_to`, environment variables).
    pub templates: Vec<Command>,
    /// The job as written (v2), scalars as YAML 1.1 types them, for emitters that send it on as
    /// azure-ai-ml does; empty for steps of formats that write no such job (v1).
    pub written: serde_json::Map<String, serde_json::Value>,
}

impl Step {
    /// The input port with this name.
    pub fn input(&self, name: &str) -> Option<&InputPort> {
        self.inputs.iter().find(|p| p.name.value == name)
    }

    /// The output port with this name.
    pub fn output(&self, name: &str) -> Option<&OutputPort> {
        self.outputs.iter().find(|p| p.name.value == name)
    }

    /// Names of the inputs a sweep sets per trial (the keys of its search space).
    pub fn swept_inputs(&self) -> Vec<&str> {
        if !matches!(self.kind, StepKind::Sweep) {
            return Vec::new();
        }
        match self.settings.get("search_space") {
            Some(serde_json::Value::Object(m)) => m.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// The environment a step runs in.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Environment {
    /// None given: the compute's default.
    #[default]
    Default,
    /// A v1 RunConfiguration file (environment, conda, docker), hashed by content.
    RunConfig(PathRef),
    /// A registered or curated environment, by reference.
    Reference(Name),
    /// An inline environment: a docker image and/or a conda file.
    Inline {
        /// Docker image.
        image: Option<Name>,
        /// Conda file, hashed by content.
        conda_file: Option<PathRef>,
        /// Docker build context folder (v2 `build.path`), hashed by content.
        build: Option<PathRef>,
        /// Other keys as written (v2 `name`, `version`, `os_type`, `build.dockerfile_path`).
        settings: serde_json::Map<String, serde_json::Value>,
    },
}

/// An argument of a step (v1).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Passed as written.
    Literal(Spanned<String>),
    /// `input:X`: the path of input X.
    Input(Name),
    /// `output:X`: the path of output X.
    Output(Name),
    /// `parameter:X`: the value of parameter X.
    Parameter(Name),
    /// `side_input:X`: the path of side input X.
    SideInput(Name),
}

/// A command template: literal text and `${{inputs.x}}`-style placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The template as written.
    pub text: String,
    /// File it was written in.
    pub file: FileId,
    /// The parts in order.
    pub parts: Vec<CommandPart>,
}

/// A piece of a command template.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandPart {
    /// Literal text.
    Text(String),
    /// `${{inputs.x}}`.
    Input(Name),
    /// `${{outputs.x}}`.
    Output(Name),
    /// `$[[ ... ]]`: kept only when every placeholder inside has a value.
    Optional(Vec<CommandPart>),
}

/// Where an input's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Nothing bound.
    None,
    /// Another step's output.
    StepOutput {
        /// The producing step.
        step: StepId,
        /// Its output's name.
        output: String,
        /// Where the binding was written.
        at: Name,
    },
    /// A pipeline input (parameter or data), by index in [`Pipeline::inputs`].
    PipelineInput {
        /// Index.
        index: usize,
        /// Where the binding was written.
        at: Name,
    },
    /// A data reference, by index in [`Pipeline::data`].
    Data {
        /// Index.
        index: usize,
        /// Where the binding was written.
        at: Name,
    },
    /// A literal value.
    Literal(Spanned<Literal>),
    /// Data given in place (v2 `path:`).
    Location(DataLocation),
    /// A name that does not resolve; a check reports it.
    Unresolved(Unresolved),
}

/// A reference lowering could not resolve.
#[derive(Debug, Clone, PartialEq)]
pub struct Unresolved {
    /// What kind of thing the name should be.
    pub kind: RefKind,
    /// The unresolved name.
    pub name: Name,
    /// Names it could have meant (for "did you mean").
    pub candidates: Vec<String>,
    /// For an unknown output of a known step: that step.
    pub step: Option<StepId>,
}

/// The kind of name a reference expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// A step key.
    Step,
    /// An output of a step.
    StepOutput,
    /// An input of a step.
    StepInput,
    /// A pipeline input or parameter.
    PipelineInput,
    /// A pipeline output.
    PipelineOutput,
    /// A data source (v1: PipelineData, data reference or datapath parameter).
    DataSource,
}

impl RefKind {
    /// Words for messages: "step", "output", ...
    pub fn describe(self) -> &'static str {
        match self {
            RefKind::Step => "step",
            RefKind::StepOutput => "step output",
            RefKind::StepInput => "step input",
            RefKind::PipelineInput => "pipeline input",
            RefKind::PipelineOutput => "pipeline output",
            RefKind::DataSource => "data source",
        }
    }
}

/// What an input port is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRole {
    /// Data the step reads.
    Data,
    /// A literal value (v1 step parameter, v2 literal input).
    Parameter,
    /// Data every mini-batch reads whole (ParallelRunStep `side_inputs`).
    SideInput,
}

/// A step input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputPort {
    /// Name (the key in the step's `inputs`).
    pub name: Name,
    /// Data, parameter or side input.
    pub role: PortRole,
    /// Declared type (`None`: any).
    pub ty: Option<DataType>,
    /// Where its value comes from.
    pub source: Source,
    /// How the data is made available.
    pub mode: Option<Mode>,
    /// May be left unbound.
    pub optional: bool,
    /// Value when unbound.
    pub default: Option<Spanned<Literal>>,
    /// What the step wrote for this input beyond its source, as written (v2 `type`, `mode`,
    /// `path_on_compute`, `datastore`).
    pub settings: serde_json::Map<String, serde_json::Value>,
}

/// A step output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputPort {
    /// Name (the key in the step's `outputs`).
    pub name: Name,
    /// Declared type (`None`: a folder).
    pub ty: Option<DataType>,
    /// v1 PipelineData name that other steps' inputs use as `source`.
    pub destination: Option<Name>,
    /// Datastore it is written to.
    pub datastore: Option<Name>,
    /// How it is written.
    pub mode: Option<Mode>,
    /// Pipeline output it is bound to (v2 `${{parent.outputs.x}}`), by index.
    pub pipeline_output: Option<usize>,
    /// Where it is written (v2 `path`), as given.
    pub path: Option<Name>,
    /// Other keys as written (v2 `name`, `version`, `type`, `mode`).
    pub settings: serde_json::Map<String, serde_json::Value>,
}
