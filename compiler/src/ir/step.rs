//! Steps: what each runs (its kind, invocation, environment) and the settings of each kind.

use super::*;

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
        /// Whether the source is a file or a folder, when the step says.
        source_shape: Option<EndpointShape>,
        /// Whether the destination is a file or a folder, when the step says.
        destination_shape: Option<EndpointShape>,
        /// What it does.
        task: TransferTask,
    },
    /// Runs a U-SQL script on Data Lake Analytics.
    Adla,
    /// Runs an executable on Azure Batch.
    AzureBatch,
    /// Runs a module registered in the workspace (v1 ModuleStep).
    Module(ModuleRef),
    /// Hyperparameter sweep over a trial command (v2).
    Sweep {
        /// The inputs it sets per trial (the keys of its search space).
        searched: Vec<String>,
    },
    /// Spark job (v2).
    Spark {
        /// It runs on serverless Spark (its own `resources`), not on a Spark pool.
        serverless: bool,
    },
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
            StepKind::Module(_) => "module",
            StepKind::Sweep { .. } => "sweep",
            StepKind::Spark { .. } => "spark",
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
            StepKind::Command | StepKind::Parallel(_) | StepKind::Sweep { .. } => {
                Some(&[ComputeKind::Local, ComputeKind::AmlCompute, ComputeKind::Serverless])
            }
            StepKind::Spark { .. }
            | StepKind::AutoMl
            | StepKind::Pipeline(_)
            | StepKind::ControlFlow(_)
            | StepKind::Module(_) => None,
        }
    }
}

/// What a data transfer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferTask {
    /// Copies its data inputs into its output (v1 DataTransferStep, v2 `copy_data`).
    Copy {
        /// A file that two inputs both hold fails the copy (`data_copy_mode: fail_if_conflict`)
        /// instead of the later one overwriting it (`merge_with_overwrite`).
        fail_if_conflict: bool,
    },
    /// Imports data through a connection to a database or another cloud's storage (v2
    /// `import_data`, an `import` job).
    Import,
    /// Exports data through such a connection (v2 `export_data`).
    Export,
}

/// What a data transfer's endpoint is (v1 `source_reference_type`, `destination_reference_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointShape {
    /// One file.
    File,
    /// A folder.
    Directory,
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
    /// The data inputs whose files are split into mini-batches (v2 `input_data`); empty: every
    /// data input (a v1 ParallelRunStep).
    pub split: Vec<String>,
    /// Tries of a failed mini-batch (v1 `run_max_try`, v2 `retry_settings.max_retries`).
    pub max_tries: Option<u32>,
    /// Seconds a mini-batch may take (v1 `run_invocation_timeout`, v2 `retry_settings.timeout`).
    pub timeout: Option<u32>,
    /// The file `append_row` results go to (v1 `append_row_file_name`).
    pub append_row_file_name: Option<String>,
}

/// A module registered in the workspace, as a v1 ModuleStep names it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModuleRef {
    /// The module's name.
    pub name: Option<Name>,
    /// The module's id.
    pub id: Option<Name>,
    /// The version asked for (else the module's default version).
    pub version: Option<String>,
}

impl ModuleRef {
    /// The module's name or id, for messages.
    pub fn describe(&self) -> String {
        match (&self.name, &self.id) {
            (Some(n), _) => format!("module `{}`", n.value),
            (None, Some(id)) => format!("module id `{}`", id.value),
            (None, None) => "a module".to_string(),
        }
    }
}

/// The Databricks settings of a Databricks step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatabricksSpec {
    /// Notebook in the Databricks workspace.
    pub notebook_path: Option<Name>,
    /// Script on DBFS.
    pub python_script_path: Option<Name>,
    /// Script in the source directory, uploaded with the step (also the step's `script` when it
    /// has a source directory).
    pub python_script_name: Option<Name>,
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
    /// What it runs: a script with its arguments, or a command template.
    pub invocation: Invocation,
    /// Inputs by name.
    pub inputs: Vec<InputPort>,
    /// Outputs by name.
    pub outputs: Vec<OutputPort>,
    /// Reuse allowed (v1 `allow_reuse`, v2 `is_deterministic`).
    pub allow_reuse: bool,
    /// Extra paths whose content joins the fingerprint.
    pub hash_paths: Vec<PathRef>,
    /// Files the step's definition reads whose content decides its result (a v1
    /// ParallelRunStep's configuration, a conda file named by a run configuration).
    pub config_files: Vec<PathRef>,
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
    /// Environment variables the step sets for its process, by name, values as text with their
    /// `${{inputs.x}}` placeholders (v2 `environment_variables`, a ParallelRunConfig's).
    pub environment_variables: Vec<(String, String)>,
    /// How the step reaches a service that runs jobs (Azure ML), as lowering decided it.
    pub service: ServiceJob,
}

/// How a step reaches a service that runs jobs: decided by lowering from what the step is, read
/// by emitters, which therefore never ask which format the step was written in.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ServiceJob {
    /// As the job written for the service, sent on as azure-ai-ml sends it.
    Written(Document),
    /// As a job running an anonymous component made from the step: its script and arguments
    /// (a command, or a parallel `run_function` task), ports, environment and settings.
    Script,
    /// As a data transfer copying the step's source to its destination.
    Copy,
    /// As nothing: the service has no job for this kind of step (its kind says why).
    #[default]
    None,
}

impl ServiceJob {
    /// The job written for the service, if the step was written as one (`None` when empty).
    pub fn written(fields: serde_json::Map<String, serde_json::Value>) -> Self {
        Document::new(fields).map_or(ServiceJob::None, ServiceJob::Written)
    }
}

/// A job or a component as written for the service (a v2 document), scalars as YAML 1.1 types
/// them, for emitters that send it on as azure-ai-ml does.
#[derive(Debug, Clone, PartialEq)]
pub struct Document(serde_json::Map<String, serde_json::Value>);

impl Document {
    /// The document of these keys; `None` when there are none.
    pub fn new(fields: serde_json::Map<String, serde_json::Value>) -> Option<Self> {
        (!fields.is_empty()).then_some(Document(fields))
    }

    /// Every key as written.
    pub fn fields(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0
    }

    /// A copy of the keys of a document, or no keys when there is none.
    pub fn keys_of(document: Option<&Self>) -> serde_json::Map<String, serde_json::Value> {
        document.map(|d| d.0.clone()).unwrap_or_default()
    }

    /// The component a job runs (a sweep's `trial`): a reference, or a body written in place.
    pub fn component(&self) -> Option<&serde_json::Value> {
        self.0.get("component").or_else(|| self.0.get("trial"))
    }

    /// A component's declared `inputs` or `outputs` (`None` when it declares none).
    pub fn declared(&self, ports: &str) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.0.get(ports).and_then(serde_json::Value::as_object)
    }
}

impl Step {
    /// The environment variables of a mapping as written (`environment_variables` of a job or
    /// configuration): each value as text, as YAML 1.1 reads it (`1` is `1`, `yes` is `true`).
    pub fn variables_of(written: Option<&serde_json::Value>) -> Vec<(String, String)> {
        let Some(serde_json::Value::Object(vars)) = written else { return Vec::new() };
        vars.iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    }

    /// The folder the step's code is in, the one that is snapshotted, hashed and uploaded: its
    /// source folder (v1 `source_directory`, v2 `code`), else its script's folder.
    pub fn code_folder(&self) -> Option<std::path::PathBuf> {
        self.code.as_ref().map(PathRef::resolved).or_else(|| self.invocation.script().map(|s| s.base.clone()))
    }

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
        match &self.kind {
            StepKind::Sweep { searched } => searched.iter().map(String::as_str).collect(),
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

/// What a step runs: a script with arguments, or a command template.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Invocation {
    /// Nothing sluice sees run (Databricks notebooks and JARs, data transfer, control flow,
    /// registered components, nested pipelines ...).
    #[default]
    None,
    /// A script, relative to the code folder, run with these arguments: a v1 step's script
    /// (PythonScriptStep, AdlaStep, Databricks `python_script_name`), an AzureBatchStep's
    /// executable, a parallel step's entry script, a Spark job's entry file. `script` is `None`
    /// when the arguments go to something sluice cannot see (a v1 ModuleStep's module, a Spark
    /// entry class).
    Script {
        /// The script.
        script: Option<PathRef>,
        /// Its arguments.
        arguments: Arguments,
    },
    /// A command line template with `${{...}}` bindings (v2 command jobs, sweep trials).
    Command(Command),
}

/// The arguments a script is run with.
#[derive(Debug, Clone, PartialEq)]
pub enum Arguments {
    /// One argument each, literals and placeholders (v1 `arguments`).
    List(Vec<Arg>),
    /// A template, split into words once filled (v2 parallel `program_arguments`, Spark `args`).
    Template(Command),
}

impl Invocation {
    /// The script run, if any.
    pub fn script(&self) -> Option<&PathRef> {
        match self {
            Invocation::Script { script, .. } => script.as_ref(),
            Invocation::Command(_) | Invocation::None => None,
        }
    }

    /// The template with `${{...}}` bindings: the command, or a script's argument template.
    pub fn template(&self) -> Option<&Command> {
        match self {
            Invocation::Command(c) | Invocation::Script { arguments: Arguments::Template(c), .. } => Some(c),
            Invocation::Script { arguments: Arguments::List(_), .. } | Invocation::None => None,
        }
    }

    /// The arguments given one by one (v1), empty for the rest.
    pub fn arguments(&self) -> &[Arg] {
        match self {
            Invocation::Script { arguments: Arguments::List(a), .. } => a,
            Invocation::Script { arguments: Arguments::Template(_), .. }
            | Invocation::Command(_)
            | Invocation::None => &[],
        }
    }

    /// Sets the script, keeping the arguments given so far (formats name the two in different
    /// keys); replaces a command.
    pub fn set_script(&mut self, script: PathRef) {
        *self = match std::mem::take(self) {
            Invocation::Script { arguments, .. } => Invocation::Script { script: Some(script), arguments },
            Invocation::Command(_) | Invocation::None => {
                Invocation::Script { script: Some(script), arguments: Arguments::List(Vec::new()) }
            }
        };
    }

    /// Sets the script's arguments, keeping its script; no arguments and no script is
    /// [`Invocation::None`].
    pub fn set_arguments(&mut self, arguments: Arguments) {
        let script = self.script().cloned();
        *self = match (&script, &arguments) {
            (None, Arguments::List(a)) if a.is_empty() => Invocation::None,
            _ => Invocation::Script { script, arguments },
        };
    }
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
