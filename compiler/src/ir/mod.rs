//! The IR: one typed DAG of steps with typed ports, whatever format it came from. Lowering
//! ([`crate::lower`]) builds it; checks, fingerprints and emitters read it and nothing after
//! lowering knows the source format.
//!
//! Lowering never fails: a name it cannot resolve stays in the IR as [`Source::Unresolved`] and a
//! check reports it, so every mistake of a file is found in one pass.

mod component;
mod graph;
pub mod spark;
mod step;
mod types;
mod workspace;

use std::path::PathBuf;

pub use component::{Component, ComponentOrigin, PortDecl};
pub use graph::{Dag, EdgeKind};
pub use step::*;
pub use types::{DataType, Literal};
pub use workspace::{
    Compute, ComputeKind, Datastore, DatastoreKind, SecretField, Workspace, account_url_problem,
};

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
    /// The pipeline job as written for the service, except `jobs` (`inputs`, `settings`, `tags`,
    /// `identity`, ...), for emitters; `None` when none is written.
    pub document: Option<Document>,
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
    /// A SQL table, query or stored procedure on a SQL datastore.
    Sql {
        /// The SQL datastore.
        datastore: Name,
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
