//! The Azure ML CLI v2 format (DESIGN section 2.2): pipeline jobs (`type: pipeline` with
//! `jobs`), the jobs they hold, and component files. Expressions inside strings are parsed by
//! [`binding`].

pub mod binding;
pub mod components;
pub mod environment;
pub mod io;
pub mod jobs;
pub mod parts;
pub mod value;

use schemars::JsonSchema;
use serde::Deserialize;

pub use components::{
    CommandComponent, ComponentCommon, ComponentFile, ComponentRef, DataTransferComponent, ParallelComponent,
    PipelineComponent, SparkComponent,
};
pub use io::{InputDecl, InputSpec, InputValue, OutputDecl, OutputSpec, OutputValue, PortMode, PortType};
pub use jobs::{Job, JobCommon};
pub use value::{Bindable, Json};

use crate::yaml::{Map, Spanned};
use parts::{Identity, Service};

/// A pipeline job file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sluice v2 pipeline", rename = "PipelineFileV2")]
pub struct PipelineFile {
    /// Editor schema reference; ignored by sluice.
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// Always `pipeline`.
    #[serde(rename = "type")]
    pub ty: Option<Spanned<PipelineType>>,
    /// Job name (default: generated).
    pub name: Option<Spanned<String>>,
    /// Name shown in the studio.
    pub display_name: Option<Spanned<String>>,
    /// What the pipeline does.
    pub description: Option<String>,
    /// Experiment the run is filed under.
    pub experiment_name: Option<Spanned<String>>,
    /// Tags.
    #[serde(default)]
    pub tags: Map<Json>,
    /// Properties.
    #[serde(default)]
    pub properties: Map<Json>,
    /// `default_compute`, `default_datastore`, `continue_on_step_failure`, `force_rerun`.
    pub settings: Option<Spanned<Map<Spanned<Json>>>>,
    /// Compute for jobs that name none (like `settings.default_compute`).
    pub compute: Option<Spanned<String>>,
    /// Identity towards data and services.
    pub identity: Option<Identity>,
    /// Interactive services.
    #[serde(default)]
    pub services: Map<Service>,
    /// Pipeline inputs: literals (parameters) or data.
    #[serde(default)]
    pub inputs: Map<Spanned<InputValue>>,
    /// Pipeline outputs.
    #[serde(default)]
    pub outputs: Map<Spanned<OutputValue>>,
    /// The jobs, by name.
    pub jobs: Option<Spanned<Map<Job>>>,
    /// A pipeline component to run instead of `jobs` (a file or a registered component).
    pub component: Option<Spanned<String>>,
}

/// The `type` of a pipeline job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PipelineType {
    /// A pipeline job.
    Pipeline,
}

/// Settings a pipeline job understands (others are passed on, with a warning).
pub const SETTINGS: [&str; 6] = [
    "default_compute",
    "default_datastore",
    "continue_on_step_failure",
    "force_rerun",
    "on_init",
    "on_finalize",
];
